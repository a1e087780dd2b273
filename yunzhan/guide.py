"""The audio guide (语音导览): each exhibit's ``guide:`` number, unique like a slug, and the ``/guide/`` page
that lists the stops in hall order (by number, the order they are walked in the hall).

A number is what a visitor types or looks for on the placard (printed beside its QR code, ``placards.html``),
so it must not move: it is written in the record, never computed, and two exhibits sharing one is an error
at both, with the smallest free number as the fix.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from yunzhan.config import SiteConfig
from yunzhan.errors import Problem
from yunzhan.model import Collection, Link, Page, Record

GUIDE_PATH = "/guide/"


def numbered(records: Sequence[Record], config: SiteConfig) -> list[tuple[int, str, Record]]:
    """(number, field, record) of every record with a guide number, by number then file."""
    found = []
    fields: dict[
        str, list[str]
    ] = {}  # a collection's guide fields, looked up once (a build asks twice a save)
    for record in records:
        names = fields.get(record.collection)
        if names is None:
            settings = config.collection(record.collection)
            names = [s.name for s in settings.fields if s.type == "guide"] if settings else []
            fields[record.collection] = names
        for name in names:
            number = record.fields.get(name)
            if isinstance(number, int) and not record.draft:
                found.append((number, name, record))
    return sorted(found, key=lambda t: (t[0], t[2].source))


def number_problems(records: Sequence[Record], config: SiteConfig) -> list[Problem]:
    """A number used twice is an error at every use after the first, naming the first and a free number."""
    stops = numbered(records, config)
    used = {number for number, _, _ in stops}
    free = next(n for n in range(1, len(used) + 2) if n not in used)
    first: dict[int, Record] = {}
    problems = []
    for number, name, record in stops:
        owner = first.setdefault(number, record)
        if owner is not record:
            message = f"导览编号 {number} 重复：{owner.source}（{owner.title}）已经用了"
            hint = f"每件展品一个编号，印在标牌上；还没用过的最小编号是 {free}"
            problems.append(Problem(record.source, record.lines.get(name), name, message, hint))
    return problems


def guide_pages(collections: Mapping[str, Collection], config: SiteConfig) -> list[Page]:
    """``/guide/`` with every numbered exhibit, or nothing when no exhibit has a number."""
    records = [r for c in collections.values() for r in c.records]
    stops = [record for _, _, record in numbered(records, config)]
    if not stops:
        return []
    return [
        Page(
            kind="guide",
            path=GUIDE_PATH,
            url=config.base_path + GUIDE_PATH.lstrip("/"),
            title="语音导览",
            template="guide.html",
            breadcrumbs=[Link("首页", config.base_path), Link("语音导览", None)],
            records=stops,
        )
    ]
