"""A collection folder as an editor fills it: its record files (flat ``<slug>.md``, bundles ``<slug>/index.md``,
``<slug>.yaml``), lock and swap files set aside, and the documents beside them the site will never read (a Word
file, Notepad's ``x.md.txt``, a bundle folder without ``index.md``), each told to the editor.
"""

from __future__ import annotations

import os
from pathlib import Path

from yunzhan.errors import WARNING, Problem
from yunzhan.ignored import is_ignored_name

RECORD_SUFFIXES = (".md", ".yaml", ".yml")

_DOCUMENTS = {
    ".doc": "Word 文件",
    ".docx": "Word 文件",
    ".wps": "WPS 文件",
    ".rtf": "RTF 文件",
    ".pdf": "PDF 文件",
    ".txt": "纯文本文件",
    ".markdown": "文件",
}


Listing = tuple[list[Path], list[Problem]]


def list_folder(folder: Path, site_dir: Path) -> Listing:
    """A collection folder's record files (``record_files``) and the stray documents beside them, from one
    reading of the folder."""
    entries = _entries(folder)
    return _record_files(folder, entries), _stray_files(folder, site_dir, entries)


def _entries(folder: Path) -> list[os.DirEntry[str]]:
    """The folder's entries in name order (a DirEntry knows file from folder without another stat)."""
    if not folder.is_dir():
        return []
    with os.scandir(folder) as found:
        return sorted(found, key=lambda e: e.name)


def stray_files(folder: Path, site_dir: Path) -> list[Problem]:
    """Documents an editor put beside the records that the site will never read: a Word file, or Notepad's
    ``x.md.txt`` (Windows hides the extension it added), and bundle folders with no ``index.md``."""
    return _stray_files(folder, site_dir, _entries(folder))


def _stray_files(folder: Path, site_dir: Path, entries: list[os.DirEntry[str]]) -> list[Problem]:
    found: list[Problem] = []
    if not entries:
        return found
    where = folder.relative_to(site_dir).as_posix()
    for entry in entries:
        name = entry.name
        if name.endswith(RECORD_SUFFIXES) and entry.is_file():
            continue  # a record file (10,000 of them at 10,000 records): none of the cases below
        if name.startswith("_") or is_ignored_name(name):
            continue
        stem, suffix = os.path.splitext(name)
        rel = f"{where}/{name}"
        if entry.is_file() and suffix.lower() == ".txt" and stem.lower().endswith(RECORD_SUFFIXES):
            found.append(
                Problem(
                    rel,
                    None,
                    None,
                    "文件名多了 .txt，网站不会读它",
                    f"记事本保存时自动加上了 .txt（Windows 默认不显示扩展名）：把它重命名为 {stem}",
                    WARNING,
                )
            )
        elif entry.is_file() and suffix.lower() in _DOCUMENTS:
            found.append(
                Problem(
                    rel,
                    None,
                    None,
                    f"{_DOCUMENTS[suffix.lower()]}不会发布到网站上",
                    "网站只读 .md 和 .yaml 文件：把内容复制到一个 .md 文件里；不用的文件请移出 content 文件夹",
                    WARNING,
                )
            )
        elif entry.is_dir() and not any(
            os.path.isfile(os.path.join(entry.path, f"index{s}")) for s in RECORD_SUFFIXES
        ):
            found.append(
                Problem(
                    rel,
                    None,
                    None,
                    "这个文件夹里没有 index.md，网站不会读它",
                    "一个条目做成文件夹时，文字写在文件夹里的 index.md 中，照片放在它旁边",
                    WARNING,
                )
            )
    return found


def record_files(folder: Path) -> list[Path]:
    """A collection folder's record files (flat or bundle), in name order, lock files and ``_x`` set aside."""
    return _record_files(folder, _entries(folder))


def _record_files(folder: Path, entries: list[os.DirEntry[str]]) -> list[Path]:
    files: list[Path] = []
    for entry in entries:
        name = entry.name
        if name.startswith("_") or is_ignored_name(name):
            continue  # set aside by the editor; lock, swap and backup files
        if name.endswith(RECORD_SUFFIXES) and entry.is_file():  # not splitext: 10,000 calls
            files.append(folder / name)
        elif entry.is_dir() and os.path.isfile(os.path.join(entry.path, "index.md")):
            files.append(folder / name / "index.md")
        elif entry.is_dir() and os.path.isfile(os.path.join(entry.path, "index.yaml")):
            files.append(folder / name / "index.yaml")
    return files
