"""The ``serve`` command: build, serve and watch until Ctrl-C (or any other request to stop), then clean up."""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from yunzhan import processes
from yunzhan.errors import EXIT_OK, EXIT_USAGE, ConfigError, Problem
from yunzhan.serve.app import PreviewServer, ServeOptions


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
            processes.end_children()  # a rebuild still running is abandoned: its image workers too
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

    previous = {number: signal.signal(number, handler) for number in processes.stop_signals()}

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
