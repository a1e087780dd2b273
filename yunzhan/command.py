"""The command the editor typed, so that messages name it back: ``yunzhan check`` after ``yunzhan``,
``python build.py check`` after ``python build.py`` (the same program, installed by ``pip install``)."""

from __future__ import annotations

import sys
from pathlib import PureWindowsPath


def command_name(argv0: str | None = None) -> str:
    """``yunzhan``, ``python -m yunzhan`` or ``python build.py``, from ``sys.argv[0]`` unless given (Windows
    paths read on any system: both kinds of slash separate folders)."""
    path = PureWindowsPath(sys.argv[0] if argv0 is None and sys.argv else argv0 or "")
    name = path.name.lower()
    if name.removesuffix(".exe").removesuffix("-script.py") == "yunzhan":  # Windows: yunzhan.exe
        return "yunzhan"
    if name == "__main__.py" and path.parent.name == "yunzhan":
        return "python -m yunzhan"
    return "python build.py"
