"""Search: the index files (yunzhan/search.py), made from scratch and by the reuse layer, checked per query.

Right answers come from plain substring search over each record's source text (bench/search_corpus.py), never
from the search code; ``py_find`` is the matching rule of search.js in Python, asked of the built files.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace

import pytest
from markupsafe import Markup

from tests import searchcorpus
from tests.conftest import REPO
from tests.searchcorpus import BASE, BASE_URL, cold, corpus, expected_paths, reference_postings
from yunzhan import packedints, search, searchpostings, searchtext
from yunzhan.config import SiteConfig
from yunzhan.incremental.searchblocks import search_files
from yunzhan.incremental.store import Store
from yunzhan.model import Record

# fixtures from tests/searchcorpus.py (assigned, not imported, so that linters see them used)
config, items, records = searchcorpus.config, searchcorpus.items, searchcorpus.records


def py_find(files: dict[str, bytes], query: str) -> set[str]:
    """The matching rule of search.js, in Python, on the built files: a fast check of the index itself."""
    meta = json.loads(files[search.META_PATH])
    shards: dict[int, dict[str, str]] = {}

    def postings(gram: str) -> list[int] | None:
        k = searchpostings.shard_of(gram, meta["n"])
        if k not in shards:
            shards[k] = json.loads(files[f"search/s/{k}.{meta['s'][k]}.json"])  # as search.js builds it
        return packedints.decode_ints(shards[k][gram]) if gram in shards[k] else None

    def term_hits(term: str) -> set[int]:
        hits = {
            i
            for i, r in enumerate(meta["r"])
            if term.isascii() and term.isalpha() and len(term) > 1 and term in r[9]
        }
        if len(term) == 1:
            rid = 0
            for delta in postings(term) or []:
                rid += delta
                hits.add(rid)
            return hits
        lists = [postings(term[i : i + 2]) for i in range(len(term) - 1)]
        if any(p is None for p in lists):
            return hits
        maps = []
        for flat in lists:
            out: dict[int, set[int]] = {}
            i = rid = 0
            while i < len(flat):  # type: ignore[arg-type]
                rid += flat[i]  # type: ignore[index]
                count, pos = flat[i + 1], flat[i + 2]  # type: ignore[index]
                got = [pos]
                for delta in flat[i + 3 : i + 2 + count]:  # type: ignore[index]
                    got.append(got[-1] + delta)
                out[rid] = set(got)
                i += 2 + count
            maps.append(out)
        for rid, first in maps[0].items():
            if all(rid in m for m in maps) and any(
                all(p + g in m[rid] for g, m in enumerate(maps)) for p in first
            ):
                hits.add(rid)
        return hits

    terms = searchtext.runs(query)
    found = set.intersection(*(term_hits(t) for t in terms)) if terms else set()
    return {meta["r"][i][0] for i in found}


def test_corpus_is_large_synthetic_and_marked(items: list[corpus.Item]) -> None:
    titles = corpus.ref_titles(items)
    assert len(items) >= 200
    assert all("示例" in corpus.source_text(i, titles) for i in items)
    qs = corpus.queries(items)
    assert sum(len(q) == 2 for q in qs) >= 20  # two-character queries
    assert any(expected_paths(items, q) == set() for q in qs)  # and some that must find nothing


def layered(
    records: list[Record], config: SiteConfig, store: Store, left: Callable[[str], bool] = lambda rel: False
) -> dict[str, bytes | None]:
    """The index as the reuse layer makes it: blocks and pinyin kept in ``store``; a shard whose file the last
    build wrote is still right, and which ``left`` says is as written, comes as None."""
    return dict(search_files(search.in_order(records, config), config, store, "settings", {}, left, {}))


def test_blocks_kept_by_their_records_keys_make_only_the_edited_record_text(
    config: SiteConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = corpus.to_records(corpus.generate(), BASE)
    assert len(records) > 3 * searchpostings.BLOCK
    store = Store(None)
    layered(records, config, store)
    made: list[str] = []
    real = search.record_text
    monkeypatch.setattr(search, "record_text", lambda r, *a: made.append(r.slug) or real(r, *a))
    edited = records[len(records) // 2]
    edited.body = Markup(str(edited.body) + "<p>补充一句新的说明文字。</p>")
    after = layered(records, config, store)
    assert made == [edited.slug]  # the others' shares of its block are read back
    monkeypatch.undo()
    cold()
    assert after == search.build_index(records, config)  # the same bytes as a build from scratch


def test_shards_the_last_build_left_are_kept_and_the_rest_is_the_build_from_scratch(
    config: SiteConfig,
) -> None:
    """A shard holding no key of an edited block comes back as None (the output's file stays), and only while
    the output still has it as written; with the kept files put back, every build is the build from scratch."""
    records = corpus.to_records(corpus.generate(), BASE)
    store = Store(None)
    published = layered(records, config, store, lambda rel: True)
    assert None not in published.values()  # nothing to keep yet
    rng = random.Random(7)
    for step in range(8):
        edited = rng.choice(records)
        if step == 3:
            edited.title += "（修订）"
        elif step == 5:
            records.append(replace(edited, slug=edited.slug + "-copy", path=edited.path + "copy/"))
        elif step != 6:  # step 6: nothing changed at all
            edited.body = Markup(str(edited.body) + f"<p>补{step}</p>")
        spoiled = rng.choice(sorted(rel for rel in published if rel != search.META_PATH))
        left = set(published) - {spoiled}
        files = layered(records, config, store, left.__contains__)
        made = {rel for rel, data in files.items() if data is not None}
        whole = {rel: published[rel] if data is None else data for rel, data in files.items()}
        cold()
        assert whole == search.build_index(records, config), step
        if step == 6:
            assert made == {search.META_PATH, spoiled}
        elif step != 5:  # a new record moves every block after it (a title edit moves no body position)
            assert len(made) <= len(files) / 2, (step, len(made), len(files))
        assert spoiled not in whole or spoiled in made  # a file not as written is made again
        published = whole  # type: ignore[assignment]


def shard_names(files: dict[str, bytes]) -> dict[str, str]:
    """Shard path → the hash in its name, checked against meta.json and the bytes."""
    meta = json.loads(files[search.META_PATH])
    assert meta["v"] == search.FORMAT_VERSION and len(meta["s"]) == meta["n"]
    listed = {search.shard_path(k, name): name for k, name in enumerate(meta["s"])}
    assert set(files) - {search.META_PATH} == set(listed)  # every listed shard is there, and only those
    for path, name in listed.items():
        assert path.startswith("search/s/") and path.endswith(f".{name}.json")
        assert hashlib.sha256(files[path]).hexdigest()[:10] == name
    return listed


def test_index_is_deterministic_and_versioned(config: SiteConfig, records: list[Record]) -> None:
    cold()
    store = Store(None)
    files = search.build_index(records, config)
    assert layered(records, config, store) == files
    assert layered(list(records), config, store) == files  # from the blocks kept
    cold()
    assert files == search.build_index(list(records), config)  # from scratch
    shard_names(files)
    meta = json.loads(files[search.META_PATH])
    assert len(meta["r"]) == len(records) and meta["n"] > 8
    merged = {g: p for rel, b in files.items() if rel != search.META_PATH for g, p in json.loads(b).items()}
    texts = {(e := searchtext.entry(r, config)).path: e.text for r in records}
    assert merged == reference_postings([texts[row[0]] for row in meta["r"]])  # record ids: rows of meta.json


def test_blocks_made_beside_another_process_are_those_made_here(
    config: SiteConfig, records: list[Record], monkeypatch: pytest.MonkeyPatch
) -> None:
    files = search.build_index(records, config)
    monkeypatch.setattr(search, "MIN_BLOCKS", 1)  # every other block made in a spawned process
    assert search.build_index(records, config) == files


def test_index_bytes_do_not_depend_on_the_process(config: SiteConfig, records: list[Record]) -> None:
    """Sets and dicts are iterated in an order that differs between processes (hash seeds)."""
    code = f"""
import hashlib, sys
from pathlib import Path
sys.path.insert(0, "bench")
import search_corpus as c
from yunzhan import search
from yunzhan.config import load_config
files = search.build_index(c.to_records(c.generate(), {BASE!r}), load_config(Path("."), {BASE_URL!r}))
print(hashlib.sha256(repr(sorted(files.items())).encode()).hexdigest())
"""
    digests = {
        subprocess.run(
            [sys.executable, "-c", code],
            cwd=REPO,
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for seed in ("1", "2")
    }
    files = search.build_index(records, config)
    digests.add(hashlib.sha256(repr(sorted(files.items())).encode()).hexdigest())
    assert len(digests) == 1


def keys_of(text: str) -> set[str]:
    """The characters and pairs of a text: its keys in the index."""
    record = searchpostings.record_grams(text)
    return set(record.chars) | set(record.grams)


@pytest.mark.parametrize("edit", ["append", "replace", "insert"])
def test_one_edit_renames_only_the_shards_it_changed(config: SiteConfig, edit: str) -> None:
    records = corpus.to_records(corpus.generate(), BASE)
    store = Store(None)
    before = layered(records, config, store)
    record = records[len(records) // 2]
    old_keys = keys_of(searchtext.entry(record, config).text)
    body = str(record.body)
    if edit == "append":  # a sentence at the end of the body: the other positions stay
        added = "补充一句新的说明文字。"
        body += f"<p>{added}</p>"
        local = keys_of(added)
    elif edit == "replace":  # one character for another in the middle: the other positions stay
        at = next(i for i in range(len(body) // 2, len(body)) if "\u4e00" <= body[i] <= "\u9fff")
        new_char = "甲" if body[at] != "甲" else "乙"
        local = {body[at], new_char} | {
            a + b for c in (body[at], new_char) for a, b in ((body[at - 1], c), (c, body[at + 1]))
        }
        body = body[:at] + new_char + body[at + 1 :]
    else:  # at the start of the body: every position after it moves
        body = "<p>新增</p>" + body
        local = None
    record.body = Markup(body)
    after = layered(records, config, store)
    cold()
    assert after == search.build_index(records, config)  # the incremental rebuild is the build from scratch

    old, new = shard_names(before), shard_names(after)
    assert before[search.META_PATH] != after[search.META_PATH]
    renamed = {int(p.split("/")[-1].split(".")[0]) for p in set(new) - set(old)}
    assert len(new) == len(old) and renamed
    assert all(before[p] == after[p] for p in set(old) & set(new))
    n = json.loads(after[search.META_PATH])["n"]
    # only shards holding a key of the edited record change; for a local edit, only those of the edit's keys
    assert renamed <= {
        searchpostings.shard_of(k, n) for k in old_keys | keys_of(searchtext.entry(record, config).text)
    }
    if local is not None:
        assert renamed <= {searchpostings.shard_of(k, n) for k in local}
        assert len(renamed) < n // 2


def test_index_answers_every_query_exactly(
    config: SiteConfig, items: list[corpus.Item], records: list[Record]
) -> None:
    files = search.build_index(records, config)
    wrong = {}
    for q in corpus.queries(items):
        want, got = expected_paths(items, q), py_find(files, q)
        if want != got:
            wrong[q] = (sorted(want - got), sorted(got - want))
    assert not wrong


@pytest.mark.parametrize(
    "head",
    [({}, ("0123456789",), ["b", "b"]), ("search/2", {}, ("0123456789",), ["b", "b"], 1)],
    ids=["untagged", "older-tag"],
)
def test_a_head_of_another_shape_is_not_read(config: SiteConfig, head: tuple[object, ...]) -> None:
    """The row naming the last build's blocks, written by another version (whose blocks have another shape), is
    left unread: the index is made whole, as from scratch."""
    records = corpus.to_records(corpus.generate(), BASE)[:100]
    store = Store(None)
    store.put("meta", "search", head)
    store.put("blocks", "b", ((b"k",), ("an older block's fields", b"", b"", "", 0, ())))
    assert layered(records, config, store) == search.build_index(records, config)


def test_an_edit_of_a_few_records_is_spliced_into_the_shards_as_written(
    config: SiteConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the last build's shards as written, an edit of a record's body or title is spliced into them: no
    block but the edited one's is read, and the files are those of a build from scratch."""
    from yunzhan.incremental import searchblocks

    records = corpus.to_records(corpus.generate(), BASE)
    store = Store(None)
    ordered = search.in_order(records, config)
    published = dict(search_files(ordered, config, store, "settings", {}, lambda rel: False, {}))
    monkeypatch.setattr(searchblocks, "_kept_blocks", lambda *a: pytest.fail("every block read"))
    rng = random.Random(3)
    for step in range(6):
        for edited in rng.sample(records, k=1 + step % 2):
            if step == 2:
                edited.title += "（修订）"
            else:
                edited.body = Markup(str(edited.body) + f"<p>补充{step}说明</p>")
        files = dict(
            search_files(
                ordered, config, store, "settings", {}, published.__contains__, {}, read=published.__getitem__
            )
        )
        whole = {rel: published[rel] if data is None else data for rel, data in files.items()}
        cold()
        assert whole == search.build_index(records, config), step
        published = whole  # type: ignore[assignment]
    monkeypatch.undo()  # a shard not as written: every block merged, those spliced made of their records' shares
    records[0].body = Markup(str(records[0].body) + "<p>再补充</p>")
    spoiled = sorted(published)[1]
    files = dict(
        search_files(
            ordered, config, store, "settings", {}, lambda rel: rel != spoiled, {}, read=published.get
        )
    )
    cold()
    assert {rel: published[rel] if data is None else data for rel, data in files.items()} == (
        search.build_index(records, config)
    )
