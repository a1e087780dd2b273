"""What a site-wide file keeps of each record by its state: made again only when the state changed, and written
back as the little that changed."""

from __future__ import annotations

from yunzhan.incremental.recordstates import OVERLAY, by_state
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
