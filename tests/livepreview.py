"""The live preview, driven for real: a server on a free port, files edited on disk, events read off the stream.

``serve()`` (a fixture) starts a preview of ``site`` (a fixture: a small site under ``/expo/2024/`` with its own
copy of the theme) and returns a ``Live``, which gets pages, edits files and records every rebuild."""

from __future__ import annotations

import contextlib
import http.client
import queue
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO, SITE_TOML, MakeSite
from yunzhan.serve import EVENTS_PATH, PreviewServer, RebuildOutcome, ServeOptions

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


def wait_until(predicate: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)
