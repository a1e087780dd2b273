"""Files that editors' programs and operating systems leave beside the real ones: Office and LibreOffice lock
files (``~$index.md``, ``.~lock.index.md#``), editor swap and backup files, ``.DS_Store``, ``Thumbs.db``.

They are never records, and saving one must not rebuild the preview: ``build``, ``check``, ``new`` and
``serve`` all pass them over, from this one list."""

from __future__ import annotations

IGNORED_NAMES = frozenset({"4913", "Thumbs.db", "desktop.ini", "__pycache__"})
IGNORED_PREFIXES = (
    ".",
    "~$",
    "#",
)  # dot-files (.swp, .#lock, .~lock.x#, .DS_Store), Office locks, Emacs autosaves
IGNORED_SUFFIXES = ("~", ".swp", ".swo", ".swx", ".swpx", ".tmp", ".temp", ".part", ".crdownload", ".crswap")


def is_ignored_name(name: str) -> bool:
    """Editor swap/backup files, lock files, OS litter and dot-files (``Thumbs.db`` in any letter case)."""
    return (
        name.startswith(IGNORED_PREFIXES)
        or name.endswith(IGNORED_SUFFIXES)
        or name in IGNORED_NAMES
        or name.lower() in _LOWER_NAMES
    )


_LOWER_NAMES = frozenset(n.lower() for n in IGNORED_NAMES)
