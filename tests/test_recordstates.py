"""What a site-wide file keeps of each record by its state: made again only when the state changed, and written
back as the little that changed."""

from __future__ import annotations

from pathlib import Path

from markupsafe import Markup

from tests.conftest import write_site
from yunzhan import opendata, searchtext
from yunzhan.config import load_config
from yunzhan.incremental.fingerprints import digest, inputs_key
from yunzhan.incremental.recordstates import OVERLAY, Changes, States, by_state, key_of
from yunzhan.incremental.store import Store
from yunzhan.model import Deferred, Record


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


class _Asked(dict[tuple[str, str], str]):
    """States that note which were looked at."""

    def __init__(self, *args: object) -> None:
        super().__init__(*args)
        self.asked: list[str] = []

    def get(self, key: tuple[str, str], default: object = None) -> object:  # type: ignore[override]
        self.asked.append(key[1])
        return super().get(key, default)


def test_by_state_looks_only_at_changed_records_and_their_referrers_since_the_same_prints() -> None:
    store = Store(None)
    records = [Record("projects", f"p{n}", f"content/projects/p{n}.md") for n in range(40)]
    records[3].backrefs = {"projects": [records[5]]}  # p5 refers to p3: its state holds p3's print
    given = _Asked({(r.collection, r.slug): "a" for r in records})
    made: list[str] = []

    def make(record: Record) -> str:
        made.append(record.slug)
        return f"{record.slug}@{given[(record.collection, record.slug)]}"

    def run(changes: Changes | None) -> list[str]:
        made.clear()
        given.asked.clear()
        return by_state(store, "x", "s", records, States(records, None, None, changes, given), make)

    assert len(run(Changes(None, "e1", set()))) == 40 and len(made) == 40  # no basis: every state looked at
    given[("projects", "p3")] = given[("projects", "p5")] = "b"
    out = run(Changes("e1", "e2", {("projects", "p3")}))
    assert sorted(given.asked) == ["p3", "p5"] and made == ["p3", "p5"] and out[5] == "p5@b"
    assert run(Changes("e2", "e3", set())) == out and given.asked == [] and made == []
    given[("projects", "p9")] = "c"  # kept with other prints than the last build's (``e3``): all looked at
    assert run(Changes("e1", "e4", set()))[9] == "p9@c" and len(given.asked) == 40 and made == ["p9"]
    del records[7]  # the records are not those kept: all looked at
    assert len(run(Changes("e4", "e5", set()))) == 39 and len(given.asked) == 39 and made == []


def test_a_key_takes_a_body_held_elsewhere_by_its_digest_without_reading_it(tmp_path: Path) -> None:
    """``key_of`` gives the stages' ``inputs_key``: a body held elsewhere (``Deferred``) stands in it by its
    ``made`` (the HTML's digest), and is not read; the record holds it elsewhere as before."""
    config = load_config(write_site(tmp_path / "site"))
    html = Markup("<p>感应<b>线圈</b>的改进</p>")
    reads: list[int] = []

    def load() -> Markup:
        reads.append(1)
        return Markup(str(html))

    record = Record("projects", "p1", "content/projects/p1.md", title="线圈", fields={"summary": "摘要"})
    plain = Record(
        "projects", "p1", "content/projects/p1.md", title="线圈", fields={"summary": "摘要"}, body=html
    )
    record.defer("body", Deferred(digest(html), load))
    for stage in (searchtext.inputs, opendata.inputs):
        expected = inputs_key("s", stage(plain, config))
        assert key_of("s", record, lambda r, stage=stage: stage(r, config)) == expected
        assert key_of("s", plain, lambda r, stage=stage: stage(r, config)) == expected
    assert reads == [] and record.deferred("body") is not None and record.body == html and reads == [1]
    other = Record("projects", "p1", "content/projects/p1.md", title="线圈", fields={"summary": "摘要"})
    other.defer("body", Deferred(digest(Markup("<p>另一段</p>")), load))
    assert key_of("s", other, lambda r: searchtext.inputs(r, config)) != key_of(
        "s", record, lambda r: searchtext.inputs(r, config)
    )
