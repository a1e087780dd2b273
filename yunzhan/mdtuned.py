"""Python-Markdown tuned for converting thousands of bodies, the HTML unchanged: ~40% less time a body.

Python-Markdown tries each of its inline patterns (15 with yunzhan's extensions) on every text of a document, in
turn: a regular-expression search and a few Python calls each, through a registry looked up by index, even when
the text holds none of the characters the pattern must find. For an exhibition's prose, mostly Chinese with a
link or two, that was a third of a body's conversion. ``SkippingInline`` takes the place of the inline pass and
passes over a pattern for a text that holds none of its ``MARKS``: without one, the pattern's expression finds
nothing, which is exactly when Python-Markdown goes on to the next pattern with nothing changed (and over the
reference patterns in a document that defines no reference: they would change nothing either). A pattern it
does not know is tried as before. tests/test_mdtuned.py holds both to the same output on random
Markdown, for the version of Python-Markdown pinned in pyproject.toml.

Smaller costs: ``Markdown.is_block_level`` (lower-cased, then looked for in a list of 50 names, ~200 times a
body) remembered by tag; the processors' registries (a block parser's made a new list of its processors for
each block of a body) iterated from a list made once (``_Listed``); the block processors' tests (the table's
splits every block into rows) not run on a block without one of the marks they need (``BLOCK_MARKS``); the
table of contents' ``<div>`` (``Markdown.toc``, which yunzhan never reads: headings come from ``toc_tokens``)
left empty; the attribute lists' pass not run on a text without ``{`` (each list is written in braces); and the escapes' pass
(``_Unescape``) calling its substitution only on texts that hold an escaped character's mark; and a heading of
plain text named for the table of contents without being serialised and passed through every postprocessor
(``_toc_run``), which would give back its text.
"""

from __future__ import annotations

import functools
import html
import re
import xml.etree.ElementTree as etree
from collections.abc import Callable, Iterator
from typing import Any

import markdown
from markdown import util
from markdown.extensions import toc
from markdown.treeprocessors import InlineProcessor, UnescapeTreeprocessor

# What each of Python-Markdown's inline patterns (and footnotes') cannot match without: one of these strings.
# ``em_strong`` matches its delimiters' tokens (``*``, ``_``), read from the pattern itself.
MARKS: dict[str, tuple[str, ...]] = {
    "backtick": ("`",),
    "escape": ("\\",),
    "footnote": ("[^",),
    "reference": ("[",),
    "link": ("[",),
    "image_link": ("![",),
    "image_reference": ("![",),
    "short_reference": ("[",),
    "short_image_ref": ("![",),
    "autolink": ("<",),
    "automail": ("<",),
    "linebreak": ("  \n",),
    "html": ("<",),
    "entity": ("&",),
}


# What each block processor's test cannot match without: one of these strings. Most of an exhibition's blocks
# are paragraphs, which went through each of these tests' expressions in turn. A table's header row needs a
# ``|``; a ``#`` heading its ``#``; a quote its ``>``; a setext heading's underline ``=`` or ``-``; a rule
# three of ``-``, ``_`` or ``*``; an ordered list ``1.``; a bulleted one ``*``, ``+`` or ``-``. The definitions
# of a reference (``[id]: url``) and of a footnote (``[^1]: …``), whose tests say yes to every block, search it
# in ``run`` and give it back unchanged when they find none.
BLOCK_MARKS: dict[str, tuple[str, ...]] = {
    "table": ("|",),
    "hashheader": ("#",),
    "quote": (">",),
    "setextheader": ("=", "-"),
    "hr": ("-", "_", "*"),
    "olist": (".",),
    "ulist": ("*", "+", "-"),
    "reference": ("]:",),
    "footnote": ("[^",),
}

# Patterns that make an element only of a reference the text defines (``[text][id]``, ``[id]``, their images):
# without a definition (most bodies) each finds a link's ``[`` and reads its text to no end (``handleMatch``
# gives no element, and the data is left as it was), before the link pattern reads it again.
REFERENCED = frozenset({"reference", "short_reference", "image_reference", "short_image_ref"})


class SkippingInline(InlineProcessor):
    """Python-Markdown's ``InlineProcessor`` with its patterns in a list, each with the marks it needs (None:
    always tried), taken when installed: ``install`` comes after every extension has registered its own."""

    def __init__(self, md: markdown.Markdown) -> None:
        super().__init__(md)
        registry = md.inlinePatterns
        self.patterns = list(registry)
        self.marks: list[tuple[str, ...] | None] = []
        self.referenced: list[bool] = []
        for (name, _), pattern in zip(registry._priority, self.patterns, strict=True):
            tokens = getattr(pattern, "tokens", None) if name == "em_strong" else None
            self.marks.append(tuple(tokens) if tokens else MARKS.get(name))
            self.referenced.append(name in REFERENCED)

    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:
        """``InlineProcessor.__handleInline`` (which it replaces, by its mangled name), a pattern whose marks
        ``data`` lacks counted as not matching: no search, no calls."""
        if isinstance(data, util.AtomicString):
            return data
        apply = self._InlineProcessor__applyPattern  # type: ignore[attr-defined]
        patterns, marks, referenced = self.patterns, self.marks, self.referenced
        defined = bool(self.md.references)  # type: ignore[attr-defined]
        start, count = 0, len(patterns)
        while patternIndex < count:
            if referenced[patternIndex] and not defined:
                patternIndex += 1
                start = 0
                continue
            needed = marks[patternIndex]
            if needed is not None:
                for mark in needed:  # a loop, not any(): this runs ~100 times a body
                    if mark in data:
                        break
                else:
                    patternIndex += 1
                    start = 0
                    continue
            data, matched, start = apply(patterns[patternIndex], data, patternIndex, start)
            if not matched:
                patternIndex += 1
        return data


class _Listed(util.Registry[Any]):
    """A registry iterated from a list kept until it changes (Python-Markdown's makes one a time)."""

    def __iter__(self) -> Iterator[Any]:
        listed = self.__dict__.get("_listed")
        if listed is None:
            listed = self.__dict__["_listed"] = list(super().__iter__())
        return iter(listed)

    def register(self, item: Any, name: str, priority: float) -> None:
        self.__dict__.pop("_listed", None)
        super().register(item, name, priority)

    def deregister(self, name: str, strict: bool = True) -> None:
        self.__dict__.pop("_listed", None)
        super().deregister(name, strict)


def install(md: markdown.Markdown) -> markdown.Markdown:
    """``md`` with its inline pass ``SkippingInline`` (at the place and priority it had), its block-level test
    remembered and its registries ``_Listed``. Once every extension is in: the tag names and the patterns are
    read now."""
    md.treeprocessors.register(SkippingInline(md), "inline", 20)
    md.is_block_level = functools.lru_cache(maxsize=None)(md.is_block_level)  # type: ignore[method-assign]
    for registry in (md.preprocessors, md.parser.blockprocessors, md.treeprocessors, md.postprocessors):
        registry.__class__ = _Listed  # the same object, its processors' references to it kept
    md.treeprocessors.register(_Unescape(md), "unescape", 0)
    attr_list = md.treeprocessors["attr_list"]
    attr_list.run = functools.partial(_braced, md, attr_list.run)  # type: ignore[method-assign]
    blocks = md.parser.blockprocessors
    for name, marks in BLOCK_MARKS.items():
        if name in blocks:
            blocks[name].test = functools.partial(_marked, marks, blocks[name].test)  # type: ignore[method-assign]
    toc = md.treeprocessors["toc"]
    toc.build_toc_div = _no_toc_div  # type: ignore[attr-defined]
    toc.run = functools.partial(_toc_run, toc)  # type: ignore[method-assign]
    return md


def _marked(
    marks: tuple[str, ...], test: Callable[[etree.Element, str], bool], parent: etree.Element, block: str
) -> bool:
    """A block processor's test, for a block that holds one of its ``BLOCK_MARKS`` (else it finds nothing)."""
    for mark in marks:
        if mark in block:
            return test(parent, block)
    return False


def _braced(md: markdown.Markdown, run: Callable[[etree.Element], None], doc: etree.Element) -> None:
    """The attribute lists' pass, for a text with a ``{`` (its lines as the preprocessors left them, whose
    text is all the tree's: nothing later makes a brace before this pass)."""
    if any("{" in line for line in md.lines):
        run(doc)


class _Unescape(UnescapeTreeprocessor):
    """``UnescapeTreeprocessor``: the same texts changed, the others (no ``STX``) not passed to ``re.sub``."""

    def run(self, root: etree.Element) -> None:
        stx, unescape = util.STX, self.unescape
        for elem in root.iter():
            text, tail = elem.text, elem.tail
            if text and stx in text and elem.tag != "code":
                elem.text = unescape(text)
            if tail and stx in tail:
                elem.tail = unescape(tail)
            for key, value in elem.items():
                if value is not None and stx in value:
                    elem.set(key, unescape(value))


# a heading's text that the serializer, the unescape pass and the postprocessors all leave as it is
_PLAIN_HEADING = re.compile(f"[^&<>{util.STX}{util.ETX}]*")


def _toc_run(self: Any, doc: etree.Element) -> None:
    """``TocTreeprocessor.run``, but a heading that is one plain text (most are) is not serialised, unescaped
    and passed through every postprocessor to learn its name: those would return its text, stripped."""
    used_ids = {el.attrib["id"] for el in doc.iter() if "id" in el.attrib}
    id_counters: dict[str, int] = {}
    toc_tokens = []
    for el in doc.iter():
        tag = el.tag  # "h" first: most elements are not headings, and a comment's tag is a function
        if isinstance(tag, str) and tag[:1] in "hH" and self.header_rgx.match(tag):
            self.set_level(el)
            text = el.text or ""
            if not len(el) and _PLAIN_HEADING.fullmatch(text):
                innerhtml = text.strip()
                name = " ".join(innerhtml.split())
            else:
                innerhtml = toc.render_inner_html(toc.remove_fnrefs(el), self.md)
                name = toc.strip_tags(innerhtml)
            if "id" not in el.attrib:
                el.attrib["id"] = toc.unique(
                    self.slugify(html.unescape(name), self.sep), used_ids, id_counters
                )
            data_toc_label = ""
            if "data-toc-label" in el.attrib:
                data_toc_label = toc.run_postprocessors(toc.unescape(el.attrib["data-toc-label"]), self.md)
                name = toc.escape_cdata(toc.strip_tags(data_toc_label))
                del el.attrib["data-toc-label"]
            level = int(el.tag[-1])
            if self.toc_top <= level <= self.toc_bottom:
                token = {"level": level, "id": toc.unescape(el.attrib["id"]), "name": name, "html": innerhtml}
                toc_tokens.append(token | {"data-toc-label": data_toc_label})
            if self.use_anchors:
                self.add_anchor(el, el.attrib["id"])
            if self.use_permalinks not in [False, None]:
                self.add_permalink(el, el.attrib["id"])
    self.md.toc_tokens = toc.nest_toc_tokens(toc_tokens)
    self.md.toc = ""  # nobody reads it (``_no_toc_div``)


def _no_toc_div(toc_list: list[Any]) -> etree.Element:
    """``TocTreeprocessor.build_toc_div`` for an instance whose ``Markdown.toc`` nobody reads."""
    return etree.Element("div")
