"""The persistent build cache: what a rebuild may reuse, and the fingerprints that prove it is still right.

Two kinds of work are reused:

- Markdown conversions, keyed by the text and everything that shapes its HTML. A cached conversion also
  remembers which record links it resolved and to what, and is used only while they still resolve the same way.
- Rendered pages. While rendering, the Jinja environment notes every record attribute, collection and taxonomy
  a page touched (``TrackingEnvironment``): a listing that shows titles does not depend on bodies. The page
  can be reused while the site-wide fingerprint (settings, data files, templates, the yunzhan code) and the
  fingerprint of each thing it touched are unchanged, and its file in the previous output is still the one
  this cache saw written.

Deleting the cache only costs time: a test builds with and without it and compares the outputs byte for byte.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from yunzhan import portable
from yunzhan.model import Collection, Page, Record, Taxonomy, Term

CACHE_VERSION = 17
IDENTITY = frozenset({"collection", "slug", "url", "path"})
DepKey = tuple[str, ...]


def digest(*parts: object) -> str:
    """A stable fingerprint of values (their ``repr``; text and bytes as they are, length first)."""
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        if isinstance(part, str):
            data = part.encode("utf-8", "surrogatepass")
            h.update(b"s%d:" % len(data))
        elif isinstance(part, bytes):
            data = part
            h.update(b"b%d:" % len(data))
        else:
            data = repr(part).encode("utf-8", "surrogatepass")
            h.update(b"r%d:" % len(data))
        h.update(data)
    return h.hexdigest()


@functools.lru_cache(maxsize=65_536)
def text_digest(text: str) -> str:
    """``digest`` of one text, remembered: a long-lived process sees the same bodies build after build."""
    return digest(text)


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


@dataclass(slots=True)
class PageEntry:
    fingerprint: str  # the site-wide fingerprint and the page's own
    deps: tuple[tuple[DepKey, str], ...]  # what the page touched, with its fingerprint then
    size: int
    mtime_ns: int
    records: frozenset[tuple[str, str]] = frozenset()  # (collection, slug) of every record among deps
    others: frozenset[DepKey] = frozenset()  # the collections, taxonomies and terms among deps

    @classmethod
    def of(
        cls, fingerprint: str, deps: Iterable[tuple[DepKey, str]], shared: dict[Any, Any] | None = None
    ) -> PageEntry:
        """``shared`` makes equal keys and pairs one object across the pages of a build: most record attributes
        are read by several pages (their own, listings, neighbours), so this saves memory, and the cache's
        pickle stores each once."""
        one = shared.setdefault if shared is not None else lambda value, _default: value
        pairs = tuple(sorted(one((k, v), (one(k, k), v)) for k, v in deps))
        records = frozenset(one(r, r) for r in (k[1:3] for k, _ in pairs if k[0] == "record"))
        return cls(fingerprint, pairs, 0, 0, records, frozenset(k for k, _ in pairs if k[0] != "record"))


@dataclass
class CacheData:
    version: int = CACHE_VERSION
    markdown: dict[str, tuple[Any, tuple[tuple[str, str | None], ...]]] = field(default_factory=dict)
    pages: dict[str, PageEntry] = field(default_factory=dict)
    # The site-wide outputs (search index, sitemap…) of the last build: the key of their inputs, and each file's
    # size and modification time as written (the bytes are in the output).
    site_files: tuple[str, dict[str, tuple[int, int]]] | None = None
    records: dict[tuple[str, str], str] = field(default_factory=dict)  # whole-record prints of that build
    others: dict[DepKey, str] = field(
        default_factory=dict
    )  # collection, taxonomy and term prints of that build
    qr: dict[str, Any] = field(default_factory=dict)  # placard QR codes by (URL, label): masks are slow
    parsed: dict[Any, Any] = field(default_factory=dict)  # content.ParseMemo: record files by file identity
    search: Any = None  # search.SearchMemo: the index's postings block by block, pinyin of titles
    # publish.RowSpans: where each record's open data lines are in the files of the build noted in site_files
    rows: dict[str, list[tuple[str, int, int]]] = field(default_factory=dict)
    links: str = ""  # digest of every record's source and URL: while it holds, Markdown links resolve alike
    slugs: dict[str, str] = field(
        default_factory=dict
    )  # term slugs by digest of the name: no pypinyin import
    # checks.RecordRules' findings by file: (the file's identity and the rules' settings, the problems)
    findings: dict[str, tuple[Any, list[Any]]] = field(default_factory=dict)


def build_cache_path(cache_dir: Path, output_dir: Path) -> Path:
    """The build cache of one output folder (pages differ between outputs)."""
    return cache_dir / f"build-{digest(str(output_dir))[:10]}.pickle"


def load_cache(path: Path) -> CacheData:
    """A missing, old or damaged cache is simply empty: the build redoes the work."""
    try:
        with path.open("rb") as f:
            data = pickle.load(f)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError, TypeError):
        return CacheData()
    return data if isinstance(data, CacheData) and data.version == CACHE_VERSION else CacheData()


DETACH_PAGES = 2000  # a cache of more pages than this is written by a detached process (seconds at 10,000)


def save_cache(path: Path, data: CacheData, *, detach: bool = False) -> None:
    """Write the cache atomically. With ``detach`` (a command-line build: one thread) and a big cache, a forked
    process writes it while the build returns: the editor need not wait, and a build that starts before it is
    done just reads the previous cache, whose entries are checked like any other."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if detach and len(data.pages) > DETACH_PAGES and portable.can_fork() and threading.active_count() == 1:
        child = os.fork()
        if child == 0:  # a child that forks the writer and exits at once, so no zombie is left behind
            code = 0
            try:
                if os.fork() == 0:
                    os.setsid()  # out of the terminal's process group: a Ctrl-C after the build spares it
                    try:
                        _write_cache(path, data)
                    except BaseException:
                        code = 1
            finally:
                os._exit(code)
        os.waitpid(child, 0)
        return
    _write_cache(path, data)


def _write_cache(path: Path, data: CacheData) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("wb") as f:
        pickle.dump(data, f, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)


WHOLE = "*"  # the attribute of a record key that stands for everything about it


def dep_key(obj: object, attribute: str = WHOLE) -> DepKey | None:
    """What a page depends on when it reads ``obj`` (a record: one attribute of it, or the whole record)."""
    if isinstance(obj, Record):
        return ("record", obj.collection, obj.slug, attribute)
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
    """Everything a template can read from a record itself, and the records next to it. A record inside its
    fields and links counts by its key (``Record.__repr__`` is the key). The repr of its fields, sorted by name,
    is hashed as it is: no repr of per-value reprs, for every record in every edit."""
    return digest(
        record.url,
        record.short,
        record.source,
        record.title,
        text_digest(record.body),
        text_digest(record.raw_body),
        record.body_line,
        repr(sorted(record.lines.items())),
        repr(sorted(record.fields.items())),
        repr(record.backrefs),
        repr(record.prev),
        repr(record.next),
        record.draft,
        record.weight,
    )


_MISSING = object()


def attribute_fingerprint(record: Record, attribute: str) -> str:
    """What ``record.<attribute>`` and ``record[<attribute>]`` give a template. A record inside the value counts
    by its key only: reading further into it is a dependency of its own."""
    try:
        value = getattr(record, attribute)
    except Exception:  # a template may ask for what a record does not have
        value = _MISSING
    item = record.fields.get(attribute, _MISSING)
    return digest(
        "<missing>" if value is _MISSING else _value_repr(value),
        "<missing>" if item is _MISSING else _value_repr(item),
    )


def _value_repr(value: object) -> object:
    if isinstance(value, Record):
        return ("record", value.collection, value.slug)
    if isinstance(value, list | tuple):
        return [_value_repr(v) for v in value]
    if isinstance(value, dict):
        return sorted((repr(k), _value_repr(v)) for k, v in value.items())
    return repr(value)


class Fingerprints:
    """The current fingerprint of everything a page can depend on, computed when first asked for: a rebuild
    asks only for what its cached pages depended on."""

    def __init__(
        self, records: Iterable[Record], collections: dict[str, Collection], taxonomies: dict[str, Taxonomy]
    ) -> None:
        self._records = {(r.collection, r.slug): r for r in records}
        self._prints: dict[DepKey, str] = {}
        for c in collections.values():
            self._prints[("collection", c.name)] = digest(c.title, c.url, _keys(c.records))
        for t in taxonomies.values():
            self._prints[("taxonomy", t.name)] = digest(
                t.title, t.url, [(x.name, x.url, _keys(x.records)) for x in t.terms]
            )
            for term in t.terms:
                self._prints[("term", term.path)] = digest(term.name, term.url, _keys(term.records))

    def get(self, key: DepKey) -> str | None:
        found = self._prints.get(key)
        if found is not None or key[0] != "record":
            return found
        record = self._records.get((key[1], key[2]))
        if record is None:
            return None
        attribute = key[3]
        found = record_fingerprint(record) if attribute == WHOLE else attribute_fingerprint(record, attribute)
        self._prints[key] = found
        return found

    def records(self) -> dict[tuple[str, str], str]:
        """Every record's whole fingerprint: a record whose whole print is as it was cannot have changed in
        any attribute, so the pages that read it need no finer check."""
        return {key: self.get(("record", *key, WHOLE)) or "" for key in sorted(self._records)}

    def others(self) -> dict[DepKey, str]:
        """The fingerprints of every collection, taxonomy and term."""
        return {k: v for k, v in self._prints.items() if k[0] != "record"}

    def everything(self) -> str:
        """One fingerprint of all records, collections and taxonomies (for the site-wide files)."""
        return digest(sorted(self.records().items()), sorted(self.others().items()))


def page_fingerprint(page: Page, site: str = "") -> str:
    """What a page object itself carries: its place, title, breadcrumbs and which records it lists (with the
    site-wide fingerprint, in one digest)."""
    pager = page.paginator
    return digest(
        site,
        page.kind,
        page.path,
        page.url,
        page.title,
        page.template,
        [(link.title, link.url) for link in page.breadcrumbs],  # plain tuples: a dataclass repr is slow
        _keys(page.records),
        pager
        and (
            pager.number,
            pager.count,
            pager.prev_url,
            pager.next_url,
            [(link.title, link.url) for link in pager.pages],
        ),
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
            key = dep_key(obj, attribute)
            if key is not None:
                self.touched.add(key)
        return super().getattr(obj, attribute)

    def touch(self, obj: Any, *attributes: str) -> None:
        """Note a record (and the records it refers to) read by Python code a template called; with
        ``attributes``, only those attributes of it."""
        if self.touched is None:
            return
        if attributes:
            for attribute in attributes:
                key = dep_key(obj, attribute)
                if key is not None:
                    self.touched.add(key)
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
            key = dep_key(obj, argument if isinstance(argument, str) else WHOLE)
            if key is not None:
                self.touched.add(key)
        return super().getitem(obj, argument)
