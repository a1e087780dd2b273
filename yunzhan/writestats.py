"""What writing a build reports (``WriteStats``: counts, its files, the record of the tree it left) and what its
swap leaves for the next build (``Swapped``): plain data, for the staged output, the preview's in-place one and
the stamp."""

from __future__ import annotations

from dataclasses import dataclass, field

from yunzhan.recycle import Spare
from yunzhan.treesign import TreeRecord


@dataclass
class WriteStats:
    written: int = 0
    unchanged: int = 0
    removed: int = 0
    files: set[str] = field(default_factory=set)
    signature: tuple[str, int] | None = (
        None  # ``treesign.tree_signature`` of the output, when the commit made it
    )
    record: TreeRecord | None = None  # what the commit left, by which the stamp checks it without a walk
    # the files placed now from bytes or a source (written, or linked once their bytes proved equal), when
    # known: the others were kept, each checked as the last build wrote it by the step that kept it
    placed: frozenset[str] | None = None
    stated: bool = False  # every file of ``record`` stat-ed by the commit, none carried from a note of it


@dataclass
class Swapped:
    """What a commit leaves for the next build to trust: the new spare tree (None: none to trust)."""

    spare: Spare | None = None
