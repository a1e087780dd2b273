"""The folders a build keeps beside ``output/`` (see output.py): their names — a staging folder per build,
the old output while it is swapped, the spare tree kept for the next build and its token — how a build claims
the spare tree, and how leftovers of builds that were killed are removed."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

from yunzhan import processes

STAGING_MARK = ".staging-"
OLD_MARK = ".old-"
SPARE_MARK = ".spare"
TOKEN_NAME = ".yunzhan-spare"  # in a spare tree: which build's note of it can be trusted


def take_token(stage: Path) -> str | None:
    """Read and remove the token of a claimed spare tree (a stage that fails is retired without one)."""
    path = stage / TOKEN_NAME
    try:
        token = path.read_text(encoding="ascii")
        path.unlink()
    except (OSError, ValueError):
        return None
    return token


def clean_leftovers(output_dir: Path) -> None:
    """Remove staging folders of builds that were killed before they finished."""
    prefix = f".{output_dir.name}"
    for entry in output_dir.parent.glob(f"{prefix}*"):
        rest = entry.name[len(prefix) :]
        if rest.startswith((STAGING_MARK, OLD_MARK)) and entry.is_dir():
            pid = rest.rsplit("-", 1)[-1]
            if pid.isdigit() and int(pid) != os.getpid() and processes.process_alive(int(pid)):
                continue  # another build is running right now
            shutil.rmtree(entry, ignore_errors=True)


def claim(spare: Path, stage: Path) -> bool:
    """Take the spare tree as this build's stage (a rename: two builds cannot both get it)."""
    try:
        if not stat.S_ISDIR(os.lstat(spare).st_mode):
            return False
        os.rename(spare, stage)
    except OSError:
        return False
    return True
