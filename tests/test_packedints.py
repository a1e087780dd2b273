"""packedints.py: the packed ints read back as they were, in a JSON string, and the table of small values is
exactly their encoding."""

from __future__ import annotations

import json

from yunzhan import packedints


def test_ints_pack_and_unpack() -> None:
    values = [0, 1, 31, 32, 1023, 1024, 99999, 7]
    packed = packedints.encode_ints(values)
    assert packedints.decode_ints(packed) == values and json.dumps(packed) == f'"{packed}"'


def test_the_table_of_small_values_is_their_encoding() -> None:
    """The look-up table is built digit by digit when first used: each entry must be what ``_encode_int`` makes."""
    assert [packedints._encode_int(v) for v in range(1 << 15)] == packedints.tables()[0]
    assert packedints.decode_ints("".join(packedints.tables()[0])) == list(range(1 << 15))
