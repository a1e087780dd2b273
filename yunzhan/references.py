"""Tie records together: resolve ``ref`` fields, fill back-references, order collections, set prev/next.

Runs after every record is loaded, so a reference can point at any record regardless of file order.
"""

from __future__ import annotations

import datetime as dt
import itertools
import posixpath
from dataclasses import dataclass, field
from typing import Any

from yunzhan.config import CollectionSettings, FieldSpec, SiteConfig
from yunzhan.errors import Problem, closest
from yunzhan.fields import as_list_hint, split_names
from yunzhan.model import Record


def resolve_references(records: list[Record], config: SiteConfig) -> list[Problem]:
    """Replace each ref by the Record it names and fill ``backrefs``; dangling or ambiguous refs become
    problems. A record is named by its slug, its file name (``吴江展区`` for ``content/zones/吴江展区.md``, whose
    slug is pinyin) or its title when no other record has it: whichever is typed, the field then holds the
    same Record, so pages and cache fingerprints are as if the slug had been typed."""
    problems: list[Problem] = []
    names: dict[str, RecordNames] = {}
    for r in records:
        names.setdefault(r.collection, RecordNames()).add(r)
    nobody = RecordNames()
    refs = {c.name: [spec for spec in c.fields if spec.type == "ref"] for c in config.collections}
    listed: dict[int, set[int]] = {}  # id of a backrefs list -> ids of the records in it (no scan of it)
    for record in records:
        for spec in refs[record.collection]:
            value = record.fields.get(spec.name)
            wanted = value if isinstance(value, list) else ([value] if value else [])
            found: list[Record] = []
            for i, typed in enumerate(wanted):
                target = names.get(spec.collection, nobody).find(typed)
                if not isinstance(target, Record):
                    name = f"{spec.name}[{i}]" if spec.multiple else spec.name
                    line = record.lines.get(name) or record.lines.get(spec.name)
                    settings_of = config.collection(spec.collection)
                    kind = settings_of.title if settings_of else spec.collection
                    known = names.get(spec.collection, nobody)
                    message, hint = known.explain(typed, target, kind)
                    several = len(split_names(typed)) > 1  # 王建国、雷雨田: one string, several names
                    if several and not target:
                        message, hint = known.explain_several(spec, typed, kind)
                        name = name if name in record.lines else spec.name  # written as one string
                    problems.append(Problem(record.source, line, name, message, hint))
                    continue
                if target not in found:
                    found.append(target)
                    referring = target.backrefs.setdefault(record.collection, [])
                    seen = listed.get(id(referring))
                    if seen is None:
                        seen = listed[id(referring)] = {id(r) for r in referring}
                    if id(record) not in seen:
                        seen.add(id(record))
                        referring.append(record)
            record.fields[spec.name] = found if spec.multiple else (found[0] if found else None)
    return problems


def file_name(record: Record) -> str:
    """The name an editor sees in the folder: the file's name without its extension, or the bundle folder's."""
    folder, _, name = record.source.rpartition("/")  # string operations: a Path per record costs 30 µs
    stem = posixpath.splitext(name)[0] if not name.startswith(".") else name
    return posixpath.basename(folder) if stem == "index" else stem


@dataclass
class RecordNames:
    """The names one collection's records answer to in a ``ref`` field: slug, file name, title."""

    slugs: dict[str, Record] = field(default_factory=dict)
    records: list[Record] = field(default_factory=list)
    _by_name: tuple[dict[str, list[Record]], dict[str, list[Record]]] | None = None

    def add(self, record: Record) -> None:
        self.slugs.setdefault(record.slug, record)
        self.records.append(record)
        self._by_name = None

    @property
    def files(self) -> dict[str, list[Record]]:
        return self._names()[0]

    @property
    def titles(self) -> dict[str, list[Record]]:
        return self._names()[1]

    def _names(self) -> tuple[dict[str, list[Record]], dict[str, list[Record]]]:
        """File names and titles, made when a name typed is not a slug (most references are slugs: 10,000
        records need not have their file names taken apart at every build)."""
        if self._by_name is None:
            files: dict[str, list[Record]] = {}
            titles: dict[str, list[Record]] = {}
            for record in self.records:
                files.setdefault(file_name(record), []).append(record)
                titles.setdefault(record.title.strip(), []).append(record)
            self._by_name = files, titles
        return self._by_name

    def find(self, typed: str) -> Record | list[Record]:
        """The one record ``typed`` names, else every candidate (none when nothing has that name). A slug is
        the record's own key and wins; a file name and a title weigh the same, so a file named like another
        record's title is ambiguous rather than silently the file."""
        typed = str(typed).strip()
        if typed in self.slugs:
            return self.slugs[typed]
        stem = typed.rsplit(".", 1)[0] if typed.endswith((".md", ".yaml", ".yml")) else typed
        candidates = list(dict.fromkeys([*self.files.get(stem, []), *self.titles.get(typed, [])]))
        return candidates[0] if len(candidates) == 1 else candidates

    def explain(self, typed: str, candidates: list[Record], kind: str) -> tuple[str, str]:
        """Message and hint for a name that fits several records, or none."""
        if candidates:  # a slug always names one record: offer each candidate's
            each = "、".join(f"{r.slug}（{r.source}）" for r in sorted(candidates, key=lambda r: r.source))
            return (
                f'有 {len(candidates)} 个{kind}都叫 "{typed}"，不知道是哪一个',
                f"改写成其中一个网址里的名字：{each}",
            )
        by_name: dict[str, Record] = {}
        for mapping in (self.titles, self.files):
            by_name.update((name, found[0]) for name, found in mapping.items() if len(found) == 1)
        by_name.update(self.slugs)
        partial = self.containing(str(typed))  # part of a name: 吴江 for 吴江展区
        match = None if partial else closest(str(typed), by_name)
        if partial:
            shown = "、".join(f'"{r.title}"（{r.source}）' for r in partial[:3])
            more = f" 等 {len(partial)} 个" if len(partial) > 3 else ""
            hint = f"是不是 {shown}{more}？" if len(partial) == 1 else f"是不是其中一个：{shown}{more}？"
        elif match:
            hint = f'是不是 "{match}"（{by_name[match].source}）？'
        else:
            examples = sorted(self.slugs.values(), key=lambda r: r.source)[:3]
            shown = "、".join(
                file_name(r) if r.title == file_name(r) else f"{file_name(r)}（{r.title}）" for r in examples
            )
            hint = f"写{kind}的文件名（不含 .md）或它的名称都可以" + (f"，例如 {shown}" if shown else "")
        return f'找不到{kind} "{typed}"', hint

    def containing(self, typed: str) -> list[Record]:
        """The records whose title holds ``typed`` (``吴江`` in 吴江展区, ``陈某`` in 陈某（示例）), by file."""
        typed = typed.strip()
        if not typed:
            return []
        found = {r.source: r for r in self.slugs.values() if typed in r.title}
        return [found[k] for k in sorted(found)]

    def explain_several(self, spec: FieldSpec, typed: str, kind: str) -> tuple[str, str]:
        """Several names typed as one (``王建国、雷雨田``): say how to write a list, and which names are known."""
        names = split_names(typed)
        missing = [n for n in names if not isinstance(self.find(n), Record)]
        typed = typed.strip()
        if spec.multiple:
            message = f"“{typed}” 是几个{kind}，几个名字要写成列表"
            hint = f"改成 {as_list_hint(spec.name, names)}"
        else:
            message, hint = f"这里只能写一个{kind}，现在写了几个：“{typed}”", "留下其中一个"
        if missing:
            hint += f"；其中找不到：{'、'.join(missing)}"
        return message, hint


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
    link_in_order(grouped, records, config)
    return grouped


def link_in_order(grouped: dict[str, list[Record]], records: list[Record], config: SiteConfig) -> None:
    """With the collections in order (``order_records``'s, or the same order known from a build before):
    prev/next set, back-references in that order."""
    for settings in config.collections:
        _link_neighbours(grouped[settings.name], settings.neighbours_by)
    position = {id(r): i for items in grouped.values() for i, r in enumerate(items)}
    for record in records:
        for refs in record.backrefs.values():
            refs.sort(key=lambda r: position[id(r)])
        record.backrefs = dict(sorted(record.backrefs.items()))


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
