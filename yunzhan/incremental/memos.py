"""Reuse around stage calls: each wraps a plain stage function with lookups in the build store, keyed by the
inputs that function reads. The stages never see them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, MutableMapping
from pathlib import Path
from typing import Any

from yunzhan import markup, shortlinks, texts
from yunzhan.config import CollectionSettings
from yunzhan.incremental.fingerprints import HtmlPrints, ParsePrints, digest
from yunzhan.incremental.store import Store
from yunzhan.model import Record


class ParsedFiles(MutableMapping[Path, tuple[Any, Any, list[Any]]]):
    """``content.ParseMemo`` kept in the store: record files already parsed, by path. The collection settings
    a file was parsed with are stored as a digest and given back as the very object of this build's config
    when it is equal (``content`` compares them by identity first)."""

    def __init__(self, store: Store, collections: tuple[CollectionSettings, ...]) -> None:
        self.store = store
        self.settings = {digest(c): c for c in collections}
        self.loaded: dict[Path, Any] = {}
        self.prints = ParsePrints()  # each record's ``parsed_print`` and body digest, kept beside it
        store.prefetch("parsed")

    def __getitem__(self, path: Path) -> tuple[Any, Any, list[Any]]:
        if path in self.loaded:
            return self.loaded[path]  # type: ignore[no-any-return]
        found = self.store.get("parsed", str(path))
        if found is None:
            raise KeyError(path)
        identity, record, problems, made, body = found
        if record is not None:
            self.prints.add(record, made, body)
        settings = self.settings.get(identity[4])
        value = ((*identity[:4], settings if settings is not None else identity[4]), record, problems)
        self.loaded[path] = value
        return value

    def __setitem__(self, path: Path, value: tuple[Any, Any, list[Any]]) -> None:
        loaded = self.loaded.get(path)
        if loaded is not None and loaded[1] is value[1] and loaded[0][:4] == value[0][:4]:
            return  # the same parse, its settings object swapped for an equal one: nothing new to keep
        identity, record, problems = value
        self.loaded[path] = value
        made = self.prints.get(record) if record is not None else ""
        body = self.prints.body(record, shortlinks.body_digest) if record is not None else ""
        row = ((*identity[:4], digest(identity[4])), record, problems, made, body)
        self.store.put("parsed", str(path), row)

    def __delitem__(self, path: Path) -> None:
        self.loaded.pop(path, None)
        self.store.put("parsed", str(path), None)

    def __iter__(self) -> Iterator[Path]:
        return iter([Path(key) for key in self.store.keys("parsed")])

    def __len__(self) -> int:
        return len(self.store.keys("parsed"))


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
        if not self.memory:  # a build from the command line: it will ask for nearly every conversion
            store.prefetch("markdown")
        # Every record has the source and URL it had: each link resolves as it did, no need to check.
        self.links_as_before = links_as_before
        self.origins = origins

    def keys(self, record: Record, found: list[tuple[str, str, dict[str, Any]]]) -> list[str]:
        """The keys of a record's ``texts.markdown_texts``: by the print of its file when they are the very
        texts the file gave (``check`` finds the same keys), else each by its text."""
        origin = self.origins(record) if self.origins is not None else None
        if origin is not None:
            made, parsed = origin
            if all(text is (parsed.fields.get(name) if name else parsed.raw_body) for name, text, _ in found):
                return self._parsed_keys(made, found)
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

    def lookup(self, key: str, resolve: markup.LinkResolver) -> markup.MarkupResult | None:
        hit = self.memory.get(key)
        if hit is None:
            hit = self.memory[key] = self.store.get("markdown", key)
        if hit is not None and (self.links_as_before or all(resolve(href) == url for href, url in hit[1])):
            self.used.add(key)
            if len(hit) < 3:  # kept by an older yunzhan: its digest made now, and kept beside it from now on
                hit = self.memory[key] = (*hit, digest(hit[0].html))
                self.store.put("markdown", key, hit)
            if self.html is not None:
                self.html.add(hit[0].html, hit[2])
            return hit[0]  # type: ignore[no-any-return]
        return None

    def remember(
        self,
        key: str,
        result: markup.MarkupResult,
        lookups: tuple[tuple[str, str | markup.LinkMiss | None], ...],
    ) -> None:
        self.used.add(key)
        entry = self.memory[key] = (result, lookups, digest(result.html))
        self.store.put("markdown", key, entry)
        if self.html is not None:
            self.html.add(result.html, entry[2])

    def finish(self) -> None:
        """Keep only the conversions this build used."""
        self.store.keep_only("markdown", self.used)
        for key in self.memory.keys() - self.used:
            del self.memory[key]
        if self.kept_keys is not None:
            for made in self.kept_keys.keys() - self.prints_used:
                del self.kept_keys[made]


class ShortLinkFile:
    """``content/shortlinks.yaml`` around the store. At 10,000 records the file has 10,000 entries, which take
    seconds to parse (even with libyaml) and to dump, and a body edit changes one (its digest): so the table is
    kept by the file's text, and the file is written again from each entry's text, kept by the entry."""

    def __init__(self, store: Store, site_dir: Path, code: str) -> None:
        self.store, self.site_dir, self.code = store, site_dir, code

    def load(self) -> shortlinks.Table:
        try:
            text = (self.site_dir / shortlinks.FILE).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return shortlinks.load(self.site_dir)  # no file, or the error that names it
        key = digest(self.code, text)
        known = self.store.get("meta", "shortlinks")
        if known is not None and known[0] == key:
            return known[1]  # type: ignore[no-any-return]
        table = shortlinks.parse(text)
        if not table.problems:
            self.store.put("meta", "shortlinks", (key, table))
        return table

    def save(self, table: shortlinks.Table) -> None:
        known = self.store.get("meta", "shortlink_texts")
        texts: dict[shortlinks.Entry, str] = known[1] if known is not None and known[0] == self.code else {}
        used: dict[shortlinks.Entry, str] = {}

        def text_of(entry: shortlinks.Entry) -> str:
            text = used[entry] = texts.get(entry) or shortlinks.entry_text(entry)
            return text

        text = shortlinks.save(self.site_dir, table, text_of)
        self.store.put("meta", "shortlink_texts", (self.code, used))
        self.store.put("meta", "shortlinks", (digest(self.code, text), table))
