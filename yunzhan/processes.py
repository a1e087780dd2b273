"""Processes and the console: children started, pools, liveness, exit, stop signals, console encoding.

Like the file steps of ``portable``, each is a small function with a fallback chosen by what the system offers;
every one reads ``portable.capabilities()`` when it runs (never a copy of it), so a test that replaces
``portable.capabilities`` forces the fallbacks here too.
"""

from __future__ import annotations

import contextlib
import ctypes
import io
import multiprocessing
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import Any, NoReturn, TextIO

from yunzhan import portable

_PROCESS_QUERY_LIMITED_INFORMATION = 0x1000
_STILL_ACTIVE = 259
_ERROR_ACCESS_DENIED = 5


def start_python(
    module: str, args: list[str], root: Path, given: bytes | None = None, *, piped: bool = False
) -> subprocess.Popen[bytes] | None:
    """Run ``module.main(args)`` in a new Python process (started afresh, not forked: the same on Windows),
    with ``root`` first on its path and its standard output piped back; None where none can be started (the
    caller then does without it). ``given``: its standard input, from a temporary file (this process never
    waits for the child to read it, as it would on a pipe). ``piped``: its standard input a pipe instead, for
    a word or two later (more would wait for the child to read them)."""
    if not portable.capabilities().spawn:
        return None
    code = "import importlib, sys; sys.path.insert(0, sys.argv[1]); "
    code += "sys.exit(importlib.import_module(sys.argv[2]).main(sys.argv[3:]))"
    try:
        with contextlib.ExitStack() as held:
            stdin: Any = subprocess.PIPE if piped else subprocess.DEVNULL
            if given is not None:
                stdin = held.enter_context(tempfile.TemporaryFile())
                stdin.write(given)
                stdin.seek(0)
            return subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", code, os.fspath(root), module, *args],
                stdin=stdin,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                close_fds=True,
            )
    except OSError:
        return None


def exit_now(code: int) -> NoReturn:
    """End the command with ``code`` once what it printed is flushed, without the interpreter's teardown: after
    a 10,000-record build, freeing its objects one by one takes a third of a second the editor waits for, and
    nothing is left to do (the store is closed, the output swapped in, a background delete detached)."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # closed, or a pipe nobody reads any more
            stream.flush()
    if portable.capabilities().quick_exit:
        os._exit(code)
    sys.exit(code)


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` is running. Never ``os.kill`` on Windows: there it ends the process, or sends
    it Ctrl-C for signal 0. Where ``/proc`` tells, a pid reused by a process other than a Python counts as
    gone (the callers ask about our own builds)."""
    if os.name == "nt":
        return _windows_alive(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True
    return b"python" in cmdline


def _windows_alive(pid: int) -> bool:
    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
    handle = kernel32.OpenProcess(_PROCESS_QUERY_LIMITED_INFORMATION, False, pid)
    if not handle:
        return ctypes.get_last_error() == _ERROR_ACCESS_DENIED  # someone else's process: it exists
    try:
        code = ctypes.c_ulong()
        if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
            return True
        return code.value == _STILL_ACTIVE
    finally:
        kernel32.CloseHandle(handle)


def can_fork() -> bool:
    """Whether CPU work may be shared with forked children (else it runs in this process)."""
    return portable.capabilities().fork


def pool_context() -> BaseContext:
    """The start method for a pool of workers that import what they need (images, share cards): fork where this
    process can and runs no other thread (a forked worker shares Python and Pillow with it; a spawned one loads
    them again, ~25 MiB each, beside a semaphore tracker); else spawn (``serve``'s threads, Windows, macOS)."""
    if can_fork() and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def exit_with_parent(parent: int, interval: float = 0.5) -> None:
    """A pool initializer: end this worker once ``parent`` is gone, however it went (closed window, SIGKILL).
    An idle pool worker would otherwise wait forever for work, holding its memory."""

    def watch() -> None:
        while os.getppid() == parent if os.name != "nt" else process_alive(parent):
            time.sleep(interval)
        os._exit(1)

    threading.Thread(target=watch, name="yunzhan-parent-watch", daemon=True).start()


def end_children(timeout: float = 2.0) -> None:
    """End every worker process this process started (a pool busy with a rebuild that is being abandoned)."""
    children = multiprocessing.active_children()
    for child in children:
        child.terminate()
    deadline = time.monotonic() + timeout
    for child in children:
        child.join(max(0.0, deadline - time.monotonic()))
        if child.is_alive():
            child.kill()
            child.join(1.0)


def stop_signals() -> list[signal.Signals]:
    """The signals that ask a long-running command to stop, beside Ctrl-C: SIGTERM; SIGHUP (its terminal window
    was closed); SIGBREAK on Windows (Ctrl-Break, or the console window closed)."""
    names = ("SIGTERM", "SIGHUP", "SIGBREAK")
    return [getattr(signal, name) for name in names if hasattr(signal, name)]


# ---------------------------------------------------------------- console


def configure_console(streams: tuple[TextIO, ...] | None = None) -> None:
    """Make printing never fail for a character the console cannot show: a Chinese Windows console (or a file
    it is redirected to) encodes in GBK, which has no em dash variants, emoji or rare characters of a title.
    Such a character is printed as ``?``; UTF-8 streams are left as they are."""
    for stream in streams if streams is not None else (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "").replace("_", "")
        if encoding in ("utf8", "utf8sig") or not isinstance(stream, io.TextIOWrapper):
            continue
        with contextlib.suppress(ValueError, OSError):
            stream.reconfigure(errors="replace")


def user_config_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where a user's own settings live, outside any site folder: %APPDATA%\\yunzhan on Windows (whose
    editors have no ~/.config), else $XDG_CONFIG_HOME/yunzhan or ~/.config/yunzhan."""
    env = os.environ if environ is None else environ
    if env.get("APPDATA"):
        return Path(env["APPDATA"]) / "yunzhan"
    if env.get("XDG_CONFIG_HOME"):
        return Path(env["XDG_CONFIG_HOME"]) / "yunzhan"
    return Path.home() / ".config" / "yunzhan"
