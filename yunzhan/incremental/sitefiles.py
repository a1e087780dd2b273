"""The site-wide files (search index, sitemap, robots.txt, feed, open data) around the reuse layer: kept while
their key holds and the files are as written; otherwise made again from the search blocks and open data lines
of records unchanged since the last build, which the store keeps by keys made of the stages' own ``inputs``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from yunzhan import opendata, publish, search
from yunzhan.config import SiteConfig
from yunzhan.incremental.fingerprints import Fingerprints, digest, inputs_key
from yunzhan.incremental.recordstates import RecordKey, by_state, record_states
from yunzhan.incremental.searchblocks import search_files
from yunzhan.incremental.store import Store
from yunzhan.incremental.written import as_written
from yunzhan.model import Page, Record

if TYPE_CHECKING:
    from yunzhan.writing import Stage

CHUNK = 256  # records whose open data lines are kept in one row of the store


def make_site_files(
    config: SiteConfig,
    grouped: dict[str, list[Record]],
    all_pages: list[Page],
    store: Store,
    prints: Fingerprints,
    code: str,
    output_dir: Path,
    slugs: Mapping[str, str],
    stage: Stage | None = None,
) -> dict[str, bytes]:
    """The search index, sitemap, robots.txt, feed and open data. With ``stage``, each group of files is staged
    as soon as it is made (at 10,000 records they come to over 100 MB) and only their names are returned, with
    empty bytes. ``slugs``: the term slugs known (``pages.plan_site``'s)."""
    ordered = search.in_order([r for c in config.collections for r in grouped[c.name]], config)
    settings = digest(config, code)
    left = _left_as_written(output_dir, store)
    states = record_states(ordered, prints)
    makers: list[Callable[[], Mapping[str, bytes | None]]] = [
        lambda: search_files(ordered, config, store, settings, states, left, slugs),
        lambda: publish.sitemap(all_pages, config),
        lambda: publish.robots(config),
    ]
    if config.publish.feed:
        makers.append(lambda: publish.atom_feed(ordered, config))
    if config.publish.open_data:
        makers.append(lambda: open_data(grouped, config, store, settings, states))
    files: dict[str, bytes] = {}
    for make in makers:
        made = make()  # None: the file in the output is still right (``left`` said it is as written)
        if stage is not None:
            for rel, data in made.items():
                if data is None:
                    stage.get().keep(rel)
                else:
                    stage.get().write_bytes(rel, data)
            files |= dict.fromkeys(made, b"")
        else:
            files |= {
                rel: (output_dir / rel).read_bytes() if data is None else data for rel, data in made.items()
            }
    return files


def open_data(
    grouped: Mapping[str, list[Record]],
    config: SiteConfig,
    store: Store,
    settings: str,
    states: dict[RecordKey, str],
) -> dict[str, bytes]:
    """``opendata.open_data``, each record's lines kept in the store by the key of its ``opendata.inputs``
    (that key made again only for records whose state changed): after one edit, one record's lines are made,
    not 10,000. The lines are kept CHUNK records a row, found by their records' keys."""
    published = [r for c in config.collections for r in grouped.get(c.name, []) if not r.draft]

    def key(record: Record) -> str:
        return inputs_key(settings, opendata.inputs(record, config))

    keys = by_state(store, "open_data_records", settings, published, states, key)
    lines = _lines(store, published, keys, config)
    out: dict[str, list[opendata.Lines]] = {c.name: [] for c in config.collections}
    for record, found in zip(published, lines, strict=True):
        out[record.collection].append(found)
    return opendata.open_data_files(config, out)


def _lines(store: Store, records: list[Record], keys: list[str], config: SiteConfig) -> list[opendata.Lines]:
    """The lines of each record, by chunks of CHUNK records kept in the store under a digest of their keys; a
    chunk not found is made of the lines of the chunks at and next to its place in the last build (which
    hold its records unless many were added or removed before it) and of ``opendata.record_lines``."""
    before: list[str] = store.get("meta", "open_data") or []
    old: dict[int, dict[str, opendata.Lines]] = {}

    def old_chunk(n: int) -> dict[str, opendata.Lines]:
        if n not in old:
            row = store.get("lines", before[n]) if 0 <= n < len(before) else None
            old[n] = dict(row) if row is not None else {}
        return old[n]

    names, out = [], []
    for n, start in enumerate(range(0, len(records), CHUNK)):
        mine = keys[start : start + CHUNK]
        name = digest(mine)
        row = store.get("lines", name)
        if row is None:
            known = {**old_chunk(n - 1), **old_chunk(n + 1), **old_chunk(n)}
            row = [
                (k, known[k] if k in known else opendata.record_lines(r, config))
                for k, r in zip(mine, records[start : start + CHUNK], strict=True)
            ]
            store.put("lines", name, row)
        names.append(name)
        out += [found for _, found in row]
    if names != before:
        store.keep_only("lines", names)
        store.put("meta", "open_data", names)
    return out


def _left_as_written(output_dir: Path, store: Store) -> Callable[[str], bool]:
    """Whether a site-wide file of the last build is in the output as it was written (its size and time)."""
    site_files = store.get("meta", "site_files")
    stats = site_files[1] if site_files is not None else {}

    def left(rel: str) -> bool:
        return rel in stats and as_written(output_dir / rel) == stats[rel]

    return left
