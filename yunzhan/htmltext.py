"""Safe HTML (a rendered body or ``text`` field) → plain text: for the search index, feeds, open data, placards.

Stdlib only: the stages that need text (search, publish, placards) need none of the Markdown conversion.
"""

from __future__ import annotations

import functools
import re
from html import unescape

BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "caption",
        "dd",
        "details",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "img",
        "li",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    ]
)
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*>|<!--.*?-->", re.S)
_DROP = re.compile(r"<(script|style|template)\b.*?</\1\s*>", re.S | re.I)


def html_text(value: str) -> str:
    """Sanitised HTML → plain text. Block tags become line breaks, inline tags vanish (``感应<b>线圈</b>``
    stays one phrase), entities are decoded."""
    pieces = _TAG.split(_DROP.sub(" ", value))  # text, then each tag's slash and name (None: a comment), ...
    del pieces[1::3]
    # each tag's name → its break, through a table in C rather than a call a tag (40% of the time at 10,000 bodies)
    pieces[1::2] = map(_BREAKS.__getitem__, pieces[1::2])
    return unescape("".join(pieces))


class _Breaks(dict[str | None, str]):
    """A tag's name (as written, None for a comment) → what it leaves in the text: a line break for a block."""

    def __missing__(self, name: str | None) -> str:
        found = "\n" if name is not None and name.lower() in BLOCK_TAGS else ""
        if len(self) < 4096:  # names as written: a few dozen, however many texts
            self[name] = found
        return found


_BREAKS = _Breaks()


def _text_of(html: object) -> str:
    lines = map(" ".join, map(str.split, html_text(str(html)).split("\n")))
    return "\n".join(filter(None, lines))


# Pure. Remembered for the few texts `serve` reads again at each save (the block of the edited record, its open
# data lines, the feed's summaries), not for every body: a cold build's 10,000 texts held ~20 MB for a second
# reading by open data that costs under a second. Keyed by the HTML as given (a record's body, already held):
# ``str()`` of a Markup is a copy.
_plain_text = functools.lru_cache(maxsize=256)(_text_of)


def shorten(text: str, limit: int) -> str:
    """Plain text in at most ``limit`` characters, spaces collapsed: ended on a full sentence when one ends late
    enough, else cut with "…" (feed summaries, placards)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    stop = max(cut.rfind(p) for p in "。！？；")
    return cut[: stop + 1] if stop >= limit // 2 else cut + "…"


def plain_text(html: object, *, keep: bool = True) -> str:
    """Safe HTML (a rendered body or ``text`` field) → plain text, one paragraph a line, spaces collapsed.
    ``keep=False``: not remembered, for a reader that is alone to read it (a placard's summary)."""
    if not html:
        return ""
    return _plain_text(html) if keep else _text_of(html)
