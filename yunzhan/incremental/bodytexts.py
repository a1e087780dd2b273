"""Records' bodies as plain text, made once for the two readers of a cold build's site-wide files: the search
index's blocks (made in order, a block at a time, as they are sent to the process beside, ``made``) and the
open data's lines (``take``). Each body's HTML is read back from where it is held and made into text once, not
twice (~1 CPU-s at 10,000 records).

A text the index made waits here until the open data takes it; the open data's steps, taken while the process
beside makes blocks, wait (``workers.WAIT``) for the texts the index is about to make rather than making them
again (``ready``). At most HOLD texts wait at once: past that the open data makes its own.
"""

from __future__ import annotations

from collections.abc import Iterable

from yunzhan.htmltext import plain_text
from yunzhan.model import Record

HOLD = 1024  # texts waiting at most (~3 MB at 10,000 records), should the open data fall behind the index


class BodyTexts:
    """The plain text of each of ``wanted``'s bodies (the open data's records), shared when the index makes it
    too."""

    def __init__(self, wanted: Iterable[Record] = ()) -> None:
        self._wanted = set(map(id, wanted))
        self._coming: set[int] = set()  # wanted records whose text the index is to make
        self._held: dict[int, str] = {}

    def expect(self, records: Iterable[Record]) -> None:
        """The index is about to make the texts of ``records``, in order."""
        self._coming.update(i for i in map(id, records) if i in self._wanted)

    def made(self, record: Record) -> str:
        """The index's text of ``record``, kept for the open data when it wants it."""
        text = plain_text(record.body, keep=False)
        key = id(record)
        if key in self._coming:
            self._coming.discard(key)
            if len(self._held) < HOLD:
                self._held[key] = text
        return text

    def give(self, made: Iterable[tuple[Record, str]]) -> None:
        """Texts the index made before it was asked for (``searchblocks.blocks_soon``: a few thousand at most),
        held for the open data whatever HOLD says: they were held until now anyway."""
        self._held.update((id(record), text) for record, text in made if id(record) in self._wanted)

    def ready(self, records: Iterable[Record]) -> bool:
        """Whether none of ``records``' texts is still to be made by the index."""
        return self._coming.isdisjoint(map(id, records))

    def take(self, record: Record) -> str:
        """The open data's text of ``record``: the index's, or made now."""
        found = self._held.pop(id(record), None)
        return plain_text(record.body) if found is None else found

    def done(self) -> None:
        """The index makes no more texts: the open data makes those it did not."""
        self._coming.clear()
