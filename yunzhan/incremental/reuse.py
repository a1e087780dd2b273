"""Which pages of the last build can stay, and which check findings still hold: the decisions of the reuse
layer, made from fingerprints and the store.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from yunzhan import content, render
from yunzhan.check import RecordRules
from yunzhan.config import SiteConfig
from yunzhan.errors import Problem
from yunzhan.incremental.fingerprints import Fingerprints, digest, files_digest
from yunzhan.incremental.store import Store, owner_of
from yunzhan.incremental.written import as_written

CODE_DIR = Path(__file__).resolve().parents[1]  # yunzhan/


def changed_owners(store: Store, prints: Fingerprints) -> set[str]:
    """The records (by key), collections, taxonomies and terms whose fingerprint is not what the last build
    noted, or that are gone."""
    changed: set[str] = set()
    for name, now in (
        ("records", {("record", *k): v for k, v in prints.records().items()}),
        ("others", prints.others()),
    ):
        before = store.get("meta", name) or {}
        changed |= {owner_of(k) for k, v in now.items() if before.get(k) != v}
        changed |= {owner_of(k) for k in before.keys() - now.keys()}
    return changed


def keep_prints(store: Store, prints: Fingerprints) -> None:
    """Note the fingerprints this build's pages were made with (what ``changed_owners`` compares with)."""
    records = {("record", *k): v for k, v in prints.records().items()}
    for name, now in (("records", records), ("others", prints.others())):
        if store.get("meta", name) != now:
            store.put("meta", name, now)


def kept_as_made(store: Store, output_dir: Path, name: str, key: str) -> list[str] | None:
    """The files a step made in the last build (noted under ``name``), when they were made of the same ``key``
    and each is in the output as written; None otherwise."""
    previous = store.get("meta", name)
    if previous is None or previous[0] != key:
        return None
    if any(as_written(f"{output_dir}/{rel}") != stats for rel, stats in previous[1].items()):
        return None
    return sorted(previous[1])


def still_valid(
    rel: str,
    head: tuple[str, int, int],
    fingerprint: str,
    store: Store,
    prints: Fingerprints,
    suspects: set[str],
    output_dir: Path,
    changed: set[str],
) -> bool:
    """Whether a page of the last build (``head``: its fingerprint and its file as written) can stay.

    ``changed``: ``changed_owners``. Only what the page read of those is compared: the rest is as the last
    build left it, and the page was valid then (a list page reads a dozen fields of each of its records: a
    title edit in one of them need not fingerprint every field of the others)."""
    if head[0] != fingerprint:
        return False
    if rel in suspects:  # it read something that changed: compare what it read
        entry = store.page(rel)
        if entry is None or any(
            owner_of(key) in changed and prints.get(key) != value for key, value in entry.deps
        ):
            return False
    return as_written(f"{output_dir}/{rel}") == head[1:]


def site_fingerprint(
    site_dir: Path,
    config: SiteConfig,
    drafts: bool,
    asset_urls: dict[str, str],
    sources: list[Path],
    code: str,
) -> str:
    """Everything every page may depend on: settings, data files, templates, and yunzhan's own code."""
    template_files = [
        p for d in render.theme_dirs(site_dir, config) if d.is_dir() for p in d.rglob("*") if p.is_file()
    ]
    data_files = [p for p in sources if p.parent.name == "data"]
    return digest(
        config,
        drafts,
        sorted(asset_urls.items()),
        files_digest([site_dir / "site.toml", *template_files, *data_files]),
        code,
    )


def code_digest() -> str:
    """yunzhan's own code: what it makes of the same input may change with it."""
    return files_digest(CODE_DIR.rglob("*.py"))


def record_rules(
    loaded: content.LoadedContent,
    config: SiteConfig,
    site_dir: Path,
    memo: content.ParseMemo,
    store: Store,
    settings: str,
    kept: dict[str, Any] | None = None,
) -> list[Problem]:
    """``RecordRules`` for every file read: run for the files parsed in this build, remembered (in
    ``store``) for the others, while the file, the settings and the code are as they were. ``settings``: a key
    of all else the findings depend on. ``kept``: the findings a long-lived process keeps in memory as well,
    so a save reads none back from the store."""
    by_source = {record.source: record for record in loaded.records}
    rules: RecordRules | None = None
    seen: list[str] = []
    problems: list[Problem] = []
    if not kept:
        store.prefetch("findings")
    prefix = site_dir.as_posix().rstrip("/") + "/"
    for file in loaded.sources:  # under site_dir: ``content.load_content`` found them there
        rel = file.as_posix().removeprefix(prefix)
        parsed = memo.get(file)
        identity = (parsed[0][:4] if parsed is not None else _identity(file), settings)
        known = kept.get(rel) if kept is not None else None
        if known is None:  # what ``kept`` holds, the store holds too
            known = store.get("findings", rel)
        if identity[0] is None or known is None or known[0] != identity:
            rules = rules or RecordRules(config, site_dir)
            known = (identity, rules.file_problems(rel, by_source.get(rel)))
            store.put("findings", rel, known)
        if kept is not None:
            kept[rel] = known
        seen.append(rel)
        problems += known[1]
    store.keep_only("findings", seen)
    if kept is not None and len(kept) > len(seen):
        for rel in kept.keys() - set(seen):
            del kept[rel]
    return [*problems, *(rules.site_problems if rules else [])]


def _identity(file: Path) -> tuple[int, int, int, int] | None:
    """Size, times and inode of a file the parse memo does not hold (a data file), or None."""
    try:
        st = file.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino
