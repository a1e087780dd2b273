"""Making a recycled stage (the spare tree, see output.py) exactly the new build, and the record of what it holds.

A spare tree the store describes (``TreeRecord``) is first proved untouched (``treesign.folders_hold``): its top folder listed, every other
folder stat-ed (a file put into a folder changes that folder's time). Its pruning then touches only what the
build changed: the files it lacks are deleted by name, and the new tree's record is the old one with the files
the build wrote and their folders stat-ed again. Any doubt, and the stage is walked whole, as it always may be.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable

from yunzhan.treesign import FileStat, FolderStat, TreeRecord, file_stat, folder_stat


def prune_known(
    root: str,
    record: TreeRecord,
    wanted: Collection[str],
    untouched: Collection[str],
    stirred: Iterable[str] = (),
) -> TreeRecord | None:
    """Remove from a stage that held ``record`` (proved by ``treesign.folders_hold``) the files and folders the new build does
    not have; return the record of what stays. ``untouched``: files of the build left as the stage had them
    (their stat is the recorded one); every other wanted file, and the folders above what changed or in
    ``stirred`` (where a file came and went), are stat-ed.
    None when the stage is not as expected (a folder not empty): the caller walks it instead."""
    gone = [rel for rel in record.files if rel not in wanted]
    changed = [rel for rel in wanted if rel not in untouched]
    folders = _folders_of(wanted)
    for rel in gone:
        try:
            os.unlink(f"{root}/{rel}")
        except (FileNotFoundError, NotADirectoryError):
            pass  # went with a folder the build replaced by a file, or a file it replaced by a folder
        except OSError:
            if rel not in folders:  # a folder now, as the build wants
                return None
    for rel in sorted(set(record.folders) - folders, key=lambda r: r.count("/"), reverse=True):
        try:
            os.rmdir(f"{root}/{rel}")
        except (FileNotFoundError, NotADirectoryError):
            pass
        except OSError:
            return None  # something nobody noted is in it
    files: dict[str, FileStat] = {}
    for rel in wanted:
        noted = record.files.get(rel) if rel in untouched else None
        files[rel] = noted or file_stat(os.lstat(f"{root}/{rel}"))
    touched = _folders_of(changed) | _folders_of(gone) | set(stirred)  # an entry came or went: a new time
    stats: dict[str, FolderStat] = {}
    for rel in folders:
        noted = None if rel in touched else record.folders.get(rel)
        stats[rel] = noted or folder_stat(os.lstat(f"{root}/{rel}"))
    return TreeRecord(stats, files)


def _folders_of(files: Iterable[str]) -> set[str]:
    """Every folder above the given files (the top folder, "", not included)."""
    found: set[str] = set()
    for rel in files:
        parent = rel.rpartition("/")[0]
        while parent and parent not in found:
            found.add(parent)
            parent = parent.rpartition("/")[0]
    return found


def walk_tree(root: str, wanted: Collection[str] | None = None) -> TreeRecord:
    """Walk a tree and record it; with ``wanted``, first remove every file not in it and the folders left
    empty (the stage is then exactly the build, whatever was put into it)."""
    folders: dict[str, FolderStat] = {}
    files: dict[str, FileStat] = {}

    def visit(folder: str, prefix: str) -> bool:  # True when the folder is left empty
        empty = True
        with os.scandir(folder) as found:
            for entry in list(found):
                rel = prefix + entry.name
                if entry.is_dir(follow_symlinks=False):
                    if visit(entry.path, rel + "/"):
                        os.rmdir(entry.path)
                    else:
                        folders[rel] = folder_stat(os.lstat(entry.path))  # after its own pruning
                        empty = False
                elif wanted is None or rel in wanted:
                    files[rel] = file_stat(entry.stat(follow_symlinks=False))
                    empty = False
                else:
                    os.unlink(entry.path)
        return empty and wanted is not None

    visit(root, "")
    return TreeRecord(folders, files)
