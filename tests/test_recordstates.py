"""What a site-wide file keeps of each record by its state: made again only when the state changed, and written
back as the little that changed."""

from __future__ import annotations

from yunzhan.incremental.recordstates import OVERLAY, by_state, record_states
from yunzhan.incremental.store import Store
from yunzhan.model import Record


def test_by_state_makes_and_writes_only_what_changed() -> None:
    store = Store(None)
    records = [Record("projects", f"p{n}", f"content/projects/p{n}.md") for n in range(40)]
    states = {(r.collection, r.slug): "a" for r in records}
    made: list[str] = []

    def make(record: Record) -> str:
        made.append(record.slug)
        return f"{record.slug}@{states[(record.collection, record.slug)]}"

    def run(settings: str = "s") -> list[str]:
        made.clear()
        return by_state(store, "x", settings, records, states, make)

    assert run() == [f"p{n}@a" for n in range(40)] and len(made) == 40
    whole = store.get("meta", "x")
    states[("projects", "p3")] = "b"
    assert run()[3] == "p3@b" and made == ["p3"]
    assert store.get("meta", "x") == whole  # the whole stays, the change is beside it
    assert run()[3] == "p3@b" and made == []
    for n in range(10):  # past a share of the records: the whole is written again
        states[("projects", f"p{n}")] = "c"
    assert run() == [f"p{n}@{'c' if n < 10 else 'a'}" for n in range(40)] and len(made) == 10
    assert store.get("meta", "x") != whole and store.get("meta", "x" + OVERLAY) is None
    del records[5]  # a record gone: the whole again
    assert len(run()) == 39 and made == [] and len(store.get("meta", "x")[1]) == 39
    assert len(run("t")) == 39 and len(made) == 39  # other settings: all made again


class _Prints:
    """A stand-in for ``Fingerprints``: the whole print of each record."""

    def __init__(self, whole: dict[tuple[str, str], str]) -> None:
        self.whole = whole

    def records(self) -> dict[tuple[str, str], str]:
        return self.whole


def test_states_follow_the_records_referred_to_whose_list_is_kept_by_the_whole_print() -> None:
    """A record's state holds the prints of the records in its fields; which records those are is read again
    when its own print changed (a new reference changes it), and kept while it did not."""
    store = Store(None)
    a, b, c = (Record("projects", slug, f"content/projects/{slug}.md") for slug in "abc")
    a.fields = {"title": "A", "zone": b, "more": [None, ("x", c)]}
    prints = _Prints({("projects", "a"): "A1", ("projects", "b"): "B1", ("projects", "c"): "C1"})
    assert record_states([a, b, c], prints, store)[("projects", "a")] == "A1B1C1"
    prints.whole[("projects", "b")] = "B2"  # a record referred to changed: so did the state
    assert record_states([a, b, c], prints, store)[("projects", "a")] == "A1B2C1"
    a.fields = {"title": "A"}  # kept by the print as it was: the fields are not read again
    assert record_states([a, b, c], prints, store)[("projects", "a")] == "A1B2C1"
    prints.whole[("projects", "a")] = "A2"  # its print changed with its fields: they are read again
    assert record_states([a, b, c], prints, store)[("projects", "a")] == "A2"
    a.fields = {"zone": c}
    prints.whole[("projects", "a")] = "A3"
    assert record_states([a, b, c], prints, store) == {
        ("projects", "a"): "A3C1",
        ("projects", "b"): "B2",
        ("projects", "c"): "C1",
    }
    assert record_states([a, b, c], prints) == record_states([a, b, c], prints, Store(None))
