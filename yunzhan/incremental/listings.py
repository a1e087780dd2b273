"""Collection folders' listings kept by a long-lived process (``serve``) between saves, while each folder is as
it was: a save changes a file, not its folder's list of names.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from yunzhan import folders

SETTLED_NS = (
    3_000_000_000  # a folder's time this much before it is listed: no later change can leave it as is
)


class FolderListings:
    """``folders.list_folder`` kept by a long-lived process while the folder's times, size and inode are as they
    were: adding, removing or renaming an entry changes them (saving a file in place does not, nor does it
    change the listing). Kept only for a folder with no folder in it (a bundle's ``index.md`` can come and go
    without the collection folder knowing) whose times were settled when it was listed: a change in the same
    tick of the clock as the last would leave them as they are. The listed paths are the same objects from
    one save to the next, so the parse memo finds them without hashing new ones."""

    def __init__(self) -> None:
        self.known: dict[Path, tuple[tuple[int, ...], folders.Listing]] = {}

    def __call__(self, folder: Path, site_dir: Path) -> folders.Listing:
        try:
            st = os.stat(folder)
        except OSError:
            return folders.list_folder(folder, site_dir)
        key = (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino, st.st_dev)
        hit = self.known.get(folder)
        if hit is not None and hit[0] == key:
            return hit[1][0][:], hit[1][1][:]
        self.known.pop(folder, None)
        made = folders.list_folder(folder, site_dir)
        if time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) > SETTLED_NS and _flat(folder):
            self.known[folder] = (key, made)
            return made[0][:], made[1][:]
        return made


def _flat(folder: Path) -> bool:
    try:
        with os.scandir(folder) as entries:
            return not any(entry.is_dir() for entry in entries)
    except OSError:
        return False
