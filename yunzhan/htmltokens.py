"""Raw HTML tokenised as an HTML5 parser reads it in body text (``HTML_TOKEN``), and a pessimistic model of how
deep it nests (``Depth``): nh3's tree building is quadratic in depth and cannot be interrupted, so the depth is
known before it runs. ``check`` reads built pages and raw HTML in Markdown with the same tokenizer.
"""

from __future__ import annotations

import re

_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"})
# For the depth model: HTML5's formatting elements, and elements that end tags close through.
_FORMATTING = frozenset(
    {"a", "b", "big", "code", "em", "font", "i", "nobr", "s", "small", "strike", "strong"}
)
_FORMATTING |= {"tt", "u"}
_PHRASING = _FORMATTING | {"span", "sup", "sub", "abbr", "kbd", "mark", "q", "cite", "del", "ins", "label"}
_IMPLIED = frozenset({"p", "li", "dd", "dt", "option", "optgroup", "rb", "rp", "rt", "rtc"})
_RAW_TEXT = frozenset({"script", "style", "xmp", "iframe", "noembed", "noframes", "noscript", "textarea"})
_RAW_TEXT |= {"title"}
_W = "[\t\n\f\r ]"  # HTML's whitespace; str.isspace() and \\s also match e.g. U+3000, which HTML does not
_HTML_ATTR = rf"[^\t\n\f\r />][^\t\n\f\r /=>]*(?:{_W}*={_W}*(?:\"[^\"]*\"?|'[^']*'?|[^\t\n\f\r >]*))?"
HTML_TOKEN = re.compile(
    r"<!--(?:-?>|.*?(?:--!?>|\Z))"  # a comment, including the abrupt "<!-->" and "<!--->"
    r"|<(?:[!?]|/(?![a-zA-Z]))[^>]*>?"  # doctype, CDATA, bogus comment: up to the first ">"
    rf"|<(/?)([a-zA-Z][^\t\n\f\r />]*)((?:{_W}+|/|{_HTML_ATTR})*)>?",
    re.S,
)
_DEFINITIONS = (frozenset({"dd", "dt"}), _PHRASING | {"address", "div", "p"})
_CELLS = (frozenset({"td", "th"}), _PHRASING | _IMPLIED)
_CLOSED_BY: dict[str, tuple[frozenset[str], frozenset[str]]] = {  # start tag -> (closes, through)
    "li": (frozenset({"li"}), _PHRASING | {"address", "div", "p"}),
    "dd": _DEFINITIONS,
    "dt": _DEFINITIONS,
    "p": (frozenset({"p"}), _PHRASING),
    "td": _CELLS,
    "th": _CELLS,
    "tr": (frozenset({"tr"}), _CELLS[1] | {"td", "th"}),
    "option": (frozenset({"option"}), frozenset()),
}


class TooDeep(Exception):
    """The HTML would nest deeper than nh3 can build in reasonable time."""


class Depth:
    """A pessimistic model of how deep an HTML5 parser (html5ever, inside nh3) nests these tags.

    html5ever's tree building is quadratic in nesting depth, and Rust cannot be interrupted by our timer, so
    the depth must be known before nh3 runs. The model follows the HTML5 rules only where they make the tree
    shallower and otherwise assumes the worst: end tags close only through phrasing elements, and every
    formatting element left open (``<p><b title=1></p>``) may be re-opened inside each later block.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.stack: list[str] = []
        self.formatting: list[tuple[str, str]] = []  # the "active formatting elements" (tag, attributes)

    def close(self, tags: frozenset[str], through: frozenset[str]) -> bool:
        for i in range(len(self.stack) - 1, max(len(self.stack) - 65, -1), -1):
            if self.stack[i] in tags:
                del self.stack[i:]
                return True
            if self.stack[i] not in through:
                break
        return False

    def start(self, tag: str, attrs: str) -> None:
        if tag in _VOID:
            return
        if tag in _CLOSED_BY:
            self.close(*_CLOSED_BY[tag])
        if tag in _FORMATTING:
            if self.formatting.count((tag, attrs)) >= 3:  # the spec's "Noah's Ark" clause
                self.formatting.remove((tag, attrs))
            self.formatting.append((tag, attrs))
        self.stack.append(tag)
        if len(self.stack) + len(self.formatting) > self.limit:
            raise TooDeep

    def end(self, tag: str) -> None:
        closed = self.close(frozenset({tag}), _PHRASING if tag in _PHRASING else _PHRASING | _IMPLIED)
        if tag in _FORMATTING and (closed or tag not in self.stack):  # else it stays active (and open)
            for i in range(len(self.formatting) - 1, -1, -1):
                if self.formatting[i][0] == tag:
                    del self.formatting[i]
                    break

    def feed(self, html: str) -> None:
        """Tokenise like an HTML5 parser does in body text (comments, attribute quoting, raw-text elements)."""
        pos = 0
        while (m := HTML_TOKEN.search(html, pos)) is not None:
            pos = m.end()
            closing, name, attrs = m.group(1), (m.group(2) or "").lower(), m.group(3)
            if m.group(0).startswith("<![CDATA[") and {"svg", "math"} & set(self.stack):
                end = html.find("]]>", m.start())  # real CDATA only inside SVG and MathML
                pos = len(html) if end < 0 else end + 3
            elif name and closing:
                self.end(name)
            elif name:
                self.start(name, attrs)
                if name == "plaintext":
                    return
                if name in _RAW_TEXT:  # no tags inside until the matching end tag
                    end = re.compile(rf"</{name}[\t\n\f\r />]", re.I).search(html, pos)
                    pos = end.start() if end else len(html)


_START_TAG = re.compile(r"<[a-zA-Z]")  # where every start tag ``HTML_TOKEN`` finds begins


def check_depth(html: str, limit: int) -> None:
    """``Depth(limit).feed(html)``, which raises ``TooDeep``; not read when it cannot: each start tag adds at
    most two to the depth (an open element and an active formatting one), and most documents have few."""
    if 2 * len(_START_TAG.findall(html)) > limit:
        Depth(limit).feed(html)
