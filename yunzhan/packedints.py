"""Non-negative ints packed into JSON-safe strings, 5 bits a character, as ``search.js`` unpacks them (its
``ints``): the search index's postings (``searchpostings``) are written this way, half the size of JSON arrays.

Kept apart from the postings: the format is a contract with ``search.js``, whatever the postings hold.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

DIGITS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_"


def _encode_int(value: int) -> str:
    chunks = [value & 31]
    value >>= 5
    while value:
        chunks.append((value & 31) | 32)
        value >>= 5
    return "".join(DIGITS[c] for c in reversed(chunks))


def _small_table() -> list[str]:
    """``_encode_int`` of every value below 32768, by digit (one, two or three), not value by value: this
    module is imported by every build, and 32,768 calls cost it 50 ms."""
    low, more = DIGITS[:32], DIGITS[33:]  # a last digit; a leading one of 1..31 with "more follows"
    return [
        *low,
        *[a + b for a in more for b in low],
        *[a + b + c for a in more for b in DIGITS[32:] for c in low],
    ]


@functools.cache
def tables() -> tuple[list[str], list[str], list[str]]:
    """``_encode_int`` of each value below 32768 (a table look-up), and of a pair seen once or twice at each
    position (its count, then that first position): made when first used, not when imported (98,000 texts,
    ~6 MB, that a build would otherwise hold through rendering, where no index is made)."""
    small = _small_table()
    return small, [small[1] + v for v in small], [small[2] + v for v in small]


def encode_ints(values: Iterable[int]) -> str:
    """Non-negative ints → a JSON-safe string, 5 bits a character, most significant first; characters from
    the upper half of DIGITS mean "more follows". Half the size of a JSON array before gzip."""
    small = tables()[0]
    return "".join(small[v] if v < 32768 else _encode_int(v) for v in values)


def decode_ints(text: str) -> list[int]:
    """The inverse of ``encode_ints`` (what ``search.js`` does), for reading an index back in tests and tools."""
    out, n = [], 0
    for ch in text:
        c = DIGITS.index(ch)
        n = n * 32 + (c & 31)
        if c < 32:
            out.append(n)
            n = 0
    return out


def encode_one(value: int) -> str:
    """``encode_ints`` of one value: for callers that map a table look-up over many, with this past the table."""
    return tables()[0][value] if value < 32768 else _encode_int(value)
