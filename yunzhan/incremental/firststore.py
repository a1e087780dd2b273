"""A first build's store, written beside its place and renamed into it once committed.

A cold build writes the whole store in one transaction: at 10,000 records ~450 MB. Through SQLite's WAL that is
every page written twice (the WAL, then the file at the checkpoint that ends the commit, which reads the WAL back
too: at 3,000 records 141 MB appended in the build, then 357 MB read and 190 MB written in its last second). A
store that is new holds nothing a build may lose, so its first transaction goes to a file of its own beside the
store's place, written once with no journal on disk (a rollback journal in memory: a failed build's rollback
still works), made durable and renamed over the (empty) store only when it commits. A build killed before that
leaves the empty store, as a killed build always did, and a leftover file the next first build removes.

The empty store at the store's place is opened as any store is and its write lock taken when the build writes
first, as any build does: a second build of the same output waits for it, and forked workers reading what was
committed (``Store.committed``) read the empty store, as before.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

from yunzhan import portable, processes

MARK = "-first-"  # the file beside the store: ``build-….sqlite-first-<pid>-<random>``
Prepare = Callable[[sqlite3.Connection], sqlite3.Connection]


class FirstStore:
    """The connection a first build writes through (``db``), and the store's own, held for its lock."""

    def __init__(self, path: Path, held: sqlite3.Connection, connect: Callable[[Path], sqlite3.Connection]):
        self.path, self.held = path, held
        self.beside = path.with_name(f"{path.name}{MARK}{os.getpid()}-{os.urandom(4).hex()}")
        remove_leftovers(path)
        self.db = connect(self.beside)
        self.db.execute("PRAGMA journal_mode=MEMORY")  # nothing of a new file's pages to keep on disk
        self.db.execute("PRAGMA synchronous=OFF")  # made durable whole before the rename (``settle``)
        self.locked = False

    def begin(self) -> None:
        """Take the store's write lock (a second build of this output waits on it), then begin here."""
        if not self.locked:
            self.held.execute("BEGIN IMMEDIATE")
            self.locked = True
        self.db.execute("BEGIN IMMEDIATE")

    def settle(self, reopen: Callable[[], sqlite3.Connection]) -> sqlite3.Connection:
        """Commit, put the file on disk and rename it over the store; the store's connection, opened again.
        Where the rename is refused (Windows: the store open elsewhere) the build's store is dropped: the next
        build starts from nothing, as after any failure, which costs it time only."""
        self.db.execute("COMMIT")
        self.db.close()
        self.held.execute("ROLLBACK")
        self.held.close()
        try:
            portable.flush([os.fspath(self.beside)], 1)
            for suffix in ("-wal", "-shm"):  # the empty store's, never read again
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(f"{self.path}{suffix}")
            portable.rename(self.beside, self.path, replace=True)
            portable.flush([os.fspath(self.path)], 1)  # its folder's entry
        except OSError:
            self.discard()
        return reopen()

    def rollback(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.db.execute("ROLLBACK")
        if self.locked:
            self.locked = False
            with contextlib.suppress(sqlite3.Error):
                self.held.execute("ROLLBACK")

    def close(self) -> None:
        """A build that never committed: its file goes."""
        for db in (self.db, self.held):
            with contextlib.suppress(sqlite3.Error):
                db.close()
        self.discard()

    def discard(self) -> None:
        with contextlib.suppress(OSError):
            os.unlink(self.beside)


def remove_leftovers(path: Path) -> None:
    """Files of first builds that were killed before they committed (their process is gone)."""
    for found in path.parent.glob(f"{path.name}{MARK}*"):
        pid = found.name[len(path.name) + len(MARK) :].partition("-")[0]
        if pid.isdigit() and (int(pid) == os.getpid() or processes.process_alive(int(pid))):
            continue  # a build is writing it
        with contextlib.suppress(OSError):
            found.unlink()
