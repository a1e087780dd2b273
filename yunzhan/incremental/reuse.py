"""Which pages of the last build can stay, and which check findings still hold: the decisions of the reuse
layer, made from fingerprints and the store.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any

from yunzhan import content, render, workers
from yunzhan.check import RecordRules
from yunzhan.config import SiteConfig
from yunzhan.errors import Problem
from yunzhan.incremental import fingerprints, verify
from yunzhan.incremental.fingerprints import DepKey, Fingerprints, digest, files_digest
from yunzhan.incremental.keptrows import KeptRows
from yunzhan.incremental.pageentries import owner_of
from yunzhan.incremental.store import Store
from yunzhan.incremental.written import Written
from yunzhan.model import Record


def changed_owners(
    store: Store, prints: Fingerprints, records: dict[tuple[str, str], str] | None = None
) -> set[str]:
    """The records (by key), collections, taxonomies and terms whose fingerprint is not what the last build
    noted, or that are gone. ``records``: the records' as the last build noted them, when the caller read them
    (``storedprints``; else they are read from the store)."""
    changed: set[str] = set()
    for name, now, dep in (("records", prints.records(), _record_dep), ("others", prints.others(), _same)):
        before = (records if name == "records" else None) or store.get("meta", name) or {}
        changed |= {owner_of(dep(k)) for k, v in now.items() if before.get(k) != v}
        changed |= {owner_of(dep(k)) for k in before.keys() - now.keys()}
    return changed


def _record_dep(key: tuple[str, str]) -> DepKey:
    return ("record", *key)


def _same(key: DepKey) -> DepKey:
    return key


def keep_prints(store: Store, prints: Fingerprints, records: bool = True) -> None:
    """Note the fingerprints this build's pages were made with (what ``changed_owners`` compares with): the
    records' by their (collection, slug), as ``Fingerprints.records`` gives them; not with ``records`` False,
    when the caller notes them (``storedprints``)."""
    for name, now in (("records", prints.records() if records else None), ("others", prints.others())):
        if store.get("meta", name) != now:
            store.put("meta", name, now)


def kept_as_made(store: Store, written: Written, name: str, key: str) -> list[str] | None:
    """The files a step made in the last build (noted under ``name``), when they were made of the same ``key``
    and each is in the output as written; None otherwise."""
    previous = store.get("meta", name)
    if previous is None or previous[0] != key:
        return None
    if any(written(rel) != stats for rel, stats in previous[1].items()):
        return None
    return sorted(previous[1])


def kept_by_inputs(
    store: Store, written: Written, name: str, inputs: dict[str, object], shared: object
) -> tuple[list[str], list[str]]:
    """Of the files a step makes now (its key changed), by what each is made of (``inputs``, and ``shared``
    by all of them): those made of the same as in the last build and in the output as it wrote them, to keep,
    and the others, to make. A title edit changes one or two of the 10,000 redirect pages at 10,000 records:
    the others are neither made again nor read back. What they were made of is noted under ``name:inputs``."""
    before = store.get("meta", f"{name}:inputs")
    same, old = (before[0] == shared, before[1]) if before is not None else (False, {})
    previous = store.get("meta", name)
    stats = previous[1] if previous is not None else {}
    kept: list[str] = []
    stale: list[str] = []
    for rel, made_of in inputs.items():
        noted = stats.get(rel)
        if same and noted is not None and old.get(rel) == made_of and written(rel) == noted:
            kept.append(rel)
        else:
            stale.append(rel)
    if before is None or not same or old != inputs:
        store.put("meta", f"{name}:inputs", (shared, inputs))
    return kept, stale


def still_valid(
    store: Store,
    prints: Fingerprints,
    suspects: set[str],
    changed: set[str],
    written: Written,
    rel: str,
    head: tuple[str, int, int],
    fingerprint: str,
) -> bool:
    """Whether a page of the last build (``head``: its fingerprint and its file as written) can stay. What is
    the same for every page comes first (``partial`` binds it once).

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
    return written(rel) == head[1:]


def prints_read_before(store: Store, changed: set[str], rel: str) -> dict[DepKey, str]:
    """What page ``rel`` read in the last build, with the fingerprints noted then, of whatever has not changed
    since (``changed_owners``): those are the fingerprints now, too (a page of the last build read each as it
    was then, or it would have been rendered again). A list page of 10,000 records rendered again (a title
    edit, a template edit) then fingerprints only the attributes of the changed ones, not 10,000 times a dozen
    (~30 µs each). From any process: forked renderers read the store through a connection of their own."""
    entry = store.page(rel)
    if entry is None:
        return {}
    return {key: value for key, value in entry.deps if owner_of(key) not in changed}


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
    data_files = [p for p in sources if _in_data(str(p))]  # 10,000 ``parent`` or ``parts`` cost 20 ms
    return digest(
        config,
        drafts,
        sorted(asset_urls.items()),
        files_digest([site_dir / "site.toml", *template_files, *data_files]),
        code,
    )


def _in_data(path: str) -> bool:
    """Whether a file's folder is named ``data`` (``Path.parts[-2:-1] == ("data",)``, on the text)."""
    folder = path.rpartition(os.sep)[0]
    return folder == "data" or folder.endswith(os.sep + "data")


def code_digest() -> str:
    """yunzhan's own code: what it makes of the same input may change with it (``fingerprints.code_digest``)."""
    return fingerprints.code_digest()


FINDINGS = "findings"  # the meta rows (``KeptRows``) of each file's check findings: file → (identity, found)


def findings(store: Store, kept: KeptRows | None) -> KeptRows:
    """The check findings through ``store``: ``kept`` (a long-lived process's, read already) while it is
    ``store``'s."""
    return kept if kept is not None and kept.store is store else KeptRows(store, FINDINGS)


def record_rules(
    loaded: content.LoadedContent,
    config: SiteConfig,
    site_dir: Path,
    memo: content.ParseMemo,
    kept: KeptRows,
    settings: str,
    *,
    check: bool = False,
) -> list[Problem]:
    """``RecordRules`` for every file read: run for the files parsed in this build, remembered (``kept``, in
    the store) for the others, while the file, the settings and the code are as they were. ``settings``: a
    key of all else the findings depend on. A long-lived process keeps ``kept`` between builds, so a save
    reads none back from the store. Findings are kept pickled (``b""``: none), so that the rows stay what
    ``marshal`` keeps. ``check`` (``verify_reuse``): every remembered finding is made again and compared."""
    by_source = {record.source: record for record in loaded.records}
    _, known = kept.read()
    prefix = site_dir.as_posix().rstrip("/") + "/"
    rows: dict[str, tuple[Any, bytes]] = {}  # file → (its identity, its findings)
    todo: list[str] = []  # files whose findings are made now
    for file in loaded.sources:  # under site_dir: ``content.load_content`` found them there
        rel = file.as_posix().removeprefix(prefix)
        parsed = memo.get(file)
        identity = (parsed[0][:4] if parsed is not None else _identity(file), settings)
        row = known.get(rel)
        if identity[0] is None or row is None or row[0] != identity:
            todo.append(rel)
            row = (identity, b"")
        rows[rel] = row
    rules = RecordRules(config, site_dir) if todo else None
    jobs = [(rel, by_source.get(rel)) for rel in todo]
    # a first build of 10,000 records: seconds of rules, shared with forked processes
    for rel, found in zip(todo, workers.fork_map(_file_problems, (rules, jobs), len(jobs)), strict=True):
        rows[rel] = (rows[rel][0], pickle.dumps(found, protocol=pickle.HIGHEST_PROTOCOL) if found else b"")
    kept.write("", rows)
    if check:
        remade = RecordRules(config, site_dir)
        made = {rel: remade.file_problems(rel, by_source.get(rel)) for rel in rows}
        verify.same_entries("check findings", {rel: _findings(row[1]) for rel, row in rows.items()}, made)
    problems = [problem for _, found in rows.values() for problem in _findings(found)]
    return [*problems, *(rules.site_problems if rules else [])]


def _findings(kept: bytes) -> list[Problem]:
    return pickle.loads(kept) if kept else []


def _file_problems(
    state: tuple[RecordRules | None, list[tuple[str, Record | None]]], i: int
) -> list[Problem]:
    """``RecordRules.file_problems`` of one file (module level: ``fork_map`` runs it)."""
    rules, jobs = state
    assert rules is not None
    return rules.file_problems(*jobs[i])


def _identity(file: Path) -> tuple[int, int, int, int] | None:
    """Size, times and inode of a file the parse memo does not hold (a data file), or None."""
    try:
        st = file.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino
