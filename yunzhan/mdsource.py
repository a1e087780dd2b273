"""Markdown as editors type it, read before it is converted: link targets copied on Windows turned to slashes
(before Markdown takes ``\\.`` for an escape), code fences and spans, and nesting too deep for Python-Markdown.
"""

from __future__ import annotations

import functools
import re

from yunzhan.addresses import slashed

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
CODE_SPAN = re.compile(r"(`+).+?\1")
# A link or image target with a backslash that is not a Markdown escape of a bracket: "](..\\x\\a.md)".
_BACKSLASH_TARGET = re.compile(r"(\]\(\s*<?)([^\s()<>]*\\[^\s()<>]*[^\s()<>\\])(?=>?(?:\s|\)))")


def windows_paths(text: str) -> str:
    """Backslashes in link and image targets outside code turned into slashes, before Markdown takes ``\\.``
    and ``\\_`` as escapes (``..\\..\\a.md`` would become ``....\\a.md``). Same length, same lines."""
    if "\\" not in text or "](" not in text:
        return text
    lines, fence = text.split("\n"), ""
    for i, line in enumerate(lines):
        match = FENCE.match(line)
        if fence:
            if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
                fence = ""
        elif match:
            fence = match.group(1)
        elif "\\" in line and "](" in line:
            code = [m.span() for m in CODE_SPAN.finditer(line)]
            lines[i] = _BACKSLASH_TARGET.sub(functools.partial(_slash_target, code), line)
    return "\n".join(lines)


def _slash_target(code: list[tuple[int, int]], match: re.Match[str]) -> str:
    if any(start <= match.start() < end for start, end in code):
        return match.group(0)
    return match.group(1) + slashed(match.group(2))


_LIST_MARKERS = re.compile(r"(?:(?:[-*+]|\d{1,9}[.)])[ \t]+)*")
_QUOTE_MARKERS = re.compile(r"(?:>[ \t]*)*")
_BRACKET = re.compile(r"\\.|[\[\]]")


def nesting(text: str, limit: int) -> tuple[str, int] | None:
    """(what, line index) of the first construct nested deeper than ``limit``: Python-Markdown handles these
    super-linearly or recursively (a RecursionError deep inside it). A construct the whole text has too few
    characters for is not looked for (most texts have fewer than ``limit`` brackets, ``>`` and backticks)."""
    brackets, many_brackets = 0, text.count("[") > limit
    many_quotes, many_ticks = text.count(">") > limit, text.count("`") > limit
    for index, line in enumerate(text.split("\n")):
        if many_brackets:
            if not line.strip():
                brackets = 0  # a link's text cannot span paragraphs
            for token in _BRACKET.findall(line):
                brackets = (
                    brackets + 1 if token == "[" else max(brackets - 1, 0) if token == "]" else brackets
                )
                if brackets > limit:
                    return "方括号 [", index
        head = line.lstrip(" \t")[:1]  # the first character after the indentation, as below
        if head and (head in "-*+" or head.isdecimal() or (head == ">" and many_quotes)):  # \d: any Nd digit
            expanded = line.expandtabs(4)
            body = expanded.lstrip(" ")
            if _QUOTE_MARKERS.match(body).group().count(">") > limit:  # type: ignore[union-attr]
                return "引用 >", index
            markers = _LIST_MARKERS.match(body).group()  # type: ignore[union-attr]
            if markers and (len(expanded) - len(body)) // 4 + len(re.findall(r"[ \t]+", markers)) > limit:
                return "列表", index
        if many_ticks and any(len(run) > limit for run in re.findall(r"`+", line)):
            return "连续反引号 `", index
    return None
