"""The preview's output: its folder updated in place, file by file, and what a session remembers of it.

A preview rebuild hands over every generated file (a redirect page per record, the theme's assets) and every
copied one, though few changed. Comparing each with the folder reads it back: a thousand reads a save. A
session remembers, per file, a digest of the bytes it left there (or the signature of the file it copied) and
the file's own signature; while both hold, the file is as wanted without being read. Anything else (a file
touched by another program, a folder deleted) fails the signature and is compared as before.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from yunzhan import portable
from yunzhan.output import WriteStats
from yunzhan.samebytes import same_bytes, same_file

Signature = tuple[int, int, int]  # size, mtime_ns, inode
Written = dict[str, tuple[object, Signature]]  # output file -> (what it holds, its signature when left)


def signature(path: str) -> Signature | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns, st.st_ino


class InPlaceOutput:
    """For the preview server only: update the folder file by file (each write atomic, the whole not), skipping
    the staging folder, the hard links and the disk sync. Only files whose bytes changed are touched.
    ``previous``: the files the last commit left, ``written``: what was left in them (a session's, kept up to
    date here)."""

    def __init__(
        self, output_dir: Path, previous: set[str] | None = None, written: Written | None = None
    ) -> None:
        self.output_dir = output_dir.absolute()
        self.output_dir.mkdir(parents=True, exist_ok=True)
        self.root = os.fspath(self.output_dir)
        self.stats = WriteStats()
        self.previous = previous  # the files the last commit left (known to a session): no walk needed
        self.written = written

    def _place(self, rel: str, data: bytes | None, source: Path | None = None) -> None:
        rel = rel.lstrip("/")
        if not rel or ".." in rel.replace("\\", "/").split("/"):
            raise ValueError(f"unsafe output path: {rel!r}")
        self.stats.files.add(rel)
        dest = os.path.join(self.root, rel)
        held = self._held(data, source)
        known = self.written.get(rel) if self.written is not None else None
        if held is not None and known is not None and known[0] == held and known[1] == signature(dest):
            self.stats.unchanged += 1
            return
        same = same_file(Path(dest), source) if source is not None else same_bytes(Path(dest), data or b"")
        if same:
            self.stats.unchanged += 1
        else:
            self._write(Path(dest), data, source)
            self.stats.written += 1
        self._note(rel, held, dest)

    @staticmethod
    def _held(data: bytes | None, source: Path | None) -> object:
        """What a file holds, as the session remembers it: a digest of its bytes, or its source's signature."""
        if source is None:
            return hashlib.blake2b(data or b"", digest_size=16).digest()
        found = signature(os.fspath(source))
        return None if found is None else (os.fspath(source), found)

    @staticmethod
    def _write(dest: Path, data: bytes | None, source: Path | None) -> None:
        dest.parent.mkdir(parents=True, exist_ok=True)
        if source is None:
            portable.atomic_write(dest, data or b"")
        else:  # copied, not read into memory: a photo may be large
            tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
            shutil.copyfile(source, tmp)
            os.replace(tmp, dest)

    def _note(self, rel: str, held: object, dest: str) -> None:
        if self.written is None:
            return
        found = signature(dest) if held is not None else None
        if found is None:
            self.written.pop(rel, None)
        else:
            self.written[rel] = (held, found)

    def write_bytes(self, rel: str, data: bytes) -> None:
        self._place(rel, data)

    def write_text(self, rel: str, text: str) -> None:
        self._place(rel, text.encode("utf-8"))

    def copy_file(self, rel: str, source: Path, *, link: bool = False) -> None:
        self._place(rel, None, source)

    def keep(self, rel: str) -> None:
        self.stats.files.add(rel.lstrip("/"))
        self.stats.unchanged += 1

    def remove(self, rel: str) -> None:
        """Delete one file written earlier, and the folders it leaves empty."""
        if self.written is not None:
            self.written.pop(rel, None)
        path = self.output_dir / rel
        try:
            path.unlink()
        except FileNotFoundError:
            return
        self.stats.removed += 1
        for parent in path.parents:
            if parent == self.output_dir:
                break
            try:
                parent.rmdir()
            except OSError:
                break

    def commit(self) -> WriteStats:
        if self.previous is not None:
            for rel in sorted(self.previous - self.stats.files):
                self.remove(rel)
            return self.stats
        for path in sorted(self.output_dir.rglob("*"), reverse=True):
            rel = path.relative_to(self.output_dir).as_posix()
            if path.is_file() and rel not in self.stats.files:
                path.unlink()
                self.stats.removed += 1
                if self.written is not None:
                    self.written.pop(rel, None)
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()
        return self.stats

    def abort(self) -> None:
        """Nothing to undo: every file written is complete, and a later rebuild tidies up."""
