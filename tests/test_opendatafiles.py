"""The open data files' layouts through the store (``opendatafiles._layouts``, ``_keep_layouts``): an edit
writes the pieces it changed beside the whole, and they read back as the layouts noted."""

from __future__ import annotations

import copy

from yunzhan.incremental.opendatafiles import LAYOUTS, LAYOUTS_OVERLAY, _keep_layouts, _layouts
from yunzhan.incremental.store import Store


def _noted(store: Store, layouts: dict[str, tuple[list[str | bytes], list[int]]]) -> None:
    before, overlay = _layouts(store)
    if layouts != before:
        _keep_layouts(store, before, overlay, copy.deepcopy(layouts))


def test_layouts_read_back_as_noted_whole_or_as_an_overlay() -> None:
    store = Store(None)
    assert _layouts(store) == ({}, ("", {}))
    first = {
        "data/a.csv": ([b"head\n", *[f"k{i}" for i in range(40)], b"]"], [5, *range(40), 1]),
        "data/b.json": ([f"j{i}" for i in range(24)], list(range(24))),
    }
    _noted(store, first)
    assert _layouts(store)[0] == first and store.get("meta", LAYOUTS_OVERLAY) is None
    whole = store.get("meta", LAYOUTS)
    edited = copy.deepcopy(first)
    edited["data/a.csv"][0][3], edited["data/a.csv"][1][3] = "k2-new", 99
    _noted(store, edited)
    assert _layouts(store)[0] == edited and store.get("meta", LAYOUTS) == whole  # the whole as it was
    again = copy.deepcopy(edited)
    again["data/b.json"][1][5] = 7
    again["data/a.csv"][0][3] = "k2-newer"
    _noted(store, again)
    assert _layouts(store)[0] == again and store.get("meta", LAYOUTS) == whole
    assert store.get("meta", LAYOUTS_OVERLAY)[1]["data/a.csv"] == (42, {3: ("k2-newer", 99)})
    grown = copy.deepcopy(again)
    grown["data/b.json"][0].append("j24")
    grown["data/b.json"][1].append(24)
    _noted(store, grown)
    assert _layouts(store)[0] == grown and store.get("meta", LAYOUTS_OVERLAY) is None
    many = copy.deepcopy(grown)
    many["data/a.csv"][1][1:30] = [7] * 29  # more than an eighth of the pieces: whole again
    _noted(store, many)
    assert _layouts(store)[0] == many and store.get("meta", LAYOUTS_OVERLAY) is None
