"""Titles broken into lines for the share images: Chinese cut between words (jieba), so a title breaks as
"人才 / 创新成果展", never "人才创 / 新成果展"; closing punctuation never starts a line; overflow ends with "…".
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

from PIL import ImageFont

from yunzhan.fonts import FontFace

NO_LINE_START = set("，。、；：？！）》」』】〕…—·,.;:?!)%”’")
NO_LINE_END = set("（《「『【〔“‘(")


@functools.cache
def _segmenter() -> Callable[[str], list[str]]:
    """jieba's word segmentation, loaded on first use (its dictionary takes about a second to read)."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba.lcut


def _tokens(text: str) -> list[str]:
    """Break opportunities between words: Chinese is cut into words (a title breaks as "人才 / 创新成果展",
    never "人才创 / 新成果展"), Latin words and numbers stay whole. Opening punctuation joins the word after it,
    closing punctuation the word before it."""
    tokens: list[str] = []
    glue = False
    for word in _segmenter()(" ".join(text.split())):
        if tokens and (glue or word in NO_LINE_START or (word.isspace() and tokens[-1].isspace())):
            tokens[-1] += word
        else:
            tokens.append(word)
        glue = word in NO_LINE_END
    return tokens


def wrap(text: str, font: ImageFont.FreeTypeFont, width: int, max_lines: int) -> list[str]:
    """Greedy line breaking for Chinese; closing punctuation never starts a line; overflow ends with …."""
    text = " ".join(text.split())
    if font.getlength(text) <= width:
        return [text]  # fits: no need for the segmenter (its dictionary takes a second to load)
    lines: list[str] = []
    line = ""
    for token in _tokens(text):
        if line and font.getlength(line + token.rstrip()) > width:
            lines.append(line.rstrip())
            line = token.lstrip()
        else:
            line += token
        while font.getlength(line) > width and len(line) > 1:  # a word longer than the line: cut it
            cut = max(1, len(line) - 1)
            while cut > 1 and font.getlength(line[:cut]) > width:
                cut -= 1
            lines.append(line[:cut])
            line = line[cut:]
    if line:
        lines.append(line)
    if len(lines) > max_lines:
        last = lines[max_lines - 1]
        while last and font.getlength(last + "…") > width:
            last = last[:-1]
        lines = [*lines[: max_lines - 1], last + "…"]
    return lines


def fit_title(
    text: str, font: FontFace, width: int, sizes: Sequence[int], max_lines: int
) -> tuple[ImageFont.FreeTypeFont, list[str]]:
    """The largest size at which the title fits in ``max_lines`` lines (the smallest, shortened, otherwise)."""
    for size in sizes:
        face = font.at(size)
        lines = wrap(text, face, width, max_lines + 1)
        if len(lines) <= max_lines:
            return face, lines
    face = font.at(sizes[-1])
    return face, wrap(text, face, width, max_lines)
