"""Block scalars in a YAML text (``body: |`` and the lines indented under it), and the line an editor typed
below one without indenting it.

A YAML record's body is a block scalar: each of its lines must be indented past its key. A line typed at
column 0 below it (a paragraph added, a heading, a list item pasted from WeChat) ends the body there, and the
parser fails on it, or a line further down, in words about keys and colons. Here that line is found, so
that ``yamlhints`` can name it in the editor's terms: outside the 正文 because it is not indented. A line
that reads as the next field (``key: value``) is left alone: it is valid YAML, and other slips on it are
named as on any field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_BLOCK_START = re.compile(r"^( *)((?:- +)?)([^\s#][^:]*?) *: *[|>]([-+1-9]{0,2})\s*(?:#.*)?$")
_FIELD = re.compile(
    r"^ *(?:- +)?(?:[A-Za-z_][A-Za-z0-9_-]*\s*[:：](?!//)|[^\s#\-][^:]*:(?: |$))"
)  # meant as a field
_ITEM = re.compile(r"^ *-(?: |$)")
_HEADING = re.compile(r"^ *#{2,6}")  # "## 小节" in Markdown; "# " is how a YAML comment is written


@dataclass(frozen=True)
class Block:
    """One block scalar: its key, the key's line and column, its text's column (None when its first line
    was not indented past the key) and the first line below it that is not blank and not its text."""

    key: str
    line: int
    key_column: int
    column: int | None
    filled: int  # how many of its lines hold text
    end: int | None  # None when the block runs to the end of the text


def blocks(lines: list[str]) -> list[Block]:
    """The block scalars of a YAML text, in order, each with where its text ends."""
    found: list[Block] = []
    number = 1
    while number <= len(lines):
        match = _BLOCK_START.match(lines[number - 1])
        start, number = number, number + 1
        if match is None:
            continue
        key_column = len(match.group(1)) + len(match.group(2))
        digits = "".join(c for c in match.group(4) if c.isdigit())
        column = key_column + int(digits) if digits else None
        filled = 0
        while number <= len(lines):
            line = lines[number - 1]
            if line.strip():
                spaces = indent(line)
                column = spaces if column is None and spaces > key_column else column
                if column is None or spaces < column:
                    break
                filled += 1
            number += 1
        end = number if number <= len(lines) else None
        found.append(Block(match.group(3).strip(), start, key_column, column, filled, end))
    return found


def text_lines(lines: list[str]) -> set[int]:
    """The numbers of the lines inside block scalars: a body's words, where a "：" is prose, not a colon."""
    inside: set[int] = set()
    for block in blocks(lines):
        inside.update(range(block.line + 1, block.end or len(lines) + 1))
    return inside


def stray_line(lines: list[str], at: int) -> tuple[Block, str] | None:
    """The block scalar that a line ended by being indented too little, when that is why the parser failed at
    line ``at``, and what the line is: "text" (prose, or a list item where no list may start), "comment" (a
    heading taken for a YAML comment, with the body's text going on below it) or "full-width" (indented
    with full-width spaces, which YAML does not count)."""
    block = next((b for b in reversed(blocks(lines)) if b.end is not None and b.end <= at), None)
    if block is None or block.end is None:
        return None
    line = lines[block.end - 1]
    text = line.lstrip(" ")
    if text.startswith("\t") or _FIELD.match(line):
        return None  # a Tab is named by itself; a field is the next field
    if text.startswith("#"):
        after = next((n for n in range(block.end + 1, at + 1) if _is_text(lines[n - 1])), None)
        if after is None or _FIELD.match(lines[after - 1]) or (_ITEM.match(lines[after - 1]) and after != at):
            return None
        return block, "comment"
    if _ITEM.match(line) and at != block.end:
        return None
    return block, "full-width" if text.startswith("\u3000") else "text"


def dropped_heading_lines(lines: list[str]) -> list[tuple[Block, int]]:
    """Markdown headings ("## …") that end a body by being indented too little: YAML reads them as comments,
    and when a field or the end of the file follows, nothing fails and the heading is not on the page."""
    return [
        (block, block.end)
        for block in blocks(lines)
        if block.key == "body" and block.end is not None and _HEADING.match(lines[block.end - 1])
    ]


def stray_below(lines: list[str], block: Block) -> int:
    """How many more lines below a block's stray line are indented too little for its text, up to the next
    field: the editor added a few paragraphs, and all of them need the spaces."""
    column = block.column if block.column is not None else block.key_column + 1
    count = 0
    for line in lines[block.end or len(lines) :]:
        if _FIELD.match(line) or (_ITEM.match(line) and indent(line) < block.key_column):
            break
        count += (_is_text(line) or bool(_HEADING.match(line))) and indent(line) < column
    return count


def indent(line: str) -> int:
    """The columns of a line's indentation: spaces only, as YAML counts them."""
    return len(line) - len(line.lstrip(" "))


def _is_text(line: str) -> bool:
    return bool(line.strip()) and not line.lstrip(" ").startswith("#")
