"""What a build from the command line kept of each record's Markdown conversions, in one row of the store: by the
record's file, its parse print, the HTML of its ``text`` fields with their digests, its body HTML's digest (the
HTML itself is in a row of its own, read when a page shows it) and how each record link resolved. A record whose
file gave the same texts takes them from here: one row read, not two conversions unpickled per record (after one
edit, 20,000 of them). The conversions' rows stay what ``check`` and the long way read; the index names every
one of them, so a build forgets those of what changed without listing the tables.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from yunzhan import texts
from yunzhan.incremental.fingerprints import digest
from yunzhan.incremental.store import Store
from yunzhan.model import Deferred

INDEX = "markdown-records"  # rows in ``meta``: the entries, and how their record links resolved (``LINKS``)
LINKS = "markdown-links"
OVERLAY = "+"  # a row's overlay: what builds since the whole was written changed (None: gone)
OVERLAY_SHARE = 8  # the whole is written again when its overlay holds more than this share of it
FORMAT = 2  # of an entry
TABLES = ("markdown", "html")  # the conversions' rows, and the bodies' HTML kept apart

Lookups = tuple[tuple[str, Any], ...]  # how each record link of a record's texts resolved
# (made: the file's ``parsed_print``, shape: its texts' options as ``texts.parsed_markdown_keys`` digests them,
# the body HTML's digest (None: the record goes the long way, for an image, a problem or a link that resolved to
# a miss), the names of its ``text`` fields, their HTML, their HTML's digests)
Entry = tuple[str, str, str | None, tuple[str, ...], tuple[str, ...], tuple[str, ...]]


def settings_of(text_fields: dict[str, list[str]], iframe_hosts: object) -> str:
    """What the options of a record's texts are made of besides its file: an index made with others is not read."""
    return digest(repr((FORMAT, sorted(text_fields.items()), iframe_hosts)))


def keys_of(entry: Entry) -> list[str]:
    """The conversions' keys of an entry: the body's, then each field's."""
    return texts.kept_keys(entry[0], entry[1], len(entry[3]) + 1)


def entry_of(made: str, keys: list[str], names: list[str], rows: list[Any]) -> tuple[Entry, Lookups]:
    """A record's entry and lookups from its conversions' ``(result, lookups, made)``, in ``keys`` order (the
    body first)."""
    shape = texts.shape_of(keys[0])
    if not all(row is not None and not row[0].images and not row[0].problems for row in rows):
        return (made, shape, None, tuple(names), (), ()), ()
    lookups = tuple(pair for row in rows for pair in row[1])
    plain = type(rows[0][0].html) is Deferred and all(url is None or type(url) is str for _, url in lookups)
    if not plain:  # the body's HTML not kept apart, or a link that resolved to a miss
        return (made, shape, None, tuple(names), (), ()), ()
    fields = rows[1:]
    html = tuple([str(row[0].html) for row in fields])
    return (made, shape, rows[0][2], tuple(names), html, tuple([row[2] for row in fields])), lookups


class MarkdownIndex:
    """The index as the last build left it (``before``) and as this one leaves it (``now``, ``links``)."""

    def __init__(self, store: Store, settings: str) -> None:
        self.store = store
        self.settings = settings
        self.entries = _Overlaid(store, INDEX, settings)
        self.before: dict[str, Entry] | None = self.entries.read()
        self.now: dict[str, Entry] = {}
        self.links: dict[str, Lookups] = {}  # of the records noted the long way (``note``)
        self._links: _Overlaid | None = None  # read when a record link may resolve otherwise

    def hit(self, source: str, made: str) -> Entry | None:
        """The entry of ``source`` when it was made of a file that printed ``made`` and goes the short way."""
        entry = self.before.get(source) if self.before is not None else None
        return None if entry is None or entry[0] != made or entry[2] is None else entry

    def lookups(self, source: str) -> Lookups:
        """How the record links of ``source``'s entry resolved (read from their row when first asked)."""
        if self._links is None:
            self._links = _Overlaid(self.store, LINKS, self.settings)
            self._links.read()
        return self._links.whole.get(source) or ()  # type: ignore[union-attr]

    def note(self, source: str, entry: Entry, lookups: Lookups) -> None:
        self.now[source] = entry
        self.links[source] = lookups

    def finish(self, used: Iterable[str], complete: bool) -> bool:
        """Forget the conversions of entries replaced or gone (but those in ``used``) and keep the index, when
        ``complete`` (every record's texts were keyed by its file's print). False: the caller must forget by
        listing the tables, as without an index (none was read, or it cannot be kept)."""
        if not complete or self.before is None:
            self.entries.write(self.now if complete else None)
            links = _Overlaid(self.store, LINKS, self.settings)
            links.write({k: v for k, v in self.links.items() if v} if complete else None)
            return False
        gone: set[str] = set()
        changed: dict[str, Any] = {}
        for source, entry in self.before.items():
            if self.now.get(source) is not entry:
                gone.update(keys_of(entry))
                changed[source] = self.now.get(source)
        changed.update((source, entry) for source, entry in self.now.items() if source not in self.before)
        gone.difference_update(used)
        for key in sorted(gone):
            for table in TABLES:
                self.store.put(table, key, None)
        if changed:
            self.entries.change(changed, len(self.now))
            links = self._links or _Overlaid(self.store, LINKS, self.settings)
            links.change({s: self.links.get(s) or None for s in changed}, len(self.now))
        return True


def forget(store: Store) -> None:
    """Drop the index, for a build that kept conversions without it (a preview's, in memory): it would name
    conversions that build forgot."""
    for name in (INDEX, LINKS):
        if store.has("meta", name):
            _Overlaid(store, name, "").write(None)


class _Overlaid:
    """A dict kept in two rows of ``meta``: the whole, and an overlay of what changed since it was written."""

    def __init__(self, store: Store, name: str, settings: str) -> None:
        self.store, self.name, self.settings = store, name, settings
        self.whole: dict[str, Any] | None = None
        self.overlay: dict[str, Any] | None = None

    def _overlay(self) -> dict[str, Any]:
        if self.overlay is None:
            found = self.store.get("meta", self.name + OVERLAY)
            self.overlay = found[1] if isinstance(found, tuple) and found[0] == self.settings else {}
        return self.overlay

    def read(self) -> dict[str, Any] | None:
        """The dict, or None when its rows were made with other settings (or never)."""
        found = self.store.get("meta", self.name)
        if not isinstance(found, tuple) or found[0] != self.settings:
            self.whole = {}
            return None
        self.whole = found[1]
        for key, value in self._overlay().items():
            if value is None:
                self.whole.pop(key, None)  # type: ignore[union-attr]
            else:
                self.whole[key] = value  # type: ignore[index]
        return self.whole

    def write(self, whole: dict[str, Any] | None) -> None:
        """Keep ``whole`` (None: forget the dict)."""
        self.store.put("meta", self.name, None if whole is None else (self.settings, whole), plain=True)
        if self.store.has("meta", self.name + OVERLAY):
            self.store.put("meta", self.name + OVERLAY, None)

    def change(self, changed: dict[str, Any], size: int) -> None:
        """Keep these values changed (None: gone): in the overlay while it is a small share of ``size``."""
        overlay = self._overlay() | changed
        if len(overlay) <= size // OVERLAY_SHARE:
            self.store.put("meta", self.name + OVERLAY, (self.settings, overlay), plain=True)
            return
        if self.whole is None:
            self.read()
        whole = {k: v for k, v in (self.whole or {}).items() if k not in changed}
        whole.update((k, v) for k, v in changed.items() if v is not None)
        self.write(whole)
