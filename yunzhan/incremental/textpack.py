"""Texts a forked renderer may read, compressed side by side in one buffer of this process.

Bodies' HTML, their Markdown and placard QR codes are read from the build store when a page shows them. A
forked child must not read through the store's connection while this process holds a write transaction (a
read can spill the transaction's pages into the WAL beside the parent's). What an earlier build committed a
child reads through a read-only connection of its own (``Store.committed``); what this build made is put here
as it is made, before the children start: compressed (~a third of its size as strings), in one object, so that
a child reading some copies no memory page of the others. The store keeps these texts compressed the same way
(``packed``), so each is compressed once, where it is made, and its bytes go to both.
"""

from __future__ import annotations

import zlib
from array import array

from markupsafe import Markup


def packed(text: str) -> bytes:
    """``text`` as the store and the pack keep it."""
    return zlib.compress(text.encode("utf-8", "surrogatepass"), 1)


def unpacked(data: bytes) -> str:
    """``packed`` read back."""
    return zlib.decompress(data).decode("utf-8", "surrogatepass")


class TextPack:
    def __init__(self) -> None:
        self._data = bytearray()
        self._ends = array("Q", [0])

    def add(self, text: str) -> int:
        """Keep ``text``; its number."""
        return self.add_packed(packed(text))

    def add_packed(self, data: bytes) -> int:
        """Keep a text already ``packed`` (as the store keeps it); its number."""
        self._data += data
        self._ends.append(len(self._data))
        return len(self._ends) - 2

    def text(self, number: int) -> str:
        start, end = self._ends[number], self._ends[number + 1]
        return unpacked(self._data[start:end])

    def markup(self, number: int) -> Markup:
        return Markup(self.text(number))
