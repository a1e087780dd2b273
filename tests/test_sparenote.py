"""incremental/sparenote.py and the spare tree's records: kept by their digest, each marshalled once."""

from __future__ import annotations

from pathlib import Path

import pytest

from yunzhan import treesign
from yunzhan.incremental import store as store_module
from yunzhan.incremental.sparenote import put_spare, spare_of
from yunzhan.incremental.store import opened
from yunzhan.recycle import Spare
from yunzhan.treesign import TreeRecord


def test_a_tree_record_is_marshalled_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A commit's record goes to the stamp and to the store, and the one read back from the store goes into it
    again as the spare tree's: its bytes are made once, or are those it was read from."""
    record = TreeRecord({"a": (1, 2)}, {"a/b.html": (3, 4, 5)})
    data = record.to_bytes()
    read = TreeRecord.from_bytes(data)
    assert read == record and read.to_bytes() is data and record.to_bytes() is data
    with monkeypatch.context() as m:
        m.setattr(treesign, "marshal", None)  # nothing marshalled again
        tree, output_tree = Spare("token", frozenset(), read, record).records()
    assert tree is data and output_tree is data


def test_the_spare_note_writes_only_the_tree_records_the_store_lacks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After an edit the spare tree is the last build's output, whose record the store holds already: only the
    new output's record is written, and no record the note does not name is kept."""
    a, b, c = (TreeRecord({"a": (1, n)}, {"a/b.html": (3, 4, n)}) for n in range(3))
    with opened(tmp_path / "store.sqlite") as store:
        put_spare(store, Spare("t1", frozenset(), a, b))
        store.commit()
    with opened(tmp_path / "store.sqlite") as store:
        was = spare_of(store)
        assert was is not None and was.tree == a and was.output_tree == b
        written: list[str] = []
        real = store_module.Store.put
        monkeypatch.setattr(
            store_module.Store, "put", lambda s, t, *a, **k: written.append(t) or real(s, t, *a, **k)
        )
        put_spare(store, Spare("t2", frozenset({"a/b.html"}), was.output_tree, c))
        assert written == ["trees", "meta"] and len(store.keys("trees")) == 2
        now = spare_of(store)
        assert now is not None and now.token == "t2" and now.differ == {"a/b.html"}
        assert now.tree == b and now.output_tree == c
        put_spare(store, None)
        assert spare_of(store) is None and not store.keys("trees")
