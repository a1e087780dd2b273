"""Record and page fingerprints a long-lived process (``serve``) keeps between builds. A save changes one record
file, yet every build fingerprints all records and pages again (the ``repr`` of each, then its digest): most of
the ``check`` step. Each print is kept by everything it was made of, compared exactly (strings by value and
type, records by their key, as their ``repr`` gives them), so it cannot outlive its inputs; a value of another
kind is not kept at all. A build keeps only the prints it asked for.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from yunzhan.incremental.fingerprints import (
    DepKey,
    HtmlPrints,
    digest,
    keys_of,
    other_fingerprint,
    record_fingerprint,
)
from yunzhan.incremental.pageprints import page_fingerprint, page_parts
from yunzhan.model import Page, Record

RecordKey = tuple[str, str]
_MISSING = object()
_PLAIN = (str, int, bool, type(None))  # compared with their type: 1 == True, but their reprs differ


class KeptPrints:
    """The prints of the last build, each by its inputs. ``begin`` starts a build: what it does not ask for
    again is forgotten when the next one begins."""

    def __init__(self) -> None:
        self._records: dict[RecordKey, tuple[tuple[Any, ...], str]] = {}
        self._pages: dict[Hashable, str] = {}
        self._old_records: dict[RecordKey, tuple[tuple[Any, ...], str]] = {}
        self._old_pages: dict[Hashable, str] = {}
        self._digests: dict[str, tuple[tuple[Any, ...], str]] = {}
        self._others: dict[DepKey, tuple[tuple[Any, ...], str]] = {}
        self._old_others: dict[DepKey, tuple[tuple[Any, ...], str]] = {}
        self.made = 0  # prints made (not found kept) since ``begin``: what tests count

    def begin(self) -> None:
        self._old_records, self._records = self._records, {}
        self._old_pages, self._pages = self._pages, {}
        self._old_others, self._others = self._others, {}
        self.made = 0

    def step_key(self, name: str, *parts: Any) -> str:
        """``digest(*parts)``, the last one kept under ``name``: for parts of text (lists and tuples of it),
        whose equality is their reprs' (a step's key made of every record: the redirect pages')."""
        hit = self._digests.get(name)
        if hit is not None and hit[0] == parts:
            return hit[1]
        self.made += 1
        made = digest(*parts)
        self._digests[name] = (parts, made)
        return made

    def other(self, key: DepKey, parts: tuple[Any, ...]) -> str:
        """``other_fingerprint(parts)`` of a collection, taxonomy or term (titles, addresses and record keys:
        text), kept by its parts. A term's name is a field's value, which may be a number: only names of text
        are kept."""
        if key[0] == "term":
            plain = type(parts[0]) is str
        elif key[0] == "taxonomy":
            plain = all(type(term[0]) is str for term in parts[2])
        else:
            plain = True
        hit = self._others.get(key) or self._old_others.get(key)
        if hit is None or hit[0] != parts or not plain:
            self.made += 1
            hit = (parts, other_fingerprint(parts))
        if plain:
            self._others[key] = hit
        return hit[1]

    def record(
        self, record: Record, origin: tuple[str, Record] | None, html: HtmlPrints | None = None
    ) -> str:
        """``record_fingerprint(record, origin, html)``, kept by its inputs."""
        inputs = _record_inputs(record, origin)
        key = (record.collection, record.slug)
        if inputs is not None:
            hit = self._records.get(key) or self._old_records.get(key)
            if hit is not None and hit[0] == inputs:
                self._records[key] = hit
                return hit[1]
        self.made += 1
        made = record_fingerprint(record, origin, html)
        if inputs is not None:
            self._records[key] = (inputs, made)
        return made

    def page(self, page: Page, site: str) -> str:
        """``page_fingerprint(page, site)``, kept by its inputs (when their titles are text: a term's page is
        titled by a field's value)."""
        parts = page_parts(page, site)
        titles = [page.title, *[link.title for link in page.breadcrumbs]]
        exact = page.share is None and all(type(title) is str for title in titles)
        hit = (self._pages.get(parts) or self._old_pages.get(parts)) if exact else None
        if hit is None:
            self.made += 1
            hit = page_fingerprint(page, site)
        if exact:
            self._pages[parts] = hit
        return hit


def _record_inputs(record: Record, origin: tuple[str, Record] | None) -> tuple[Any, ...] | None:
    """What ``record_fingerprint`` reads of ``record``, in a form compared exactly; None when a value the build
    filled in is of a kind not compared here (an image: its print is made each time)."""
    if origin is None:
        return None
    made, parsed = origin
    get = parsed.fields.get
    filled: list[Any] = [(k, v) for k, v in record.fields.items() if get(k, _MISSING) is not v]
    for i, (name, value) in enumerate(filled):
        kind = type(value)
        if kind is Record:
            filled[i] = (name, Record, value.collection, value.slug)
        elif kind is list:
            if not all(type(v) is Record for v in value):
                return None
            filled[i] = (name, list, *keys_of(value))
        elif isinstance(value, _PLAIN):
            filled[i] = (name, kind, value)
        else:
            return None
    prev, nxt = record.prev, record.next
    return (
        made,
        record.url,
        record.short,
        record.source,
        type(record.title),
        record.title,
        type(record.draft),
        record.draft,
        type(record.weight),
        record.weight,
        record.body,
        tuple(record.fields),
        tuple(filled),
        tuple([(name, *keys_of(refs)) for name, refs in record.backrefs.items()]),
        prev and (prev.collection, prev.slug),
        nxt and (nxt.collection, nxt.slug),
    )
