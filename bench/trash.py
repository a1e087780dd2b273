"""Old trees the bench replaces are moved aside, not deleted, until the bench ends.

On a file system whose allocator avoids inodes freed in the last minute or few (ext4 without a journal, as on
the machine these figures come from: ``recently_deleted`` in its inode allocator), deleting a 10,000-record
site's output and store (~70,000 inodes) right before a cold build made that build's file and folder creation
cost 3-10× the system time, and more with every run of a batch, as the freed inodes piled up. A first build on
an editor's machine follows no such deletion: moving the old tree aside on the same file system frees nothing,
and ``empty`` deletes it all once every figure is taken.
"""

from __future__ import annotations

import itertools
import os
import shutil
from pathlib import Path

WORK = Path(__file__).resolve().parent / ".work"
TRASH = WORK / "trash"
KEEP_FREE = 10 * 2**30  # below this much free space a replaced tree is deleted at once (a 10k run's: ~1.5 GB)
_names = itertools.count()


def discard(path: Path) -> None:
    """Moves ``path`` (a folder or file) into TRASH when it is in the bench's WORK folder; deletes it elsewhere
    (a test's temporary folder), where it cannot be moved, or when the disk is nearly full (KEEP_FREE)."""
    path = Path(path)
    if not os.path.lexists(path):
        return
    inside = path.resolve().is_relative_to(WORK) and not path.resolve().is_relative_to(TRASH)
    if inside and shutil.disk_usage(WORK).free >= KEEP_FREE:
        TRASH.mkdir(parents=True, exist_ok=True)
        try:
            os.rename(path, TRASH / f"{os.getpid()}-{next(_names)}-{path.name}")
            return
        except OSError:
            pass
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def empty() -> None:
    shutil.rmtree(TRASH, ignore_errors=True)
