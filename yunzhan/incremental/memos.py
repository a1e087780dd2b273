"""Reuse around stage calls: each wraps a plain stage function with lookups in the build store, keyed by the
inputs that function reads. The stages never see them.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from pathlib import Path
from typing import Any

from markupsafe import Markup

from yunzhan import markup, shortlinks, texts
from yunzhan.config import CollectionSettings
from yunzhan.incremental.fingerprints import HtmlPrints, ParsePrints, digest
from yunzhan.incremental.markdownindex import MarkdownIndex, entry_of, forget, settings_of
from yunzhan.incremental.parsedrows import ParsedRows
from yunzhan.incremental.store import Store
from yunzhan.incremental.textpack import TextPack
from yunzhan.model import Deferred, Record


class ParsedFiles(MutableMapping[Path, tuple[Any, Any, list[Any]]]):
    """``content.ParseMemo`` kept in the store: record files already parsed, by path. The collection settings
    a file was parsed with are stored as a digest and given back as the very object of this build's config
    when it is equal (``content`` compares them by identity first). A record's Markdown is kept in a row of its
    own (``SOURCES``, nine tenths of a row's bytes) and handed out ``Deferred``: read when asked for, which an
    unchanged record's never is (its conversions, prints and findings are kept by its file's). The rows are
    ``parsedrows``': written by ``settle``."""

    def __init__(self, store: Store, collections: tuple[CollectionSettings, ...]) -> None:
        self.store = store
        self.settings = {digest(c): c for c in collections}
        # and each one's digest by the object (a repr of its every field, ~0.1 ms, for each file parsed)
        self.digests = {id(c): made for made, c in self.settings.items()}
        self.loaded: dict[Path, Any] = {}
        self.fresh: set[Path] = set()  # parsed by this build: their rows are not committed yet
        self.prints = ParsePrints()  # each record's ``parsed_print`` and body digest, kept beside it
        self.rows = ParsedRows(store)

    def __getitem__(self, path: Path) -> tuple[Any, Any, list[Any]]:
        hit = self.loaded.get(path)
        if hit is not None:
            return hit  # type: ignore[no-any-return]
        key = str(path)
        found = self.rows.get(key)
        if found is None:
            raise KeyError(path)
        identity, kept, problems, made, body = found
        record = _record_from(kept)
        if record is not None:
            self.prints.add(record, made, body)
            if isinstance(kept, tuple):
                later = functools.partial(self._raw_body, key)
                record.__dict__["_deferred"] = {"raw_body": Deferred("", later, anywhere=True)}
        settings = self.settings.get(identity[4])
        value = ((*identity[:4], settings if settings is not None else identity[4]), record, problems)
        self.loaded[path] = value
        return value

    def get(self, path: Path, default: Any = None) -> Any:  # type: ignore[override]
        """``Mapping.get`` without its frame for a file read already (3 asks a file, 10,000 files a build)."""
        hit = self.loaded.get(path)
        if hit is not None:
            return hit
        try:
            return self[path]
        except KeyError:
            return default

    def __setitem__(self, path: Path, value: tuple[Any, Any, list[Any]]) -> None:
        loaded = self.loaded.get(path)
        if loaded is not None and loaded[1] is value[1] and loaded[0][:4] == value[0][:4]:
            return  # the same parse, its settings object swapped for an equal one: nothing new to keep
        identity, record, problems = value
        self.loaded[path] = value
        made = self.prints.get(record) if record is not None else ""
        body = self.prints.body(record, shortlinks.body_digest) if record is not None else ""
        settings = self.digests.get(id(identity[4])) or digest(identity[4])
        row = ((*identity[:4], settings), _record_values(record), problems, made, body)
        self.rows.put(str(path), row)
        if isinstance(row[1], tuple) and record is not None:
            self.store.put(SOURCES, str(path), record.raw_body.encode("utf-8", "surrogatepass"), plain=True)
        self.fresh.add(path)

    def __delitem__(self, path: Path) -> None:
        self.loaded.pop(path, None)
        self.rows.remove(str(path))
        self.store.put(SOURCES, str(path), None)

    def __iter__(self) -> Iterator[Path]:
        return iter([Path(key) for key in self.rows])

    def settle(self) -> None:
        """Write what changed, once the build has its records (``ParsedRows.settle``)."""
        self.rows.settle()

    def let_go_of_bodies(self, records: Iterable[Record], pack: TextPack) -> None:
        """Hold no record's Markdown as text once it is converted (33 MB at 10,000 records, held through
        rendering, and a forked renderer's to copy): kept compressed in ``pack`` should anything ask."""
        parsed_by_source = {}
        for path, (_, parsed, _) in self.loaded.items():
            if parsed is None or "raw_body" not in parsed.__dict__:
                continue
            if path in self.fresh:  # parsed now: its row is not committed yet
                again = Deferred("", functools.partial(pack.text, pack.add(parsed.raw_body)), anywhere=True)
            else:
                again = Deferred("", functools.partial(self._raw_body, str(path)), anywhere=True)
            parsed_by_source[parsed.source] = (parsed, again)
        for record in records:
            found = parsed_by_source.get(record.source)
            if found is not None and record.__dict__.get("raw_body") is found[0].raw_body:
                record.defer("raw_body", found[1])
        for parsed, again in parsed_by_source.values():
            parsed.defer("raw_body", again)

    def _raw_body(self, key: str) -> str:
        found = self.store.committed(SOURCES, key)
        if found is None:  # removed meanwhile by another build: never an empty body published as this one
            raise LookupError(f"build store: the Markdown of {key} is gone")
        return found.decode("utf-8", "surrogatepass")

    def __len__(self) -> int:
        return len(self.rows)


SOURCES = "sources"  # table: a parsed record's Markdown (UTF-8), by its file's path


def same_markdown(record: Record, parsed: Record) -> bool:
    """Whether ``record`` holds ``parsed``'s very Markdown (a copy of it, not set again since), without reading
    one kept in the store."""
    held = record.deferred("raw_body")
    if held is not None or "raw_body" not in record.__dict__:
        return held is not None and held is parsed.deferred("raw_body")
    return record.raw_body is parsed.__dict__.get("raw_body")


def _stored_html(store: Store, key: str) -> Markup:
    """A body's HTML from its row (kept while a build that handed it out runs: ``MarkdownMemo.finish``)."""
    found = store.committed("html", key)
    if found is None:  # removed meanwhile by another build of this output
        raise LookupError(f"build store: the HTML of {key} is gone")
    return Markup(found)


def pack_bodies(records: Iterable[Record], pack: TextPack) -> None:
    """Bodies read from the store when shown (``Deferred``) that a forked child may not read there (made by this
    build, not committed yet), read now into ``pack``: for forked renderers."""
    for record in records:
        found = record.deferred("body")
        if found is not None and not found.anywhere:
            number = pack.add(found.load())
            record.defer("body", Deferred(found.made, functools.partial(pack.markup, number), anywhere=True))


_ATTRIBUTES = tuple(f.name for f in dataclasses.fields(Record))


def _record_values(record: Record | None) -> tuple[Any, ...] | Record | None:
    """A parsed record as the store keeps it: its attributes' values in ``_ATTRIBUTES`` order, the body as
    plain text. Unpickled a quarter faster than the record (10,000 a build: ~165 -> ~125 ms CPU): no lookup
    of ``__setstate__`` through ``Record.__getattr__``, no Markup rebuilt in Python. A record with other
    attributes is kept as it is."""
    if record is None or record.__dict__.keys() != set(_ATTRIBUTES) or type(record.body) is not Markup:
        return record
    values = [record.__dict__[name] for name in _ATTRIBUTES]
    values[_BODY] = str(record.body)
    values[_RAW_BODY] = None  # kept apart (``SOURCES``)
    return tuple(values)


def _record_from(kept: tuple[Any, ...] | Record | None) -> Record | None:
    """``_record_values`` read back."""
    if not isinstance(kept, tuple):
        return kept
    record = object.__new__(Record)
    state = record.__dict__
    state.update(zip(_ATTRIBUTES, kept, strict=True))
    state["body"] = str.__new__(Markup, state["body"])  # a plain str: nothing to escape
    del state["raw_body"]  # kept apart, read when asked for (``ParsedFiles``)
    return record


_BODY = _ATTRIBUTES.index("body")
_RAW_BODY = _ATTRIBUTES.index("raw_body")


class MarkdownMemo:
    """Markdown conversions by input; an entry stands only while its record links resolve as they did."""

    def __init__(
        self,
        store: Store,
        links_as_before: bool = False,
        memory: dict[str, Any] | None = None,
        origins: Callable[[Record], tuple[str, Record] | None] | None = None,
        kept_keys: dict[str, tuple[tuple[Any, ...], list[str]]] | None = None,
        html: HtmlPrints | None = None,
    ) -> None:
        """``memory``: conversions a long-lived process keeps between builds (``Session.conversions``), so a
        save reads none back from the store. ``origins``: each record's parsed original and its
        ``parsed_print`` (as for ``Fingerprints``), which key its texts without digesting them again.
        ``kept_keys``: those keys as such a process keeps them, by the print and the options they were made
        of (``Session.markdown_keys``). ``html``: told the digest of each HTML handed out, which each conversion
        keeps beside it (made once, when converted), for the records' prints."""
        self.store = store
        self.html = html
        self.memory = memory if memory is not None else {}
        self.used: set[str] = set()
        self.kept_keys = kept_keys
        self.prints_used: set[str] = set()
        # a build from the command line asks for nearly every conversion, unless the index has them (``begin``)
        self.prefetch = not self.memory
        self.index: MarkdownIndex | None = None  # a build from the command line's, once ``begin`` read it
        self.text_fields: dict[str, list[str]] = {}
        self.noted: dict[str, tuple[str, list[str], list[str]]] = {}  # records keyed by print, the long way
        self.complete = True  # every record's texts were keyed by its file's print
        # Bodies' HTML kept in rows of their own, read when shown: by a build from the command line (a process
        # that keeps conversions between builds keeps them whole)
        self.apart = memory is None
        self.kept_apart: set[str] | None = None  # the keys of the bodies' HTML in the store, once asked for
        # Every record has the source and URL it had: each link resolves as it did, no need to check.
        self.links_as_before = links_as_before
        self.origins = origins

    def begin(self, text_fields: dict[str, list[str]], iframe_hosts: object) -> None:
        """Read the index of the records' conversions (a build from the command line that knows the records'
        prints): ``whole`` then hands out those of unchanged records, and nothing else is read ahead."""
        if not self.apart or self.origins is None:
            return
        self.index = MarkdownIndex(self.store, settings_of(text_fields, iframe_hosts))
        self.text_fields = text_fields
        if self.index.before is not None:
            self.prefetch = False

    def whole(
        self, record: Record, resolver: Callable[[Record], markup.LinkResolver]
    ) -> tuple[Deferred, list[tuple[str, Markup]]] | None:
        """A record's body (``Deferred``) and ``text`` fields' HTML from the index, when its file gave these very
        texts and each record link resolves as it did; None: the long way (``keys``, ``lookup``)."""
        origin = self.origins(record) if self.index is not None else None  # type: ignore[misc]
        if origin is None:
            return None
        made, parsed = origin
        entry = self.index.hit(record.source, made)  # type: ignore[union-attr]
        if (
            entry is None
            or not same_markdown(record, parsed)
            or record.lines is not parsed.lines
            or record.body_line != parsed.body_line
            or record.source != parsed.source
        ):
            return None
        fields, was = record.fields, parsed.fields
        for name in self.text_fields[record.collection]:
            if fields.get(name) is not was.get(name):
                return None
        if not self.links_as_before:
            lookups = self.index.lookups(record.source)  # type: ignore[union-attr]
            resolve = resolver(record) if lookups else None
            if resolve is not None and not all(resolve(href) == url for href, url in lookups):
                return None
        _, shape, body_made, names, html, prints = entry
        body = self._later(f"{made}.{shape}.0", body_made, True)  # type: ignore[arg-type]  # texts.kept_keys
        found = [(name, str.__new__(Markup, text)) for name, text in zip(names, html, strict=True)]
        if self.html is not None:
            for (_, text), made_html in zip(found, prints, strict=True):
                self.html.add(text, made_html)
        self.index.now[record.source] = entry  # type: ignore[union-attr]
        return body, found

    def keys(self, record: Record, found: list[tuple[str, str, dict[str, Any]]]) -> list[str]:
        """The keys of a record's ``texts.markdown_texts``: by the print of its file when they are the very
        texts the file gave (``check`` finds the same keys), else each by its text."""
        origin = self.origins(record) if self.origins is not None else None
        if origin is not None:
            made, parsed = origin
            if (
                record.source == parsed.source  # what the print covers of the options (``texts.FROM_FILE``)
                and record.body_line == parsed.body_line
                and record.lines is parsed.lines
                and all(
                    text is parsed.fields.get(name) if name else same_markdown(record, parsed)
                    for name, text, _ in found
                )
            ):
                keys = self._parsed_keys(made, found)
                if self.index is not None:
                    self.noted[record.source] = (made, keys, [name for name, _, _ in found[1:]])
                return keys
        self.complete = False
        return [texts.markdown_key(text, options) for _, text, options in found]

    def _parsed_keys(self, made: str, found: list[tuple[str, str, dict[str, Any]]]) -> list[str]:
        """``texts.parsed_markdown_keys``, kept by the print and the options (their values are text, numbers
        and tuples of text, compared exactly) when the process keeps them."""
        if self.kept_keys is None:
            return texts.parsed_markdown_keys(made, found)
        shape = tuple([(name, *options.items()) for name, _, options in found])
        hit = self.kept_keys.get(made)
        if hit is None or hit[0] != shape:
            hit = self.kept_keys[made] = (shape, texts.parsed_markdown_keys(made, found))
        self.prints_used.add(made)
        return hit[1]

    def lookup(
        self, key: str, resolve: markup.LinkResolver, body: bool = False
    ) -> markup.MarkupResult | None:
        """The conversion under ``key`` while its record links resolve as they did. A ``body``'s HTML, kept in a
        row of its own, is handed out ``Deferred`` (read when a page shows it) by a build from the command line."""
        hit = self.memory.get(key)
        if hit is None:
            if self.prefetch:
                self.store.prefetch("markdown")
                self.prefetch = False
            row = self.store.get("markdown", key)
            if row is not None and len(row) == 4 and row[0] is None:  # its HTML kept apart
                apart = self._html(key, row[3]) if body and self.apart else self._whole(key)
                row = None if apart is None else texts.from_kept_row(row, apart)
            elif row is not None:
                row = texts.from_kept_row(row)
            hit = self.memory[key] = row
        if hit is not None and (self.links_as_before or all(resolve(href) == url for href, url in hit[1])):
            self.used.add(key)
            if self.html is not None and type(hit[0].html) is not Deferred:
                self.html.add(hit[0].html, hit[2])
            return hit[0]  # type: ignore[no-any-return]
        return None

    def _whole(self, key: str) -> Markup | None:
        found = self.store.get("html", key)
        return Markup(found) if found is not None else None

    def _html(self, key: str, made: str) -> Deferred | None:
        """A body's HTML read from its row each time it is asked for (by whichever process renders the page:
        a forked renderer through a connection of its own, ``Store.committed``)."""
        if self.index is not None and self.index.before is not None:  # a few records: one query each
            return self._later(key, made, True) if self.store.has("html", key) else None
        if self.kept_apart is None:
            self.kept_apart = self.store.keys("html")  # one query, not one a record
        return self._later(key, made, True) if key in self.kept_apart else None

    def _later(self, key: str, made: str, committed: bool) -> Deferred:
        """``committed``: kept by an earlier build, so a forked child may read it (``Store.committed``)."""
        return Deferred(made, functools.partial(_stored_html, self.store, key), anywhere=committed)

    def remember(
        self,
        key: str,
        result: markup.MarkupResult,
        lookups: tuple[tuple[str, str | markup.LinkMiss | None], ...],
        body: bool = False,
    ) -> markup.MarkupResult:
        """Keep a conversion made now; the result to use (a ``body``'s HTML ``Deferred``, as ``lookup`` hands
        it out: a cold build need not hold 10,000 bodies' HTML while it renders)."""
        self.used.add(key)
        made = digest(result.html)
        apart = body and self.apart
        row = texts.kept_row(result, lookups, made, apart)
        if apart and len(row) == 4:
            self.store.put("html", key, str(result.html), plain=True)
            result = dataclasses.replace(result, html=self._later(key, made, False))
        elif self.html is not None:
            self.html.add(result.html, made)
        self.memory[key] = (result, lookups, made)
        self.store.put("markdown", key, row, plain=len(row) == 4)
        return result

    def finish(self) -> None:
        """Keep only the conversions this build used (those of the index's records and those ``used``)."""
        index = self.index
        if index is not None:
            for source, (made, keys, names) in self.noted.items():
                index.note(source, *entry_of(made, keys, names, [self.memory.get(key) for key in keys]))
        if index is None:
            forget(self.store)
        if index is None or not index.finish(self.used, self.complete):
            self.store.keep_only("markdown", self.used)
            self.store.keep_only("html", self.used)
        for key in self.memory.keys() - self.used:
            del self.memory[key]
        if self.kept_keys is not None:
            for made in self.kept_keys.keys() - self.prints_used:
                del self.kept_keys[made]
