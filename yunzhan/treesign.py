"""The signature of a folder tree (the output): every folder and file by its path in the tree, in name order,
so that a walk in any order, such as the commit's pruning of a recycled stage, signs it the same way."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def tree_signature(root: Path) -> tuple[str, int]:
    """Every folder and file under ``root`` by its path there, size, modification time and inode, and how many
    files. No change time: the files are hard links shared with the previous build, whose deletion (in the
    background, after the build) changes it; a hand edit changes the time, the size or the inode."""
    entries: list[str] = []
    stack = [("", os.fspath(root))]
    while stack:
        prefix, folder = stack.pop()
        try:
            with os.scandir(folder) as found:
                listed = list(found)
        except OSError:
            entries.append(f"?{prefix}")
            continue
        for entry in listed:
            rel = prefix + entry.name
            try:
                if entry.is_dir(follow_symlinks=False):
                    entries.append(folder_entry(rel))
                    stack.append((rel + "/", entry.path))
                else:
                    entries.append(file_entry(rel, entry.stat(follow_symlinks=False)))
            except OSError:
                entries.append(f"!{rel}")
    return signed(entries)


def folder_entry(rel: str) -> str:
    return f"D{rel}"


def file_entry(rel: str, st: os.stat_result) -> str:
    return f"F{rel}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ino}"


def signed(entries: list[str]) -> tuple[str, int]:
    """One digest of the entries in name order, whichever order the walk found them in."""
    entries.sort()
    h = hashlib.blake2b(digest_size=16)
    for line in entries:
        h.update(line.encode("utf-8", "surrogatepass") + b"\n")
    return h.hexdigest(), sum(line.startswith("F") for line in entries)
