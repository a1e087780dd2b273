"""Record, collection, taxonomy, term and page prints taken from the last build when nothing they are made of
changed but the bodies of edited records. Fingerprinting 10,000 records and 12,000 pages again costs ~0.25 s,
the most of a body edit's ``check`` step, to find what a look at the edited files could tell.

A print is a function of the records as the build leaves them, the settings and the media. A record file
reaches its own print through its parse print, and every other print (another record's references, back
references, neighbours, the pages and listings) only through what it holds besides its body: its *shape*
(``shape_print``). So while the context is as it was (the site's print, every record's key, file, short link,
title and status in order, the processed images and media), and each edited file's shape is what it was, each
print is as the last build made it, but for the edited records' own: those are made again. Anything else
changed, every print is made again, as before. The plan then is the last build's too, so each page's print is
the one its head in the store notes (when that build noted every page's, and no page carries a share card).

Every build from the command line notes the row (``keep``) in the transaction that notes its pages; a
long-lived process's build removes it (``forget``): the row never describes a build older than the pages' heads.
The rows are a ``KeptRows`` table (a body edit writes the edited records' rows, not 10,000: ~1.2 MB), read once
a build for ``keptorder`` and ``StoredPrints`` both (``basis``).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from typing import Any

from yunzhan.incremental.fingerprints import WHOLE, DepKey, digest, print_of
from yunzhan.incremental.keptrows import OVERLAY, KeptRows
from yunzhan.incremental.store import Store
from yunzhan.model import Page, Record

BASIS = "print_basis"  # ``KeptRows``: {record key: (parse, shape, print)}, keyed "1" or "0" (pages complete) + context
RecordKey = tuple[str, str]
Origin = tuple[str, Record] | None
_ROW = operator.attrgetter("collection", "slug", "source", "short", "title", "draft", "weight")  # and config
_KEY = operator.attrgetter("collection", "slug")
_SHARE = operator.attrgetter("share")


def context_of(site: str, records: list[Record], media: Iterable[dict[str, Any]]) -> str:
    """What every print but an edited record's own is made of, besides the records' shapes: the site's print,
    each record's row (in C: 10,000 records), the images and media put into records and bodies."""
    return print_of((site, list(map(_ROW, records)), digest(*[sorted(found.items()) for found in media])))


def shape_print(parsed: Record) -> str:
    """What a parsed record gives the build besides its body (``parsed_print`` without it)."""
    return digest(
        repr(
            (
                parsed.source,
                parsed.title,
                parsed.body_line,
                sorted(parsed.lines.items()),
                sorted(parsed.fields.items()),
                parsed.draft,
                parsed.weight,
                parsed.review,
            )
        )
    )


class StoredPrints:
    """The last build's prints, and those of this build it may take from them."""

    def __init__(
        self,
        store: Store,
        context: str,
        records: list[Record],
        origin: Callable[[Record], Origin],
        kept: KeptRows | None = None,
    ) -> None:
        """``kept``: the build's reader of the rows (``basis``), when it has one already."""
        self.kept = kept or basis(store)
        key, rows = self.kept.read()
        found = (key[1:], key[:1] == "1", rows) if key else None
        self.context = context
        self.before: dict[RecordKey, tuple[str, str, str]] = found[2] if found is not None else {}
        self.shapes: dict[RecordKey, tuple[str, str]] = {}  # (parse, shape) of the records now
        # the records' prints taken (None: every print is made), then the others'
        self.known = self._records(records, origin) if found is not None and found[0] == context else None
        self.others: dict[DepKey, str] | None = (
            store.get("meta", "others") if self.known is not None else None
        )
        # the plan is the last build's too, and each of its pages' head in the store notes its print
        self.pages = self.others is not None and found[1]

    def _records(self, records: list[Record], origin: Callable[[Record], Origin]) -> dict[DepKey, str] | None:
        """The whole prints of the records whose file is as the last build parsed it, by their ``DepKey``;
        None when an edited file's shape changed (or a record was not parsed from a file)."""
        kept: dict[DepKey, str] = {}
        before, shapes = self.before, self.shapes
        for record in records:
            key = _KEY(record)
            found = origin(record)
            if found is None:
                return None
            made, parsed = found
            last = before.get(key)
            if last is not None and last[0] == made:
                kept["record", *key, WHOLE] = last[2]
                continue
            shape = shape_print(parsed)
            if last is None or last[1] != shape:
                return None
            shapes[key] = (made, shape)
        return kept

    def records_before(self) -> dict[RecordKey, str] | None:
        """Each record's print as the last build noted it (``reuse.changed_owners``), when it did."""
        return {key: last[2] for key, last in self.before.items()} if self.before else None

    def keep(
        self,
        store: Store,
        whole: dict[RecordKey, str],
        records: list[Record],
        origin: Callable[[Record], Origin],
        complete: bool,
    ) -> None:
        """Note this build's prints for the next (``complete``: every page's head in the store notes its print
        now). Taken, the records' rows are the last build's, but the edited records'."""
        if self.known is not None:
            rows = self.before.copy()
            rows.update((key, (*found, whole[key])) for key, found in self.shapes.items())
        else:
            rows = {}
            for record in records:
                key = _KEY(record)
                at = origin(record)
                if at is not None:
                    last = self.before.get(key)
                    shape = last[1] if last is not None and last[0] == at[0] else shape_print(at[1])
                    rows[key] = (at[0], shape, whole[key])
        self.kept.write(f"{int(complete)}{self.context}", rows)


def basis(store: Store) -> KeptRows:
    """A reader of the rows of ``BASIS`` through ``store``: a build makes one, for ``keptorder`` and
    ``StoredPrints`` both, so it reads them once."""
    return KeptRows(store, BASIS)


def forget(store: Store) -> None:
    """No rows noted (a long-lived process's build: the next from the command line makes every print)."""
    store.put("meta", BASIS, None)
    store.put("meta", BASIS + OVERLAY, None)


def pages_shareless(pages: list[Page]) -> bool:
    """Whether no page carries a share card (whose drawing reads files no context here covers)."""
    return not any(map(_SHARE, pages))
