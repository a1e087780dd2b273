"""The documented nginx config (deploy/nginx.conf) serving a real build under a sub-path.

Debian's nginx is started on a free loopback port with the config from docs/deploy.md (only the port and the
root changed), every page is crawled over HTTP, and the answers are checked as a visitor's browser would see
them: no broken link or asset, no resource from another origin, the right Content-Type, the 404 page with a 404
status, pre-compressed twins served, and year-long caching only where a name changes with the content.
"""

from __future__ import annotations

import contextlib
import gzip
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import brotli
import pytest

from tests.conftest import BASE_FILES, SITE_TOML, jpeg_bytes, write_site
from yunzhan import publish
from yunzhan.pipeline import BuildOptions, build

pytestmark = pytest.mark.nginx

REPO = Path(__file__).resolve().parent.parent
CONF = REPO / "deploy" / "nginx.conf"
SUB_PATH = "/expo/2024/"
BROTLI_MODULE = Path("/usr/lib/nginx/modules/ngx_http_brotli_static_module.so")
SETUP_HINT = "install it with `bash scripts/setup.sh` (apt-get install nginx libnginx-mod-http-brotli-static)"
YEAR = "public, max-age=31536000, immutable"
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "application/javascript; charset=utf-8",
    ".svg": "image/svg+xml; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".csv": "text/csv; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".avif": "image/avif",
    ".webp": "image/webp",
    ".jpg": "image/jpeg",
    ".png": "image/png",
    ".wasm": "application/wasm",
}
WASM = b"\0asm\x01\0\0\0"  # the smallest valid WebAssembly module


def _nginx() -> str:
    exe = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).is_file()), None)
    if exe is None:
        pytest.fail(f"nginx not found: {SETUP_HINT}")
    if not BROTLI_MODULE.is_file():
        pytest.fail(f"nginx's brotli module ({BROTLI_MODULE}) not found: {SETUP_HINT}")
    return exe


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_config(port: int, root: Path) -> str:
    """deploy/nginx.conf with only the port and the root changed; fails if the documented values moved."""
    text = CONF.read_text(encoding="utf-8")
    for old, new in (("listen 80;", f"listen 127.0.0.1:{port};"), ("listen [::]:80;", ""), ("root /srv/www;", f"root {root};")):  # fmt: skip
        assert text.count(old) == 1, f"deploy/nginx.conf no longer has exactly one `{old}`"
        text = text.replace(old, new)
    return text


def main_config(tmp: Path, server: Path) -> str:
    """The smallest nginx.conf around the server block, with every path inside ``tmp``."""
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers must read files in a root-only tmp folder
    temps = "".join(
        f"    {name}_temp_path {tmp}/{name};\n"
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        f"{user}daemon off;\nworker_processes 1;\npid {tmp}/nginx.pid;\nerror_log {tmp}/error.log warn;\n"
        f"load_module {BROTLI_MODULE};\nevents {{ worker_connections 64; }}\n"
        f"http {{\n    access_log off;\n{temps}    include {server};\n}}\n"
    )


@dataclass
class Served:
    port: int
    output: Path
    base_url: str

    def get(self, path: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            conn.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    _nginx()  # fails at once, with the setup hint, when there is none
    tmp = tmp_path_factory.mktemp("nginx")
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}{SUB_PATH}"
    site = _make_site(tmp)
    www = tmp / "www"
    output = www / SUB_PATH.strip("/")
    options = BuildOptions(
        site_dir=site, output_dir=output, base_url=base_url, cache_dir=tmp / "cache", compress=True
    )
    build(options)
    with nginx_serving(tmp, port, www):
        yield Served(port, output, base_url)


@contextlib.contextmanager
def nginx_serving(tmp: Path, port: int, www: Path) -> Iterator[None]:
    """nginx with deploy/nginx.conf's server block, serving ``www`` on ``port`` (its files go in ``tmp``)."""
    (tmp / "server.conf").write_text(server_config(port, www))
    (tmp / "nginx.conf").write_text(main_config(tmp, tmp / "server.conf"))
    proc = subprocess.Popen(
        [_nginx(), "-p", f"{tmp}/", "-c", str(tmp / "nginx.conf"), "-e", str(tmp / "error.log")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for(port, proc, tmp / "error.log")
        yield
    finally:
        proc.send_signal(signal.SIGQUIT)  # graceful stop
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        if proc.stdout:
            proc.stdout.close()


def _wait_for(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            output = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
            errors = log.read_text(errors="replace") if log.exists() else ""
            pytest.fail(f"nginx exited with {proc.returncode}:\n{output}\n{errors}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    pytest.fail("nginx did not start listening within 15 s")


def _make_site(tmp: Path) -> Path:
    toml = SITE_TOML.replace('formats = ["webp"]', 'formats = ["avif", "webp"]')
    files: dict[str, str | bytes] = {
        "content/projects/rocket.md": BASE_FILES["content/projects/rocket.md"].replace(
            "tags: [航天]", "tags: [航天]\n        cover: rocket.jpg"
        ),
        "content/projects/rocket.jpg": jpeg_bytes((900, 600)),
        "static/demo.wasm": WASM,  # a site's own static file: fingerprinted like the theme's
    }
    return write_site(tmp / "site", files, toml=toml)


class _Refs(HTMLParser):
    """Every URL a page makes the browser load (``resources``) or lets the visitor follow (``links``)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.resources: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v for k, v in attrs if v is not None}
        if tag == "a" and "href" in a:
            self.links.append(a["href"])
        if tag == "link" and "href" in a:
            (
                self.resources
                if a.get("rel") in ("stylesheet", "icon", "preload", "manifest")
                else self.links
            ).append(a["href"])
        if tag in ("img", "script", "source", "video", "audio", "iframe") and "src" in a:
            self.resources.append(a["src"])
        for candidate in a.get("srcset", "").split(","):
            if candidate.strip():
                self.resources.append(candidate.split()[0])
        if tag == "meta" and a.get("property") in ("og:image", "og:url"):
            self.links.append(a.get("content", ""))


def _crawl(served: Served) -> dict[str, tuple[int, dict[str, str], bytes]]:
    """Fetch every page reachable from the home page, the sitemap and the output tree, and all they load."""
    origin = f"http://127.0.0.1:{served.port}"
    entry_points = {SUB_PATH + name for name in (publish.SITEMAP, publish.FEED, publish.ROBOTS)}
    start = (
        {SUB_PATH}
        | entry_points
        | {
            SUB_PATH + p.relative_to(served.output).as_posix().removesuffix("index.html")
            for p in served.output.rglob("*.html")
            if p.name != "404.html"
        }
    )
    queue = sorted(start)
    seen: dict[str, tuple[int, dict[str, str], bytes]] = {}
    foreign: list[str] = []
    while queue:
        path = queue.pop()
        if path in seen:
            continue
        seen[path] = answer = served.get(path)
        status, headers, body = answer
        if status != 200:
            continue
        ctype = headers.get("content-type", "")
        found: list[str] = []
        if ctype.startswith("text/html"):
            refs = _Refs()
            refs.feed(body.decode("utf-8"))
            found = refs.links + refs.resources
            foreign += [
                f"{path}: {u}"
                for u in refs.resources
                if urlsplit(urljoin(origin + path, u)).netloc != urlsplit(origin).netloc
            ]
        elif ctype.startswith("text/css"):
            found = re.findall(r"""url\(\s*['"]?([^'")]+)""", body.decode("utf-8"))
        elif path.endswith(".xml"):
            found = re.findall(r"<loc>([^<]+)</loc>|href=\"([^\"]+)\"", body.decode("utf-8"))
            found = [a or b for a, b in found]  # type: ignore[misc]
        for url in found:
            absolute = urlsplit(urljoin(origin + path, url))
            if absolute.scheme in ("http", "https") and absolute.netloc == urlsplit(origin).netloc:
                queue.append(absolute.path)
    assert not foreign, "resources from another origin:\n" + "\n".join(foreign)
    return seen


@pytest.fixture(scope="module")
def crawled(served: Served) -> dict[str, tuple[int, dict[str, str], bytes]]:
    return _crawl(served)


def test_every_page_link_and_asset_answers_200(crawled: dict[str, tuple[int, dict[str, str], bytes]]) -> None:
    broken = [f"{path} → {status}" for path, (status, _, _) in crawled.items() if status != 200]
    assert broken == []
    kinds = {Path(p).suffix for p in crawled}
    assert {".css", ".svg", ".avif", ".webp", ".jpg", ".xml", ".txt"} <= kinds, kinds
    assert all(p.startswith(SUB_PATH) for p in crawled)


def test_content_types(served: Served, crawled: dict[str, tuple[int, dict[str, str], bytes]]) -> None:
    wrong = []
    for path, (_, headers, _) in crawled.items():
        suffix = ".html" if path.endswith("/") else Path(path).suffix
        if headers.get("content-type") != TYPES.get(suffix, "?"):
            wrong.append(f"{path}: {headers.get('content-type')}")
    assert wrong == []
    wasm = next(p.relative_to(served.output).as_posix() for p in served.output.glob("assets/demo.*.wasm"))
    for path, expected in ((wasm, ".wasm"), ("data/records.json", ".json"),
                           ("data/projects.csv", ".csv"), ("robots.txt", ".txt"), ("feed.xml", ".xml")):  # fmt: skip
        status, headers, _ = served.get(SUB_PATH + path)
        assert (status, headers["content-type"]) == (200, TYPES[expected]), path


def test_long_cache_only_on_names_that_change_with_the_content(
    crawled: dict[str, tuple[int, dict[str, str], bytes]],
) -> None:
    immutable = 0
    for path, (_, headers, _) in crawled.items():
        rel = path.removeprefix(SUB_PATH)
        hashed = rel.startswith("media/") or (
            rel.startswith("assets/") and publish.FINGERPRINT_RE.search(rel)
        )
        cache = headers.get("cache-control", "")
        if hashed:
            assert cache == YEAR, path
            immutable += 1
        else:
            assert cache == "no-cache", f"{path}: {cache}"
    assert immutable >= 5
    assert any(re.search(r"assets/css/site\.[0-9a-f]{10}\.css$", p) for p in crawled)


def test_search_shards_are_cached_for_a_year_and_meta_revalidated(
    served: Served,
) -> None:
    """Shards are not linked from pages (search.js fetches them): ask for the ones meta.json names."""
    status, headers, body = served.get(SUB_PATH + "search/meta.json")
    assert status == 200 and headers.get("cache-control") == "no-cache"
    meta = json.loads(body)
    for k in (0, len(meta["s"]) - 1):
        status, headers, _ = served.get(f"{SUB_PATH}search/s/{k}.{meta['s'][k]}.json")
        assert (status, headers.get("cache-control")) == (200, YEAR)
        assert headers["content-type"].startswith("application/json")


def test_missing_paths_get_the_404_page_with_status_404(served: Served) -> None:
    page = (served.output / "404.html").read_bytes()
    for path in (f"{SUB_PATH}no/such/page/", f"{SUB_PATH}assets/css/nothing.css", f"{SUB_PATH}404.html"):
        status, headers, body = served.get(path)
        assert status == 404, path
        assert body == page and headers["content-type"] == TYPES[".html"]
        assert headers["cache-control"] == "no-cache"


def test_directories_without_a_slash_redirect_within_the_sub_path(served: Served) -> None:
    for path in (SUB_PATH.rstrip("/"), f"{SUB_PATH}zones"):
        status, headers, _ = served.get(path)
        assert (status, headers["location"]) == (301, path + "/")


def test_precompressed_twins_are_served(served: Served) -> None:
    plain = (served.output / "index.html").read_bytes()
    status, headers, body = served.get(SUB_PATH, **{"Accept-Encoding": "br, gzip"})
    assert (status, headers.get("content-encoding")) == (200, "br")
    assert brotli.decompress(body) == plain and "Accept-Encoding" in headers.get("vary", "")
    _, headers, body = served.get(SUB_PATH, **{"Accept-Encoding": "gzip"})
    assert headers.get("content-encoding") == "gzip" and gzip.decompress(body) == plain
    _, headers, body = served.get(SUB_PATH)
    assert "content-encoding" not in headers and body == plain
