"""The persistent build cache: what a rebuild may reuse, and the fingerprints that prove it is still right.

Two kinds of work are reused:

- Markdown conversions, keyed by the text and everything that shapes its HTML. A cached conversion also
  remembers which record links it resolved and to what, and is used only while they still resolve the same way.
- Rendered pages. While rendering, the Jinja environment notes every record, collection and taxonomy a page
  touched (``TrackingEnvironment``); the page can be reused while the site-wide fingerprint (settings, data
  files, templates, the yunzhan code) and the fingerprint of each thing it touched are unchanged, and its file
  in the previous output is still the one this cache saw written.

Deleting the cache only costs time: a test builds with and without it and compares the outputs byte for byte.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from yunzhan.model import Collection, Page, Record, Taxonomy, Term

CACHE_VERSION = 2
IDENTITY = frozenset({"collection", "slug", "url", "path"})
DepKey = tuple[str, ...]


def digest(*parts: object) -> str:
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        h.update(part if isinstance(part, bytes) else repr(part).encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()


def files_digest(paths: Iterable[Path]) -> str:
    """Fingerprint of a set of files by content (templates, data files, site.toml, the package's code)."""
    h = hashlib.blake2b(digest_size=16)
    for path in sorted(paths):
        h.update(str(path).encode())
        try:
            h.update(path.read_bytes())
        except OSError:
            h.update(b"<missing>")
    return h.hexdigest()


@dataclass
class PageEntry:
    fingerprint: str  # the site-wide fingerprint and the page's own
    deps: tuple[tuple[DepKey, str], ...]  # what the page touched, with its fingerprint then
    size: int
    mtime_ns: int


@dataclass
class CacheData:
    version: int = CACHE_VERSION
    markdown: dict[str, tuple[Any, tuple[tuple[str, str | None], ...]]] = field(default_factory=dict)
    pages: dict[str, PageEntry] = field(default_factory=dict)
    site_files: tuple[str, dict[str, bytes]] | None = (
        None  # site-wide outputs (search index, sitemap…) by input
    )


def load_cache(path: Path) -> CacheData:
    """A missing, old or damaged cache is simply empty: the build redoes the work."""
    try:
        with path.open("rb") as f:
            data = pickle.load(f)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError, TypeError):
        return CacheData()
    return data if isinstance(data, CacheData) and data.version == CACHE_VERSION else CacheData()


def save_cache(path: Path, data: CacheData) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("wb") as f:
        pickle.dump(data, f, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)


def dep_key(obj: object) -> DepKey | None:
    if isinstance(obj, Record):
        return ("record", obj.collection, obj.slug)
    if isinstance(obj, Collection):
        return ("collection", obj.name)
    if isinstance(obj, Taxonomy):
        return ("taxonomy", obj.name)
    if isinstance(obj, Term):
        return ("term", obj.path)
    return None


def _keys(records: Iterable[Record]) -> list[tuple[str, str]]:
    return [(r.collection, r.slug) for r in records]


def record_fingerprint(record: Record) -> str:
    """Everything a template can read from a record itself, and the records next to it."""
    return digest(
        record.url,
        record.title,
        str(record.body),
        sorted((k, _value_repr(v)) for k, v in record.fields.items()),
        {k: _keys(v) for k, v in record.backrefs.items()},
        record.prev and (record.prev.collection, record.prev.slug),
        record.next and (record.next.collection, record.next.slug),
        record.draft,
        record.weight,
    )


def _value_repr(value: object) -> object:
    if isinstance(value, Record):
        return ("record", value.collection, value.slug)
    if isinstance(value, list):
        return [_value_repr(v) for v in value]
    return repr(value)


def fingerprints(
    records: Iterable[Record], collections: dict[str, Collection], taxonomies: dict[str, Taxonomy]
) -> dict[DepKey, str]:
    prints: dict[DepKey, str] = {}
    for record in records:
        prints[("record", record.collection, record.slug)] = record_fingerprint(record)
    for c in collections.values():
        prints[("collection", c.name)] = digest(c.title, c.url, _keys(c.records))
    for t in taxonomies.values():
        prints[("taxonomy", t.name)] = digest(
            t.title, t.url, [(x.name, x.url, _keys(x.records)) for x in t.terms]
        )
        for term in t.terms:
            prints[("term", term.path)] = digest(term.name, term.url, _keys(term.records))
    return prints


def page_fingerprint(page: Page) -> str:
    """What a page object itself carries: its place, title, breadcrumbs and which records it lists."""
    return digest(
        page.kind,
        page.path,
        page.url,
        page.title,
        page.template,
        page.breadcrumbs,
        _keys(page.records),
        page.paginator,
        page.record and (page.record.collection, page.record.slug),
        page.collection and page.collection.name,
        page.taxonomy and page.taxonomy.name,
        page.term and page.term.path,
        page.share,
    )


class TrackingEnvironment(jinja2.Environment):
    """A Jinja environment that notes which records, collections and taxonomies a template touches.

    Jinja routes every ``a.b`` and ``a[b]`` of a template (and of filters such as ``selectattr``) through these
    two methods, so overriding them tracks dependencies exactly, at no cost outside templates.
    """

    touched: set[DepKey] | None = None

    def getattr(self, obj: Any, attribute: str) -> Any:
        # A record's collection, slug and URL follow from its key and the settings (part of every page's
        # fingerprint): reading them, as listings and filters do for every record, is no dependency.
        if self.touched is not None and not (isinstance(obj, Record) and attribute in IDENTITY):
            key = dep_key(obj)
            if key is not None:
                self.touched.add(key)
        return super().getattr(obj, attribute)

    def touch(self, obj: Any) -> None:
        """Note a record (and the records it refers to) read by Python code a template called."""
        if self.touched is None:
            return
        key = dep_key(obj)
        if key is not None:
            self.touched.add(key)
        if isinstance(obj, Record):
            for value in obj.fields.values():
                for item in value if isinstance(value, list) else [value]:
                    item_key = dep_key(item)
                    if item_key is not None:
                        self.touched.add(item_key)

    def tracked(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """Wrap a template global written in Python so that what it is given counts as touched."""

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            for arg in (*args, *kwargs.values()):
                self.touch(arg)
            return func(*args, **kwargs)

        return wrapper

    def getitem(self, obj: Any, argument: Any) -> Any:
        if self.touched is not None and not (isinstance(obj, Record) and argument in IDENTITY):
            key = dep_key(obj)
            if key is not None:
                self.touched.add(key)
        return super().getitem(obj, argument)
