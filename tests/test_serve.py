"""The live preview, driven for real: a server on a free port, files edited on disk, events read off the stream."""

from __future__ import annotations

import contextlib
import http.client
import io
import itertools
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from browser import launch_browser

from tests.conftest import REPO, SITE_TOML, MakeSite
from yunzhan.errors import ConfigError
from yunzhan.serve import (
    EVENTS_PATH,
    LIVE_SCRIPT,
    OVERLAY_TITLE,
    PreviewServer,
    RebuildOutcome,
    ServeOptions,
    SessionRebuild,
    content_type,
    run,
)
from yunzhan.serve.watch import Watcher, is_ignored_name

BASE = "/expo/2024/"
TOML = SITE_TOML.replace('base_url = "https://example.org/"', 'base_url = "https://example.org/expo/2024/"')
# Drawing share cards costs seconds on every fresh site and is not what these tests are about.
TOML += "\n[publish]\nshare_cards = false\nshare_posters = false\n"
ROCKET = "content/projects/rocket.md"


@pytest.fixture
def site(make_site: MakeSite) -> Path:
    """A small site with its own copy of the theme (so nobody else's theme edits reach these tests)."""
    site = make_site(
        {
            "content/projects/secret.md": "---\ntitle: 未发布草稿\ncategory: 创新项目\nzone: gusu\ndraft: true\n---\n草稿正文。\n",
            "static/media/x.avif": b"\x00\x00\x00\x1cftypavif",
            "static/media/x.webp": b"RIFF\x00\x00\x00\x00WEBP",
            "static/media/x.wasm": b"\x00asm\x01\x00\x00\x00",
            "static/media/x.svg": '<svg xmlns="http://www.w3.org/2000/svg"/>',
            "static/media/feed.xml": "<feed/>",
            "static/media/data.json": "{}",
            "static/media/app.js": "console.log(1)",
            "static/media/film.mp4": bytes(range(256)) * 6000,  # over 1 MB: streamed, not read whole
        },
        toml=TOML,
    )
    shutil.copytree(REPO / "themes" / "default", site / "themes" / "default")
    return site


class Response:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body
        self.text = body.decode("utf-8", "replace")


class Events:
    """A raw server-sent-events client; connected (subscribed) once the constructor returns."""

    def __init__(self, port: int, since: str = "") -> None:
        self.queue: queue.Queue[tuple[str, str]] = queue.Queue()
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=20)
        self.sock.sendall(f"GET {EVENTS_PATH}?since={since} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".encode())
        self.file = self.sock.makefile("rb")
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        assert self.next("retry", timeout=10) == "1000"

    def _read(self) -> None:
        event, data = "", []
        try:
            for raw in self.file:
                line = raw.decode("utf-8").rstrip("\r\n")
                if line.startswith("retry:"):
                    self.queue.put(("retry", line[6:].strip()))
                elif line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].strip())
                elif not line and event:
                    self.queue.put((event, "\n".join(data)))
                    event, data = "", []
        except OSError:
            pass

    def next(self, name: str | None = None, timeout: float = 40) -> str:
        deadline = time.monotonic() + timeout
        while True:
            event, data = self.queue.get(timeout=max(0.01, deadline - time.monotonic()))
            if name is None or event == name:
                return data
            if event not in ("retry",):
                raise AssertionError(f"expected {name!r}, got {event!r}: {data[:200]}")

    def pending(self) -> list[str]:
        found = []
        while not self.queue.empty():
            found.append(self.queue.get_nowait()[0])
        return found

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.thread.join(5)
        self.file.close()
        self.sock.close()


class Live:
    """A running preview plus a record of every rebuild it made."""

    def __init__(self, site: Path, rebuild: Callable[[set[Path]], RebuildOutcome] | None = None) -> None:
        self.site = site
        self.rebuilds: list[tuple[RebuildOutcome, str, set[Path]]] = []
        self.cond = threading.Condition()
        self.server = PreviewServer(
            ServeOptions(site_dir=site, port=0, quiet=True), rebuild=rebuild, on_rebuild=self._hook
        )
        self.streams: list[Events] = []

    def _hook(self, outcome: RebuildOutcome, kind: str, changed: set[Path]) -> None:
        with self.cond:
            self.rebuilds.append((outcome, kind, changed))
            self.cond.notify_all()

    def wait_rebuilds(self, count: int, timeout: float = 40) -> tuple[RebuildOutcome, str, set[Path]]:
        with self.cond:
            assert self.cond.wait_for(lambda: len(self.rebuilds) >= count, timeout), self.rebuilds
            return self.rebuilds[count - 1]

    def get(self, path: str, method: str = "GET", headers: dict[str, str] | None = None) -> Response:
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=10)
        try:
            conn.request(method, path, headers=headers or {})
            response = conn.getresponse()
            return Response(response.status, dict(response.getheaders()), response.read())
        finally:
            conn.close()

    def asset(self, rel: str) -> str:
        """The URL of a built asset, e.g. "css/site.css" → /expo/2024/assets/css/site.<hash>.css."""
        folder, name = rel.rsplit("/", 1)
        stem, suffix = name.rsplit(".", 1)
        preview = self.site / ".yunzhan-cache" / "preview" / "assets" / folder
        found = sorted(p for p in preview.glob(f"{stem}*.{suffix}") if p.name.count(".") <= 2)
        assert len(found) == 1, found
        return f"{BASE}assets/{folder}/{found[0].name}"

    def events(self, since: str = "") -> Events:
        stream = Events(self.server.port, since)
        self.streams.append(stream)
        return stream

    def write(self, rel: str, text: str) -> None:
        (self.site / rel).write_text(text, encoding="utf-8")

    def edit(self, rel: str, old: str, new: str) -> None:
        path = self.site / rel
        text = path.read_text(encoding="utf-8")
        assert old in text
        path.write_text(text.replace(old, new), encoding="utf-8")

    def close(self) -> None:
        self.server.stop()
        for stream in self.streams:
            stream.close()


@pytest.fixture
def serve(site: Path) -> Iterator[Callable[..., Live]]:
    started: list[Live] = []

    def start(rebuild: Callable[[set[Path]], RebuildOutcome] | None = None) -> Live:
        live = Live(site, rebuild)
        started.append(live)
        live.server.start()
        live.wait_rebuilds(1)
        return live

    yield start
    for live in started:
        live.close()


def test_serves_preview_under_base_path_and_reloads_after_an_edit(serve: Callable[..., Live]) -> None:
    live = serve()
    outcome, kind, _ = live.rebuilds[0]
    assert outcome.ok and kind == "initial"

    root = live.get("/")
    assert root.status == 302 and root.headers["Location"] == BASE
    assert live.get("/expo/2024").headers["Location"] == BASE
    assert live.get("/expo/2024/projects").headers["Location"] == "/expo/2024/projects/"

    page = live.get(BASE + "projects/rocket/")
    assert page.status == 200 and "火箭模型" in page.text
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert page.text.index('id="yunzhan-live"') < page.text.rindex("</body>")
    assert "yunzhan-overlay" not in page.text.split('<script id="yunzhan-live"')[0]

    # drafts are previewed, but never written to output/, and the script is never written to disk
    assert "未发布草稿" in live.get(BASE + "projects/secret/").text
    preview = live.site / ".yunzhan-cache" / "preview"
    assert "yunzhan-live" not in (preview / "projects/rocket/index.html").read_text(encoding="utf-8")
    assert not (live.site / "output").exists()

    events = live.events()
    live.edit(ROCKET, "title: 火箭模型", "title: 火箭模型二号")
    build_id = events.next("reload")
    assert "火箭模型二号" in live.get(BASE + "projects/rocket/").text
    assert f'data-build="{build_id}"' in live.get(BASE).text
    assert live.rebuilds[-1][1] == "full"
    assert live.rebuilds[-1][2] == {live.site / ROCKET}

    # the search index and the other site-wide files follow just after the pages
    deadline = time.monotonic() + 20
    while "火箭模型二号" not in live.get(BASE + "search/meta.json").text:
        assert time.monotonic() < deadline, "the search index was not brought up to date"
        time.sleep(0.05)
    assert "火箭模型二号" in live.get(BASE + "feed.xml").text

    # a page loaded before a rebuild learns about it when its event stream connects
    assert live.events(since="stale-build").next("reload") == build_id


def test_content_error_shows_overlay_keeps_last_good_pages_and_clears_when_fixed(
    serve: Callable[..., Live],
) -> None:
    live = serve()
    events = live.events()
    live.edit(ROCKET, "zone: gusu", "zone: nowhere")
    payload = json.loads(events.next("errors"))
    texts = [p["text"] for p in payload["problems"]]
    assert any(t.startswith("content/projects/rocket.md:4: zone:") for t in texts), texts
    assert payload["title"] == OVERLAY_TITLE
    assert 'role="alertdialog"' in payload["html"] and ">关闭</button>" in payload["html"]

    page = live.get(BASE + "projects/rocket/")
    assert page.status == 200 and "火箭模型" in page.text  # the last good page is still served
    assert OVERLAY_TITLE in page.text and "<code>content/projects/rocket.md:4</code>: zone:" in page.text
    assert page.text.index('id="yunzhan-overlay"') < page.text.rindex("</body>")
    # a browser that connects while the error lasts is told at once
    assert "rocket.md:4" in live.events().next("errors")

    live.edit(ROCKET, "zone: nowhere", "zone: gusu")
    events.next("reload")
    assert OVERLAY_TITLE not in live.get(BASE + "projects/rocket/").text


def test_site_toml_error_is_an_overlay_too(serve: Callable[..., Live]) -> None:
    live = serve()
    events = live.events()
    good = (live.site / "site.toml").read_text(encoding="utf-8")
    live.write("site.toml", 'colour = "red"\n' + good)
    payload = json.loads(events.next("errors"))
    assert any(p["path"] == "site.toml" and p["field"] == "colour" for p in payload["problems"])
    assert "火箭模型" in live.get(BASE + "projects/rocket/").text
    live.write("site.toml", good)
    events.next("reload")
    assert OVERLAY_TITLE not in live.get(BASE).text


def test_burst_of_saves_is_one_rebuild(serve: Callable[..., Live]) -> None:
    live = serve()
    path = live.site / ROCKET
    text = path.read_text(encoding="utf-8")
    written = []
    for i in range(10):
        path.write_text(text + f"\n第 {i} 次保存\n", encoding="utf-8")
        written.append(time.monotonic())
        time.sleep(0.002)
    live.wait_rebuilds(2)
    time.sleep(0.5)
    # Saves closer together than the quiet window after a finished save (settle) are one rebuild. (On a starved
    # machine a "2 ms" sleep can last longer than that; each such pause may rightly start a rebuild of its own.)
    pauses = sum(b - a > live.server.options.settle for a, b in itertools.pairwise(written))
    assert len(live.rebuilds) - 1 <= 1 + pauses, [(kind, changed) for _, kind, changed in live.rebuilds]
    assert "第 9 次保存" in live.get(BASE + "projects/rocket/").text


def test_a_finished_save_waits_only_the_settle_window(tmp_path: Path) -> None:
    from watchdog.events import FileClosedEvent, FileModifiedEvent, FileMovedEvent

    record = tmp_path / "content" / "projects" / "a.md"
    watcher = Watcher(tmp_path, (), debounce=5.0, settle=0.01, theme_root=lambda: None, warn=print)

    def wait_after(event: object) -> float:
        watcher.on_event(event)  # type: ignore[arg-type]
        return watcher._deadline - time.monotonic()

    # a rename into place waits the full window until the system has shown it reports closes (not on Windows)
    assert wait_after(FileMovedEvent(str(record) + ".tmp", str(record))) > 1
    assert wait_after(FileClosedEvent(str(record))) <= 0.01
    assert wait_after(FileModifiedEvent(str(record))) > 1
    assert wait_after(FileMovedEvent(str(record) + ".tmp", str(record))) <= 0.01  # an atomic save


def test_changes_during_a_rebuild_give_exactly_one_more(site: Path, serve: Callable[..., Live]) -> None:
    full = SessionRebuild(site.resolve(), site.resolve() / ".yunzhan-cache" / "preview")
    started = threading.Event()

    def slow(changed: set[Path]) -> RebuildOutcome:
        if changed:
            started.set()
            time.sleep(0.6)
        return full(changed)

    live = serve(slow)
    live.edit(ROCKET, "火箭模型", "火箭模型A")
    assert started.wait(10)
    for letter in "BCD":
        live.edit(ROCKET, "火箭模型", f"火箭模型{letter}")
        time.sleep(0.05)
    live.wait_rebuilds(3)
    time.sleep(0.5)
    assert len(live.rebuilds) == 3
    assert "火箭模型DCBA" in live.get(BASE + "projects/rocket/").text


def test_editor_temporary_files_are_ignored(serve: Callable[..., Live]) -> None:
    live = serve()
    folder = live.site / "content/projects"
    litter = [
        ".rocket.md.swp",
        "rocket.md~",
        "4913",
        ".#rocket.md",
        ".DS_Store",
        "#rocket.md#",
        "~$方案.docx",
    ]
    for name in litter:
        (folder / name).write_text("x", encoding="utf-8")
        (folder / name).unlink()
    (folder / ".rocket.md.swp").write_text("swap", encoding="utf-8")
    (live.site / "output").mkdir()
    (live.site / "output/index.html").write_text("x", encoding="utf-8")
    (live.site / "notes.txt").write_text("x", encoding="utf-8")
    time.sleep(0.6)
    assert len(live.rebuilds) == 1

    # a save through a temporary file renamed over the record (what many editors do) is one rebuild
    tmp = folder / ".rocket.md.tmp"
    tmp.write_text(
        (folder / "rocket.md").read_text(encoding="utf-8").replace("火箭模型", "原子保存"), "utf-8"
    )
    os.replace(tmp, folder / "rocket.md")
    _, _, changed = live.wait_rebuilds(2)
    assert changed == {live.site / ROCKET}
    time.sleep(0.4)
    assert len(live.rebuilds) == 2


def test_ignored_names() -> None:
    for name in (".x.md.swp", "x.md~", "4913", ".#x.md", ".DS_Store", "x.swo", "#x#", "~$x.docx", "x.tmp"):
        assert is_ignored_name(name), name
    for name in ("rocket.md", "site.css", "封面.jpg", "data.yaml"):
        assert not is_ignored_name(name), name


def test_survives_deleted_and_restored_folders(serve: Callable[..., Live]) -> None:
    live = serve()
    content = live.site / "content"
    content.rename(live.site / "content-moved")
    outcome, _, _ = live.wait_rebuilds(2)
    assert not outcome.ok
    (live.site / "content-moved").rename(content)
    outcome, _, _ = live.wait_rebuilds(3)
    assert outcome.ok

    shutil.rmtree(content / "pages")
    live.wait_rebuilds(4)
    assert live.get(BASE + "about/").status == 404
    (content / "pages").mkdir()
    time.sleep(0.3)  # the new folder gets its own watch after the rebuild its creation causes
    live.write("content/pages/about.md", "---\ntitle: 关于\n---\n新的关于页。\n")
    _wait_until(lambda: "新的关于页" in live.get(BASE + "about/").text)
    live.edit("content/pages/about.md", "新的关于页", "再次修改的关于页")
    _wait_until(lambda: "再次修改的关于页" in live.get(BASE + "about/").text)


def test_css_only_change_is_announced_as_css(serve: Callable[..., Live]) -> None:
    live = serve()
    events = live.events()
    css = live.site / "themes/default/static/css/site.css"
    css.write_text(css.read_text(encoding="utf-8") + "\n:root{--probe:1}\n", encoding="utf-8")
    events.next("css")
    assert live.rebuilds[-1][1] == "css"
    assert "--probe:1" in live.get(live.asset("css/site.css")).text


def test_refuses_paths_outside_the_preview(serve: Callable[..., Live]) -> None:
    live = serve()
    for path in (
        "/../site.toml",
        "/expo/2024/../../site.toml",
        "/%2e%2e/site.toml",
        "/expo/2024/%2e%2e/%2e%2e/site.toml",
        "/expo/2024/..%2f..%2fsite.toml",
        "/expo/2024/%2E%2E%5Csite.toml",
    ):
        response = live.get(path)
        assert response.status in (400, 403), path
        assert "title =" not in response.text
    # a loopback preview answers only to loopback host names (no DNS rebinding from another web site)
    assert live.get(BASE, headers={"Host": "evil.example:80"}).status == 403
    assert live.get(BASE, headers={"Host": "localhost"}).status == 200
    assert live.get(BASE, headers={"Host": "[::1]:8000"}).status == 200
    preview = live.site / ".yunzhan-cache" / "preview"
    (preview / "leak.toml").symlink_to(live.site / "site.toml")
    response = live.get(BASE + "leak.toml")
    assert response.status == 403 and "title =" not in response.text


def test_content_types_404_and_head(serve: Callable[..., Live]) -> None:
    live = serve()
    expected = {
        "media/x.avif": "image/avif",
        "media/x.webp": "image/webp",
        "media/x.wasm": "application/wasm",
        "media/x.svg": "image/svg+xml; charset=utf-8",
        "media/feed.xml": "application/xml; charset=utf-8",
        "media/data.json": "application/json; charset=utf-8",
        "media/app.js": "text/javascript; charset=utf-8",
        "css/site.css": "text/css; charset=utf-8",
    }
    for rel, ctype in expected.items():
        response = live.get(live.asset(rel))
        assert response.status == 200, rel
        assert response.headers["Content-Type"] == ctype, rel
        assert "yunzhan-live" not in response.text
    film = live.get(live.asset("media/film.mp4"))
    assert film.headers["Content-Type"] == "video/mp4" and film.body == bytes(range(256)) * 6000
    missing = live.get(BASE + "no/such/page/")
    assert missing.status == 404 and "页面不存在" in missing.text and 'id="yunzhan-live"' in missing.text
    assert live.get("/elsewhere/").status == 404
    head = live.get(BASE, method="HEAD")
    assert head.status == 200 and head.body == b"" and int(head.headers["Content-Length"]) > 1000
    assert live.get(BASE, method="POST").status == 501


def test_content_type_table() -> None:
    """One table for the preview and for scripts/audit.py's static server (tests/test_audit.py)."""
    expected = {
        "index.html": "text/html; charset=utf-8",
        "PAGE.HTM": "text/html; charset=utf-8",
        "site.webmanifest": "application/manifest+json; charset=utf-8",
        "x.avif": "image/avif",
        "font.woff2": "font/woff2",
        "captions.vtt": "text/vtt; charset=utf-8",
        "favicon.ico": "image/x-icon",
        "blob.unknown-suffix": "application/octet-stream",
        "no-suffix": "application/octet-stream",
    }
    assert {name: content_type(Path(name)) for name in expected} == expected


def test_live_script_is_small() -> None:
    assert len(LIVE_SCRIPT.format(build="0123abcd.123", events=EVENTS_PATH).encode()) < 1536


def test_port_in_use_is_a_plain_error(site: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        server = PreviewServer(ServeOptions(site_dir=site, port=taken.getsockname()[1], quiet=True))
        with pytest.raises(ConfigError) as caught:
            server.start()
        server.stop()
    assert "已被占用" in caught.value.problems[0].format()


def test_run_prints_url_and_stops_cleanly_on_ctrl_c(site: Path) -> None:
    # As in a terminal: a shell starts background jobs (a CI script's `… &`) with SIGINT ignored, which Python
    # then leaves ignored; an editor's `serve` runs in the foreground, where Ctrl-C raises KeyboardInterrupt.
    code = "import signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
    code += "import sys; from pathlib import Path; from yunzhan.serve import run, ServeOptions; "
    code += f"sys.exit(run(ServeOptions(site_dir=Path({str(site)!r}), port=0)))"
    proc = subprocess.Popen(
        [sys.executable, "-c", code], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if "预览地址" in line:
                break
        url = lines[-1].split("：", 1)[1].strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith(BASE)
        host_port = url.split("/")[2]
        conn = http.client.HTTPConnection(host_port, timeout=10)
        conn.request("GET", BASE)
        assert conn.getresponse().status == 200
        conn.close()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)  # generous: CI machines can be slow; a hang still fails
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "已停止" in out and "Traceback" not in err
    assert any(line.startswith("已生成") for line in lines)


def test_run_without_site_toml_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(ServeOptions(site_dir=tmp_path / "nowhere", port=0)) == 2
    assert "site.toml" in capsys.readouterr().err


def _wait_until(predicate: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pytest.mark.browser
def test_browser_reloads_on_edit_and_swaps_css_without_reload(serve: Callable[..., Live]) -> None:
    live = serve()
    with launch_browser() as browser:  # a missing Chromium fails, naming scripts/setup.sh
        page = browser.new_page()
        try:
            page.goto(f"http://127.0.0.1:{live.server.port}{BASE}projects/rocket/")
            page.wait_for_function("() => window.EventSource && document.getElementById('yunzhan-live')")
            _wait_until(lambda: live.server.hub.count >= 1)
            page.evaluate("window.__probe = 42")

            css = live.site / "themes/default/static/css/site.css"
            css.write_text(css.read_text(encoding="utf-8") + "\n:root{--yz-probe:7}\n", encoding="utf-8")
            page.wait_for_function(
                "() => getComputedStyle(document.documentElement).getPropertyValue('--yz-probe').trim() === '7'",
                timeout=10000,
            )
            assert page.evaluate("window.__probe") == 42  # applied without a reload

            with page.expect_event("load", timeout=10000):
                live.edit(ROCKET, "title: 火箭模型", "title: 浏览器里的新标题")
            assert "浏览器里的新标题" in page.inner_text("body")
            assert page.evaluate("window.__probe") is None  # the page reloaded

            live.edit(ROCKET, "zone: gusu", "zone: nowhere")
            dialog = page.get_by_role("alertdialog")
            dialog.wait_for(timeout=10000)
            assert "rocket.md:4" in dialog.inner_text()
            assert page.evaluate("document.activeElement.textContent") == "关闭"
            page.get_by_role("button", name="关闭").click()
            assert page.get_by_role("alertdialog").count() == 0
            assert "浏览器里的新标题" in page.inner_text("body")

            with page.expect_event("load", timeout=10000):
                live.edit(ROCKET, "zone: nowhere", "zone: gusu")
            assert page.get_by_role("alertdialog").count() == 0
        finally:
            page.close()


def _children(pid: int) -> set[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False).stdout
    return {int(p) for p in found.split()}


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    return stat.is_file() and stat.read_text().rpartition(")")[2].split()[0] == "Z"  # ended, not yet reaped


@pytest.mark.skipif(sys.platform == "win32" or not shutil.which("pgrep"), reason="POSIX signals, pgrep")
@pytest.mark.parametrize("stop", ["SIGHUP", "SIGTERM"])
def test_stopping_serve_mid_build_ends_its_image_workers(make_site: MakeSite, stop: str) -> None:
    """Closing the terminal window (SIGHUP) or SIGTERM while the first build is making images used to leave the
    pool's workers behind, idle at about 110 MB each, parented to init."""
    from PIL import Image

    photos: dict[str, str | bytes | None] = {}
    for i in range(16):
        buffer = io.BytesIO()
        Image.frombytes("RGB", (2000, 1500), os.urandom(2000 * 1500 * 3)).save(buffer, "JPEG", quality=95)
        photos[f"content/zones/z{i}/index.md"] = f"---\nname: 展区{i}\norder: {i + 2}\ncover: c.jpg\n---\n"
        photos[f"content/zones/z{i}/c.jpg"] = buffer.getvalue()
    site = make_site(photos)
    proc = subprocess.Popen(
        [sys.executable, "build.py", "serve", "--site", str(site), "--port", "0", "-q"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen: set[int] = set()
    try:
        deadline = time.monotonic() + 60
        while len(seen) < 2 and proc.poll() is None and time.monotonic() < deadline:
            seen |= _children(proc.pid)  # the resource tracker, then the pool's workers
            time.sleep(0.02)
        assert len(seen) >= 2, "the image pool never started"
        proc.send_signal(getattr(signal, stop))
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    deadline = time.monotonic() + 10
    while not all(_gone(p) for p in seen) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = [p for p in seen if not _gone(p)]
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    assert not left, f"workers left running after {stop}"
    assert "Traceback" not in err
