"""The spare tree made by a child process while the build works, when there is none (see output.py).

The first build after a cold one finds no spare tree beside ``output/``: its stage would be made by linking
every file of the output into new folders (26,000 files in 22,000 folders at 10,000 records: ~2 s), after
everything else is done. Instead a child process mirrors the output while the build loads, converts and
renders (it is system calls, the build is Python: two cores share them), and leaves the mirror as the spare
tree with its record and a token, so the build's stage then touches only what changed, as every later build's
does. The child is started with ``processes.start_python``; where no child can be started, nothing is mirrored
and the stage is made as before.

The first build into a new output folder swaps no build out, so it leaves no spare tree: it has the output
mirrored as it finishes (``writing.Stage.start_mirror_after``, ~2 s at 10,000 records, beside noting the pages
it wrote), so that an editor's first edit stages only what it changes. An edit still mirrors for itself when
the spare tree is gone (deleted by hand, or the first build could start no child).
"""

from __future__ import annotations

import contextlib
import marshal
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from yunzhan import portable, processes
from yunzhan.outputfolders import SPARE_MARK, STAGING_MARK, TOKEN_NAME
from yunzhan.recycle import Spare, folders_of
from yunzhan.treesign import FileStat, FolderStat, TreeRecord, file_stat, folder_stat

AHEAD = "ahead"  # the child's mode when started ahead (``start_ahead``)
GO = b"g"  # what the build writes a child started ahead once the stage's record is handed


@dataclass
class Mirroring:
    """A child process making the spare tree; ``token`` is what it writes into the tree, for the store."""

    process: subprocess.Popen[bytes]
    token: str
    output_dir: Path
    folder: Path  # where the child builds the mirror before it renames it to the spare tree's name (named
    # for this process, not the child: on Windows a venv's python.exe starts the interpreter as a process of
    # its own; a leftover is removed by the next build once this process is gone)
    handed: tuple[
        str, ...
    ] = ()  # files that hand it what it makes (``start_ahead``), removed when it is done

    def finish(self, record: TreeRecord, source: Path) -> bool:
        """Hand a child started ahead the stage's record and name (``start_ahead``): it makes the rest."""
        given = (record.folders, record.files, _identity(os.stat(source)))
        try:
            Path(self.handed[1]).write_bytes(marshal.dumps((given, os.fspath(source))))
            assert self.process.stdin is not None
            self.process.stdin.write(GO)
            self.process.stdin.flush()  # closed by ``wait``
        except OSError:
            return False
        return True

    def running(self) -> bool:
        return self.process.poll() is None

    def wait(self) -> Spare | None:
        """The spare tree the child left, with its record: None when it failed, or when ``output/`` is not
        the folder it mirrored any more (another build swapped its own in meanwhile): the stage is then made
        as when the spare tree is not trusted."""
        try:
            out, _ = self.process.communicate()
        finally:
            _remove(self.handed)
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
        _remove(self.handed)
        if self.folder.exists():
            portable.delete_tree_detached(self.folder)


def start(output_dir: Path, record: TreeRecord | None = None, source: Path | None = None) -> Mirroring | None:
    """Start mirroring ``output_dir`` when it is there and no spare tree is (None otherwise). ``record``: the
    output as the commit that swapped it in just recorded it (``output.WriteStats.record``), handed to the child
    so it need not walk the output again (22,000 folders and 26,000 files at 10,000 records: ~0.4 CPU-s).
    ``source``: the staging folder about to become ``output_dir`` (a first build's, with its ``record``), mirrored
    while the build puts it on disk and swaps it in, where files can be linked from a folder held open (the
    child holds the folder, whatever its name); None where they cannot: the caller starts after the swap."""
    output_dir = output_dir.absolute()
    spare = output_dir.parent / f".{output_dir.name}{SPARE_MARK}"
    origin = source if source is not None else output_dir
    if not origin.is_dir() or os.path.lexists(spare):
        return None
    if source is not None and (record is None or not portable.capabilities().link_at):
        return None
    token = os.urandom(8).hex()
    folder = output_dir.parent / f".{output_dir.name}{STAGING_MARK}mirror-{os.getpid()}"
    args = [os.fspath(output_dir), os.fspath(folder), os.fspath(spare), token]
    args += [os.fspath(source)] if source is not None else []
    given = None
    if record is not None:  # with the output's identity now: the child mirrors no other build's output by it
        given = marshal.dumps((record.folders, record.files, _identity(os.stat(origin))))
    process = processes.start_python("yunzhan.mirror", args, Path(__file__).parents[1], given)
    if process is None:
        return None
    return Mirroring(process, token, output_dir, folder)


def start_ahead(output_dir: Path, files: Iterable[str]) -> Mirroring | None:
    """A first build's mirror begun once its pages are rendered (a core is idle while the site-wide files are
    made): the folders of its pages made now
    (11,000 of the 22,000 at 10,000 records, most of the mirror's time), its files linked and the rest made
    once its stage is recorded (``Mirroring.finish``). ``files``: those the build is about to write. None where there is an output already (mirrored after
    the swap, as ever), or files cannot be linked from a folder held open (see ``start``)."""
    output_dir = output_dir.absolute()
    spare = output_dir.parent / f".{output_dir.name}{SPARE_MARK}"
    if os.path.lexists(output_dir) or os.path.lexists(spare) or not portable.capabilities().link_at:
        return None
    handed: list[str] = []
    try:
        for data in (marshal.dumps(sorted(folders_of(files))), b""):
            fd, name = tempfile.mkstemp(prefix="yunzhan-mirror-")
            handed.append(name)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
    except OSError:
        _remove(tuple(handed))
        return None
    token = os.urandom(8).hex()
    folder = output_dir.parent / f".{output_dir.name}{STAGING_MARK}mirror-{os.getpid()}"
    args = [os.fspath(output_dir), os.fspath(folder), os.fspath(spare), token, AHEAD, *handed]
    process = processes.start_python("yunzhan.mirror", args, Path(__file__).parents[1], piped=True)
    if process is None:
        _remove(tuple(handed))
        return None
    return Mirroring(process, token, output_dir, folder, tuple(handed))


def _remove(paths: tuple[str, ...]) -> None:
    for path in paths:
        with contextlib.suppress(OSError):
            os.unlink(path)


def _identity(st: os.stat_result) -> tuple[int, int]:
    return st.st_dev, st.st_ino


def mirror(
    output_dir: str,
    folder: str,
    spare: str,
    token: str,
    given: bytes = b"",
    source: str = "",
    made: frozenset[str] | None = None,
) -> tuple[TreeRecord, TreeRecord, tuple[int, int]]:
    """In the child: link every file of ``output_dir`` into ``folder``, write the token into it and rename it
    to ``spare``. Returns the records of the new tree and of the output (``treesign.TreeRecord``), and which
    folder the output was (another build may swap its own in meanwhile). ``given``: the output's record and
    identity from the build that swapped it in (``start``), else the output is walked. ``source``: the staging
    folder becoming the output, held open while its files are linked (see ``start``). ``made``: ``folder`` and
    these folders in it are there already (``start_ahead``); those the output lacks are removed."""
    if source:
        with _held(source, output_dir) as held:
            return _mirror(output_dir, folder, spare, token, given, held, made)
    return _mirror(output_dir, folder, spare, token, given, None, made)


@contextlib.contextmanager
def _held(source: str, output_dir: str) -> Iterator[int]:
    """The staging folder held open: by its name, or the output's once the build swapped it in."""
    try:
        held = os.open(source, os.O_RDONLY)
    except FileNotFoundError:
        held = os.open(output_dir, os.O_RDONLY)
    try:
        yield held
    finally:
        os.close(held)


def _mirror(
    output_dir: str,
    folder: str,
    spare: str,
    token: str,
    given: bytes,
    held: int | None,
    made: frozenset[str] | None,
) -> tuple[TreeRecord, TreeRecord, tuple[int, int]]:
    mirrored = _identity(os.stat(output_dir) if held is None else os.fstat(held))
    if given:
        output_folders, files, identity = marshal.loads(given)
        if tuple(identity) != mirrored:  # another build swapped its output in since
            raise OSError(f"{output_dir} is not the output recorded")
    else:
        output_folders, files = _walk(output_dir)
    if made is None:
        os.mkdir(folder)
    try:
        for rel in sorted(output_folders):  # made in name order, as a build makes its pages
            if made is None or rel not in made:
                os.mkdir(f"{folder}/{rel}")
        for rel in sorted(made - output_folders.keys() if made else (), reverse=True):
            os.rmdir(f"{folder}/{rel}")  # a page the build did not write after all
        mirror_files: dict[str, FileStat] = {}
        for rel in sorted(files):
            dest = f"{folder}/{rel}"
            if held is not None:
                portable.link_at(held, rel, dest)
                mirror_files[rel] = files[rel]
            elif portable.link_or_copy(f"{output_dir}/{rel}", dest):
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


def _ahead(
    output_dir: str, folder: str, spare: str, token: str, _: str, folders_file: str, record_file: str
) -> tuple[TreeRecord, TreeRecord, tuple[int, int]]:
    """In a child started ahead: the folders handed made, then, once the build says ``GO`` (having written
    the stage's record and name), the mirror finished from the stage."""
    with open(folders_file, "rb") as f:
        folders = marshal.load(f)
    os.mkdir(folder)
    try:
        for rel in folders:
            os.mkdir(f"{folder}/{rel}")
        if sys.stdin is None or sys.stdin.buffer.read(1) != GO:  # the build failed or is gone
            raise OSError("no stage to mirror")
        with open(record_file, "rb") as f:
            given, source = marshal.loads(f.read())
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return mirror(output_dir, folder, spare, token, marshal.dumps(given), source, frozenset(folders))


def main(argv: list[str]) -> int:
    """The child: ``output_dir folder spare token [source]``, the output's record on standard input when the build
    gave it (``start``); what ``mirror`` returns goes to stdout, marshalled."""
    try:
        if argv[4:5] == [AHEAD]:
            made, output, mirrored = _ahead(*argv)
        else:
            given = sys.stdin.buffer.read() if sys.stdin is not None else b""
            made, output, mirrored = mirror(*argv[:4], given, *argv[4:])
    except (OSError, ValueError, EOFError, TypeError):
        return 1
    records = ((made.folders, made.files), (output.folders, output.files), mirrored)
    sys.stdout.buffer.write(marshal.dumps(records))
    sys.stdout.buffer.flush()
    return 0
