"""The synthetic corpus that the search tests measure against: 240 records made by bench/search_corpus.py, whose
right answers come from plain substring search over each record's source text, never from the search code.

Fixtures (assign the ones you use in your test module): ``config`` (the demo's collections and fields under
the sub-path /expo/2024/), ``items`` (the corpus) and ``records`` (its records).
"""

from __future__ import annotations

import functools
import itertools
import sys

import pytest

from tests.conftest import REPO
from yunzhan import packedints, searchpostings, searchtext
from yunzhan.config import SiteConfig, load_config
from yunzhan.model import Record

sys.path.insert(0, str(REPO / "bench"))
import search_corpus as corpus

BASE_URL = "https://example.org/expo/2024/"
BASE = "/expo/2024/"


@pytest.fixture(scope="module")
def config() -> SiteConfig:
    return load_config(REPO, BASE_URL)  # the demo's collections and fields


@pytest.fixture(scope="module")
def items() -> list[corpus.Item]:
    return corpus.generate()


@pytest.fixture(scope="module")
def records(items: list[corpus.Item]) -> list[Record]:
    return corpus.to_records(items, BASE)


@functools.cache
def _key() -> dict[str, tuple[str, str, str]]:
    return corpus.answer_key(corpus.generate())


def expected_paths(items: list[corpus.Item], query: str) -> set[str]:
    assert len(items) == len(_key())
    return corpus.answers(query, _key())


def reference_postings(texts: list[str]) -> dict[str, str]:
    """The postings as the format defines them, the slow and obvious way (the original implementation)."""
    bigrams: dict[str, list[tuple[int, list[int]]]] = {}
    unigrams: dict[str, list[int]] = {}
    for rid, text in enumerate(texts):
        here: dict[str, list[int]] = {}
        chars: set[str] = set()
        pos = 0
        body, _, rest = text.partition(searchtext.SECTION)
        for k, part in enumerate((body, rest)):
            if k and pos:  # the part after SECTION starts at the next multiple of ALIGN past the body's runs
                pos = -(-pos // searchpostings.ALIGN) * searchpostings.ALIGN
            for run in searchtext.runs(part):
                chars.update(run)
                for i in range(len(run) - 1):
                    here.setdefault(run[i : i + 2], []).append(pos + i)
                pos += len(run) + 1
        for ch in chars:
            unigrams.setdefault(ch, []).append(rid)
        for gram, positions in here.items():
            bigrams.setdefault(gram, []).append((rid, positions))
    out = {}
    for ch, ids in unigrams.items():
        out[ch] = packedints.encode_ints(b - a for a, b in itertools.pairwise([0, *ids]))
    for gram, per_record in bigrams.items():
        flat, last = [], 0
        for rid, positions in per_record:
            flat += [rid - last, len(positions), positions[0]]
            flat += [b - a for a, b in itertools.pairwise(positions)]
            last = rid
        out[gram] = packedints.encode_ints(flat)
    return out


def cold() -> None:
    """Forget what earlier builds in this process memoised (each record's pairs)."""
    searchpostings.record_grams.cache_clear()
