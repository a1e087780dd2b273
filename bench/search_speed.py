"""How long ``search.build_index`` takes, and how many index files one edit rewrites.

Loads a site's records the way the pipeline prepares them (references resolved, URLs assigned, bodies through
markup.py), then, in one process:

- cold: the first ``build_index`` call (empty memo caches, as in a fresh ``yunzhan build``);
- again: the same records once more (a ``serve`` rebuild after a save that changed nothing searchable);
- edit: one record's body changed (a ``serve`` rebuild after editing one record);
- edit 2: the same record changed again (the next save).

For each call: seconds, files and bytes, and how many files differ from the previous call (added, removed or
with other bytes): what a hosting sync would upload.

    python bench/search_speed.py bench/.work/serve-site bench/.work/records-10000/site
    python bench/search_speed.py --synthetic 3000      # bench/search_corpus.py records, no site needed
    git show HEAD:yunzhan/search.py > /tmp/old_search.py
    python bench/search_speed.py --module /tmp/old_search.py bench/.work/serve-site   # another version
    python bench/search_speed.py --memory bench/.work/records-1000/site   # + medians of 3, peak memory

Run one site per process to see the cold figure of each.

``--memory``: then three cold calls (fresh memo, pairs of records forgotten) and three with the memo of a
fourth (nothing changed), their median seconds, and one more cold call under tracemalloc: how far the traced
memory rose above its start at the peak, and what the call still holds at its end (the files and the memo it
returns). Tracemalloc slows the call, so its seconds are not reported.
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from types import ModuleType
from typing import Any

from markupsafe import Markup, escape

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from yunzhan import content, markup, pages, references  # noqa: E402
from yunzhan.config import SiteConfig, load_config  # noqa: E402
from yunzhan.model import Record  # noqa: E402


def site_records(site: Path) -> tuple[list[Record], SiteConfig]:
    config = load_config(site, None)
    loaded = content.load_content(site, config, drafts=True)
    references.resolve_references(loaded.records, config)
    grouped = references.order_records(loaded.records, config)
    pages.assign_urls(loaded.records, config)
    ordered = [r for c in config.collections for r in grouped[c.name]]
    for record in ordered:
        record.body = markup.render_markdown(record.raw_body, path=record.source).html
    return ordered, config


def synthetic_records(n: int) -> tuple[list[Record], SiteConfig]:
    import search_corpus

    config = load_config(REPO, None)
    return search_corpus.to_records(search_corpus.generate(n)), config


def changed(before: dict[str, bytes], after: dict[str, bytes]) -> int:
    return sum(before.get(k) != v for k, v in after.items()) + len(before.keys() - after.keys())


def load_search(path: Path | None) -> ModuleType:
    if path is None:
        from yunzhan import search

        return search
    spec = importlib.util.spec_from_file_location("search_under_test", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def measure(label: str, records: list[Record], config: SiteConfig, search: ModuleType) -> None:
    runs: list[tuple[str, float, dict[str, bytes]]] = []
    memo = search.SearchMemo() if hasattr(search, "SearchMemo") else {}  # what a build keeps for the next
    victim = records[len(records) // 2]
    for n, what in enumerate(("cold", "again", "edit", "edit 2")):
        if what.startswith("edit"):
            sentence = escape(f"编辑后追加的第{n}句话：示例")
            victim.body = Markup(victim.body) + Markup("<p>") + sentence + Markup("</p>")
        start = time.perf_counter()
        files = (
            search.build_index(records, config, memo)
            if "memo" in inspect.signature(search.build_index).parameters
            else search.build_index(records, config)
        )
        runs.append((what, time.perf_counter() - start, files))
    print(f"{label}: {len(records)} records")
    previous: dict[str, bytes] = {}
    for what, seconds, files in runs:
        size = sum(len(b) for b in files.values())
        print(
            f"  {what:6} {seconds:7.3f} s  {len(files):5} files  {size / 1e6:6.2f} MB  "
            f"{changed(previous, files):5} files differ from the previous call"
        )
        previous = files
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak RSS of the process so far: {peak:.0f} MiB")


def cold_call(records: list[Record], config: SiteConfig, search: ModuleType) -> tuple[dict[str, bytes], Any]:
    """One ``build_index`` as in a fresh process: empty memo, pairs of records forgotten."""
    if hasattr(search, "record_grams") and hasattr(search.record_grams, "cache_clear"):
        search.record_grams.cache_clear()
    if "memo" not in inspect.signature(search.build_index).parameters:
        return search.build_index(records, config), None
    memo = search.SearchMemo() if hasattr(search, "SearchMemo") else {}
    return search.build_index(records, config, memo), memo


def median_line(label: str, seconds: list[float]) -> str:
    each = ", ".join(f"{s:.3f}" for s in seconds)
    return f"  {label}, median of {len(seconds)}: {statistics.median(seconds):.3f} s  ({each})"


def measure_memory(records: list[Record], config: SiteConfig, search: ModuleType) -> None:
    seconds = []
    for _ in range(3):
        start = time.perf_counter()
        cold_call(records, config, search)
        seconds.append(time.perf_counter() - start)
    print(median_line("cold", seconds))
    memo = cold_call(records, config, search)[1]
    seconds = []
    for _ in range(3):
        start = time.perf_counter()
        search.build_index(records, config, memo) if memo is not None else search.build_index(records, config)
        seconds.append(time.perf_counter() - start)
    print(median_line("again", seconds))
    del memo
    if hasattr(search, "record_grams") and hasattr(search.record_grams, "cache_clear"):
        search.record_grams.cache_clear()
    tracemalloc.start()
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    kept = cold_call(records, config, search)
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del kept
    print(
        f"  cold under tracemalloc: peak +{(peak - before) / 2**20:.1f} MiB above the start, "
        f"+{(current - before) / 2**20:.1f} MiB held at the end (files and memo)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sites", nargs="*", type=Path, help="site folders (with site.toml)")
    parser.add_argument("--synthetic", type=int, action="append", default=[], help="N corpus records")
    parser.add_argument("--module", type=Path, help="time this search.py instead of yunzhan/search.py")
    parser.add_argument("--memory", action="store_true", help="also: medians of 3 calls, tracemalloc peak")
    args = parser.parse_args()
    search = load_search(args.module)
    if not args.sites and not args.synthetic:
        parser.error("give a site folder or --synthetic N")
    for site in args.sites:
        start = time.perf_counter()
        records, config = site_records(site)
        print(f"(loaded {site} in {time.perf_counter() - start:.1f} s)")
        measure(str(site), records, config, search)
        if args.memory:
            measure_memory(records, config, search)
    for n in args.synthetic:
        records, config = synthetic_records(n)
        measure(f"synthetic {n}", records, config, search)
        if args.memory:
            measure_memory(records, config, search)


if __name__ == "__main__":
    main()
