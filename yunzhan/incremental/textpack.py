"""Texts a forked renderer may read, compressed side by side in one buffer of this process.

Bodies' HTML, their Markdown and placard QR codes are read from the build store when a page shows them. A
forked child must not read through the store's connection while this process holds a write transaction (a
read can spill the transaction's pages into the WAL beside the parent's). What an earlier build committed a
child reads through a read-only connection of its own (``Store.committed``); what this build made is put here
before the children start: compressed (~a third of its size as strings), in one object, so that a child
reading some copies no memory page of the others.
"""

from __future__ import annotations

import zlib
from array import array

from markupsafe import Markup


class TextPack:
    def __init__(self) -> None:
        self._data = bytearray()
        self._ends = array("Q", [0])

    def add(self, text: str) -> int:
        """Keep ``text``; its number."""
        self._data += zlib.compress(text.encode("utf-8", "surrogatepass"), 1)
        self._ends.append(len(self._data))
        return len(self._ends) - 2

    def text(self, number: int) -> str:
        start, end = self._ends[number], self._ends[number + 1]
        return zlib.decompress(self._data[start:end]).decode("utf-8", "surrogatepass")

    def markup(self, number: int) -> Markup:
        return Markup(self.text(number))
