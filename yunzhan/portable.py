"""What the operating system offers, and the steps on files, each one small function with a portable fallback.

Editors run yunzhan on Windows and macOS; our machines are Linux. What a step needs is probed once, in
``capabilities()`` (not assumed from the platform's name where a probe can tell), and each step takes its
fallback when the capability is missing. Tests force a fallback on Linux by replacing ``capabilities`` with
one that says no (``monkeypatch.setattr(portable, "capabilities", lambda: NONE)``); the steps on processes and
the console (``processes``) read the same ``capabilities``, so that one replacement forces theirs too.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


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


def flush_soon() -> bool:
    """Begin putting what was written on disk, in a thread beside this one, where the system flushes a whole
    disk at once (``os.sync``, which ``flush`` of many files uses): that flush then waits on less. False, and
    nothing done, where it has none (Windows: each file is flushed by ``flush``)."""
    sync = getattr(os, "sync", None)
    if sync is None:
        return False
    threading.Thread(target=sync, name="yunzhan-flush", daemon=True).start()
    return True


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
