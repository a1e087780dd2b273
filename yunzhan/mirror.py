"""The spare tree made by a child process while the build works, when there is none (see output.py).

The first build after a cold one finds no spare tree beside ``output/``: its stage would be made by linking
every file of the output into new folders (26,000 files in 22,000 folders at 10,000 records: ~2 s), after
everything else is done. Instead a child process mirrors the output while the build loads, converts and
renders (it is system calls, the build is Python: two cores share them), and leaves the mirror as the spare
tree with its record and a token, so the build's stage then touches only what changed, as every later build's
does. The child is started with ``portable.start_python``; where no child can be started, nothing is mirrored
and the stage is made as before.

The first build into a new output folder swaps no build out, so it leaves no spare tree: it has the output
mirrored as it finishes (``writing.Stage.start_mirror_after``, ~2 s at 10,000 records, beside noting the pages
it wrote), so that an editor's first edit stages only what it changes. An edit still mirrors for itself when
the spare tree is gone (deleted by hand, or the first build could start no child).
"""

from __future__ import annotations

import marshal
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from yunzhan import portable
from yunzhan.outputfolders import SPARE_MARK, STAGING_MARK, TOKEN_NAME
from yunzhan.recycle import Spare
from yunzhan.treesign import FileStat, FolderStat, TreeRecord, file_stat, folder_stat


@dataclass
class Mirroring:
    """A child process making the spare tree; ``token`` is what it writes into the tree, for the store."""

    process: subprocess.Popen[bytes]
    token: str
    output_dir: Path
    folder: Path  # where the child builds the mirror before it renames it to the spare tree's name (named
    # for this process, not the child: on Windows a venv's python.exe starts the interpreter as a process of
    # its own; a leftover is removed by the next build once this process is gone)

    def running(self) -> bool:
        return self.process.poll() is None

    def wait(self) -> Spare | None:
        """The spare tree the child left, with its record: None when it failed, or when ``output/`` is not
        the folder it mirrored any more (another build swapped its own in meanwhile): the stage is then made
        as when the spare tree is not trusted."""
        out, _ = self.process.communicate()
        if self.process.returncode != 0:
            return None
        try:
            mirror, output, mirrored = marshal.loads(out)
            if tuple(mirrored) != _identity(os.stat(self.output_dir)):
                return None
            return Spare(self.token, frozenset(), TreeRecord(*mirror), TreeRecord(*output))
        except (OSError, ValueError, EOFError, TypeError):
            return None

    def cancel(self) -> None:
        """Stop the child (the build failed) and remove what it made, in the background."""
        if self.running():
            self.process.kill()
        self.process.communicate()
        if self.folder.exists():
            portable.delete_tree_detached(self.folder)


def start(output_dir: Path, record: TreeRecord | None = None) -> Mirroring | None:
    """Start mirroring ``output_dir`` when it is there and no spare tree is (None otherwise). ``record``: the
    output as the commit that swapped it in just recorded it (``output.WriteStats.record``), handed to the child
    so it need not walk the output again (22,000 folders and 26,000 files at 10,000 records: ~0.4 CPU-s)."""
    output_dir = output_dir.absolute()
    spare = output_dir.parent / f".{output_dir.name}{SPARE_MARK}"
    if not output_dir.is_dir() or os.path.lexists(spare):
        return None
    token = os.urandom(8).hex()
    folder = output_dir.parent / f".{output_dir.name}{STAGING_MARK}mirror-{os.getpid()}"
    args = [os.fspath(output_dir), os.fspath(folder), os.fspath(spare), token]
    given = None
    if record is not None:  # with the output's identity now: the child mirrors no other build's output by it
        given = marshal.dumps((record.folders, record.files, _identity(os.stat(output_dir))))
    process = portable.start_python("yunzhan.mirror", args, Path(__file__).parents[1], given)
    if process is None:
        return None
    return Mirroring(process, token, output_dir, folder)


def _identity(st: os.stat_result) -> tuple[int, int]:
    return st.st_dev, st.st_ino


def mirror(
    output_dir: str, folder: str, spare: str, token: str, given: bytes = b""
) -> tuple[TreeRecord, TreeRecord, tuple[int, int]]:
    """In the child: link every file of ``output_dir`` into ``folder``, write the token into it and rename it
    to ``spare``. Returns the records of the new tree and of the output (``treesign.TreeRecord``), and which
    folder the output was (another build may swap its own in meanwhile). ``given``: the output's record and
    identity from the build that swapped it in (``start``), else the output is walked."""
    mirrored = _identity(os.stat(output_dir))
    if given:
        output_folders, files, identity = marshal.loads(given)
        if tuple(identity) != mirrored:  # another build swapped its output in since
            raise OSError(f"{output_dir} is not the output recorded")
    else:
        output_folders, files = _walk(output_dir)
    os.mkdir(folder)
    try:
        for rel in sorted(output_folders):  # made in name order, as a build makes its pages
            os.mkdir(f"{folder}/{rel}")
        mirror_files: dict[str, FileStat] = {}
        for rel in sorted(files):
            dest = f"{folder}/{rel}"
            if portable.link_or_copy(f"{output_dir}/{rel}", dest):
                mirror_files[rel] = files[rel]  # the very file: its size, time and inode
            else:
                mirror_files[rel] = file_stat(os.lstat(dest))  # a copy where links are refused
        # each folder's time after the last entry went into it
        mirror_folders = {rel: folder_stat(os.lstat(f"{folder}/{rel}")) for rel in output_folders}
        portable.atomic_write(Path(folder) / TOKEN_NAME, token.encode("ascii"))
        portable.rename(Path(folder), Path(spare))  # fails when another build left one meanwhile: it stays
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return TreeRecord(mirror_folders, mirror_files), TreeRecord(output_folders, files), mirrored


def _walk(output_dir: str) -> tuple[dict[str, FolderStat], dict[str, FileStat]]:
    """The output's folders and files with their stats (``recycle.walk_tree``'s record, read before any is
    linked)."""
    folders: dict[str, FolderStat] = {}
    files: dict[str, FileStat] = {}
    stack = [""]
    while stack:
        rel = stack.pop()
        with os.scandir(f"{output_dir}/{rel}" if rel else output_dir) as found:
            for entry in found:
                path = f"{rel}/{entry.name}" if rel else entry.name
                if entry.is_dir(follow_symlinks=False):
                    # as ``recycle.walk_tree`` notes a folder: a DirEntry has no inode on Windows
                    folders[path] = folder_stat(os.lstat(entry.path))
                    stack.append(path)
                else:
                    files[path] = file_stat(entry.stat(follow_symlinks=False))
    return folders, files


def main(argv: list[str]) -> int:
    """The child: ``output_dir folder spare token``, the output's record on standard input when the build
    gave it (``start``); what ``mirror`` returns goes to stdout, marshalled."""
    try:
        made, output, mirrored = mirror(*argv, sys.stdin.buffer.read() if sys.stdin is not None else b"")
    except OSError:
        return 1
    records = ((made.folders, made.files), (output.folders, output.files), mirrored)
    sys.stdout.buffer.write(marshal.dumps(records))
    sys.stdout.buffer.flush()
    return 0
