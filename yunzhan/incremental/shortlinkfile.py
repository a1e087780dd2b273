"""``content/shortlinks.yaml`` around the store. At 10,000 records the file has 10,000 entries, which take seconds
to parse (even with libyaml) and to dump, and a body edit changes one (its digest). So the store keeps, by the
file's text, each entry with its text as a build writes it (``shortlinks.entry_text``), marshalled as plain tuples
(a pickle of 10,000 entries and of their texts keyed by entry cost ~0.1 s a build to read and write back); the
file is written again from the kept texts, dumping only the entries that changed. The rows are kept whole with
the rows changed since beside them (``keptrows``): a body edit writes one row, not 10,000 (2.6 MB marshalled and
stored: ~30 ms a build).
"""

from __future__ import annotations

from pathlib import Path

from yunzhan import shortlinks
from yunzhan.incremental.fingerprints import digest
from yunzhan.incremental.keptrows import KeptRows
from yunzhan.incremental.store import Store

# the meta rows (``KeptRows``): index → an entry's row, under the digest of the code and the file's text; a store
# written by other code is discarded whole (``store.store_version``)
ROW = "shortlink_rows"
Row = tuple[
    str, str, str, str, tuple[str, ...], str
]  # an Entry's fields, then its text in the file ("": unknown)


class ShortLinkFile:
    """The table read through the store, and written back entry by entry (``shortlinks.entry_text``)."""

    def __init__(self, store: Store, site_dir: Path, code: str) -> None:
        self.store, self.site_dir, self.code = store, site_dir, code
        self._texts: dict[int, str] = {}  # id of an entry this file gave → its text in the file
        self._entries: list[shortlinks.Entry] = []  # those entries, alive while their ids are keys
        self.key = ""  # of the file's text as read or written last ("": none, or it could not be read)
        self._rows = KeptRows(store, ROW)

    def load(self) -> shortlinks.Table:
        try:
            text = (self.site_dir / shortlinks.FILE).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return shortlinks.load(self.site_dir)  # no file, or the error that names it
        key = self.key = digest(self.code, text)
        kept, rows = self._kept()
        if rows and kept == key:
            return self._keep([(shortlinks.Entry(*row[:5]), row[5]) for row in rows])
        table = shortlinks.parse(text)  # changed by hand, or written by another build, or no store yet
        if not table.problems:
            # entries as they were still have their text; the others' is made now (~10 µs each), not by the
            # first build that writes the file (the first edit after a first build would dump 10,000)
            texts = {row[:5]: row[5] for row in rows}
            self._keep([(e, texts.get(_fields(e)) or shortlinks.entry_text(e)) for e in table.entries])
            self._put(key)
        return table

    def save(self, table: shortlinks.Table) -> None:
        texts = self._texts
        self._keep([(e, texts.get(id(e)) or shortlinks.entry_text(e)) for e in table.entries])
        text = shortlinks.save(self.site_dir, table, lambda entry: self._texts[id(entry)])
        self.key = digest(self.code, text)
        self._put(self.key)

    def _keep(self, pairs: list[tuple[shortlinks.Entry, str]]) -> shortlinks.Table:
        """Remember these entries and their texts ("": not known yet, made when the file is written)."""
        self._entries = [e for e, _ in pairs]
        self._texts = {id(e): t for e, t in pairs if t}
        return shortlinks.Table(self._entries)

    def _kept(self) -> tuple[str, list[Row]]:
        """The rows as the store keeps them, in order, and their key."""
        key, rows = self._rows.read()
        try:
            return key, [rows[i] for i in range(len(rows))]
        except KeyError:  # not the rows of a file
            return "", []

    def _put(self, key: str) -> None:
        """Keep the rows of the file whose key is ``key``."""
        rows = [(*_fields(e), self._texts.get(id(e), "")) for e in self._entries]
        self._rows.write(key, dict(enumerate(rows)))


def _fields(entry: shortlinks.Entry) -> tuple[str, str, str, str, tuple[str, ...]]:
    return entry.code, entry.source, entry.title, entry.digest, entry.urls
