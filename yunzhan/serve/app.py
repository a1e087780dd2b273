"""The preview server: HTTP (http.py), watcher (watch.py) and one rebuild worker (rebuild.py), put together.

``PreviewServer.start()`` binds the port, builds once (drafts included) into ``<site>/.yunzhan-cache/preview/``
— never into ``output/`` — and serves it under the site's base path; each batch of saves is rebuilt in a
background thread, one at a time, and browsers are told over the event stream:

- ``reload``: a rebuild succeeded; the page reloads.
- ``css``: only stylesheets changed; the page swaps its ``<link rel="stylesheet">`` without reloading.
- ``errors``: the rebuild failed; an overlay lists every problem (file, line, field, fix) while the last good
  pages stay served. HTML responses carry the overlay too for as long as the errors last.

``run.py`` is the ``serve`` command around it.
"""

from __future__ import annotations

import contextlib
import errno
import secrets
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from yunzhan.command import command_name
from yunzhan.config import SiteConfig, load_config, output_dir
from yunzhan.errors import ConfigError, Problem
from yunzhan.pipeline import CACHE_DIR_NAME
from yunzhan.render import theme_dirs, theme_static_dir
from yunzhan.serve.http import Hub, PreviewHTTPServer, is_under
from yunzhan.serve.overlay import OVERLAY_TITLE, errors_payload, live_snippet
from yunzhan.serve.rebuild import ChangeKind, Rebuild, RebuildOutcome, SessionRebuild
from yunzhan.serve.watch import Watcher

PREVIEW_DIR_NAME = "preview"
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True)
class ServeOptions:
    site_dir: Path = Path(".")
    host: str = "127.0.0.1"  # loopback: drafts are shown, so not on the network unless asked
    port: int = 8000  # 0 picks a free port
    preview_dir: Path | None = None  # default: <site>/.yunzhan-cache/preview
    debounce: float = 0.15  # seconds without changes before a rebuild starts
    # Shorter wait when the last change was a file closed after writing (or renamed into place): a finished save.
    # Measured with inotify: after vim closes the file it saved, the rest of its burst (its swap file) comes
    # within 2 ms; another file of a "save all" within a few. A later sibling costs one more rebuild, not a
    # wrong page: the rebuild running when it arrives is followed at once by another.
    settle: float = 0.01
    collect_delay: float = 0.1  # quiet time after a reload before the cycles of the build are collected
    finish_delay: float = (
        1.0  # quiet time after a reload before the search index and other site-wide files follow
    )
    open_browser: bool = False
    quiet: bool = False  # only errors


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
        self._rebuild = rebuild or SessionRebuild(self.site_dir, self.preview_dir)
        self.on_rebuild = on_rebuild
        self.hub = Hub()
        self.rebuild_count = 0
        self._state_lock = threading.Lock()
        self._token = secrets.token_hex(4)
        self._generation = 0
        self._errors: list[Problem] = []
        self._config: SiteConfig | None = None
        self._stopped = False
        self._ready = threading.Event()
        self._last_warnings: list[Problem] = []
        self.watcher = Watcher(
            self.site_dir,
            (self.preview_dir, self.site_dir / CACHE_DIR_NAME, output_dir(self.site_dir)),
            debounce=options.debounce,
            settle=options.settle,
            theme_root=self._theme_root,
            warn=lambda text: self._say(text, error=True),
        )
        self._httpd: PreviewHTTPServer | None = None
        self._http_thread: threading.Thread | None = None
        self._worker: threading.Thread | None = None
        self._print_lock = threading.Lock()

    # ------------------------------------------------------------------ lifecycle

    def start(self, *, wait: bool = True) -> None:
        """Bind the port, start watching and building; with ``wait``, return after the first build."""
        try:
            self._httpd = PreviewHTTPServer((self.options.host, self.options.port), self)
        except OSError as exc:
            raise ConfigError([_bind_problem(exc, self.options)]) from None
        with contextlib.suppress(ConfigError):
            self._config = load_config(self.site_dir)
        self.watcher.start()
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
        self.watcher.stop(timeout)
        self.hub.close()
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

    def _theme_root(self) -> Path | None:
        config = self._config
        return theme_dirs(self.site_dir, config)[1].parent if config is not None else None

    # ------------------------------------------------------------------ rebuilding

    def _work(self) -> None:
        changed: set[Path] | None = set()
        initial = True
        while changed is not None:
            try:
                self._rebuild_once(changed, initial=initial)
            except Exception:  # never lose the worker: the next save must still rebuild
                traceback.print_exc()
            initial = False
            self._ready.set()
            changed = self.watcher.next_batch()

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
            if not any(is_under(path, root) for root in roots):
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
            outcome = RebuildOutcome(False, problems=[_internal_problem(exc)])
        seconds = outcome.seconds or (time.perf_counter() - start)
        if not outcome.ok and self.watcher.superseded():
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
        self.watcher.sync()
        if outcome.ok:
            self.hub.publish("css" if kind == "css" and not had_errors else "reload", build_id)
            self._report_success(outcome, kind, seconds, had_errors=had_errors)
        else:
            self.hub.publish("errors", errors_payload(errors))
            self._report_errors(errors)
        self._count(outcome, kind, changed)
        self._collect()
        if outcome.ok:
            self._finish(outcome)

    def _report_success(
        self, outcome: RebuildOutcome, kind: ChangeKind, seconds: float, *, had_errors: bool
    ) -> None:
        warnings = [p for p in outcome.problems if not p.is_error]
        if warnings != self._last_warnings and not self.options.quiet:
            for problem in warnings:
                self._say(problem.format(), error=True)
        self._last_warnings = warnings
        if kind == "initial":
            self._say(f"已生成 {outcome.pages} 个页面（{seconds:.2f} 秒）")
            return
        if had_errors:
            self._say("错误已改正。")
        note = "，只改了样式" if kind == "css" else ""
        self._say(f"已更新（{seconds:.2f} 秒{note}）")

    def _report_errors(self, errors: list[Problem]) -> None:
        self._say(OVERLAY_TITLE, error=True, always=True)
        for problem in errors:
            self._say("  " + problem.format(), error=True, always=True)
        self._say("浏览器里仍是上一次成功生成的页面；改正并保存后会自动更新。", error=True, always=True)

    def _collect(self) -> None:
        """The build's cycles, collected once the browsers have fetched the page (if a save comes first, the
        next build collects them at its end)."""
        collect = getattr(self._rebuild, "collect", None)
        if collect is not None and self.watcher.stays_quiet(self.options.collect_delay):
            collect()

    def _finish(self, outcome: RebuildOutcome) -> None:
        """Run what the rebuild left for after the reload, unless newer saves will redo it anyway."""
        if outcome.finish is None:
            return
        # The browsers reload now: leave them the processor for a moment (their requests and this work share one
        # interpreter), and skip the work if more saves arrive meanwhile.
        if not self.watcher.stays_quiet(self.options.finish_delay):
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


def _internal_problem(exc: Exception) -> Problem:
    return Problem(
        "（预览）",
        None,
        None,
        f"生成时出现内部错误：{type(exc).__name__}: {exc}",
        "保存一次文件重试；仍然出错请把命令行窗口里的信息发给技术人员",
    )


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
