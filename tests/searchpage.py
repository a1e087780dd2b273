"""The search page in headless Chromium: the page rendered by the real theme with its assets and index, served
from a local server under a sub-path, and queries asked of ``window.yunzhanSearch``.

Fixtures (assign the ones you use in your test module): ``browser`` and ``serve``.
"""

from __future__ import annotations

import functools
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO
from tests.searchcorpus import BASE
from yunzhan import pages, render, search
from yunzhan.config import SiteConfig
from yunzhan.model import Link, Page, Record

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


def publish(root: Path, records: list[Record], config: SiteConfig) -> None:
    """The search page rendered by the real theme, its assets and the index, under root + the base path."""
    out = root / config.base_path.strip("/")
    grouped = {c.name: [r for r in records if r.collection == c.name] for c in config.collections}
    plan = pages.plan_site(grouped, config)
    env = render.make_environment(REPO, config)
    site = render.site_view(config, {}, plan.collections, plan.taxonomies, {})
    home = config.url_for("/")
    page = Page(
        "search",
        "/search/",
        home + "search/",
        "搜索",
        "search.html",
        [Link("首页", home), Link("搜索", None)],
    )
    (out / "search").mkdir(parents=True, exist_ok=True)
    (out / "search/index.html").write_text(
        env.get_template("search.html").render(site=site, page=page), "utf-8"
    )
    static = render.theme_static_dir(REPO, config)
    for rel in ("js/search.js", "css/search.css", "css/site.css"):
        (out / "assets" / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(static / rel, out / "assets" / rel)
    for rel, data in search.build_index(records, config).items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_bytes(data)


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # the browser hangs up on missing thumbnails; not our concern here


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} not found — apt-get install chromium", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


Serve = Callable[[Callable[[SiteConfig], list[Record]], SiteConfig], tuple[str, SiteConfig]]


@pytest.fixture(scope="module")
def serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Serve]:
    """serve(make_records, config) → (URL of the search page, config): each site on its own sub-path
    /sN/expo/2024/ of one local server that lives for the module."""
    root = tmp_path_factory.mktemp("www")
    server = QuietServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    count = [0]

    def make(
        make_records: Callable[[SiteConfig], list[Record]], config: SiteConfig
    ) -> tuple[str, SiteConfig]:
        count[0] += 1
        base = f"http://127.0.0.1:{server.server_port}/s{count[0]}{BASE}"
        cfg = replace(config, base_url=base)
        publish(root, make_records(cfg), cfg)
        return base + "search/", cfg

    yield make
    server.shutdown()
    server.server_close()
    thread.join()


def run_queries(page: Any, queries: list[str]) -> dict[str, list[str]]:
    return page.evaluate(
        "async qs => { const out = {}; for (const q of qs) out[q] = await window.yunzhanSearch(q); return out; }",
        queries,
    )


def strip(prefix: str, paths: list[str]) -> set[str]:
    return {p.removeprefix(prefix) for p in paths}


def score(found: set[str] | list[str], want: set[str]) -> tuple[float, float]:
    got = set(found)
    hits = len(got & want)
    recall = hits / len(want) if want else 1.0
    precision = hits / len(got) if got else 1.0
    return recall, precision
