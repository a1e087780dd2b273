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
from yunzhan.incremental.fingerprints import digest, inputs_key
from yunzhan.incremental.searchblocks import search_files
from yunzhan.incremental.store import Store
from yunzhan.incremental.written import as_written
from yunzhan.model import Page, Record

if TYPE_CHECKING:
    from yunzhan.writing import Stage


def unchanged_site_files(store: Store, output_dir: Path, key: str) -> list[str] | None:
    """The site-wide files of the last build, when they were made of the same ``key`` and are as written."""
    previous = store.get("meta", "site_files")
    left = _left_as_written(output_dir, store)
    if previous is not None and previous[0] == key and all(map(left, previous[1])):
        return sorted(previous[1])
    return None


def make_site_files(
    config: SiteConfig,
    grouped: dict[str, list[Record]],
    all_pages: list[Page],
    store: Store,
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
    makers: list[Callable[[], Mapping[str, bytes | None]]] = [
        lambda: search_files(ordered, config, store, settings, left, slugs),
        lambda: publish.sitemap(all_pages, config),
        lambda: publish.robots(config),
    ]
    if config.publish.feed:
        makers.append(lambda: publish.atom_feed(ordered, config))
    if config.publish.open_data:
        makers.append(lambda: open_data(grouped, config, store, settings))
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
    grouped: Mapping[str, list[Record]], config: SiteConfig, store: Store, settings: str
) -> dict[str, bytes]:
    """``opendata.open_data``, each record's lines kept in the store by the key of its ``opendata.inputs``:
    after one edit, one record's lines are made, not 10,000."""
    store.prefetch("lines")
    lines: dict[str, list[opendata.Lines]] = {}
    used: list[str] = []
    for collection in config.collections:
        mine = lines[collection.name] = []
        for record in grouped.get(collection.name, []):
            if record.draft:
                continue
            key = inputs_key(settings, opendata.inputs(record, config))
            found = store.get("lines", key)
            if found is None:
                found = opendata.record_lines(record, config)
                store.put("lines", key, found)
            mine.append(found)
            used.append(key)
    store.keep_only("lines", used)
    return opendata.open_data_files(config, lines)


def _left_as_written(output_dir: Path, store: Store) -> Callable[[str], bool]:
    """Whether a site-wide file of the last build is in the output as it was written (its size and time)."""
    site_files = store.get("meta", "site_files")
    stats = site_files[1] if site_files is not None else {}

    def left(rel: str) -> bool:
        return rel in stats and as_written(output_dir / rel) == stats[rel]

    return left
