"""An output file as a build wrote it: its size and modification time. A later build trusts a file (a page, a
site-wide file) that still has those, with no copy of its bytes in the store."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path


def as_written(path: str | Path) -> tuple[int, int] | None:
    """(A string is cheaper than a Path when asked for every page of a 10,000-page site.)"""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns


def file_stats(output_dir: Path, rels: Iterable[str]) -> dict[str, tuple[int, int]]:
    return {rel: written for rel in rels if (written := as_written(output_dir / rel)) is not None}
