"""Whether a file already holds the bytes a build would write: compared first, an unchanged file keeps its
modification time (and its hard link to the spare tree), so hosts and browsers see it as unchanged."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO


def same_bytes(path: Path, data: bytes) -> bool:
    try:
        if path.stat().st_size != len(data):
            return False
        return path.read_bytes() == data
    except OSError:
        return False


def same_file(a: Path, b: Path) -> bool:
    try:
        sa, sb = a.stat(), b.stat()
        if (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino):
            return True
        if sa.st_size != sb.st_size:
            return False
        with a.open("rb") as fa, b.open("rb") as fb:
            while True:
                chunk = fa.read(1 << 20)
                if chunk != fb.read(1 << 20):
                    return False
                if not chunk:
                    return True
    except OSError:
        return False


def write_comparing(path: str, pieces: Iterable[bytes], previous: str | None) -> bool:
    """Write ``pieces`` to ``path`` while comparing them with the file ``previous``: whether they were its
    very bytes (a file of tens of MB never whole in memory)."""
    with contextlib.ExitStack() as files:
        out = files.enter_context(open(path, "wb"))
        old = _open_or_none(previous)
        if old is not None:
            files.enter_context(old)
        for piece in pieces:
            out.write(piece)
            if old is not None and old.read(len(piece)) != piece:
                old = None
        return old is not None and not old.read(1)


def _open_or_none(path: str | None) -> BinaryIO | None:
    if path is None:
        return None
    try:
        return open(path, "rb")
    except OSError:
        return None
