"""The floor of a cold build: Python-Markdown alone converting every record body of a site, on all cores.

    python bench/floor.py SITE            # prints the seconds and the number of bodies

Bodies are read and split from their front matter first (not timed); the conversion uses the extensions yunzhan
uses, one ``Markdown`` instance per process, in a pool of ``os.cpu_count()`` processes. A cold build cannot be
faster than this; bench/run.py reports the cold build as a multiple of it (the issue's target: at most 2.5×).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from pathlib import Path

import markdown

EXTENSIONS = ["tables", "fenced_code", "footnotes", "attr_list", "toc", "sane_lists"]  # yunzhan's markup.py
_md: markdown.Markdown | None = None


def bodies(site: Path) -> list[str]:
    found = []
    for path in sorted((site / "content").rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        if text.startswith("---\n") and "\n---\n" in text[4:]:
            text = text[text.index("\n---\n", 4) + 5 :]
        found.append(text)
    return found


def _convert(text: str) -> int:
    global _md
    if _md is None:
        _md = markdown.Markdown(extensions=EXTENSIONS)
    html = _md.reset().convert(text)
    return len(html)


def floor(site: Path) -> tuple[float, int]:
    """(seconds to convert every body on all cores, bodies)."""
    texts = bodies(site)
    started = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(os.cpu_count() or 1) as pool:
        pool.map(_convert, texts, chunksize=64)
    return time.perf_counter() - started, len(texts)


def main(argv: list[str]) -> int:
    seconds, count = floor(Path(argv[0]))
    print(f"{seconds:.3f} {count}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
