"""Texts a forked renderer may read, compressed side by side in one buffer of this process.

Bodies' HTML, their Markdown and placard QR codes are read from the build store when a page shows them. A
forked child must not read through the store's connection while this process holds a write transaction (a
read can spill the transaction's pages into the WAL beside the parent's). What an earlier build committed a
child reads through a read-only connection of its own (``Store.committed``); what this build made is put here
before the children start: compressed (~a third of its size as strings), in one object, so that a child
reading some copies no memory page of the others.

Compressing was most of the packing, on one core while the other waited for the renderers to fork (at 10,000
records ~26,000 texts, 1.2 of 1.7 s). Texts are compressed a batch at a time, half of it in a thread beside
this one: zlib lets go of the interpreter's lock while it works, so both halves run at once. (A thread
compressing while this one reads the next texts was slower: each text it finished waited for the lock this one
held.) ``close`` ends the thread, and must come before forking.
"""

from __future__ import annotations

import zlib
from array import array
from concurrent.futures import ThreadPoolExecutor

from markupsafe import Markup

BATCH = 256  # texts compressed together, half of them in the thread: ~1 MB


class TextPack:
    def __init__(self) -> None:
        self._data = bytearray()
        self._ends = array("Q", [0])
        self._batch: list[bytes] = []  # encoded, not compressed yet
        self._pool: ThreadPoolExecutor | None = None

    def add(self, text: str) -> int:
        """Keep ``text``; its number (readable once the pack is closed)."""
        self._batch.append(text.encode("utf-8", "surrogatepass"))
        if len(self._batch) == BATCH:
            self._compress()
        return len(self._ends) - 2 + len(self._batch)

    def close(self) -> None:
        """Every text kept, and the thread gone: call before forking."""
        self._compress()
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def text(self, number: int) -> str:
        start, end = self._ends[number], self._ends[number + 1]
        return zlib.decompress(self._data[start:end]).decode("utf-8", "surrogatepass")

    def markup(self, number: int) -> Markup:
        return Markup(self.text(number))

    def _compress(self) -> None:
        batch, self._batch = self._batch, []
        half = len(batch) // 2
        if half < 8:  # a few: not worth a thread
            self._append(_compressed(batch))
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="yunzhan-pack")
        theirs = self._pool.submit(_compressed, batch[half:])
        self._append(_compressed(batch[:half]))
        self._append(theirs.result())

    def _append(self, blobs: list[bytes]) -> None:
        for blob in blobs:
            self._data += blob
            self._ends.append(len(self._data))


def _compressed(batch: list[bytes]) -> list[bytes]:
    return [zlib.compress(data, 1) for data in batch]
