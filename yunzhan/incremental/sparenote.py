"""What the store notes of the spare tree a build leaves (``recycle.Spare``): its two tree records each in a row
of its own named by its bytes' digest. After an edit the spare tree is the last build's output, whose record
the store holds already as that build's output's: only the new output's record is written (2.1 MB at 10,000
records, not 4.3 MB).
"""

from __future__ import annotations

import hashlib

from yunzhan.incremental.store import Store
from yunzhan.recycle import Spare
from yunzhan.treesign import TreeRecord

NOTE = "spare"  # the meta row: (token, [files that differ], name of the tree's record, name of the output's)
TREES = "trees"  # tree records (marshalled ``TreeRecord``) by their digest: those the note names, no other


def put_spare(store: Store, spare: Spare | None) -> None:
    """Note ``spare`` (None: there is none to trust), writing only the tree records the store lacks."""
    names: list[str] = []
    if spare is not None:
        for data in spare.records():
            name = hashlib.blake2b(data, digest_size=16).hexdigest()
            if name not in names and not store.has(TREES, name):
                store.put(TREES, name, data, plain=True)
            names.append(name)
        store.put("meta", NOTE, (spare.token, sorted(spare.differ), *names), plain=True)
    else:
        store.put("meta", NOTE, None)
    store.keep_only(TREES, names)


def spare_of(store: Store) -> Spare | None:
    """The spare tree as noted; None when none is, or the note cannot be read (the stage is then walked)."""
    note = store.get("meta", NOTE)
    if not isinstance(note, tuple) or len(note) != 4:
        return None
    token, differ, tree, output = note
    tree_data, output_data = store.get(TREES, tree), store.get(TREES, output)
    if not isinstance(tree_data, bytes) or not isinstance(output_data, bytes):
        return None
    try:
        return Spare(token, frozenset(differ), TreeRecord.from_bytes(tree_data), output_data)
    except (ValueError, EOFError, TypeError):
        return None
