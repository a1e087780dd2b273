"""The preview's HTTP side: files of the preview folder under the site's base path, and the event stream.

Browsers learn about rebuilds over server-sent events at ``EVENTS_PATH``. Every HTML response gets the live
snippet (overlay.py); other files stay as the build wrote them, streamed, and answer byte ranges (ranges.py).
"""

from __future__ import annotations

import contextlib
import mimetypes
import os
import socket
import socketserver
import sys
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from queue import Empty, SimpleQueue
from typing import Any, BinaryIO, Protocol
from urllib.parse import parse_qs, quote, unquote, urlsplit

from yunzhan import review
from yunzhan.errors import Problem
from yunzhan.serve.overlay import EVENTS_PATH, errors_payload, inject
from yunzhan.serve.ranges import copy_bytes, file_reply

KEEPALIVE_SECONDS = 15.0

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
    ".m4a": "audio/mp4",  # audio guides; ProRes kept as QuickTime
    ".aac": "audio/aac",
    ".mov": "video/quicktime",
    ".vtt": "text/vtt; charset=utf-8",
    ".pdf": "application/pdf",
    ".zip": "application/zip",
}


class App(Protocol):
    """What requests need from the preview (``app.PreviewServer``)."""

    preview_dir: Path
    hub: Hub

    @property
    def url(self) -> str: ...

    @property
    def base_path(self) -> str: ...

    def host_allowed(self, host_header: str) -> bool: ...

    def state(self) -> tuple[str, list[Problem]]: ...

    def snippet(self) -> bytes: ...


def content_type(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in CONTENT_TYPES:
        return CONTENT_TYPES[suffix]
    guessed, _ = mimetypes.guess_type(path.name)
    if guessed is None:
        return "application/octet-stream"
    return f"{guessed}; charset=utf-8" if guessed.startswith("text/") else guessed


def is_under(path: Path, root: Path) -> bool:
    return path == root or path.is_relative_to(root)


class Hub:
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


class PreviewHTTPServer(ThreadingHTTPServer):
    # Handler threads are joined on close, for a bounded time: stop() first ends event streams and shuts idle
    # sockets so none should hang, and a handler that still does never keeps the process from exiting.
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = os.name != "nt"  # on Windows SO_REUSEADDR would let two servers share a port

    def __init__(self, address: tuple[str, int], app: App) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.app = app
        self._connections: set[socket.socket] = set()
        self._handlers: set[threading.Thread] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, Handler)

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


class Handler(BaseHTTPRequestHandler):
    server: PreviewHTTPServer
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
        if not is_under(target, root_real):
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
                if ctype.startswith("text/html"):  # the live snippet goes in: never ranged
                    self._send(HTTPStatus.OK, ctype, file.read(), head=head)
                else:
                    self._send_file(file, ctype, head=head)
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

    def _send_file(self, file: BinaryIO, ctype: str, *, head: bool) -> None:
        """The file as the build wrote it, or the one byte range a GET asks for (ranges.py)."""
        ranges = self.headers.get_all("Range") or []
        reply = file_reply(os.fstat(file.fileno()), ranges, self.headers.get("If-Range"), head=head)
        if reply.status == HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE:
            text = "请求的范围超出了文件的大小。\n".encode()
            self._send_headers(reply.status, "text/plain; charset=utf-8", len(text), reply.headers)
            self.wfile.write(text)
            return
        self._send_headers(reply.status, ctype, reply.length, reply.headers)
        if not head:
            copy_bytes(file, self.wfile, reply.start, reply.length)

    def _send_headers(
        self, status: HTTPStatus, ctype: str, length: int, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(length))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
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
                self.wfile.write(sse_message("errors", errors_payload(problems)))
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
