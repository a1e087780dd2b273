"""``python build.py serve``: a live preview for editors.

The site is built (drafts included) into ``<site>/.yunzhan-cache/preview/`` — never into ``output/`` — and served
from there under its base path. A watchdog observer watches ``content/``, ``themes/``, ``templates/``,
``static/``, ``site.toml`` and the theme in use; saves are debounced into one rebuild (150 ms without changes,
or 30 ms after a file was closed after writing — a finished save), run one at a time in a background thread.
Browsers learn about rebuilds over server-sent events at ``/__yunzhan/events``, through a small script the
server adds to every HTML response (the build output itself is never touched):

- ``reload``: a rebuild succeeded; the page reloads.
- ``css``: only stylesheets changed; the page swaps its ``<link rel="stylesheet">`` without reloading.
- ``errors``: the rebuild failed; an overlay lists every problem (file, line, field, fix) while the last good
  pages stay served. HTML responses carry the overlay too for as long as the errors last.

The rebuild itself is one injectable callable, ``rebuild(changed_paths) -> RebuildOutcome``. ``make_rebuild``
keeps a build session (pipeline.Session) across rebuilds: unchanged record files are not parsed again, the
build cache stays in memory, and the site-wide files (search index, sitemap, feed, open data) follow once the
saves have been quiet for ``finish_delay`` after the reload event, so the edited page is ready first.
"""

from __future__ import annotations

import contextlib
import errno
import html
import json
import mimetypes
import os
import secrets
import shutil
import signal
import socket
import socketserver
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from queue import Empty, SimpleQueue
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver, ObservedWatch

from yunzhan import portable, review
from yunzhan.command import command_name
from yunzhan.config import SiteConfig, load_config
from yunzhan.errors import ConfigError, Problem, YunzhanError
from yunzhan.ignored import is_ignored_name
from yunzhan.pipeline import CACHE_DIR_NAME, BuildOptions, Session, build
from yunzhan.render import theme_dirs, theme_static_dir

EVENTS_PATH = "/__yunzhan/events"
PREVIEW_DIR_NAME = "preview"
WATCHED_DIRS = ("content", "themes", "templates", "static")
WATCHED_FILES = ("site.toml", "data.toml")  # data.toml: the site's descriptions of its data files
OVERLAY_TITLE = "内容有错误，网站暂未更新："
OVERLAY_MAX_PROBLEMS = 50
KEEPALIVE_SECONDS = 15.0
STREAM_ABOVE = 1 << 20  # bytes; larger files are sent in chunks
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
EXIT_OK, EXIT_USAGE = 0, 2

# Only changes to contents; opening/reading (our own build reads every file) and attribute changes (our build
# hard-links sources into the preview, which touches their link count) are not edits.
WATCH_EVENTS: list[type[FileSystemEvent]] = [
    FileCreatedEvent,
    FileModifiedEvent,
    FileDeletedEvent,
    FileMovedEvent,
    FileClosedEvent,
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
]

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".map": "application/json; charset=utf-8",
    ".webmanifest": "application/manifest+json; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".xsl": "application/xml; charset=utf-8",
    ".svg": "image/svg+xml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/plain; charset=utf-8",
    ".csv": "text/csv; charset=utf-8",
    ".avif": "image/avif",
    ".webp": "image/webp",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".ico": "image/x-icon",
    ".wasm": "application/wasm",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".mp4": "video/mp4",
    ".webm": "video/webm",
    ".mp3": "audio/mpeg",
    ".vtt": "text/vtt; charset=utf-8",
    ".pdf": "application/pdf",
    ".zip": "application/zip",
}

# Added before </body> of every HTML response. Reads the build it was served with from data-build, so a page
# loaded just before a rebuild still learns about it when the event stream connects (?since=). On "css" it
# fetches the page again and swaps in its stylesheet links (asset names may carry a content hash), each loaded
# before the old one is removed, so nothing flashes unstyled.
LIVE_SCRIPT = (
    '<script id="yunzhan-live" data-build="{build}">(function(){{'
    'var d=document,id=d.currentScript.dataset.build,O="yunzhan-overlay";'
    "function hide(){{var o=d.getElementById(O);if(o)o.remove()}}"
    'function focus(){{var b=d.querySelector("#"+O+" button");if(b)b.focus()}}'
    'd.addEventListener("click",function(e){{var t=e.target;if(t.closest&&t.closest("[data-yz-close]"))hide()}});'
    'd.addEventListener("keydown",function(e){{if(e.key==="Escape")hide()}});'
    'var es=new EventSource("{events}?since="+encodeURIComponent(id));'
    'es.addEventListener("reload",function(){{location.reload()}});'
    'es.addEventListener("css",function(){{hide();fetch(location.href,{{cache:"no-store"}})'
    ".then(function(r){{return r.text()}}).then(function(t){{"
    "var q=function(x){{return x.querySelectorAll('link[rel~=\"stylesheet\"]')}},"
    'n=q(new DOMParser().parseFromString(t,"text/html")),o=q(d);'
    "if(n.length!==o.length)return location.reload();"
    "o.forEach(function(l,i){{var c=d.importNode(n[i],true),"
    'u=new URL(n[i].getAttribute("href"),location.href);u.searchParams.set("yz",Date.now());c.href=u.href;'
    "c.onload=function(){{l.remove()}};c.onerror=function(){{c.remove()}};l.after(c)}})}})"
    ".catch(function(){{location.reload()}})}});"
    'es.addEventListener("errors",function(e){{hide();'
    'd.body.insertAdjacentHTML("beforeend",JSON.parse(e.data).html);focus()}});'
    "if(d.getElementById(O))focus()}})();</script>"
)

OVERLAY_STYLE = (
    "#yunzhan-overlay{position:fixed;inset:0;z-index:2147483647;display:flex;align-items:flex-start;"
    "justify-content:center;padding:5vh 1rem;background:rgba(30,0,0,.55);text-align:left;"
    'font:16px/1.6 system-ui,"PingFang SC","Microsoft YaHei",sans-serif;color:#1a1a1a}'
    "#yunzhan-overlay .yz-box{background:#fff;border-top:6px solid #b3261e;border-radius:8px;width:100%;"
    "max-width:52rem;max-height:88vh;overflow:auto;padding:1.25rem 1.5rem;box-shadow:0 8px 32px rgba(0,0,0,.35)}"
    "#yunzhan-overlay h2{margin:0 0 .75rem;font-size:1.25rem;color:#b3261e}"
    "#yunzhan-overlay ol{margin:0 0 1rem;padding-left:1.5rem}"
    "#yunzhan-overlay li{margin:.4rem 0;word-break:break-word}"
    "#yunzhan-overlay code{font-family:ui-monospace,Menlo,Consolas,monospace;background:#fbeaea;"
    "padding:0 .25em;border-radius:3px}"
    "#yunzhan-overlay p{margin:0 0 1rem;color:#444}"
    "#yunzhan-overlay button{font:inherit;padding:.4rem 1.4rem;border:2px solid #b3261e;border-radius:6px;"
    "background:#b3261e;color:#fff;cursor:pointer}"
    "#yunzhan-overlay button:focus-visible{outline:3px solid #1a56db;outline-offset:2px}"
)


@dataclass(frozen=True)
class ServeOptions:
    site_dir: Path = Path(".")
    host: str = "127.0.0.1"  # loopback: drafts are shown, so not on the network unless asked
    port: int = 8000  # 0 picks a free port
    preview_dir: Path | None = None  # default: <site>/.yunzhan-cache/preview
    debounce: float = 0.15  # seconds without changes before a rebuild starts
    settle: float = 0.03  # shorter wait when the last change was a file closed after writing: a finished save
    finish_delay: float = (
        1.0  # quiet time after a reload before the search index and other site-wide files follow
    )
    open_browser: bool = False
    quiet: bool = False  # only errors


@dataclass
class RebuildOutcome:
    """What one rebuild did. ``problems`` are the errors when ``ok`` is false, the warnings otherwise."""

    ok: bool
    seconds: float = 0.0
    problems: list[Problem] = field(default_factory=list)
    pages: int = 0
    config: SiteConfig | None = None  # the settings built with (base path, theme to watch), when readable
    timings: dict[str, float] = field(default_factory=dict)
    finish: Callable[[], None] | None = None  # work left for after the reload (site-wide files)


Rebuild = Callable[[set[Path]], RebuildOutcome]
ChangeKind = str  # "initial", "css" (only stylesheets of themes/static changed) or "full"


class SessionRebuild:
    """The rebuild the server uses: a build with drafts into the preview folder, in one build session.

    It gets the changed paths (absolute; empty for the first build) and must not raise for anything an editor
    can cause. ``close`` saves the session's cache, so the next ``serve`` starts warm.
    """

    def __init__(self, site_dir: Path, preview_dir: Path) -> None:
        self.site_dir = site_dir
        self.preview_dir = preview_dir
        self.session = Session()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.session.close()

    def __call__(self, changed_paths: set[Path]) -> RebuildOutcome:
        site_dir, preview_dir = self.site_dir, self.preview_dir
        self.session.forget(changed_paths, self.site_dir / "content")
        start = time.perf_counter()
        try:
            config = load_config(site_dir)
        except ConfigError as exc:
            return RebuildOutcome(False, time.perf_counter() - start, exc.problems)
        try:
            options = BuildOptions(site_dir, output_dir=preview_dir, drafts=True, preview=True)
            result = build(options, self.session)
        except YunzhanError as exc:
            return RebuildOutcome(False, time.perf_counter() - start, exc.problems, config=config)
        except OSError as exc:  # a file moved or deleted while it was being read
            return RebuildOutcome(
                False, time.perf_counter() - start, [_io_problem(exc, site_dir)], config=config
            )
        return RebuildOutcome(
            True,
            time.perf_counter() - start,
            result.problems,
            pages=result.pages,
            config=config,
            timings=result.timings,
            finish=result.finish,
        )


def make_rebuild(site_dir: Path, preview_dir: Path) -> SessionRebuild:
    return SessionRebuild(site_dir, preview_dir)


def _io_problem(exc: OSError, site_dir: Path) -> Problem:
    where = "（网站文件夹）"
    if exc.filename:
        path = Path(os.fsdecode(exc.filename))
        where = path.relative_to(site_dir).as_posix() if path.is_relative_to(site_dir) else str(path)
    return Problem(
        where,
        None,
        None,
        f"读取或写入时出错：{exc.strerror or exc}",
        "文件可能正在保存或移动；稍后再保存一次",
    )


def content_type(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in CONTENT_TYPES:
        return CONTENT_TYPES[suffix]
    guessed, _ = mimetypes.guess_type(path.name)
    if guessed is None:
        return "application/octet-stream"
    return f"{guessed}; charset=utf-8" if guessed.startswith("text/") else guessed


def overlay_html(problems: Iterable[Problem]) -> str:
    """The error overlay: an alert dialog listing each problem as ``path:line: field: message — hint``."""
    shown = list(problems)
    items = []
    for problem in shown[:OVERLAY_MAX_PROBLEMS]:
        text = problem.format()
        where = problem.path if problem.line is None else f"{problem.path}:{problem.line}"
        rest = text[len(where) :] if text.startswith(where) else ": " + text
        items.append(f"<li><code>{html.escape(where)}</code>{html.escape(rest)}</li>")
    if len(shown) > OVERLAY_MAX_PROBLEMS:
        items.append(f"<li>还有 {len(shown) - OVERLAY_MAX_PROBLEMS} 个问题，见运行预览的命令行窗口。</li>")
    return (
        '<div id="yunzhan-overlay" role="alertdialog" aria-modal="true" lang="zh-CN"'
        ' aria-labelledby="yunzhan-overlay-title" aria-describedby="yunzhan-overlay-list">'
        f"<style>{OVERLAY_STYLE}</style>"
        '<div class="yz-box">'
        f'<h2 id="yunzhan-overlay-title">{OVERLAY_TITLE}</h2>'
        f'<ol id="yunzhan-overlay-list">{"".join(items)}</ol>'
        "<p>改正后保存文件，这里会自动更新。关闭提示后看到的是上一次成功生成的页面。</p>"
        '<button type="button" data-yz-close>关闭</button>'
        "</div></div>"
    )


def live_snippet(build_id: str, problems: list[Problem]) -> bytes:
    overlay = overlay_html(problems) if problems else ""
    script = LIVE_SCRIPT.format(build=html.escape(build_id, quote=True), events=EVENTS_PATH)
    return (overlay + script).encode("utf-8")


def inject(page: bytes, snippet: bytes) -> bytes:
    """Put the snippet before the last ``</body>`` (or at the end of a page without one)."""
    at = page.lower().rfind(b"</body>")
    return page + snippet if at < 0 else page[:at] + snippet + page[at:]


def _is_under(path: Path, root: Path) -> bool:
    return path == root or path.is_relative_to(root)


class _Hub:
    """Server-sent event fan-out: one queue per connected browser."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clients: set[SimpleQueue[bytes | None]] = set()
        self._closed = False

    def subscribe(self) -> SimpleQueue[bytes | None]:
        queue: SimpleQueue[bytes | None] = SimpleQueue()
        with self._lock:
            if self._closed:
                queue.put(None)
            self._clients.add(queue)
        return queue

    def unsubscribe(self, queue: SimpleQueue[bytes | None]) -> None:
        with self._lock:
            self._clients.discard(queue)

    def publish(self, event: str, data: str) -> None:
        message = sse_message(event, data)
        with self._lock:
            for queue in self._clients:
                queue.put(message)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            for queue in self._clients:
                queue.put(None)

    @property
    def count(self) -> int:
        with self._lock:
            return len(self._clients)


def sse_message(event: str, data: str) -> bytes:
    lines = "".join(f"data: {line}\n" for line in data.split("\n"))
    return f"event: {event}\n{lines}\n".encode()


class _HTTPServer(ThreadingHTTPServer):
    # Handler threads are joined on close, for a bounded time: stop() first ends event streams and shuts idle
    # sockets so none should hang, and a handler that still does never keeps the process from exiting.
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = os.name != "nt"  # on Windows SO_REUSEADDR would let two servers share a port

    def __init__(self, address: tuple[str, int], app: PreviewServer) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.app = app
        self._connections: set[socket.socket] = set()
        self._handlers: set[threading.Thread] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks up the host name (socket.getfqdn), which can stall on a bad DNS setup.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._handlers.add(threading.current_thread())
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._connections_lock:
                self._handlers.discard(threading.current_thread())

    def close_within(self, timeout: float) -> None:
        """Close the listening socket, then wait up to ``timeout`` for the handlers still running."""
        self.server_close()
        deadline = time.monotonic() + timeout
        with self._connections_lock:
            handlers = list(self._handlers)
        for handler in handlers:
            handler.join(max(0.0, deadline - time.monotonic()))

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return  # a browser went away mid-response
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    server_version = "yunzhan-preview"
    sys_version = ""
    protocol_version = "HTTP/1.0"  # one request per connection: nothing idles between requests
    timeout = 30

    def log_message(self, format: str, *args: Any) -> None:  # editors need no access log
        pass

    def version_string(self) -> str:
        return self.server_version

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def _serve(self, *, head: bool) -> None:
        app = self.server.app
        if not app.host_allowed(self.headers.get("Host", "")):
            # A loopback preview answers only to loopback names: another web site open in the same browser
            # cannot read the drafts through a DNS name pointed at 127.0.0.1.
            self._send_text(HTTPStatus.FORBIDDEN, f"请用 {app.url} 打开预览。", head=head)
            return
        split = urlsplit(self.path)
        if split.path == EVENTS_PATH and not head:
            self._events(split.query)
            return
        try:
            path = unquote(split.path, errors="strict")
        except UnicodeDecodeError:
            self._send_text(HTTPStatus.BAD_REQUEST, "网址有误。", head=head)
            return
        parts = path.split("/")
        if not path.startswith("/") or "\\" in path or "\x00" in path or ".." in parts:
            self._send_text(HTTPStatus.FORBIDDEN, "拒绝访问：只能打开预览网站里的页面。", head=head)
            return
        base = app.base_path
        if not path.startswith(base):
            if path in ("/", base.rstrip("/")):
                self._redirect(base, split.query, head=head)
            else:
                self._not_found(head=head)
            return
        rel = [part for part in path[len(base) :].split("/") if part not in ("", ".")]
        root = app.preview_dir
        try:
            root_real = root.resolve(strict=True)
            target = root.joinpath(*rel).resolve(strict=True)
        except (OSError, RuntimeError):
            self._not_found(head=head)
            return
        if not _is_under(target, root_real):
            self._send_text(HTTPStatus.FORBIDDEN, "拒绝访问：只能打开预览网站里的页面。", head=head)
            return
        if target.is_dir():
            if not split.path.endswith("/"):
                self._redirect(quote(path) + "/", split.query, head=head, status=HTTPStatus.MOVED_PERMANENTLY)
                return
            target = target / "index.html"
        ctype = content_type(target)
        try:
            with target.open("rb") as file:
                size = os.fstat(file.fileno()).st_size
                if ctype.startswith("text/html") or size <= STREAM_ABOVE:
                    self._send(HTTPStatus.OK, ctype, file.read(), head=head)
                else:  # large media: no need to hold it in memory
                    self._send_headers(HTTPStatus.OK, ctype, size)
                    if not head:
                        shutil.copyfileobj(file, self.wfile, 1 << 16)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            self._not_found(head=head)
        except (ConnectionError, TimeoutError):
            raise
        except OSError:
            self._send_text(HTTPStatus.INTERNAL_SERVER_ERROR, "文件暂时无法读取，请刷新。", head=head)

    def _send(self, status: HTTPStatus, ctype: str, data: bytes, *, head: bool) -> None:
        if ctype.startswith("text/html"):
            data = inject(data, self.server.app.snippet())
            app = self.server.app  # review.py: a record waiting for its review signatures says so
            data = review.with_banner(
                data, review.banner_for(app.preview_dir, unquote(urlsplit(self.path).path), app.base_path)
            )
        self._send_headers(status, ctype, len(data))
        if not head:
            self.wfile.write(data)

    def _send_headers(self, status: HTTPStatus, ctype: str, length: int) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(length))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()

    def _send_text(self, status: HTTPStatus, text: str, *, head: bool) -> None:
        self._send(status, "text/plain; charset=utf-8", (text + "\n").encode("utf-8"), head=head)

    def _redirect(
        self, location: str, query: str, *, head: bool, status: HTTPStatus = HTTPStatus.FOUND
    ) -> None:
        if query:
            location += "?" + query
        self.send_response(status)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()

    def _not_found(self, *, head: bool) -> None:
        try:
            page = (self.server.app.preview_dir / "404.html").read_bytes()
        except OSError:
            page = (
                '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>页面不存在</title></head>'
                "<body><h1>页面不存在</h1><p>网站还没有生成成功，或者这个地址没有页面。</p></body></html>"
            ).encode()
        self._send(HTTPStatus.NOT_FOUND, "text/html; charset=utf-8", page, head=head)

    def _events(self, query: str) -> None:
        app = self.server.app
        since = parse_qs(query).get("since", [""])[0]
        queue = app.hub.subscribe()  # before reading the state, so no event falls in between
        try:
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "text/event-stream; charset=utf-8")
            self.send_header("Cache-Control", "no-store")
            self.send_header("X-Accel-Buffering", "no")
            self.end_headers()
            self.wfile.write(b"retry: 1000\n\n")
            build_id, problems = app.state()
            if problems:
                self.wfile.write(sse_message("errors", app.errors_payload(problems)))
            elif since and since != build_id:
                self.wfile.write(sse_message("reload", build_id))  # built while the page was loading
            while True:
                try:
                    message = queue.get(timeout=KEEPALIVE_SECONDS)
                except Empty:
                    message = b": ping\n\n"  # notices browsers that went away
                if message is None:
                    break
                self.wfile.write(message)
        except OSError:
            pass
        finally:
            app.hub.unsubscribe(queue)
            self.close_connection = True


class _Watcher(FileSystemEventHandler):
    def __init__(self, app: PreviewServer) -> None:
        self.app = app

    def dispatch(self, event: FileSystemEvent) -> None:
        try:
            self.app._on_fs_event(event)
        except Exception:  # the observer thread must survive anything
            traceback.print_exc()


class PreviewServer:
    """The preview: HTTP server, file watcher and rebuild worker. ``start()``, then ``stop()``."""

    def __init__(
        self,
        options: ServeOptions,
        rebuild: Rebuild | None = None,
        on_rebuild: Callable[[RebuildOutcome, ChangeKind, set[Path]], None] | None = None,
    ) -> None:
        self.options = options
        self.site_dir = options.site_dir.resolve()
        self.preview_dir = (
            options.preview_dir or self.site_dir / CACHE_DIR_NAME / PREVIEW_DIR_NAME
        ).absolute()
        self._rebuild = rebuild or make_rebuild(self.site_dir, self.preview_dir)
        self.on_rebuild = on_rebuild
        self.hub = _Hub()
        self.rebuild_count = 0
        self._state_lock = threading.Lock()
        self._token = secrets.token_hex(4)
        self._generation = 0
        self._errors: list[Problem] = []
        self._config: SiteConfig | None = None
        self._cond = threading.Condition()
        self._pending: set[Path] = set()
        self._deadline = 0.0  # when the pending changes have been quiet long enough to rebuild
        self._stopping = False
        self._stopped = False
        self._ready = threading.Event()
        self._signatures: dict[Path, tuple[int, int]] = {}
        self._watches: dict[tuple[str, bool], tuple[ObservedWatch, tuple[int, int]]] = {}
        self._last_warnings: list[Problem] = []
        self._observer: BaseObserver | None = None
        self._httpd: _HTTPServer | None = None
        self._http_thread: threading.Thread | None = None
        self._worker: threading.Thread | None = None
        self._print_lock = threading.Lock()

    # ------------------------------------------------------------------ lifecycle

    def start(self, *, wait: bool = True) -> None:
        """Bind the port, start watching and building; with ``wait``, return after the first build."""
        try:
            self._httpd = _HTTPServer((self.options.host, self.options.port), self)
        except OSError as exc:
            raise ConfigError([_bind_problem(exc, self.options)]) from None
        with contextlib.suppress(ConfigError):
            self._config = load_config(self.site_dir)
        self._observer = Observer()
        self._observer.start()
        self._sync_watches()
        self._worker = threading.Thread(target=self._work, name="yunzhan-rebuild", daemon=True)
        self._worker.start()
        self._http_thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="yunzhan-http", daemon=True
        )
        self._http_thread.start()
        if wait:
            self.wait_ready()

    def wait_ready(self, timeout: float | None = None) -> bool:
        return self._ready.wait(timeout)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop watching, end event streams, close the server; wait up to ``timeout`` for a running rebuild."""
        if self._stopped:
            return
        self._stopped = True
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self.hub.close()
        if self._observer is not None:
            self._observer.stop()
            if self._observer.is_alive():
                self._observer.join(timeout)
        if self._httpd is not None:
            if self._http_thread is not None and self._http_thread.is_alive():
                # shutdown() waits for serve_forever without a limit: wait for it in a thread of its own
                stopper = threading.Thread(target=self._httpd.shutdown, name="yunzhan-http-stop", daemon=True)
                stopper.start()
                stopper.join(timeout)
                self._http_thread.join(timeout)
            self._httpd.close_connections()
            self._httpd.close_within(timeout)
        if self._worker is not None:
            self._worker.join(timeout)
        close = getattr(self._rebuild, "close", None)
        if close is not None and not (self._worker is not None and self._worker.is_alive()):
            close()

    def __enter__(self) -> PreviewServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None
        return int(self._httpd.server_address[1])

    @property
    def base_path(self) -> str:
        config = self._config
        return config.base_path if config is not None else "/"

    def host_allowed(self, host_header: str) -> bool:
        """Any Host when serving the network; only loopback names when serving this computer alone."""
        if self.options.host not in LOOPBACK_NAMES:
            return True
        name = host_header.strip().lower()
        name = name[1 : name.find("]")] if name.startswith("[") else name.rsplit(":", 1)[0]
        return not name or name in LOOPBACK_NAMES or name.endswith(".localhost")

    @property
    def url(self) -> str:
        host = self.options.host
        if host in ("", "0.0.0.0"):
            host = "127.0.0.1"
        elif host == "::":
            host = "::1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}{self.base_path}"

    # ------------------------------------------------------------------ state seen by requests

    def state(self) -> tuple[str, list[Problem]]:
        with self._state_lock:
            return f"{self._token}.{self._generation}", list(self._errors)

    def snippet(self) -> bytes:
        build_id, problems = self.state()
        return live_snippet(build_id, problems)

    def errors_payload(self, problems: list[Problem]) -> str:
        return json.dumps(
            {
                "title": OVERLAY_TITLE,
                "problems": [{**p.as_dict(), "text": p.format()} for p in problems],
                "html": overlay_html(problems),
            },
            ensure_ascii=False,
        )

    # ------------------------------------------------------------------ watching

    def _on_fs_event(self, event: FileSystemEvent) -> None:
        paths = []
        for raw in (event.src_path, event.dest_path):
            if not raw:
                continue
            path = Path(os.fsdecode(raw))
            if self._relevant(path):
                paths.append(path)
        if not paths:
            return
        if isinstance(event, FileModifiedEvent) and self._unchanged(paths[0]):
            return
        # Where the system reports a file closed after writing (inotify), the save is complete and a short
        # wait catches its siblings; any other change waits for the full quiet window.
        finished = isinstance(event, FileClosedEvent)
        wait = min(self.options.settle, self.options.debounce) if finished else self.options.debounce
        with self._cond:
            self._pending.update(paths)
            self._deadline = time.monotonic() + wait
            self._cond.notify_all()

    def _relevant(self, path: Path) -> bool:
        for excluded in (self.preview_dir, self.site_dir / CACHE_DIR_NAME, self.site_dir / "output"):
            if _is_under(path, excluded):
                return False
        if path.is_relative_to(self.site_dir):
            parts = path.relative_to(self.site_dir).parts
            if not parts or (len(parts) == 1 and parts[0] in WATCHED_FILES):
                return bool(parts)
            if parts[0] not in WATCHED_DIRS:
                return False
            return not any(is_ignored_name(part) for part in parts)
        theme = self._theme_root()
        if theme is None or not path.is_relative_to(theme):
            return False
        return not any(is_ignored_name(part) for part in path.relative_to(theme).parts)

    def _unchanged(self, path: Path) -> bool:
        """A "modified" event whose file kept its time and size (another system's attribute change) is no edit."""
        try:
            stat = path.stat()
        except OSError:
            return False
        signature = (stat.st_mtime_ns, stat.st_size)
        with self._cond:
            previous = self._signatures.get(path)
            self._signatures[path] = signature
        return previous == signature

    def _theme_root(self) -> Path | None:
        config = self._config
        return theme_dirs(self.site_dir, config)[1].parent if config is not None else None

    def _wanted_watches(self) -> list[tuple[Path, bool]]:
        wanted = [(self.site_dir, False)]  # site.toml, and content/ etc. appearing or disappearing
        wanted += [(self.site_dir / name, True) for name in WATCHED_DIRS if (self.site_dir / name).is_dir()]
        theme = self._theme_root()
        if theme is not None and theme.is_dir() and not any(_is_under(theme, p) for p, r in wanted if r):
            wanted.append((theme, True))
        return wanted

    def _sync_watches(self) -> None:
        """Watch what exists now; a folder deleted, renamed or re-created gets a fresh watch."""
        observer = self._observer
        if observer is None or self._stopping:
            return
        wanted: dict[tuple[str, bool], tuple[int, int]] = {}
        for path, recursive in self._wanted_watches():
            try:
                stat = path.stat()
            except OSError:
                continue
            wanted[(str(path), recursive)] = (stat.st_dev, stat.st_ino)
        for key, (watch, identity) in list(self._watches.items()):
            if wanted.get(key) != identity:
                with contextlib.suppress(Exception):
                    observer.unschedule(watch)
                del self._watches[key]
        for key, identity in wanted.items():
            if key in self._watches:
                continue
            try:
                watch = observer.schedule(_Watcher(self), key[0], recursive=key[1], event_filter=WATCH_EVENTS)
            except OSError as exc:
                self._say(f"无法监视 {key[0]} 的改动：{exc}（保存后需要重新启动预览）", error=True)
                continue
            self._watches[key] = (watch, identity)

    # ------------------------------------------------------------------ rebuilding

    def _work(self) -> None:
        changed: set[Path] = set()
        initial = True
        while True:
            try:
                self._rebuild_once(changed, initial=initial)
            except Exception:  # never lose the worker: the next save must still rebuild
                traceback.print_exc()
            initial = False
            self._ready.set()
            with self._cond:
                while not self._pending and not self._stopping:
                    self._cond.wait()
                while not self._stopping:  # debounce: wait for a quiet window
                    remaining = self._deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    self._cond.wait(remaining)
                if self._stopping:
                    return
                changed, self._pending = self._pending, set()

    def classify(self, changed: set[Path]) -> ChangeKind:
        """``css`` when every changed file is an existing stylesheet under a static folder, else ``full``."""
        if not changed:
            return "full"
        roots = [self.site_dir / "static", *self.site_dir.glob("themes/*/static")]
        config = self._config
        if config is not None:
            roots.append(theme_static_dir(self.site_dir, config))
        for path in changed:
            if path.suffix.lower() != ".css" or not path.is_file():
                return "full"
            if not any(_is_under(path, root) for root in roots):
                return "full"
        return "css"

    def _rebuild_once(self, changed: set[Path], *, initial: bool) -> None:
        kind = "initial" if initial else self.classify(changed)
        start = time.perf_counter()
        try:
            outcome = self._rebuild(changed)
        except KeyboardInterrupt:
            return  # Ctrl-C reaches the image worker processes too; the main thread is stopping the preview
        except Exception as exc:  # a bug must not stop the preview; show it like a content error
            traceback.print_exc()
            outcome = RebuildOutcome(
                False,
                problems=[
                    Problem(
                        "（预览）",
                        None,
                        None,
                        f"生成时出现内部错误：{type(exc).__name__}: {exc}",
                        "保存一次文件重试；仍然出错请把命令行窗口里的信息发给技术人员",
                    )
                ],
            )
        seconds = outcome.seconds or (time.perf_counter() - start)
        with self._cond:
            superseded = bool(self._pending) and not self._stopping
        if not outcome.ok and superseded:
            # More saves arrived while this build ran (a folder half-deleted, a file mid-save): its errors are
            # already stale, and the next build follows at once.
            self._count(outcome, kind, changed)
            return
        with self._state_lock:
            if outcome.config is not None:
                self._config = outcome.config
            had_errors = bool(self._errors)
            if outcome.ok:
                self._generation += 1
                self._errors = []
            else:
                self._errors = [p for p in outcome.problems if p.is_error] or list(outcome.problems)
            build_id = f"{self._token}.{self._generation}"
            errors = list(self._errors)
        self._sync_watches()
        if outcome.ok:
            self.hub.publish("css" if kind == "css" and not had_errors else "reload", build_id)
            warnings = [p for p in outcome.problems if not p.is_error]
            if warnings != self._last_warnings and not self.options.quiet:
                for problem in warnings:
                    self._say(problem.format(), error=True)
            self._last_warnings = warnings
            if initial:
                self._say(f"已生成 {outcome.pages} 个页面（{seconds:.2f} 秒）")
            else:
                if had_errors:
                    self._say("错误已改正。")
                note = "，只改了样式" if kind == "css" else ""
                self._say(f"已更新（{seconds:.2f} 秒{note}）")
        else:
            self.hub.publish("errors", self.errors_payload(errors))
            self._say(OVERLAY_TITLE, error=True, always=True)
            for problem in errors:
                self._say("  " + problem.format(), error=True, always=True)
            self._say("浏览器里仍是上一次成功生成的页面；改正并保存后会自动更新。", error=True, always=True)
        self._count(outcome, kind, changed)
        if outcome.ok:
            self._finish(outcome)

    def _finish(self, outcome: RebuildOutcome) -> None:
        """Run what the rebuild left for after the reload, unless newer saves will redo it anyway."""
        if outcome.finish is None:
            return
        with self._cond:
            # The browsers reload now: leave them the processor for a moment (their requests and this work
            # share one interpreter), and skip the work if more saves arrive meanwhile.
            self._cond.wait_for(lambda: self._pending or self._stopping, timeout=self.options.finish_delay)
            if self._pending or self._stopping:
                return
        try:
            outcome.finish()
        except OSError as exc:
            self._say(f"更新搜索索引等全站文件时出错：{exc}", error=True)

    def _count(self, outcome: RebuildOutcome, kind: ChangeKind, changed: set[Path]) -> None:
        with self._state_lock:
            self.rebuild_count += 1
        if self.on_rebuild is not None:
            try:
                self.on_rebuild(outcome, kind, changed)
            except Exception:
                traceback.print_exc()

    def _say(self, text: str, *, error: bool = False, always: bool = False) -> None:
        if self.options.quiet and not always:
            return
        with self._print_lock:
            print(text, file=sys.stderr if error else sys.stdout, flush=True)


def _bind_problem(exc: OSError, options: ServeOptions) -> Problem:
    if exc.errno == errno.EADDRINUSE:
        return Problem(
            "--port",
            None,
            None,
            f"端口 {options.port} 已被占用（可能已经有一个预览在运行）",
            f"关掉另一个预览，或换一个端口：{command_name()} serve --port {options.port + 1}",
        )
    if exc.errno == errno.EACCES:
        return Problem("--port", None, None, f"没有权限使用端口 {options.port}", "换一个大于 1024 的端口")
    return Problem(
        "--host",
        None,
        None,
        f"无法在 {options.host}:{options.port} 上启动预览：{exc}",
        "检查 --host 和 --port",
    )


def run(options: ServeOptions) -> int:
    """The ``serve`` command: build, serve, watch until Ctrl-C. Returns the exit code."""
    site_dir = options.site_dir
    if not (site_dir / "site.toml").is_file():
        print(
            Problem(
                "site.toml",
                None,
                None,
                f"找不到 {site_dir.absolute() / 'site.toml'}",
                "用 --site 指定网站文件夹",
            ).format(),
            file=sys.stderr,
        )
        return EXIT_USAGE
    server = PreviewServer(options)
    restore = _stop_signals_as_interrupt()
    try:
        if not options.quiet:
            print("正在生成预览（包含草稿，不会写入 output/）…", flush=True)
        try:
            server.start()
        except ConfigError as exc:
            for problem in exc.problems:
                print(problem.format(), file=sys.stderr)
            return EXIT_USAGE
        print(f"预览地址：{server.url}", flush=True)
        if not options.quiet:
            if options.host not in ("127.0.0.1", "localhost", "::1"):
                print("注意：同一网络里的其他电脑也能打开这个预览（包括草稿）。", flush=True)
            print(
                "修改并保存 content/、themes/、templates/、static/ 或 site.toml，浏览器会自动刷新。"
                "按 Ctrl+C 停止。",
                flush=True,
            )
        if options.open_browser:
            import webbrowser

            if not webbrowser.open(server.url):
                print(f"没能自动打开浏览器：请自己打开浏览器，在地址栏输入 {server.url}", flush=True)
        while True:
            time.sleep(0.5)  # a short sleep keeps Ctrl-C responsive everywhere
    except KeyboardInterrupt:
        pass
    finally:
        with _ignoring_interrupts():
            server.stop(timeout=3.0)
            portable.end_children()  # a rebuild still running is abandoned: its image workers too
        restore()
    print("已停止", flush=True)
    return EXIT_OK


def _stop_signals_as_interrupt() -> Callable[[], None]:
    """Stop as for Ctrl-C on every other request to stop (SIGTERM, a closed terminal window): the default action
    would end this process at once and leave its workers behind."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = {number: signal.signal(number, handler) for number in portable.stop_signals()}

    def restore() -> None:
        for number, old in previous.items():
            signal.signal(number, old if old is not None else signal.SIG_DFL)

    return restore


@contextlib.contextmanager
def _ignoring_interrupts() -> Any:
    """A second Ctrl-C while stopping must not print a traceback."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
