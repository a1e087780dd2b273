"""The site-wide files (search index, sitemap, robots.txt, feed, open data) around the reuse layer: kept while
their key holds and the files are as written; otherwise made again, reusing the search blocks and open data rows
of records unchanged since the last build.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from yunzhan import publish, search
from yunzhan.config import SiteConfig
from yunzhan.incremental.fingerprints import Fingerprints, digest, inputs_key
from yunzhan.incremental.memos import load_search_memo, save_search_memo
from yunzhan.incremental.store import Store
from yunzhan.incremental.written import as_written
from yunzhan.model import Page, Record
from yunzhan.slugs import slugify

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
    prints: Fingerprints,
    code: str,
    output_dir: Path,
    stage: Stage | None = None,
    slug: Callable[[str], str] = slugify,
) -> tuple[dict[str, bytes], publish.RowSpans]:
    """The search index (its blocks kept in ``store`` for the next build), sitemap, robots.txt, feed and open
    data, and where the open data rows are in their files. With ``stage``, each group of files is staged as soon
    as it is made (at 10,000 records they come to over 100 MB) and only their names are returned, with empty
    bytes. Open data rows of records unchanged since the last build are taken from the files it wrote."""
    ordered = [r for c in config.collections for r in grouped[c.name]]
    search_memo = load_search_memo(store)
    settings = digest(config, code)

    def row_key(record: Record) -> str:
        return inputs_key(settings, publish.inputs(record, config))

    def search_key(record: Record) -> bytes:
        return bytes.fromhex(inputs_key(settings, search.inputs(record, config)))

    left = _left_as_written(output_dir, store)
    rows = publish.RowMemo(row_key, _previous_rows(output_dir, store, left))
    makers: list[Callable[[], Mapping[str, bytes | None]]] = [
        lambda: search.build_index(ordered, config, search_memo, search_key, left, slug),
        lambda: publish.sitemap(all_pages, config),
        lambda: publish.robots(config),
    ]
    if config.publish.feed:
        makers.append(lambda: publish.atom_feed(ordered, config))
    if config.publish.open_data:
        makers.append(lambda: publish.open_data(grouped, config, rows))
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
    save_search_memo(store, search_memo)
    return files, rows.spans


def _left_as_written(output_dir: Path, store: Store) -> Callable[[str], bool]:
    """Whether a site-wide file of the last build is in the output as it was written (its size and time)."""
    site_files = store.get("meta", "site_files")
    stats = site_files[1] if site_files is not None else {}

    def left(rel: str) -> bool:
        return rel in stats and as_written(output_dir / rel) == stats[rel]

    return left


def _previous_rows(
    output_dir: Path, store: Store, left: Callable[[str], bool]
) -> dict[str, tuple[publish.Buffer, publish.Buffer]]:
    """The open data rows of the last build, read from its files while they are as it left them."""
    files: dict[str, bytes] = {}
    spans = store.get("meta", "rows") or {}
    for rel in spans:
        try:
            if left(rel):
                files[rel] = (output_dir / rel).read_bytes()
        except OSError:
            pass
    return publish.rows_from_files(files, spans)
