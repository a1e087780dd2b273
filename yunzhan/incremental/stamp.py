"""The build stamp: a signature of every file a build can read and of the output it left behind.

When a build starts with the same inputs (every file of the site, the theme and yunzhan's own code and the
libraries it renders with, by path, size, inode, and modification and change times — the change time no tool
can set back), the same options, and an output folder that is
still exactly what the last successful build wrote, rebuilding would write the same bytes. ``build`` then stops
after these two walks of the disk, without loading the cache or a single record: a no-change rebuild of a
10,000-record site costs a fraction of a second. Any doubt means a real build, which checks page by page.

Light on purpose (no yunzhan stage is imported): it runs before anything else.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from yunzhan import portable
from yunzhan.errors import Problem
from yunzhan.treesign import TreeRecord, files_hold, folders_hold, tree_signature

STAMP_VERSION = 2  # 2: the output signed by relative path (the commit signs it as it prunes)
CACHE_DIR_NAME = ".yunzhan-cache"
SKIP_DIRS = frozenset({"__pycache__", "node_modules"})
LIBRARIES = (
    "jinja2",
    "markdown",
    "markupsafe",
    "nh3",
    "PIL",
    "yaml",
    "pypinyin",
    "zxingcpp",
    "pillow_heif",
    "jieba",
)
PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # yunzhan/ and the bundled themes/
WRITTEN_BY_BUILD = ("content/shortlinks.yaml",)  # what a build writes into the site folder: signed by content
RECORD_NAMES = (".md", ".yaml", ".yml")  # files whose identity the walk hands on (``Check.files``)
FileKey = tuple[int, int, int, int]  # size, modification and change times (ns), inode


@dataclass
class Stamp:
    inputs: str
    output: str
    pages: int
    files: int
    problems: list[dict[str, Any]] = field(default_factory=list)  # the warnings that build reported
    version: int = STAMP_VERSION
    tree: str = ""  # digest of the output's record beside the stamp (``save_stamp``), if any

    def warnings(self) -> list[Problem]:
        return [Problem(**p) for p in self.problems]


@dataclass(frozen=True)
class Check:
    path: Path  # where the stamp of this output lives
    inputs: str  # the inputs' signature now
    last: Stamp | None  # the last build's stamp, when it still holds: nothing to do
    walked: str = ""  # the part of ``inputs`` that is not a file the build writes itself
    touched: bool = False  # the inputs were as stamped, the output not: what the store says of it is doubtful
    # the site's record-like files as the walk stat-ed them (absolute path → ``FileKey``), so that loading them
    # moments later need not stat each again; the load empties it
    files: dict[str, FileKey] = field(default_factory=dict, compare=False, repr=False)


def settings(base_url: str | None, drafts: bool, strict: bool, compress: bool) -> tuple[Any, ...]:
    """The build options that change the output or the outcome: part of the inputs' signature."""
    return (base_url, drafts, strict, compress)


def check(site_dir: Path, output_dir: Path, cache_dir: Path | None, settings: tuple[Any, ...]) -> Check:
    """Does the last successful build into ``output_dir`` still hold? A stamp that does not is deleted."""
    cache_dir = (cache_dir or site_dir / CACHE_DIR_NAME).absolute()
    key = hashlib.blake2b(os.fsencode(output_dir), digest_size=8).hexdigest()
    path = cache_dir / f"stamp-{key}.json"
    files: dict[str, FileKey] = {}
    walked = input_signature(site_dir, output_dir, cache_dir, settings, files)
    inputs = _with_written(walked, site_dir)
    last = load_stamp(path)
    touched = False
    if last is not None and last.inputs == inputs:
        if output_holds(output_dir, path, last):
            return Check(path, inputs, last, walked)
        touched = True
    forget(path)
    return Check(path, inputs, None, walked, touched, files)


def signed_after(check: Check, site_dir: Path) -> str:
    """The inputs' signature as a build leaves them: the files it wrote into the site folder (new short-link
    codes) by their new content, everything else as it was when the build started."""
    return _with_written(check.walked, site_dir) if check.walked else check.inputs


def _with_written(walked: str, site_dir: Path) -> str:
    h = hashlib.blake2b(walked.encode(), digest_size=16)
    for rel in WRITTEN_BY_BUILD:
        try:
            h.update(rel.encode() + b"\0" + (site_dir / rel).read_bytes())
        except OSError:
            h.update(rel.encode() + b"\0-")
    return h.hexdigest()


def _walk(
    root: Path,
    skip: tuple[Path, ...],
    h: Any,
    *,
    files: bool = False,
    keys: dict[str, FileKey] | None = None,
) -> None:
    """Feed (path, size, mtime, ctime, inode) of every file under ``root`` into ``h``, skipping the ``skip``
    folders and hidden ones (.git, the cache). ``keys``: filled with those of record-like files, by path."""
    stack = [str(root)]
    skipped = {str(p) for p in skip}
    skipped_files = {str(root / rel) for rel in WRITTEN_BY_BUILD} if files else set()
    while stack:
        folder = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            h.update(f"?{folder}\0".encode("utf-8", "surrogatepass"))
            continue
        h.update(f"D{folder}\0".encode("utf-8", "surrogatepass"))
        for entry in entries:
            try:
                if entry.is_dir():
                    hide = entry.name.startswith(".")
                    if not (hide or entry.name in SKIP_DIRS or entry.path in skipped):
                        stack.append(entry.path)
                    continue
                if entry.path in skipped_files:
                    continue
                st = entry.stat()
            except OSError:
                h.update(f"!{entry.path}\0".encode("utf-8", "surrogatepass"))
                continue
            line = f"F{entry.name}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ctime_ns}\0{st.st_ino}\0"
            h.update(line.encode("utf-8", "surrogatepass"))
            if keys is not None and entry.name.endswith(RECORD_NAMES):
                keys[entry.path] = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def input_signature(
    site_dir: Path, output_dir: Path, cache_dir: Path, options: object, keys: dict[str, FileKey] | None = None
) -> str:
    """Everything a build may read: the site folder (but its output and cache), yunzhan's code and themes,
    the libraries that shape the HTML, and the options. ``keys``: see ``_walk``."""
    h = hashlib.blake2b(digest_size=16)
    h.update(repr(options).encode("utf-8", "surrogatepass"))
    _walk(site_dir, (output_dir, cache_dir), h, files=True, keys=keys)
    _walk(PACKAGE_ROOT / "yunzhan", (), h)
    _walk(PACKAGE_ROOT / "themes", (), h)
    for name in LIBRARIES:
        try:
            spec = importlib.util.find_spec(name)  # finds the package without importing it
        except (ImportError, ValueError):
            spec = None
        origin = spec.origin if spec is not None else None
        try:
            st = os.stat(origin) if origin else None
        except OSError:
            st = None
        h.update(f"L{name}\0{origin}\0{st and st.st_mtime_ns}\0{st and st.st_size}\0".encode())
    return h.hexdigest()


def output_holds(output_dir: Path, path: Path, last: Stamp) -> bool:
    """Is the output what the last build left? With its record (every folder and file by path, with its time
    and inode), each is stat-ed, not listed: a file put into a folder changes the folder's time. Without it, the
    output is walked and signed."""
    record = load_record(path, last.tree)
    if record is None:
        return last.output == output_signature(output_dir)[0]
    root = os.fspath(output_dir)
    return folders_hold(root, record) and files_hold(root, record)


def output_signature(output_dir: Path) -> tuple[str, int]:
    """The output folder as it is on disk now (``treesign.tree_signature``), and how many files it holds."""
    return tree_signature(output_dir) if output_dir.is_dir() else ("", -1)


def load_stamp(path: Path) -> Stamp | None:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        stamp = Stamp(**raw)
    except (OSError, ValueError, TypeError):
        return None
    return stamp if stamp.version == STAMP_VERSION else None


def save_stamp(path: Path, stamp: Stamp, record: TreeRecord | None = None) -> None:
    """The stamp, and the record of the output beside it (written first: the stamp names it by its digest)."""
    if record is not None:
        data = record.to_bytes()
        portable.atomic_write(_record_path(path), data)
        stamp.tree = hashlib.blake2b(data, digest_size=16).hexdigest()
    text = json.dumps(stamp.__dict__, ensure_ascii=False, sort_keys=True)
    portable.atomic_write(path, text.encode("utf-8"))


def load_record(path: Path, digest: str) -> TreeRecord | None:
    """The output's record the stamp names, or None (none, another one, unreadable)."""
    if not digest:
        return None
    try:
        data = _record_path(path).read_bytes()
        if hashlib.blake2b(data, digest_size=16).hexdigest() != digest:
            return None
        return TreeRecord.from_bytes(data)
    except (OSError, ValueError, EOFError, TypeError):
        return None


def _record_path(path: Path) -> Path:
    return path.with_suffix(".tree")


def forget(path: Path) -> None:
    """A build that fails or changes the output must not leave an old stamp that vouches for it."""
    for stale in (path, _record_path(path)):
        with contextlib.suppress(FileNotFoundError):
            stale.unlink()
