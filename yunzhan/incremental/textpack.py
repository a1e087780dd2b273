"""Texts a forked renderer may read, compressed side by side in one buffer of this process.

Bodies' HTML, their Markdown and placard QR codes are read from the build store when a page shows them. A
forked child must not read through the store's connection while this process holds a write transaction (a
read can spill the transaction's pages into the WAL beside the parent's), so before rendering many pages in
forked processes the texts they may read are put here: compressed (~a third of their size as strings), in one
object, so that a child reading some copies no memory page of the others.
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
