"""An output file as a build wrote it: its size and modification time. A later build trusts a file (a page, a
site-wide file) that still has those, with no copy of its bytes in the store."""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path


def as_written(path: str | Path) -> tuple[int, int] | None:
    """(A string is cheaper than a Path when asked for every page of a 10,000-page site.)"""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns


class Written:
    """Each output file's ``as_written`` by its path in the output: taken from ``ahead`` (stats made by a child
    while the build worked, see ``lookahead``) where it holds the file, else stat-ed now."""

    def __init__(self, output_dir: Path | str, ahead: Mapping[str, tuple[int, int]] | None = None) -> None:
        self.root = f"{output_dir}/"
        self.ahead = ahead or {}

    def __call__(self, rel: str) -> tuple[int, int] | None:
        found = self.ahead.get(rel)
        return found if found is not None else as_written(self.root + rel)


def file_stats(
    output_dir: Path,
    rels: Iterable[str],
    known: Mapping[str, tuple[int, int]] | None = None,
    written: Collection[str] = (),
) -> dict[str, tuple[int, int]]:
    """Each file's ``as_written``. ``known``: what the last build noted of its files; a file in it and not in
    ``written`` (the files placed now) was kept, its size and time checked against that note, and is not
    stat-ed again (a body edit places ~80 of the 4,000 files of the search index at 10,000 records)."""
    known = known or {}
    root = f"{output_dir}/"
    made: dict[str, tuple[int, int]] = {}
    for rel in rels:
        found = known.get(rel) if rel not in written else None
        if found is None:
            found = as_written(root + rel)
        if found is not None:
            made[rel] = found
    return made
