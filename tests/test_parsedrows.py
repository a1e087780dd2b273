"""``incremental.parsedrows``: the parse memo's rows read back as they were put, whichever way each was kept."""

from __future__ import annotations

import datetime as dt

from yunzhan.incremental.parsedrows import KEPT, TABLE, ParsedRows
from yunzhan.incremental.store import Store


def _row(day: object, problems: list[object] | None = None) -> tuple[object, ...]:
    fields = {"title": "题", "date": day, "tags": ["甲", "乙"], "start": dt.date(2020, 1, 2)}
    values = ("projects", "a", "content/projects/a.md", "", "", "", "题", "", fields, False, 0)
    return ((1, 2, 3, 4, "settings"), values, problems or [], "made", "body")


def test_rows_read_back_as_put_dates_and_all() -> None:
    """A plain row goes into the one table (its dates back as dates, the field order kept); a row marshal cannot
    keep (a datetime, a finding) into a row of its own; both read back equal, in a new reader."""
    store = Store(None)
    rows = ParsedRows(store)
    plain, odd, found = (
        _row(dt.date(2021, 2, 13)),
        _row(dt.datetime(2021, 2, 13, 8)),
        _row(None, [ValueError()]),
    )
    rows.put("a", plain)
    rows.put("b", odd)
    rows.put("c", found)
    rows.settle()
    assert store.keys(TABLE) == {"b", "c"} and store.get("meta", KEPT) is not None
    again = ParsedRows(store)
    assert sorted(again) == ["a", "b", "c"] and len(again) == 3
    back = again.get("a")
    assert back == plain and list(back[1][8]) == list(plain[1][8])
    assert type(back[1][8]["date"]) is dt.date
    assert again.get("b") == odd and type(again.get("b")[1][8]["date"]) is dt.datetime
    assert again.get("c")[2][0].__class__ is ValueError
    assert again.get("z") is None


def test_a_row_changed_or_removed_after_settling_wins_over_the_table() -> None:
    """Once settled, a change is written alone (a removal as a tombstone), and a later reader sees it; a row
    put plain again goes back into the table."""
    store = Store(None)
    first = ParsedRows(store)
    first.put("a", _row(dt.date(2021, 2, 13)))
    first.put("b", _row(None))
    first.settle()
    second = ParsedRows(store)
    second.settle()
    second.put("a", _row(dt.date(2022, 3, 1)))
    second.remove("b")
    third = ParsedRows(store)
    assert sorted(third) == ["a"] and third.get("b") is None
    assert third.get("a")[1][8]["date"] == dt.date(2022, 3, 1)
    third.put("a", _row(dt.date(2023, 4, 5)))
    third.settle()
    assert store.keys(TABLE) == {"b"}  # the tombstone stays, over the table's row
    fourth = ParsedRows(store)
    assert sorted(fourth) == ["a"] and fourth.get("a")[1][8]["date"] == dt.date(2023, 4, 5)
