"""A file spliced from the one the last build wrote has exactly the bytes of the file made whole."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from yunzhan import portable
from yunzhan.incremental import splice

LINES = {n: f"line {n} {'长' * n}\n".encode() for n in range(40)}


def pieces(numbers: list[int], lines: dict[int, bytes]) -> list[bytes | int]:
    """A file as a stage yields it: framing bytes around a placeholder for each line."""
    out: list[bytes | int] = [b"[head]\n"]
    for n in numbers:
        out += [b", ", n]
    return [*out, b"[tail]\n"]


def whole(made: list[bytes | int], lines: dict[int, bytes]) -> bytes:
    return b"".join(p if isinstance(p, bytes) else lines[p] for p in made)


def laid_out(folder: Path, numbers: list[int], lines: dict[int, bytes]) -> tuple[Path, splice.Layout]:
    """The previous build's file and its layout, made with no file before it."""
    layout: splice.Layout = ([], [])
    made = list(splice.ops(pieces(numbers, lines), None, lambda p: f"k{p}", lines.__getitem__, layout))
    assert all(isinstance(op, bytes) for op in made)
    path = folder / "old.json"
    path.write_bytes(b"".join(op for op in made if isinstance(op, bytes)))
    return path, layout


@pytest.mark.parametrize(
    "numbers",
    [
        list(range(40)),  # nothing changed
        [n for n in range(40) if n != 7],  # a line removed
        [*range(20), 99, *range(20, 40)],  # a line added
        [*range(20, 40), *range(20)],  # moved
        [*range(5), 6, 5, *range(7, 40)],  # two swapped: as many pieces, two found elsewhere
        [*range(3), 99, *range(4, 40)],  # one line in place of another
        [],  # all gone
    ],
)
@pytest.mark.parametrize("kernel", [True, False])
def test_a_spliced_file_is_the_file_made_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, numbers: list[int], kernel: bool
) -> None:
    if not kernel:
        caps = replace(portable.capabilities(), copy_range=False)
        monkeypatch.setattr(portable, "capabilities", lambda: caps)
    previous, old = laid_out(tmp_path, list(range(40)), LINES)
    lines = {**LINES, 3: b"line 3 changed\n", 99: b"new line\n"}  # 3 changed: its key too
    keys = {n: f"k{n}" + ("'" if n == 3 else "") for n in lines}
    made = pieces(numbers, lines)
    asked: list[int] = []

    def line(p: int) -> bytes:
        asked.append(p)
        return lines[p]

    layout: splice.Layout = ([], [])
    dest = tmp_path / "new.json"
    written = splice.write(splice.ops(made, old, keys.__getitem__, line, layout), previous, dest)
    expected = whole(made, lines)
    assert written == (expected != previous.read_bytes())
    if written:
        assert dest.read_bytes() == expected
    assert set(asked) <= {3, 99}  # only the lines the old file lacks are made
    again: splice.Layout = ([], [])
    assert splice.joined(splice.ops(made, old, keys.__getitem__, line, again), previous) == expected
    assert layout == again and sum(layout[1]) == len(expected)


def test_a_file_whose_pieces_all_lie_as_they_did_is_not_written(tmp_path: Path) -> None:
    previous, old = laid_out(tmp_path, list(range(40)), LINES)
    layout: splice.Layout = ([], [])
    made = splice.ops(pieces(list(range(40)), LINES), old, lambda p: f"k{p}", LINES.__getitem__, layout)
    assert not splice.write(made, previous, tmp_path / "new.json")
    assert not (tmp_path / "new.json").exists() and layout == old
