"""searchpostings.py: the postings, block by block and shard by shard, are exactly what the format defines
(``reference_postings``, the slow and obvious way)."""

from __future__ import annotations

import random

import pytest

from tests.searchcorpus import cold, reference_postings
from yunzhan import packedints, search, searchpostings


@pytest.mark.parametrize(
    "texts",
    [
        pytest.param([], id="none"),
        pytest.param(["", "甲", "甲乙 甲乙甲乙，ab", "", "ＬＦ炉lf炉"], id="small"),
        pytest.param([f"第{i}条：电缆{'热处理' * (i % 5)}，线圈{i % 7}" for i in range(300)], id="blocks"),
        pytest.param(["电缆热处理" * 8000, "缆热处" + "x" * 40_000 + "缆热"], id="long-texts"),
        pytest.param(["ab", "bc"] * 16_500 + ["电缆"], id="many-records"),
    ],
)
def test_postings_are_the_format(texts: list[str]) -> None:
    cold()
    got, ints = searchpostings.postings(texts)
    want = reference_postings(texts)
    assert got == want
    assert ints == sum(len(packedints.decode_ints(p)) for p in want.values())


def test_postings_of_a_record_and_of_a_block() -> None:
    record = searchpostings.record_grams("电缆，电缆头")
    assert record.chars == "头电缆"
    assert dict(zip(record.grams, map(packedints.decode_ints, record.segments), strict=True)) == {
        "电缆": [2, 0, 3],  # twice: at 0 and 3 (the comma is a gap of one)
        "缆头": [1, 4],
    }
    texts = tuple(f"记录{i}电缆" if i % 3 else "无关" for i in range(searchpostings.BLOCK))
    block = searchpostings.make_block(texts)
    keys = searchpostings.all_keys(block)
    assert len(block.firsts) == len(block.lasts) == len(keys) == len(block.rests.split(","))
    at = keys.index("电缆")
    assert (block.firsts[at], block.lasts[at]) == (1, max(i for i in range(searchpostings.BLOCK) if i % 3))


def test_block_keys_come_group_by_group() -> None:
    """``_merge`` reads a group as one slice of each field of a block."""
    texts = tuple(f"第{i}条：电缆热处理，线圈{i % 7}，ab{i}" for i in range(searchpostings.BLOCK))
    block = searchpostings.make_block(texts)
    rests, keys, groups = block.rests.split(","), searchpostings.all_keys(block), searchpostings.GROUPS
    keys_at, chars_at = block.cuts[: groups + 1], block.cuts[groups + 1 : 2 * groups + 2]
    assert keys_at[0] == chars_at[0] == 0 and keys_at[-1] == len(keys)
    for group in range(groups):
        low, high = keys_at[group], keys_at[group + 1]
        assert searchpostings.group_keys(block, group) == keys[low:high]
        assert all(searchpostings.shard_of(k, groups) == group for k in keys[low:high])
        assert chars_at[group] == sum(len(r) + 1 for r in rests[:low])


@pytest.mark.parametrize("seed", range(6))
def test_changes_are_the_dirty_keys_and_the_index_size_made_again(seed: int) -> None:
    """``changes``: the index size of the old blocks plus its change is that of the new ones (keys that come
    into the index, leave it, or stay in another block), and every key whose merged postings differ is dirty."""
    rng = random.Random(seed)
    words = ["电缆", "热处理", "线圈", "ab", "变压器", "铸件", "z9"]

    def text() -> str:
        return "，".join(
            rng.choice(words) + chr(0x4E00 + rng.randrange(400)) for _ in range(rng.randrange(1, 6))
        )

    texts = [text() for _ in range(5 * searchpostings.BLOCK)]
    starts = list(range(0, len(texts), searchpostings.BLOCK))
    old = searchpostings.make_blocks(texts.__getitem__, starts, len(texts))
    for n in rng.sample(range(len(texts)), rng.randrange(1, 4)):
        texts[n] = rng.choice([text(), "", texts[n] + "新词甲乙", texts[(n + 1) % len(texts)]])
    made = searchpostings.make_blocks(texts.__getitem__, starts, len(texts))
    new = [o if o == m else m for o, m in zip(old, made, strict=True)]  # unchanged: the very same object
    dirty, change = searchpostings.changes(old, new)
    assert search.index_size(old) + change == search.index_size(new)
    for group in range(searchpostings.GROUPS):
        before, after = {}, {}
        searchpostings.merge(old, group, before)
        searchpostings.merge(new, group, after)
        assert {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)} <= dirty


@pytest.mark.parametrize(
    "shards", [1, 2, searchpostings.GROUPS, 2 * searchpostings.GROUPS, search.MAX_SHARDS]
)
def test_shards_are_the_postings_split_by_gram(shards: int) -> None:
    """Shards made group by group hold what splitting the whole postings by ``shard_of`` gives, whether a shard
    is several groups or a group several shards."""
    texts = [f"第{i}条：电缆{'热处理' * (i % 5)}，线圈{i % 7}" for i in range(300)]
    blocks = searchpostings.make_blocks(
        texts.__getitem__, list(range(0, len(texts), searchpostings.BLOCK)), len(texts)
    )
    want: list[dict[str, str]] = [{} for _ in range(shards)]
    for gram, packed in reference_postings(texts).items():
        want[searchpostings.shard_of(gram, shards)][gram] = packed
    assert searchpostings.shard_bodies(blocks, shards) == [searchpostings.dumps(s) for s in want]


@pytest.mark.parametrize("every_full", [False, True], ids=["a-few", "all-with-keys"])
@pytest.mark.parametrize("shards", [searchpostings.GROUPS, 4 * searchpostings.GROUPS, search.MAX_SHARDS])
def test_the_shards_wanted_alone_are_those_of_the_whole_index(shards: int, every_full: bool) -> None:
    """A few shards made again merge only their own keys (their places in each block's group): the same bytes
    as those of all the shards made at once."""
    texts = [
        f"第{i}条：电缆{'热处理' * (i % 5)}，线圈{i % 7}，{chr(0x4E00 + i * 37 % 900)}" for i in range(300)
    ]
    blocks = searchpostings.make_blocks(
        texts.__getitem__, list(range(0, len(texts), searchpostings.BLOCK)), len(texts)
    )
    every = searchpostings.shard_bodies(blocks, shards)
    full = [k for k, body in enumerate(every) if body != b"{}"]
    wanted = {*(full if every_full else random.Random(shards).sample(full, 12)), 0, shards - 1}
    got = searchpostings.shard_bodies(blocks, shards, wanted)
    assert got == [body if k in wanted else None for k, body in enumerate(every)]
