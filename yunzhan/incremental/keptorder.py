"""What the ``references`` step made, kept from the last build from the command line while only edited records'
bodies changed since: each collection's order and each record's short link. Sorting 10,000 records and matching
them to 10,000 short-link entries again costs ~0.1 s of a body edit to find what a look at the edited files
tells: a record's place and code are made of what it holds besides its body (its shape,
``storedprints.shape_print``), the settings and the other records, never of its Markdown.

They are taken while the key holds (the code, the settings, the drafts option, whether the build writes the
short-link file), the records are the same files in the same order, each file this build parsed
(``ParsedFiles.fresh``: the others' parses are the last build's) has the shape the last build noted
(``storedprints.basis``), and the short-link file is the one the last build left (its text's key, "" when that
build changed the table without writing it). The stages are then called with what is known
(``references.link_in_order``, ``shortlinks.assign_again``).
"""

from __future__ import annotations

import marshal
from dataclasses import dataclass

from yunzhan.incremental.keptrows import KeptRows
from yunzhan.incremental.store import Store
from yunzhan.incremental.storedprints import basis, shape_print
from yunzhan.model import Record

ORDER = "kept_order"  # meta row: (key, marshalled (sources, order by collection as indexes, short links))
FILE = "kept_order_file"  # meta row: the short-link file's key as the last build left it


@dataclass
class KeptOrder:
    """The last build's order and short links, for this build's records (in the same order)."""

    grouped: dict[str, list[Record]]
    shorts: list[str]  # each record's ``short`` as the last build's ``shortlinks.assign`` set it
    edited: list[Record]  # the records whose file this build parsed: their bodies may have changed


def kept_order(
    store: Store,
    key: str,
    records: list[Record],
    fresh: list[tuple[Record, Record]],
    file_key: str,
    prints: KeptRows | None = None,
) -> KeptOrder | None:
    """The last build's, when nothing they are made of changed; ``fresh``: (record, its parse) of each file
    parsed by this build; ``prints``: the build's reader of ``storedprints``' rows, when it has one."""
    found = store.get("meta", ORDER)
    if not isinstance(found, tuple) or found[0] != key or not file_key or store.get("meta", FILE) != file_key:
        return None
    sources, order, shorts = marshal.loads(found[1])
    if len(sources) != len(records) or any(a != b.source for a, b in zip(sources, records, strict=True)):
        return None
    if fresh:
        rows = (prints or basis(store)).read()[1]
        for record, parsed in fresh:
            row = rows.get((record.collection, record.slug))
            if row is None or row[1] != shape_print(parsed):
                return None
    grouped = {name: [records[i] for i in at] for name, at in order.items()}
    return KeptOrder(grouped, shorts, [record for record, _ in fresh])


def keep_order(
    store: Store, key: str, records: list[Record], grouped: dict[str, list[Record]], file_key: str
) -> None:
    """Note this build's order and short links (made now) for the next."""
    index = {id(r): i for i, r in enumerate(records)}
    order = {name: [index[id(r)] for r in items] for name, items in grouped.items()}
    made = marshal.dumps(([r.source for r in records], order, [r.short for r in records]))
    store.put("meta", ORDER, (key, made), plain=True)
    keep_file(store, file_key)


def keep_file(store: Store, file_key: str) -> None:
    """Note the short-link file's key as this build leaves it ("": the table changed, the file was not written)."""
    if store.get("meta", FILE) != file_key:
        store.put("meta", FILE, file_key, plain=True)
