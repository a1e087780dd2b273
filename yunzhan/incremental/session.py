"""What a long-lived process (``serve``) keeps between the builds of one site into one folder."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from yunzhan.incremental.fingerprints import ParsePrints
from yunzhan.incremental.keptprints import KeptPrints
from yunzhan.incremental.store import Store


@dataclass
class Session:
    """So that a save redoes only what it changed: parsed record files (in memory), the build store (open;
    each build commits what it changed) and the list of files in the output."""

    parsed: dict[Path, Any] = field(default_factory=dict)  # content.ParseMemo
    parse_prints: ParsePrints = field(default_factory=ParsePrints)  # of the records in ``parsed``
    conversions: dict[str, Any] = field(default_factory=dict)  # Markdown conversions, as in the store
    findings: dict[str, Any] = field(default_factory=dict)  # check findings by file, as in the store
    markdown_keys: dict[str, Any] = field(default_factory=dict)  # their keys, by parse print (MarkdownMemo)
    store: Store | None = None
    output_files: set[str] | None = None
    written: dict[str, Any] = field(default_factory=dict)  # inplace.Written: what each output file holds
    prints: KeptPrints = field(default_factory=KeptPrints)  # record and page fingerprints, by their inputs
    code: str | None = None  # yunzhan's own code, digested once: the process runs the code it started with

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

    def close(self) -> None:
        if self.store is not None:
            self.store.commit()
            self.store.close()
            self.store = None
