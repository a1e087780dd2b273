"""What the build store notes of a page: what it was made of and what it read (``PageEntry``), packed as the
store's ``pages`` and ``reads`` tables keep it (``PackedEntry``), and the entries made while forked renderers
run, waiting on disk until the store may be written (``PendingPages``).

Kept apart from the store itself (``store.py``): the renderers make and pack entries without reading the store.
"""

from __future__ import annotations

import pickle
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from yunzhan.incremental.fingerprints import DepKey


@dataclass(slots=True)
class PageEntry:
    """A page of the last build: what it was made of and what it read, with its file as written."""

    fingerprint: str  # the site-wide fingerprint and the page's own
    deps: tuple[tuple[DepKey, str], ...]  # what the page touched, with its fingerprint then
    size: int = 0
    mtime_ns: int = 0

    @classmethod
    def of(cls, fingerprint: str, deps: Iterable[tuple[DepKey, str]]) -> PageEntry:
        return cls(fingerprint, tuple(sorted(deps)))

    @classmethod
    def from_row(cls, fingerprint: str, deps: bytes, size: int, mtime_ns: int) -> PageEntry:
        """An entry as a row of the store's ``pages`` keeps it (``deps`` as ``packed`` made them)."""
        return cls(fingerprint, _deps(deps), size, mtime_ns)

    def packed(self) -> PackedEntry:
        """The entry as the store keeps it, pickled (a tenth of its memory as tuples). Not compressed: half the
        size, but zlib took three times as long as the pickling (~0.5 CPU-s of a cold render at 10,000 records),
        and the entries wait on disk until the store may be written (``PendingPages``)."""
        deps = pickle.dumps(self.deps, protocol=pickle.HIGHEST_PROTOCOL)
        # a record's attributes share its row: each row joined once, not once per attribute read
        rows = {key[:3] if key[0] == "record" else key for key, _ in self.deps}
        owners = frozenset(map(owner_of, rows))
        return PackedEntry(self.fingerprint, deps, self.size, self.mtime_ns, owners)


@dataclass(slots=True)
class PackedEntry:
    fingerprint: str
    deps: bytes  # pickled: see ``_deps``
    size: int = 0
    mtime_ns: int = 0
    owners: frozenset[str] = frozenset()  # its rows of ``reads``: ``owner_of`` each dependency


class PendingPages:
    """Page entries made while forked renderers run, waiting on disk until the store may be written (see
    ``store``'s docstring): at 10,000 pages they come to ~80 MB, which this process need not hold meanwhile."""

    def __init__(self) -> None:
        self._file = tempfile.SpooledTemporaryFile(max_size=4 << 20)  # noqa: SIM115 (``drain`` closes it)
        self.rels: list[str] = []  # the pages added, in order

    def add(self, rel: str, entry: PackedEntry) -> None:
        self.rels.append(rel)
        pickle.dump((rel, entry), self._file, protocol=pickle.HIGHEST_PROTOCOL)

    def drain(self) -> Iterator[tuple[str, PackedEntry]]:
        """The entries in the order they came, once; the file is gone after."""
        with self._file:
            self._file.seek(0)
            while True:
                try:
                    yield pickle.load(self._file)
                except EOFError:
                    return


def _deps(data: bytes) -> tuple[tuple[DepKey, str], ...]:
    """``packed``'s deps read back; those a store made before they were left uncompressed, decompressed (a
    pickle starts with its PROTO opcode, a zlib stream never does)."""
    plain = data if data[:1] == _PICKLED else zlib.decompress(data)
    return pickle.loads(plain)  # type: ignore[no-any-return]


_PICKLED = pickle.PROTO


def owner_of(key: DepKey) -> str:
    """The row of ``reads`` a dependency counts under: a record (any attribute of it), or the key itself."""
    return "\0".join(key[:3] if key[0] == "record" else key)
