"""Making a recycled stage (the spare tree, see output.py) exactly the new build, and the record of what it holds.

A spare tree the store describes (``TreeRecord``) is first proved untouched (``treesign.folders_hold``): its top folder listed, every other
folder stat-ed (a file put into a folder changes that folder's time). Its pruning then touches only what the
build changed: the files it lacks are deleted by name, and the new tree's record is the old one with the files
the build wrote and their folders stat-ed again. Any doubt, and the stage is walked whole, as it always may be.
"""

from __future__ import annotations

import errno
import functools
import os
from collections.abc import Collection, Iterable, KeysView
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from yunzhan.treesign import FileStat, FolderStat, TreeRecord, file_stat, folder_stat


@dataclass(frozen=True)
class Spare:
    """What the last build said of the spare tree it left: a token also written into the tree (so a tree
    that is not that one is never trusted), the tree as the commit that made it left it, and the files of the
    output that differ from it (written by that build, not linked from the tree before). With it, a recycled
    stage is made right by touching those files only (16,000 files at 10k need no stat each), once its folders
    proved nothing was put into it by hand since (``treesign.folders_hold``), and pruned and signed without a
    walk (``recycle.prune_known``)."""

    token: str
    differ: frozenset[str]
    # the spare tree as the commit that made it left it: marshalled until asked for (a commit notes the output
    # it swapped out as the next spare tree without reading it: ~25 ms at 10,000 records)
    tree_kept: TreeRecord | bytes
    # the output beside it, as its commit left it: marshalled until the commit asks (~12 MB at 10,000 records
    # that a build would hold while it renders)
    output_kept: TreeRecord | bytes

    @functools.cached_property
    def tree(self) -> TreeRecord:
        return _record(self.tree_kept)

    @functools.cached_property
    def output_tree(self) -> TreeRecord:
        return _record(self.output_kept)

    def records(self) -> tuple[bytes, bytes]:
        """The two tree records as kept (``TreeRecord.to_bytes``), read or not."""
        return record_bytes(self.tree_kept), record_bytes(self.output_kept)

    @property
    def files(self) -> dict[str, FileStat]:
        """The files of the spare tree (a mapping: looked up by name)."""
        return self.tree.files

    @property
    def output(self) -> KeysView[str]:
        """The files of the output beside it."""
        return self.output_tree.files.keys()


def _record(kept: TreeRecord | bytes) -> TreeRecord:
    return kept if isinstance(kept, TreeRecord) else TreeRecord.from_bytes(kept)


def record_bytes(kept: TreeRecord | bytes) -> bytes:
    """A tree record's marshalled bytes, as kept or made once (``TreeRecord.to_bytes`` keeps them)."""
    return kept if isinstance(kept, bytes) else kept.to_bytes()


def prune_known(
    root: str,
    record: TreeRecord,
    wanted: AbstractSet[str],
    untouched: AbstractSet[str],
    stirred: Iterable[str] = (),
) -> TreeRecord | None:
    """Remove from a stage that held ``record`` (proved by ``treesign.folders_hold``) the files the new build
    does not have and the folders left empty; return the record of what stays. ``untouched``: files of the
    build left as the stage had them (their stat is the recorded one); every other wanted file, and the folders
    above what changed or in ``stirred`` (where a file came and went), are stat-ed: the work is the change's,
    with no pass of Python over every name. None when the stage is not as expected: the caller walks it."""
    gone = record.files.keys() - wanted
    new = wanted - record.files.keys()
    changed = wanted - untouched
    made = folders_of(new)  # the folders of the build's new files (made for them, or there already)
    for rel in gone:
        try:
            os.unlink(f"{root}/{rel}")
        except (FileNotFoundError, NotADirectoryError):
            pass  # went with a folder the build replaced by a file, or a file it replaced by a folder
        except OSError:
            if rel not in made:  # a folder now, as the build wants
                return None
    removed: set[str] = set()
    for rel in sorted(folders_of(gone) - made, key=lambda r: r.count("/"), reverse=True):
        try:
            os.rmdir(f"{root}/{rel}")
        except (FileNotFoundError, NotADirectoryError):
            pass  # went with a folder above it, or a file now
        except OSError as exc:
            if exc.errno in (errno.ENOTEMPTY, errno.EEXIST):
                continue  # it holds files the build keeps (nothing else: the folders proved it)
            return None
        removed.add(rel)
    files = dict(record.files)
    for rel in gone:
        del files[rel]
    for rel in changed:
        files[rel] = file_stat(os.lstat(f"{root}/{rel}"))
    folders = dict(record.folders)
    for rel in removed:
        folders.pop(rel, None)
    touched = folders_of(changed) | folders_of(gone) | set(stirred) | made  # an entry came or went
    for rel in touched - removed - {""}:
        folders[rel] = folder_stat(os.lstat(f"{root}/{rel}"))
    return TreeRecord(folders, files)


def folders_of(files: Iterable[str]) -> set[str]:
    """Every folder above the given files (the top folder, "", not included)."""
    found: set[str] = set()
    for rel in files:
        parent = rel.rpartition("/")[0]
        while parent and parent not in found:
            found.add(parent)
            parent = parent.rpartition("/")[0]
    return found


def record_made(root: str, files: Iterable[str], folders: Iterable[str]) -> TreeRecord:
    """The record of a tree this process made whole in a new folder (a first build's stage): each of its files
    and folders stat-ed by name, with no listing (at 10,000 records 48,000 system calls instead of 170,000).
    ``folders``: their paths (``root/...``, ``root`` itself among them). Raises OSError when one is gone."""
    start = len(root) + 1
    made = {path[start:]: folder_stat(os.lstat(path)) for path in folders if path != root}
    return TreeRecord(made, {rel: file_stat(os.lstat(f"{root}/{rel}")) for rel in files})


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
