"""Write a build so that ``output/`` is always either the previous build or the new one, never a mix.

The new build is written into a staging folder beside ``output/`` and swapped in with one atomic
``renameat2(RENAME_EXCHANGE)`` on Linux (two renames elsewhere); a build killed at any instant leaves the old
folder in place, and the leftover staging folder is removed by the next build. Files whose bytes did not change
are hard-linked from the previous build instead of rewritten (copied with their times where the file system has
no hard links), so their modification times stay and a sync to hosting uploads only what changed. The previous build, swapped out, is kept as ``.output.spare`` and recycled as the next staging folder
(see ``StagedOutput``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
from collections.abc import Callable, Iterable
from collections.abc import Set as AbstractSet
from pathlib import Path

from yunzhan import portable
from yunzhan.outputfolders import (
    OLD_MARK,
    SPARE_MARK,
    STAGING_MARK,
    TOKEN_NAME,
    claim,
    clean_leftovers,
    take_token,
)
from yunzhan.recycle import Spare, prune_known, record_made, walk_tree
from yunzhan.samebytes import same_bytes, same_file, write_comparing
from yunzhan.treesign import TreeRecord, folders_hold, record_signature, top_holds
from yunzhan.writestats import Swapped, WriteStats

__all__ = ["Spare", "StagedOutput", "Swapped", "WriteStats"]  # the names writing and the stamp take from here

PART_SUFFIX = ".yunzhan-part"  # a file being written piece by piece beside its place
WRITTEN, LINKED, UNTOUCHED = "written", "linked", "untouched"  # how ``write_apart`` placed a file
FSYNC_FILES = 256  # up to this many new files are flushed one by one before the swap; more, the whole disk


class StagedOutput:
    """A staging folder for one build; ``commit`` swaps it in, ``abort`` throws it away.

    The staging folder starts as the spare tree when there is one: the build before last, which the last swap
    left beside ``output/`` (``.output.spare``). Most of its folders and files are already right, so staging a
    10,000-page build costs a few thousand system calls instead of creating 10,000 folders (a quarter of a
    millisecond each here). Nothing in it is trusted: a file stays only when it is the very file (same inode)
    that the new build takes from the previous one, every other is replaced, and whatever the new build does not
    have is removed before the swap."""

    def __init__(
        self,
        output_dir: Path,
        known: Spare | None = None,
        held: tuple[int, int] | None = None,
        found: AbstractSet[str] | None = None,
    ) -> None:
        """``known``: what the last build said of the spare tree; trusted only when the tree holds its token.
        ``held``: the spare tree (device, inode) whose folders were proved as ``known`` says (``lookahead``).
        ``found``: the files of ``known``'s output found in the output (``lookahead``, which read its record)."""
        self.output_dir = output_dir.absolute()
        self.output_dir.parent.mkdir(parents=True, exist_ok=True)
        clean_leftovers(self.output_dir)
        self.stage = self.output_dir.parent / f".{self.output_dir.name}{STAGING_MARK}{os.getpid()}"
        self.spare = self.output_dir.parent / f".{self.output_dir.name}{SPARE_MARK}"
        self.recycled = claim(self.spare, self.stage)
        token = take_token(self.stage) if self.recycled else None
        self._root = os.fspath(self.stage)
        trusted = known is not None and token == known.token
        self.known = known if trusted and self._holds(known.tree, held) else None  # type: ignore[union-attr]
        self._found = found if self.known is not None else None
        if not self.recycled:
            self.stage.mkdir()
        self.swapped = Swapped()
        self.old = self.output_dir if self.output_dir.is_dir() else None
        self.stats = WriteStats()
        self._old_root = os.fspath(self.old) if self.old else None
        self._dirs: set[str] = {self._root}
        # Files written (not linked from the previous build): flushed before the swap.
        self._new: list[str] = []
        self._differ: set[str] = set()  # of the new build, the files not linked from the previous one
        self._placed: set[str] = set()  # placed from bytes or a source, not kept (see ``WriteStats.placed``)
        self._untouched: set[str] = set()  # files of the build the trusted tree held already: not touched
        self._stirred: set[str] = set()  # folders where a file came and went (a new time, same files)
        self._previous: TreeRecord | None = None  # the output before the swap, when walked
        if self.known is not None:  # the folders of a trusted tree are there
            self._dirs |= {f"{self._root}/{rel}" for rel in self.known.tree.folders}

    def _holds(self, tree: TreeRecord, held: tuple[int, int] | None) -> bool:
        """``folders_hold``, its folders taken as proved when ``held`` is this very tree."""
        if held is not None:
            st = os.stat(self._root)
            if (st.st_dev, st.st_ino) == held:
                return top_holds(self._root, tree)
        return folders_hold(self._root, tree)

    def _target(self, rel: str) -> tuple[str, str | None]:
        rel = rel.lstrip("/")
        if not rel or ".." in rel.split("/") or "\0" in rel:
            raise ValueError(f"unsafe output path: {rel!r}")
        if rel in self.stats.files:
            raise ValueError(f"output file written twice: {rel}")
        self.stats.files.add(rel)
        dest = f"{self._root}/{rel}"
        self._parent(dest)
        previous = f"{self._old_root}/{rel}" if self._old_root else None
        return dest, previous

    def _parent(self, dest: str) -> None:
        parent = dest.rpartition("/")[0]
        if parent in self._dirs:
            return
        if self.recycled:
            try:
                if stat.S_ISDIR(os.lstat(parent).st_mode):
                    self._dirs.add(parent)
                    return
                os.unlink(parent)  # a file of the spare tree where this build has a folder
            except (FileNotFoundError, NotADirectoryError):  # not there, or a file above it (unlinked next)
                pass
        self._parent(parent)  # pages come folder by folder: the parent is almost always known by now
        with contextlib.suppress(FileExistsError):  # made by a forked renderer meanwhile (``write_apart``)
            os.mkdir(parent)
        self._dirs.add(parent)

    def _clear(self, dest: str) -> None:
        """Make way for a new file in a recycled stage (never write into a spare file: it may share its inode
        with a published one)."""
        if not self.recycled:
            return
        try:
            st = os.lstat(dest)
        except FileNotFoundError:
            return
        if stat.S_ISDIR(st.st_mode):
            shutil.rmtree(dest)
        else:
            os.unlink(dest)

    def _link(self, source: str, dest: str, rel: str) -> None:
        rel = rel.lstrip("/")
        known = self.known
        if known is not None and rel in known.files and rel not in known.differ:
            self._untouched.add(rel)
            return  # the trusted tree holds the very file the output has
        if self.recycled:
            try:
                have, want = os.lstat(dest), os.stat(source)
                if (have.st_ino, have.st_dev) == (want.st_ino, want.st_dev):
                    return  # the spare tree already holds this very file
            except FileNotFoundError:
                pass
            self._clear(dest)
        portable.link_or_copy(source, dest)

    def write_bytes(self, rel: str, data: bytes) -> None:
        dest, previous = self._target(rel)
        self._placed.add(rel.lstrip("/"))
        if previous is not None and same_bytes(Path(previous), data):
            self._link(previous, dest, rel)
            self.stats.unchanged += 1
            return
        self._clear(dest)
        portable.create_file(dest, data)
        self._written(dest, rel)

    def write_apart(self, rel: str, data: bytes) -> str:
        """``write_bytes`` in a forked process sharing this stage (its notes a copy, thrown away): how the file
        was placed (``WRITTEN``, ``LINKED``, ``UNTOUCHED``), for this process's ``placed_apart``."""
        self.write_bytes(rel, data)
        rel = rel.lstrip("/")
        return WRITTEN if rel in self._differ else UNTOUCHED if rel in self._untouched else LINKED

    def placed_apart(self, rel: str, how: str) -> None:
        """Note a file a forked process placed (``write_apart``) as ``write_bytes`` notes its own."""
        dest = f"{self._root}/{rel.lstrip('/')}"
        folder = dest.rpartition("/")[0]
        while folder not in self._dirs:  # made by that process (``_root`` is known)
            self._dirs.add(folder)
            folder = folder.rpartition("/")[0]
        dest, _ = self._target(rel)  # its folder known: no system call
        self._placed.add(rel.lstrip("/"))
        if how == WRITTEN:
            self._written(dest, rel)
        elif how == UNTOUCHED:
            self._untouched.add(rel.lstrip("/"))
        self.stats.unchanged += how != WRITTEN

    def write_pieces(self, rel: str, pieces: Iterable[bytes]) -> None:
        """``write_bytes`` of a file made piece by piece (the open data: tens of MB, never whole in memory):
        written beside its place while compared with the previous build's file, then linked from that one
        when the bytes came out the same."""
        dest, previous = self._target(rel)
        self._placed.add(rel.lstrip("/"))
        part = dest + PART_SUFFIX
        same = write_comparing(part, pieces, previous)
        if same and previous is not None:
            os.unlink(part)
            self._link(previous, dest, rel.lstrip("/"))
            self._stirred.add(rel.lstrip("/").rpartition("/")[0])  # the part file came and went in it
            self.stats.unchanged += 1
            return
        self._clear(dest)
        portable.rename(Path(part), Path(dest))  # virus scanners hold new files for a moment
        self._written(dest, rel)

    def _written(self, dest: str, rel: str) -> None:
        """Note a file written now (not linked from the previous build): flushed before the swap."""
        self._new.append(dest)
        self._differ.add(rel.lstrip("/"))
        self.stats.written += 1

    def write_text(self, rel: str, text: str) -> None:
        self.write_bytes(rel, text.encode("utf-8"))

    def copy_file(self, rel: str, source: Path, *, link: bool = False) -> None:
        """Place a file. ``link`` hard-links it (no bytes copied): only for files that are never modified in
        place, like cache entries written by rename; an editable source (a theme's CSS) must be copied, or
        editing it would change the published file behind the build's back."""
        dest, previous = self._target(rel)
        self._placed.add(rel.lstrip("/"))
        if previous is not None and same_file(Path(previous), source):
            self._link(previous, dest, rel)
            self.stats.unchanged += 1
            return
        self._clear(dest)
        if link:
            portable.link_or_copy(source, dest)
        else:
            shutil.copyfile(source, dest)
        self._written(dest, rel)

    def keep(self, rel: str) -> None:
        """Carry a file of the previous build over unchanged (its bytes and time stay)."""
        known = self.known
        if (
            known is not None
            and rel in known.files
            and rel not in known.differ
            and rel not in self.stats.files
        ):
            # The trusted tree holds the very file: nothing to touch (the names it noted are the build's
            # own, checked when first written).
            self.stats.files.add(rel)
            self._untouched.add(rel)
            self.stats.unchanged += 1
            return
        dest, previous = self._target(rel)
        if previous is None:
            raise FileNotFoundError(rel)
        self._link(previous, dest, rel.lstrip("/"))
        self.stats.unchanged += 1

    def keep_all(self, rels: list[str]) -> None:
        """``keep`` each file: those the trusted tree holds as the output has them noted together (26,000 calls
        of ``keep`` were ~25 ms of a body edit at 10,000 records), the others one by one."""
        known = self.known
        if known is None or len(set(rels)) != len(rels):  # a file kept twice: ``keep`` says so
            for rel in rels:
                self.keep(rel)
            return
        untouched = known.files.keys() & rels
        untouched -= known.differ
        untouched -= self.stats.files
        self.stats.files |= untouched
        self._untouched |= untouched
        self.stats.unchanged += len(untouched)
        for rel in rels:
            if rel not in untouched:
                self.keep(rel)

    def commit(
        self, *, background: bool = False, first: Callable[[Path, TreeRecord], None] | None = None
    ) -> WriteStats:
        """Make the staged build the output in one atomic step. The previous build becomes the spare tree for
        the next one (or, when there is one already, is removed: with ``background``, by a detached process).
        ``first``: told of the stage and its record before it is flushed and renamed, when there is no output
        to swap out and the record is of what is on disk (a first build's mirror starts then)."""
        record = self._record()
        self.stats.placed = frozenset(self._placed)
        # Signed from its record, so the stamp need not walk the output again once it is swapped in.
        self.stats.signature = record_signature(record)
        self.stats.record = record
        known = self.known
        if known is not None:
            try:  # counted on the files found, when a child read the output's record (it is then sound)
                old = self._found if self._found is not None else known.output
                self.stats.removed = len(old - self.stats.files)
            except (ValueError, EOFError, TypeError):  # its record of the output is damaged: walked below
                known = self.known = None
        if self.old is not None and known is None:
            self._previous = walk_tree(os.fspath(self.old))
            self.stats.removed = len(self._previous.files.keys() - self.stats.files)
        if self.old is None and first is not None and self.stats.stated:
            first(self.stage, record)
        portable.flush(
            self._new, FSYNC_FILES
        )  # the new files must be on disk before the rename that publishes them
        if self.old is None:
            os.rename(self.stage, self.output_dir)
            return self.stats
        if portable.exchange_dirs(self.stage, self.output_dir):
            self._retire(self.stage, background, record)  # the stage now holds the previous build
            return self.stats
        # No atomic exchange on this system: two renames, with a tiny window where output/ is missing. Should
        # the second fail, the previous build goes back: output/ is never left missing.
        backup = self.output_dir.parent / f".{self.output_dir.name}{OLD_MARK}{os.getpid()}"
        portable.rename(self.output_dir, backup)
        try:
            portable.rename(self.stage, self.output_dir)
        except OSError:
            os.rename(backup, self.output_dir)
            raise
        self._retire(backup, background, record)
        return self.stats

    def _record(self) -> TreeRecord:
        """Make the stage exactly the build, and its record: by what changed when the tree was trusted, else by
        a walk of every name, removing whatever the build does not have (a file put in by hand)."""
        if self.known is not None:
            record = prune_known(
                self._root, self.known.tree, self.stats.files, self._untouched, self._stirred
            )
            if record is not None:
                return record
            self.known = None  # something unnoted was in it: the previous build is walked, too
        self.stats.stated = True
        if not self.recycled:  # made whole by this build: recorded from what it made, not walked
            return record_made(self._root, self.stats.files, self._dirs)
        return walk_tree(self._root, self.stats.files)

    def abort(self) -> None:
        self._retire(self.stage, background=False)

    def _retire(
        self,
        folder: Path,
        background: bool,
        record: TreeRecord | None = None,
    ) -> None:
        """Keep ``folder`` as the spare tree, unless another build left one meanwhile. ``record``: of the build
        just swapped in (``folder`` holds the one before it): the spare is then noted in ``swapped``, with a
        token written into it, for the next build to trust."""
        try:
            os.rename(folder, self.spare)  # fails when a (non-empty) spare is there
        except OSError:
            self._discard(folder, background)
            return
        previous = self.known.output_kept if self.known is not None else self._previous
        if record is None or previous is None:
            return
        token = os.urandom(8).hex()
        try:
            portable.atomic_write(self.spare / TOKEN_NAME, token.encode())
        except OSError:
            return
        self.swapped.spare = Spare(token, frozenset(self._differ), previous, record)

    def _discard(self, folder: Path, background: bool) -> None:
        """Delete a build's tree, perhaps in the background: unlinking 16,000 files takes seconds at 10,000
        pages, which a build need not wait for."""
        if background:
            portable.delete_tree_detached(folder)
        else:
            shutil.rmtree(folder, ignore_errors=True)
