"""searchsplice.py: a shard spliced record by record is the shard merged again from every record's text."""

from __future__ import annotations

import random

import pytest

from tests.searchcorpus import cold
from yunzhan import searchpostings, searchsplice
from yunzhan.searchpostings import dumps, record_grams


@pytest.mark.parametrize("seed", range(6))
def test_a_spliced_shard_is_the_shard_merged_again(seed: int) -> None:
    cold()
    rng = random.Random(seed)
    words = ["电缆", "热处理", "线圈", "ab", "第", "条", "炉", "x" * 40]
    texts = ["".join(rng.choices(words, k=rng.randrange(0, 30))) for _ in range(rng.randrange(1, 300))]
    before, _ = searchpostings.postings(texts)
    edited = rng.sample(range(len(texts)), k=min(3, len(texts)))
    after_texts = list(texts)
    for rid in edited:
        after_texts[rid] = rng.choice(
            ["", texts[rid] + "电缆线圈", "新" + texts[rid], "条条条" * rng.randrange(9)]
        )
    after, _ = searchpostings.postings(after_texts)
    changes: dict[str, list[tuple[int, str | None]]] = {}
    for rid in sorted(edited):
        old = searchsplice.units(record_grams(texts[rid]))
        new = searchsplice.units(record_grams(after_texts[rid]))
        for key in old.keys() | new.keys():
            if old.get(key) != new.get(key):
                changes.setdefault(key, []).append((rid, new.get(key)))
    got, added, removed = searchsplice.spliced_shard(dumps(before), changes)
    assert dumps(got) == dumps(after)
    assert added == after.keys() - before.keys() and removed == before.keys() - after.keys()
