"""What a long-lived process (``serve``) keeps between the builds of one site into one folder."""

from __future__ import annotations

import gc
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from yunzhan.incremental.fingerprints import ParsePrints
from yunzhan.incremental.keptprints import KeptPrints
from yunzhan.incremental.keptrows import KeptRows
from yunzhan.incremental.listings import FolderListings
from yunzhan.incremental.store import Store


@dataclass
class Session:
    """So that a save redoes only what it changed: parsed record files (in memory), the build store (open;
    each build commits what it changed) and the list of files in the output."""

    parsed: dict[Path, Any] = field(default_factory=dict)  # content.ParseMemo
    parse_prints: ParsePrints = field(default_factory=ParsePrints)  # of the records in ``parsed``
    listings: FolderListings = field(default_factory=FolderListings)  # collection folders' record files
    conversions: dict[str, Any] = field(default_factory=dict)  # Markdown conversions, as in the store
    findings: KeptRows | None = None  # check findings by file, as in the store
    markdown_keys: dict[str, Any] = field(default_factory=dict)  # their keys, by parse print (MarkdownMemo)
    store: Store | None = None
    output_files: set[str] | None = None
    written: dict[str, Any] = field(default_factory=dict)  # inplace.Written: what each output file holds
    prints: KeptPrints = field(default_factory=KeptPrints)  # record and page fingerprints, by their inputs
    code: str | None = None  # yunzhan's own code, digested once: the process runs the code it started with
    collect_later: bool = False  # ``serve``: a build's cycles are collected once the browsers reloaded
    held: bool = False  # the collector is off since the last build, until ``collect``

    def forget(self, paths: Iterable[Path], content_dir: Path | None = None) -> None:
        """Files changed on disk: drop their parsed records — all of them when another file under
        ``content_dir`` (an image, a folder) changed, as records resolve the paths they name. Changes elsewhere
        (templates, styles) leave the records as they are."""
        for path in paths:
            if path in self.parsed:
                del self.parsed[path]
            elif content_dir is None or path.is_relative_to(content_dir):
                self.parsed.clear()
                return

    def hold_collector(self) -> bool:
        """At the end of a build (the collector off since it began): whether to leave the collector off until
        ``collect``, so that the reload need not wait for it (a young generation of a whole build: ~30 ms at
        1,000 records). Only one build's cycles wait: the build after it collects at its end, as usual."""
        if not self.collect_later or self.held:
            self.held = False
            return False
        self.held = True
        return True

    def collect(self) -> None:
        """Collect the cycles the last build left (if it left them) and turn the collector back on."""
        if self.held:
            self.held = False
            gc.enable()
            gc.collect(0)

    def close(self) -> None:
        self.collect()
        if self.store is not None:
            self.store.commit()
            self.store.close()
            self.store = None
