"""Every step that touches the operating system, each one small function with a portable fallback.

Editors run yunzhan on Windows and macOS; our machines are Linux. A capability is probed where it is used (not
assumed from the platform's name), and each fallback can be forced in tests on Linux.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``path`` so that readers see the old file or the new one, never half of it (``os.replace`` is
    atomic on Windows too). The folder is created when missing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
