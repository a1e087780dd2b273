"""The build store: what a rebuild may reuse, in one SQLite file per output folder, read and written by key.

A build reads only the rows it asks for (the conversion of a text, the parse of a file, the pages that read a
changed record) and writes only the rows it changed, in one transaction committed after the output is in
place. SQLite's journal (WAL) makes that transaction all or nothing: a build killed at any instant leaves the
store as the last finished build left it, and what a store says is checked against the output before it is
trusted (a page's file size and time), so an old store only costs time. A store written by another yunzhan
version, or a damaged file, is discarded with a one-line notice and the build starts from nothing.

Forked workers (``workers.fork_map``) inherit the connection but never read through it (a read there can spill
the build's open transaction into the WAL beside the parent's): they read what earlier builds committed through
a read-only connection of their own (``committed``), and the build writes nothing while they run.

Tables:

- ``kv``: (table, key) → pickled value (marshalled when plain: most Markdown conversions), in a rowid table:
  its values (up to megabytes: search blocks, open data lines) lie in the table's leaves, not in the key's
  b-tree, where every lookup passing them would read them whole (WITHOUT ROWID made 10,000 lookups of small
  rows take seconds). Markdown conversions (``markdown``; a body's HTML in a row of its own, ``html``, read when
  a page shows it), parsed record files (``parsed``), placard QR codes
  (``qr``), search blocks (``blocks``), open data lines (``lines``) and site-wide values (``meta``: term
  slugs, the search index's shard names, each record's keys by its state, check findings in ``keptrows``).
- ``pages``: one row a page (``pageentries``): its fingerprint, its file's size and time as written, and what it read with the
  fingerprints then (pickled).
- ``reads``: (owner, page): the record, collection, taxonomy or term a page read. "Which pages read record X"
  is one indexed query.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import pickle
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from yunzhan import __version__
from yunzhan.errors import Problem, YunzhanError
from yunzhan.incremental.fingerprints import code_digest, digest
from yunzhan.incremental.firststore import FirstStore
from yunzhan.incremental.pageentries import PackedEntry, PageEntry

LOCK_WAIT_S = 120  # a second build of the same output waits this long for the first one's store
# a new store's page: a cold build writes ~470 MB at 10,000 records, mostly values of kilobytes to megabytes,
# each page twice (the WAL, then the file): 16 KiB pages take a third less CPU than SQLite's 4 KiB (a cold
# build's SQL replayed: 1.19 -> 0.85 CPU-s at 3,000 records). Fixed when the file is made: older stores keep theirs.
PAGE_SIZE = 16384
STORE_FORMAT = 7


def store_version() -> str:
    """A store of another format, yunzhan version or code is discarded: parsed files and Markdown conversions
    are kept by their inputs alone, so what another code made of them must not be taken (a checkout updated
    by ``git pull`` keeps its version number)."""
    return f"{STORE_FORMAT}/{__version__}/{code_digest()}"


_SCHEMA = """
CREATE TABLE IF NOT EXISTS kv (tbl TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY (tbl, key));
CREATE TABLE IF NOT EXISTS pages (rel TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL, deps BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS reads (owner TEXT NOT NULL, rel TEXT NOT NULL, PRIMARY KEY (owner, rel)) WITHOUT ROWID;
"""
_READS_REL = "CREATE INDEX IF NOT EXISTS reads_rel ON reads (rel)"
_PUT_PAGE = "INSERT OR REPLACE INTO pages VALUES (?, ?, ?, ?, ?)"


def store_path(cache_dir: Path, output_dir: Path) -> Path:
    """The store of one output folder (pages differ between outputs)."""
    return cache_dir / f"build-{digest(str(output_dir))[:10]}.sqlite"


class Store:
    """One build store. ``Store(None)`` is an empty store in memory (a build that reuses nothing)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.notice: str | None = None  # why an existing store was discarded (shown to the editor)
        self.dirty = False  # a write transaction is open: what this build changed, not yet committed
        self._first: FirstStore | None = None  # a new store's first transaction, written beside it
        self.db = self._open()
        self._rows: dict[str, dict[str, bytes]] = {}  # tables read whole (``prefetch``), not yet unpickled
        self._owner = os.getpid()
        self._readers: dict[int, sqlite3.Connection] = {}  # forked children's own connections (``committed``)

    def _open(self) -> sqlite3.Connection:
        if self.path is None:
            return self._prepare(sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            db = _connect(self.path)
            found = db.execute("SELECT value FROM kv WHERE tbl='meta' AND key='version'").fetchone()
            if found is None and db.execute("SELECT count(*) FROM pages").fetchone()[0] == 0:
                return self._beside(self.path, db)  # a new store
            if found is not None and pickle.loads(found[0]) == store_version():
                return db
            db.close()
            self.notice = f"构建缓存来自另一版本的云展，已重新开始：{self.path.name}"
        except (sqlite3.Error, pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError):
            with contextlib.suppress(sqlite3.Error, NameError):
                db.close()
            self.notice = DAMAGED.format(name=self.path.name)
        delete_files(self.path)
        return self._beside(self.path, _connect(self.path))

    def _beside(self, path: Path, db: sqlite3.Connection) -> sqlite3.Connection:
        """A new store's first transaction goes to a file beside it (see firststore.py)."""
        self._first = FirstStore(
            path, db, lambda beside: self._prepare(_connect(beside, prepare=False), False)
        )
        return self._first.db

    @staticmethod
    def _prepare(db: sqlite3.Connection, wal: bool = True) -> sqlite3.Connection:
        db.execute(f"PRAGMA page_size={PAGE_SIZE}")  # before anything is written: a new file only
        if wal:  # a crash loses at most the last commit, never corrupts
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
        db.executescript(_SCHEMA)
        db.execute(_READS_REL)
        return db

    # ------------------------------------------------------------------------------ key → value tables

    def prefetch(self, table: str) -> None:
        """Read ``table``'s rows in one query, for a step about to ask for most of them: thousands of
        one-row queries cost more than the rows. Each is unpickled when asked for, once."""
        if table not in self._rows:
            self._rows[table] = dict(self.db.execute("SELECT key, value FROM kv WHERE tbl=?", (table,)))

    def get(self, table: str, key: str) -> Any:
        """The value under ``key`` (None when there is none), as this build left it or the last one did."""
        rows = self._rows.get(table)
        if rows is not None:
            data = rows.pop(key, None)  # asked for once: the caller keeps what it needs
            if data is not None:
                return load_value(data)
        row = self.db.execute("SELECT value FROM kv WHERE tbl=? AND key=?", (table, key)).fetchone()
        return None if row is None else load_value(row[0])

    def committed(self, table: str, key: str) -> Any:
        """The value under ``key`` as the last build committed it, from any process: a forked child reads
        through a read-only connection of its own, never the one it inherits (while the build holds a write
        transaction, a read through that one can spill it into the WAL beside the parent's); this process, and
        a store in memory (nothing shared), through the store's."""
        reader = self._reader()
        if reader is None:
            return self.get(table, key)
        row = reader.execute("SELECT value FROM kv WHERE tbl=? AND key=?", (table, key)).fetchone()
        return None if row is None else load_value(row[0])

    def _reader(self) -> sqlite3.Connection | None:
        """A forked child's own read-only connection (see ``committed``); None in this process."""
        pid = os.getpid()
        if pid == self._owner or self.path is None:
            return None
        reader = self._readers.get(pid)
        if reader is None:
            uri = f"{self.path.absolute().as_uri()}?mode=ro"
            reader = self._readers[pid] = sqlite3.connect(uri, uri=True, timeout=LOCK_WAIT_S)
        return reader

    def has(self, table: str, key: str) -> bool:
        """Whether there is a value under ``key``, without reading it."""
        if key in self._rows.get(table, {}):
            return True
        return self.db.execute("SELECT 1 FROM kv WHERE tbl=? AND key=?", (table, key)).fetchone() is not None

    def put(self, table: str, key: str, value: Any, plain: bool = False) -> None:
        """Keep ``value`` under ``key`` (None: forget it), in this build's transaction: written through, so a
        cold build holds no second copy of what it made in memory. ``plain``: the value is made of what
        ``marshal`` keeps (text, numbers, tuples, lists, dicts, None), which it reads back faster than pickle."""
        self._begin()
        self._rows.get(table, {}).pop(key, None)
        if value is None:
            self.db.execute("DELETE FROM kv WHERE tbl=? AND key=?", (table, key))
        else:
            data = _dumps(value, plain)
            self.db.execute("INSERT OR REPLACE INTO kv VALUES (?, ?, ?)", (table, key, data))

    def keys(self, table: str) -> set[str]:
        return {k for (k,) in self.db.execute("SELECT key FROM kv WHERE tbl=?", (table,))}

    def keep_only(self, table: str, keys: Iterable[str]) -> None:
        """Forget every entry of ``table`` but ``keys`` (what this build used)."""
        gone = self.keys(table) - set(keys)
        if gone:
            self._begin()
            for key in gone:
                self._rows.get(table, {}).pop(key, None)
            self.db.executemany("DELETE FROM kv WHERE tbl=? AND key=?", ((table, key) for key in gone))

    # ------------------------------------------------------------------------------ pages

    def page(self, rel: str) -> PageEntry | None:
        """A page's entry as the last build committed it, from any process (see ``committed``)."""
        query = "SELECT fingerprint, size, mtime_ns, deps FROM pages WHERE rel=?"
        row = (self._reader() or self.db).execute(query, (rel,)).fetchone()
        return None if row is None else PageEntry.from_row(row[0], row[3], row[1], row[2])

    def page_heads(self) -> dict[str, tuple[str, int, int]]:
        """Every page of the last build: (fingerprint, size, mtime_ns), without what it read."""
        return {
            rel: (fp, size, mtime)
            for rel, fp, size, mtime in self.db.execute("SELECT rel, fingerprint, size, mtime_ns FROM pages")
        }

    def readers(self, owners: Iterable[str]) -> set[str]:
        """The pages that read any of ``owners`` (``pageentries.owner_of`` a dependency)."""
        found: set[str] = set()
        wanted = sorted(set(owners))
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            found |= {r for (r,) in self.db.execute(f"SELECT rel FROM reads WHERE owner IN ({marks})", chunk)}
        return found

    def put_page(self, rel: str, entry: PackedEntry | None) -> None:
        """Note a page as written now (None: the page is gone)."""
        if entry is not None:
            self.put_pages([(rel, entry)])
            return
        self._begin()
        self.db.execute("DELETE FROM pages WHERE rel=?", (rel,))
        self.db.execute("DELETE FROM reads WHERE rel=?", (rel,))

    def put_pages(self, entries: Iterable[tuple[str, PackedEntry]], batch: int = 1000) -> None:
        """Note pages as written now. A page's rows of ``reads`` change only where what it read changed: a
        template edit re-renders every page, which mostly read what they read before, and deleting and
        inserting their ~460,000 rows at 10,000 records took ~20 s (~3 s this way, measured under load)."""
        self._begin()
        db = self.db
        if db.execute("SELECT 1 FROM reads LIMIT 1").fetchone() is None:
            self._put_first(db, entries, batch)
            return
        chunk: dict[str, PackedEntry] = {}
        for rel, entry in entries:
            chunk[rel] = entry
            if len(chunk) >= batch:
                self._put_chunk(db, chunk)
                chunk = {}
        self._put_chunk(db, chunk)

    @staticmethod
    def _put_chunk(db: sqlite3.Connection, chunk: dict[str, PackedEntry]) -> None:
        gone: list[tuple[str, str]] = []
        added: list[tuple[str, str]] = []
        for rel, entry in chunk.items():
            before = {owner for (owner,) in db.execute("SELECT owner FROM reads WHERE rel=?", (rel,))}
            gone += [(owner, rel) for owner in before - entry.owners]
            added += [(owner, rel) for owner in entry.owners - before]
        db.executemany("DELETE FROM reads WHERE owner=? AND rel=?", gone)
        db.executemany("INSERT INTO reads VALUES (?, ?)", sorted(added))  # in key order: appends, mostly
        db.executemany(
            _PUT_PAGE, [(rel, e.fingerprint, e.size, e.mtime_ns, e.deps) for rel, e in chunk.items()]
        )

    @staticmethod
    def _put_first(db: sqlite3.Connection, entries: Iterable[tuple[str, PackedEntry]], batch: int) -> None:
        """``put_pages`` while no page's reads are noted (a first build): ``reads`` filled once all are known, in key
        order, its index made after, each page of either written once (chunk by chunk, the cache spilled the same
        ones again and again: 10,000 pages, 2.2 -> 1.0 CPU-s). A page twice (a build that fails) has both's rows."""
        readers: dict[str, list[str]] = {}
        chunk: list[tuple[str, str, int, int, bytes]] = []
        for rel, entry in entries:
            for owner in entry.owners:
                readers.setdefault(owner, []).append(rel)
            chunk.append((rel, entry.fingerprint, entry.size, entry.mtime_ns, entry.deps))
            if len(chunk) >= batch:
                db.executemany(_PUT_PAGE, chunk)
                chunk = []
        db.executemany(_PUT_PAGE, chunk)
        db.execute("DROP INDEX reads_rel")
        # owners sorted, then each one's pages: strings sort faster than 460,000 pairs
        rows = ((owner, rel) for owner in sorted(readers) for rel in sorted(readers[owner]))
        db.executemany("INSERT OR IGNORE INTO reads VALUES (?, ?)", rows)
        db.execute(_READS_REL)

    def pages_written(self, written: Iterable[tuple[str, int, int]]) -> None:
        """Note the files of pages put in this build as written, (page, size, mtime_ns) each: what
        ``still_valid`` checks. In the table's order: each of its pages read and written once (in the order
        rendered, a cold build's 10,000 read and wrote ~200 MB through SQLite's small cache)."""
        self._begin()
        self.db.executemany(
            "UPDATE pages SET size=?, mtime_ns=? WHERE rel=?",
            ((size, mtime, rel) for rel, size, mtime in sorted(written)),
        )

    # ------------------------------------------------------------------------------ the transaction

    def _begin(self) -> None:
        if self.dirty:
            return
        try:
            if self._first is not None:
                self._first.begin()
            else:
                self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:  # another build of this output holds the store (minutes)
            where = self.path.name if self.path else "store"
            raise YunzhanError(
                [
                    Problem(
                        where,
                        None,
                        None,
                        f"同一个输出文件夹正由另一个生成过程使用（{exc}）",
                        "等另一个窗口里的生成结束后再运行一次",
                    )
                ]
            ) from None
        self.dirty = True

    def commit(self) -> None:
        """Make what this build changed the store's, all or nothing."""
        if not self.dirty:
            return
        self.put("meta", "version", store_version())
        first, self._first = self._first, None
        if first is not None:
            self.db = first.settle(lambda: _connect(self.path))  # type: ignore[arg-type]
        else:
            self.db.execute("COMMIT")
        self.dirty = False

    def rollback(self) -> None:
        """Drop what this build changed (a build that failed leaves the store as it was)."""
        if self.dirty:
            self.dirty = False
            if self._first is not None:
                self._first.rollback()
                return
            with contextlib.suppress(sqlite3.Error):  # a damaged file: the caller discards it
                self.db.execute("ROLLBACK")

    def close(self) -> None:
        if self._first is not None:
            self._first.close()
        with contextlib.suppress(sqlite3.Error):
            self.db.close()


DAMAGED = "构建缓存已损坏，已删除并重新开始：{name}"


def _connect(path: Path, prepare: bool = True) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=LOCK_WAIT_S, isolation_level=None, check_same_thread=False)
    return Store._prepare(db) if prepare else db


def delete_files(path: Path) -> None:
    """The store's file and SQLite's files beside it."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            Path(f"{path}{suffix}").unlink()


_PLAIN = b"m"  # the first byte of a value kept with ``marshal`` (a pickle's is 0x80)


def _dumps(value: Any, plain: bool = False) -> bytes:
    if plain:
        try:
            return _PLAIN + marshal.dumps(value)
        except ValueError:  # a str subclass (Markup) or an object somewhere inside: pickled, as any other
            pass
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def load_value(data: bytes) -> Any:
    """A value as ``put`` kept it."""
    if data[:1] == _PLAIN:
        return marshal.loads(memoryview(data)[1:])
    return pickle.loads(data)


@contextlib.contextmanager
def opened(path: Path | None) -> Iterator[Store]:
    store = Store(path)
    try:
        yield store
    finally:
        store.close()
