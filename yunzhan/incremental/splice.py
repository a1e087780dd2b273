"""A big site-wide file made again from the one the last build wrote, when most of it did not change.

A stage yields the file as pieces: its own framing bytes, and a placeholder (an int) wherever a record's line
goes (``opendata.open_data_pieces`` places whatever stands for a line). Each placeholder is known by its line's
key, and the store keeps where each piece lay in the file as written (``Layout``). Pieces found in the same
order there are copied as byte ranges of that file by the OS (``portable.copy_range``), the others written: at
10,000 records records.json is 44 MB and an edit changes one line of it, which then costs that line and a few
system calls, not 44 MB joined, compared and written by Python. A file whose pieces all lie as they did is
not written at all.
"""

from __future__ import annotations

import errno
import itertools
import operator
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from yunzhan import portable

Layout = tuple[list[str | bytes], list[int]]  # each piece: its line's key, or its own bytes; and its length
Op = tuple[int, int] | bytes  # a byte range (offset, length) of the previous file, or bytes to write
BUFFER = 1 << 20  # bytes of pieces gathered before a write


def ops(
    pieces: Iterable[bytes | int],
    old: Layout | None,
    key: Callable[[int], str],
    line: Callable[[int], bytes],
    layout: Layout,
) -> Iterator[Op]:
    """How to make the file of ``pieces`` from the previous one, laid out as ``old`` (None: no such file, all
    written): placeholder ``p`` stands for the line ``line(p)`` whose key is ``key(p)``, made only when the old
    file lacks it. ``layout`` (empty lists) receives the new file's layout as the ops are read."""
    idents, lengths = old or ([], [])
    made = list(pieces)
    new = [piece if type(piece) is bytes else key(piece) for piece in made]
    if len(new) == len(idents):  # an edit: compared in C, the few pieces that differ looked up alone
        differ = list(itertools.compress(itertools.count(), map(operator.ne, new, idents)))
        if len(differ) <= FEW:
            yield from _in_place(made, new, idents, lengths, differ, line, layout)
            return
    yield from _spliced(made, new, idents, lengths, line, layout)


FEW = 64  # pieces that differ from those in the same places of the old file, past which all are looked up


def _in_place(
    made: list[bytes | int],
    new: list[str | bytes],
    idents: list[str | bytes],
    lengths: list[int],
    differ: list[int],
    line: Callable[[int], bytes],
    layout: Layout,
) -> list[Op]:
    """``ops`` of a file with as many pieces as the old one, all but those at ``differ`` the same: the runs
    between them copied, each of those copied from where the old file has it, or written."""
    offsets = list(itertools.accumulate(lengths, initial=0))
    new_lengths = list(lengths)
    made_ops: list[Op] = []
    start = 0  # the old file's bytes from here to the next piece that differs are copied
    for n in differ:
        if offsets[n] > start:
            made_ops.append((start, offsets[n] - start))
        found = _index(idents, new[n])
        if found is None:
            piece = made[n]
            made_ops.append(piece if isinstance(piece, bytes) else line(piece))
            new_lengths[n] = len(made_ops[-1])
        else:
            made_ops.append((offsets[found], lengths[found]))
            new_lengths[n] = lengths[found]
        start = offsets[n + 1]
    if offsets[-1] > start:
        made_ops.append((start, offsets[-1] - start))
    layout[0].extend(new)
    layout[1].extend(new_lengths)
    return made_ops


def _index(idents: list[str | bytes], ident: str | bytes) -> int | None:
    """Where the old file has the line ``ident`` (bytes of framing are not looked up)."""
    if type(ident) is bytes:
        return None
    try:
        return idents.index(ident)
    except ValueError:
        return None


def _spliced(
    made: list[bytes | int],
    new: list[str | bytes],
    idents: list[str | bytes],
    lengths: list[int],
    line: Callable[[int], bytes],
    layout: Layout,
) -> Iterator[Op]:
    """``ops`` of any file: pieces found in order in the old file are copied, runs of them at once."""
    offsets = list(itertools.accumulate(lengths, initial=0))
    where = {ident: i for i, ident in enumerate(idents) if isinstance(ident, str)}
    new_idents, new_lengths = layout
    cursor = start = end = 0  # the next old piece in order; the run of the old file being gathered
    for piece, ident in zip(made, new, strict=True):
        if cursor < len(idents) and type(idents[cursor]) is type(ident) and idents[cursor] == ident:
            found: int | None = cursor
        else:
            found = where.get(ident) if isinstance(ident, str) else None
        if found is None:
            if end > start:
                yield start, end - start
                start = end = 0
            data = piece if isinstance(piece, bytes) else line(piece)
            yield data
            length = len(data)
        else:
            length = lengths[found]
            if end > start and end == offsets[found]:
                end += length
            else:
                if end > start:
                    yield start, end - start
                start, end = offsets[found], offsets[found] + length
            cursor = found + 1
        new_idents.append(ident)
        new_lengths.append(length)
    if end > start:
        yield start, end - start


def write(made: Iterable[Op], previous: Path, dest: Path) -> bool:
    """Write the file of ``made`` (``ops`` against ``previous``) as the new file ``dest`` (made as ``open``
    makes files: readable by all unless the umask says otherwise); False, with nothing written, when it is
    ``previous`` as it is."""
    size = previous.stat().st_size
    made = iter(made)
    first = next(made, None)
    second = next(made, None) if first is not None else None
    if second is None and (first == (0, size) or (first is None and size == 0)):
        return False
    source = os.open(previous, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        target = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        try:
            _write(itertools.chain([first, second], made), source, target)
        finally:
            os.close(target)
    finally:
        os.close(source)
    return True


def _write(made: Iterable[Op | None], source: int, target: int) -> None:
    gathered = bytearray()
    for op in made:
        if op is None:
            continue
        if isinstance(op, bytes):
            gathered += op
            if len(gathered) >= BUFFER:
                portable.write_all(target, gathered)
                gathered.clear()
            continue
        if gathered:
            portable.write_all(target, gathered)
            gathered.clear()
        portable.copy_range(source, target, *op)
    if gathered:
        portable.write_all(target, gathered)


def joined(made: Iterable[Op], previous: Path | None) -> bytes:
    """The bytes of the file of ``made`` (``ops`` against ``previous``), whole."""
    parts: list[bytes] = []
    with previous.open("rb") if previous is not None else open(os.devnull, "rb") as source:
        for op in made:
            if isinstance(op, bytes):
                parts.append(op)
            else:
                source.seek(op[0])
                parts.append(source.read(op[1]))
                if len(parts[-1]) != op[1]:
                    raise OSError(errno.EIO, "file shorter than expected")
    return b"".join(parts)
