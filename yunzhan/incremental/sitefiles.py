"""The site-wide files (search index, sitemap, robots.txt, feed, open data) around the reuse layer: kept while
their key holds and the files are as written; otherwise made again from the search blocks and open data lines
of records unchanged since the last build, which the store keeps by keys made of the stages' own ``inputs``.
The open data files are spliced from the ones the last build wrote while those are as written
(``opendatafiles``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from yunzhan import publish
from yunzhan.config import SiteConfig
from yunzhan.incremental import verify
from yunzhan.incremental.fingerprints import Fingerprints, digest
from yunzhan.incremental.opendatafiles import OpenDataLines, make_open_data_files
from yunzhan.incremental.recordstates import Changes, States
from yunzhan.incremental.searchblocks import BlocksSoon, index_order, search_files
from yunzhan.incremental.store import Store
from yunzhan.incremental.written import as_written
from yunzhan.model import Page, Record

if TYPE_CHECKING:
    from yunzhan.writing import Stage


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
    pinyin: Mapping[str, str] | None = None,
    changes: Changes | None = None,
    same_plan: bool = False,
    verify_reuse: bool = False,
    soon: BlocksSoon | None = None,
) -> dict[str, bytes]:
    """The search index, sitemap, robots.txt, feed and open data. With ``stage``, each group of files is staged
    as soon as it is made (at 10,000 records they come to over 100 MB) and only their names are returned, with
    empty bytes. ``slugs``: the term slugs known (``pages.plan_site``'s); ``pinyin``: that of the titles
    ``searchblocks.titles_wanted`` named; ``changes``: what changed since the last build, when known (only
    the states of the records it names, and of those referring to one, are made again); ``same_plan``: the
    pages and the records' dates are the last build's (only edited records' bodies changed since);
    ``verify_reuse``: the sitemap's key taken from the last build is made again and compared (``verify``);
    ``soon``: search blocks begun earlier (``searchblocks.blocks_soon``)."""
    ordered = index_order(config, grouped)
    settings = digest(config, code)
    left = _left_as_written(output_dir, store)
    states = States(ordered, prints, config, changes)
    keyed = _KeyedFiles(store, left)  # each made of its stage's declaration of what it reads, and kept by it
    sitemap = _SitemapKey(all_pages, settings, keyed.before.get("sitemap") if same_plan else None)
    if verify_reuse and sitemap.before is not None:
        verify.same("sitemap's key", sitemap.key(), digest(settings, sitemap.inputs()))
    lines = OpenDataLines(grouped, config, store, settings, states) if config.publish.open_data else None
    makers: list[Callable[[], Iterable[tuple[str, bytes | None]]]] = [
        # the search index a file at a time (open data lines made as blocks are), the others each by its key
        lambda: search_files(
            ordered,
            config,
            store,
            settings,
            states,
            left,
            slugs,
            pinyin,
            lambda rel: (output_dir / rel).read_bytes(),
            lines.steps if lines is not None else (),
            lines.texts if lines is not None else None,
            soon,
        ),
        lambda: keyed.files(
            "sitemap", sitemap.key(), lambda: publish.sitemap_files(sitemap.inputs(), config)
        ).items(),
        lambda: keyed.files("robots", settings, lambda: publish.robots(config)).items(),  # only the settings
    ]
    if config.publish.feed:
        feed = publish.feed_inputs(ordered)
        makers.append(
            lambda: keyed.files(
                "feed", digest(settings, feed), lambda: publish.feed_files(feed, config)
            ).items()
        )
    files: dict[str, bytes] = {}
    for make in makers:
        kept = []  # kept together: after an edit, ~4,000 of the search index's files
        for rel, data in make():  # data None: the file in the output is still right (``left`` said so)
            if stage is None:
                files[rel] = (output_dir / rel).read_bytes() if data is None else data
                continue
            if data is None:
                kept.append(rel)
            else:
                stage.get().write_bytes(rel, data)
            files[rel] = b""
        if kept and stage is not None:
            stage.get().keep_all(kept)
    keyed.save()
    if lines is not None:
        lines.texts.done()
        files |= make_open_data_files(*lines.finish(), store, output_dir, left, stage)
    return files


@dataclass
class _SitemapKey:
    """The key of the sitemap's inputs (``publish.sitemap_inputs``: every listed page's address and newest date,
    ~50 ms at 10,000 records), or the last build's (``before``) while the plan and the dates are as they were."""

    pages: list[Page]
    settings: str
    before: tuple[str, list[str]] | None
    _inputs: list[Any] | None = None

    def inputs(self) -> list[Any]:
        if self._inputs is None:
            self._inputs = publish.sitemap_inputs(self.pages)
        return self._inputs

    def key(self) -> str:
        return self.before[0] if self.before is not None else digest(self.settings, self.inputs())


@dataclass
class _KeyedFiles:
    """The files of a stage kept by the key of what they are made of (the stage's own ``*_inputs`` and the
    settings), noted in the store (``meta``, ``site_file_keys``): while it holds and they are in the output as
    written, they are left there (a body edit changes none of the sitemap of 10,000 pages)."""

    store: Store
    left: Callable[[str], bool]
    before: dict[str, tuple[str, list[str]]] = field(init=False)
    now: dict[str, tuple[str, list[str]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.before = self.store.get("meta", "site_file_keys") or {}

    def files(self, name: str, key: str, make: Callable[[], dict[str, bytes]]) -> Mapping[str, bytes | None]:
        """``make()``, or each of the files it made of the same ``key`` with None (still right in the output)."""
        old = self.before.get(name)
        if old is not None and old[0] == key and all(map(self.left, old[1])):
            self.now[name] = old
            return dict.fromkeys(old[1])
        made = make()
        self.now[name] = (key, sorted(made))
        return made

    def save(self) -> None:
        if self.now != self.before:
            self.store.put("meta", "site_file_keys", self.now)


def _left_as_written(output_dir: Path, store: Store) -> Callable[[str], bool]:
    """Whether a site-wide file of the last build is in the output as it was written (its size and time)."""
    site_files = store.get("meta", "site_files")
    stats = site_files[1] if site_files is not None else {}
    root = os.fspath(output_dir)

    def left(rel: str) -> bool:  # asked for each of up to 4,096 shards: a string, not a Path
        return rel in stats and as_written(f"{root}/{rel}") == stats[rel]

    return left
