"""Tie records together: resolve ``ref`` fields, fill back-references, order collections, set prev/next.

Runs after every record is loaded, so a reference can point at any record regardless of file order.
"""

from __future__ import annotations

import datetime as dt
import itertools
import posixpath
from typing import Any

from yunzhan.config import CollectionSettings, SiteConfig
from yunzhan.errors import Problem, did_you_mean
from yunzhan.model import Record


def resolve_references(records: list[Record], config: SiteConfig) -> list[Problem]:
    """Replace ref slugs with Record objects and fill ``backrefs``; dangling refs become problems."""
    problems: list[Problem] = []
    by_key = {(r.collection, r.slug): r for r in records}
    slugs: dict[str, list[str]] = {}
    for r in records:
        slugs.setdefault(r.collection, []).append(r.slug)
    for record in records:
        settings = config.collection(record.collection)
        assert settings is not None
        for spec in settings.fields:
            if spec.type != "ref":
                continue
            value = record.fields.get(spec.name)
            wanted = value if isinstance(value, list) else ([value] if value else [])
            found: list[Record] = []
            for i, slug in enumerate(wanted):
                target = by_key.get((spec.collection, slug))
                if target is None:
                    name = f"{spec.name}[{i}]" if spec.multiple else spec.name
                    line = record.lines.get(name) or record.lines.get(spec.name)
                    title = config.collection(spec.collection)
                    kind = title.title if title else spec.collection
                    hint = did_you_mean(slug, slugs.get(spec.collection, []))
                    hint += f"{kind}的文件名（不含 .md）就是它的名字，例如 " + "、".join(
                        sorted(slugs.get(spec.collection, []))[:5]
                    )
                    problems.append(Problem(record.source, line, name, f'找不到{kind} "{slug}"', hint))
                    continue
                if target not in found:
                    found.append(target)
                    target.backrefs.setdefault(record.collection, [])
                    if record not in target.backrefs[record.collection]:
                        target.backrefs[record.collection].append(record)
            record.fields[spec.name] = found if spec.multiple else (found[0] if found else None)
    return problems


def sort_records(items: list[Record], settings: CollectionSettings) -> list[Record]:
    """Sort by the configured field (missing values last), ties broken by weight then slug: deterministic."""
    field = settings.sort.lstrip("-")

    def value(record: Record) -> Any:
        if field in ("slug", "title", "weight"):
            return getattr(record, field)
        found = record.fields.get(field)
        if isinstance(found, Record):
            return found.title
        return found.toordinal() if isinstance(found, dt.date) else found

    base = sorted(items, key=lambda r: (r.weight, r.slug))
    present = [r for r in base if value(r) is not None]
    missing = [r for r in base if value(r) is None]
    # Python's sort is stable, also when reversed, so ties keep the weight/slug order.
    present.sort(key=lambda r: _comparable(value(r)), reverse=settings.sort.startswith("-"))
    return present + missing


def _comparable(value: Any) -> tuple[int, Any]:
    if isinstance(value, bool):
        return (0, int(value))
    if isinstance(value, int | float):
        return (0, value)
    return (1, str(value))


def order_records(records: list[Record], config: SiteConfig) -> dict[str, list[Record]]:
    """Group records by collection in each collection's sort order; set prev/next and sort back-references."""
    grouped: dict[str, list[Record]] = {c.name: [] for c in config.collections}
    for record in records:
        grouped[record.collection].append(record)
    for settings in config.collections:
        grouped[settings.name] = sort_records(grouped[settings.name], settings)
        _link_neighbours(grouped[settings.name], settings.neighbours_by)
    position = {id(r): i for items in grouped.values() for i, r in enumerate(items)}
    for record in records:
        for refs in record.backrefs.values():
            refs.sort(key=lambda r: position[id(r)])
        record.backrefs = dict(sorted(record.backrefs.items()))
    return grouped


def _link_neighbours(items: list[Record], by: str) -> None:
    groups: dict[Any, list[Record]] = {}
    for record in items:
        value = record.fields.get(by) if by else None
        group_key = value.slug if isinstance(value, Record) else value
        groups.setdefault(group_key, []).append(record)
    for group in groups.values():
        for a, b in itertools.pairwise(group):
            a.next, b.prev = b, a


def record_link_resolver(records: list[Record]) -> dict[str, Record]:
    """Map each record's source path (site-relative, POSIX) to the record, for links between records."""
    return {r.source: r for r in records}


def resolve_link(from_source: str, href: str, by_source: dict[str, Record]) -> Record | None:
    """Find the record a relative link like ``../craftsmen/li-qijie.md`` in ``from_source`` points to."""
    target = posixpath.normpath(posixpath.join(posixpath.dirname(from_source), href))
    record = by_source.get(target)
    if record is None and not target.endswith(("index.md", "index.yaml")):
        record = by_source.get(posixpath.join(target.rsplit(".", 1)[0], "index.md"))
    return record
