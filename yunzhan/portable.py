"""Every step that touches the operating system, each one small function with a portable fallback.

Editors run yunzhan on Windows and macOS; our machines are Linux. What a step needs is probed once, in
``capabilities()`` (not assumed from the platform's name where a probe can tell), and each step takes its
fallback when the capability is missing. Tests force a fallback on Linux by replacing ``capabilities`` with
one that says no (``monkeypatch.setattr(portable, "capabilities", lambda: NONE)``).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import io
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import Any, NoReturn, TextIO

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
_PROCESS_QUERY_LIMITED_INFORMATION = 0x1000
_STILL_ACTIVE = 259
_ERROR_ACCESS_DENIED = 5


@dataclass(frozen=True)
class Capabilities:
    """What this system offers. Each False makes its step take the portable fallback."""

    exchange: bool  # renameat2(RENAME_EXCHANGE) in the C library: swap two folders in one atomic step
    fork: bool  # multiprocessing may fork: children inherit the build's memory, nothing is pickled
    hard_links: bool  # os.link exists (a file system may still refuse one: exFAT, FAT32 → a copy)
    alarm: bool  # SIGALRM with setitimer: a time bound that interrupts pure-Python work
    detach: bool  # a child process may outlive us (a background delete)
    spawn: bool  # a Python child process can be started (the interpreter's path is known)
    quick_exit: bool  # os._exit: end the process without tearing the interpreter down
    copy_range: bool  # os.copy_file_range: bytes copied from file to file inside the kernel (Linux)
    link_at: bool  # os.link from a folder held open (linkat): files linked from a folder renamed meanwhile


NONE = Capabilities(
    exchange=False,
    fork=False,
    hard_links=False,
    alarm=False,
    detach=False,
    spawn=False,
    quick_exit=False,
    copy_range=False,
    link_at=False,
)


@functools.cache
def capabilities() -> Capabilities:
    return Capabilities(
        exchange=_renameat2() is not None,
        # macOS lists fork, but CPython made spawn its default there: system libraries break in forked children.
        fork="fork" in multiprocessing.get_all_start_methods() and sys.platform != "darwin",
        hard_links=hasattr(os, "link"),
        alarm=hasattr(signal, "SIGALRM") and hasattr(signal, "setitimer"),
        detach=bool(sys.executable),
        spawn=bool(sys.executable),
        quick_exit=hasattr(os, "_exit"),
        copy_range=hasattr(os, "copy_file_range"),
        link_at=hasattr(os, "link") and os.link in os.supports_dir_fd and os.open in os.supports_dir_fd,
    )


# ---------------------------------------------------------------- files


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``path`` so that readers see the old file or the new one, never half of it (``os.replace`` is
    atomic on Windows too). The folder is created when missing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def link_or_copy(source: str | Path, dest: str | Path) -> bool:
    """Hard-link ``source`` as ``dest``; where the file system has no hard links (exFAT and FAT32 on USB sticks,
    some network shares), copy it with its modification time, so an unchanged file still looks unchanged to
    a sync that compares times. True when linked (``dest`` is the very file)."""
    if capabilities().hard_links:
        try:
            os.link(source, dest)
            return True
        except OSError as exc:
            if exc.errno in (errno.EEXIST, errno.ENOENT):
                raise
    shutil.copy2(source, dest)
    return False


def link_at(folder: int, rel: str, dest: str) -> None:
    """Hard-link ``rel`` of the folder held open as ``folder`` (``os.open``) as ``dest``: the folder may be
    renamed meanwhile (``capabilities().link_at``; a file system that refuses links raises)."""
    os.link(rel, dest, src_dir_fd=folder)


def copy_range(source: int, dest: int, offset: int, length: int) -> None:
    """Append ``length`` bytes of the open file ``source`` from ``offset`` to the open file ``dest`` (at its
    position): inside the kernel where it can (``copy_file_range``; tens of MB cost milliseconds, and nothing
    passes through Python), else read and written a MB at a time. A source shorter than that is an OSError."""
    if capabilities().copy_range:
        try:
            while length > 0:
                copied = os.copy_file_range(source, dest, length, offset)
                if not copied:
                    raise OSError(errno.EIO, "file shorter than expected")
                offset, length = offset + copied, length - copied
            return
        except OSError as exc:  # not between these two file systems, or not on this one
            if exc.errno not in (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
                raise
    os.lseek(source, offset, os.SEEK_SET)
    while length > 0:
        data = os.read(source, min(length, 1 << 20))
        if not data:
            raise OSError(errno.EIO, "file shorter than expected")
        write_all(dest, data)
        length -= len(data)


_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)


def create_file(path: str, data: bytes) -> None:
    """A new file (FileExistsError when one is there) holding ``data``: three system calls, where ``open()``
    adds a stat, a terminal check and a seek (a cold build writes 26,000 files at 10,000 records)."""
    fd = os.open(path, _NEW_FILE, 0o666)
    try:
        write_all(fd, data)
    finally:
        os.close(fd)


def write_all(fd: int, data: bytes | bytearray) -> None:
    """``os.write`` until every byte is written (a write may take fewer)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def flush(paths: list[str], many: int) -> None:
    """Put the bytes of new files (and their folders' entries) on disk. After an edit, a few files: each is
    flushed on its own, as ``sync`` would wait for every other write on the machine too; more than ``many``,
    the whole disk at once where the system can. Folders cannot be opened to flush on Windows (nor need to be)."""
    if not paths:
        return
    if len(paths) > many and hasattr(os, "sync"):
        os.sync()
        return
    folders = sorted({p.rpartition("/")[0] for p in paths}) if os.name != "nt" else []
    mode = os.O_RDWR | os.O_BINARY if os.name == "nt" else os.O_RDONLY  # Windows flushes writable files only
    for path in [*paths, *folders]:
        fd = os.open(path, mode)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@functools.cache
def _renameat2() -> Any:
    """The C library's renameat2, or None (no such function, or no C library to ask: ``CDLL(None)`` raises
    TypeError on Windows)."""
    try:
        return getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    except (OSError, TypeError, AttributeError):
        return None


def rename(source: Path, dest: Path, *, tries: int = 6, wait: float = 0.25, replace: bool = False) -> None:
    """``os.rename``, tried again for a moment when the system refuses: on Windows a folder cannot be renamed
    while a program has a file in it open, and virus scanners and the search indexer hold files for a moment
    after they are written. A refusal that lasts is raised (PermissionError). ``replace``: over a file that
    is there (``os.replace``: Windows' rename would refuse)."""
    for attempt in range(tries):
        try:
            (os.replace if replace else os.rename)(source, dest)
            return
        except PermissionError:
            if attempt == tries - 1:
                raise
            time.sleep(wait)


def exchange_dirs(a: Path, b: Path) -> bool:
    """Swap two folders in one atomic step. False where the system cannot: the caller renames twice."""
    renameat2 = _renameat2() if capabilities().exchange else None
    if renameat2 is None:
        return False
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):  # an old kernel, or a file system without it
        return False
    raise OSError(err, os.strerror(err), str(b))


def delete_tree_detached(folder: Path) -> None:
    """Delete a folder from a process of its own that outlives this one (unlinking 16,000 files takes seconds,
    which a build need not wait for), outside our process group so Ctrl-C does not reach it. Where no such
    process can be started, delete it here. Should the deleting process die first, the next build removes the
    leftover."""
    if capabilities().detach:
        options: dict[str, Any] = {"start_new_session": True}
        if os.name == "nt":
            options = {"creationflags": subprocess.DETACHED_PROCESS | subprocess.CREATE_NEW_PROCESS_GROUP}
        try:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-I",
                    "-S",
                    "-c",
                    "import shutil, sys; shutil.rmtree(sys.argv[1], True)",
                    folder,
                ],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                close_fds=True,
                **options,
            )
        except OSError:
            pass
        else:
            # Collected when it ends (no zombie in a long-lived process); the thread never delays our exit.
            threading.Thread(target=process.wait, name="yunzhan-reap", daemon=True).start()
            return
    shutil.rmtree(folder, ignore_errors=True)


# ---------------------------------------------------------------- processes


def start_python(
    module: str, args: list[str], root: Path, given: bytes | None = None, *, piped: bool = False
) -> subprocess.Popen[bytes] | None:
    """Run ``module.main(args)`` in a new Python process (started afresh, not forked: the same on Windows),
    with ``root`` first on its path and its standard output piped back; None where none can be started (the
    caller then does without it). ``given``: its standard input, from a temporary file (this process never
    waits for the child to read it, as it would on a pipe). ``piped``: its standard input a pipe instead, for
    a word or two later (more would wait for the child to read them)."""
    if not capabilities().spawn:
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
    if capabilities().quick_exit:
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
    return capabilities().fork


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
