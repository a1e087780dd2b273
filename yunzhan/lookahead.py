"""The output's files and the spare tree's folders stat-ed by a child process while the build works.

A rebuild after an edit keeps most of the last build's files, each only while it is as that build wrote it (its
size and time, ``incremental.written``), and stages in the spare tree only once its folders prove nothing was put
into it (``treesign.folders_hold``). At 10,000 records that is 26,000 files and 22,000 folders, ~0.15 s of system
calls the build would make one by one between its Python. A child started with the build makes them instead
while the build loads and converts (system calls there, Python here: two cores share them), from the records the
store keeps of both trees, and sends back each file's size and time and whether the spare's folders hold. What
it says is taken only of the very folders it looked at (by their identity); a file it did not find is stat-ed
again by the build. Where no child can be started, the build stats them itself, as before.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import stat
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from yunzhan import processes
from yunzhan.outputfolders import SPARE_MARK
from yunzhan.recycle import Spare, record_bytes
from yunzhan.treesign import FolderStat, TreeRecord, folder_stat

Identity = tuple[int, int]  # a folder's device and inode


@dataclass(frozen=True)
class Looked:
    """What the child found: the output folder it looked in (its identity) and each file's size and time
    there; the spare tree's identity when its folders hold what its record says (None: they do not)."""

    output: Identity
    files: dict[str, tuple[int, int]]
    spare: Identity | None


@dataclass
class Lookahead:
    """The child, and the file that handed it the records (removed once it is done)."""

    process: subprocess.Popen[bytes]
    handed: str
    output_dir: Path

    def wait(self) -> Looked | None:
        """What the child found, when it succeeded and ``output/`` is still the folder it looked in."""
        try:
            out, _ = self.process.communicate()
        finally:
            _remove(self.handed)
        if self.process.returncode != 0:
            return None
        try:
            output, files, spare = marshal.loads(out)
            if tuple(output) != _identity(os.stat(self.output_dir)) or not isinstance(files, dict):
                return None
            return Looked(tuple(output), files, tuple(spare) if spare else None)  # type: ignore[arg-type]
        except (OSError, ValueError, EOFError, TypeError):
            return None

    def cancel(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.communicate()
        _remove(self.handed)


def start(output_dir: Path, spare: Spare) -> Lookahead | None:
    """Start the child for ``output_dir`` and the spare tree beside it, which ``spare`` describes."""
    if os.stat not in os.supports_dir_fd:  # Windows: the child could not look (it stats by a folder's handle)
        return None
    output_dir = output_dir.absolute()
    output = record_bytes(spare.output_kept)
    try:
        fd, handed = tempfile.mkstemp(prefix="yunzhan-look-")
        with os.fdopen(fd, "wb") as f:
            f.write(marshal.dumps((spare.tree.folders, output)))
    except OSError:
        return None
    folder = output_dir.parent / f".{output_dir.name}{SPARE_MARK}"
    args = [os.fspath(output_dir), os.fspath(folder), handed]
    process = processes.start_python("yunzhan.lookahead", args, Path(__file__).parents[1])
    if process is None:
        _remove(handed)
        return None
    return Lookahead(process, handed, output_dir)


def look(output_dir: str, spare_dir: str, folders: dict[str, FolderStat], output: TreeRecord) -> Looked:
    """In the child: each file of ``output`` as it is in ``output_dir`` now (size and time; absent when not
    found), and whether the ``folders`` of ``spare_dir`` are those noted (``treesign.folders_hold`` but the listing of
    its top, which the build makes once it has claimed the tree)."""
    out = os.open(output_dir, os.O_RDONLY)
    try:
        found: dict[str, tuple[int, int]] = {}
        for rel in output.files:
            try:
                st = os.stat(rel, dir_fd=out)
            except OSError:
                continue
            found[rel] = (st.st_size, st.st_mtime_ns)
        identity = _identity(os.fstat(out))
    finally:
        os.close(out)
    return Looked(identity, found, _holding(spare_dir, folders))


def _holding(spare_dir: str, folders: dict[str, FolderStat]) -> Identity | None:
    """The spare tree's identity when its folders are those noted, with the times noted (the names at its top are
    listed by the build once it has claimed the tree and taken its token out: ``treesign.top_holds``)."""
    try:
        fd = os.open(spare_dir, os.O_RDONLY)
    except OSError:
        return None
    try:
        if not _is_dir(os.fstat(fd)):
            return None
        for rel, noted in folders.items():
            st = os.lstat(rel, dir_fd=fd)
            if not _is_dir(st) or folder_stat(st) != noted or not st.st_ino:
                return None
        return _identity(os.fstat(fd))
    except OSError:
        return None
    finally:
        os.close(fd)


def _is_dir(st: os.stat_result) -> bool:
    return stat.S_ISDIR(st.st_mode)


def _identity(st: os.stat_result) -> Identity:
    return st.st_dev, st.st_ino


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def main(argv: list[str]) -> int:
    """The child: ``output_dir spare_dir handed``; what ``look`` found goes to stdout, marshalled."""
    output_dir, spare_dir, handed = argv
    try:
        with open(handed, "rb") as f:
            folders, output = marshal.loads(f.read())
        _remove(handed)
        looked = look(output_dir, spare_dir, folders, TreeRecord.from_bytes(output))
    except (OSError, ValueError, EOFError, TypeError):
        return 1
    sys.stdout.buffer.write(marshal.dumps((looked.output, looked.files, looked.spare)))
    sys.stdout.buffer.flush()
    return 0
