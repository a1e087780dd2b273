"""Markdown → safe HTML for record bodies and ``text`` fields, bounded in size, nesting and time.

Editors' Markdown is untrusted: nh3 (an allow-list sanitiser, ``sanitize``) is the only security boundary.
Everything else is bookkeeping around it, in order: pre-checks of the source that keep Python-Markdown and the
sanitiser from running into their super-linear corners (``mdsource``, ``htmltokens``), a scan of the
unsanitised HTML that tells editors *what* was removed (``sanitize.Scan``), and a pass over nh3's normalised
output that rewrites record links, collects body images and drops off-site requests (``markuplinks``).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from html import unescape
from typing import Any

import markdown
from markdown.extensions import Extension
from markdown.extensions.toc import slugify_unicode
from markupsafe import Markup

from yunzhan import mdtuned, timelimit
from yunzhan.errors import ERROR, WARNING, Problem
from yunzhan.htmltokens import TooDeep, check_depth
from yunzhan.markuplinks import BodyImage, LinkMiss, LinkResolver, Locator, Rewriter, tag_attrs
from yunzhan.mdsource import nesting, windows_paths
from yunzhan.sanitize import Scan, as_written, cleaner, remote_image, scan
from yunzhan.typeset import typeset

# The types callers name as ``markup.X`` (they live in ``markuplinks``, with the pass that fills them).
__all__ = [
    "BodyImage",
    "LinkMiss",
    "LinkResolver",
    "MarkupLimits",
    "MarkupResult",
    "render_markdown",
    "swap_images",
]


@dataclass(frozen=True)
class MarkupLimits:
    max_chars: int = 200_000  # longer input -> Problem, no conversion
    time_limit: float = (
        5.0  # seconds per conversion, where timelimit.time_limit can bound it; exceeded -> Problem
    )
    max_nesting: int = 40  # brackets, blockquotes, lists, backtick runs; deeper -> Problem before converting


@dataclass(frozen=True, slots=True)
class MarkupResult:
    html: Markup
    images: tuple[BodyImage, ...]
    problems: tuple[Problem, ...]
    headings: tuple[tuple[int, str, str], ...]  # (level, text, anchor id) for a table of contents

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # Unpickled as one call with the HTML as a plain string: a build reads 20,000 back from its store, and
        # a frozen dataclass's own way sets each field in Python, and Markup's runs its ``__new__`` in Python.
        return _unpickle_result, (str(self.html), self.images, self.problems, self.headings)


def _unpickle_result(
    html: str,
    images: tuple[BodyImage, ...],
    problems: tuple[Problem, ...],
    headings: tuple[tuple[int, str, str], ...],
) -> MarkupResult:
    html_made = str.__new__(Markup, html)  # a plain str: nothing to escape
    return MarkupResult(html_made, images, problems, headings)


_SIMPLIFY = "简化这段文字的嵌套结构"

# A text of only these (letters, digits, ideographs, CJK and full-width punctuation, curly quotes, dashes,
# ellipses), single spaces between, is one paragraph of itself to Python-Markdown, nh3 and typesetting alike:
# most ``summary`` fields are, and are made so without the conversion's fixed costs (half a short text's time).
_WORD = "[A-Za-z0-9\u00b7\u2014\u2018\u2019\u201c\u201d\u2026\u3001-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff01-\uff5e]+"
_PLAIN = re.compile(f"{_WORD}(?: {_WORD})*")


class _Slugger(Extension):
    """Unicode-keeping heading ids ("技术攻关"), deduplicated with "-1", "-2"; ``Markdown.reset()`` forgets them."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: set[str] = set()

    def __call__(self, value: str, separator: str) -> str:
        base = slugify_unicode(value, separator) or "section"
        slug, n = base, 0
        while slug in self.seen:
            n += 1
            slug = f"{base}-{n}"
        self.seen.add(slug)
        return slug

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.registerExtension(self)  # so that md.reset() calls self.reset()

    def reset(self) -> None:
        self.seen.clear()


# No smarty: it would turn the quotes of Chinese text into the wrong kind.
_local = threading.local()


def _markdown() -> markdown.Markdown:
    """One reusable instance per thread (building one costs more than converting a short body), its inline pass
    ``mdtuned``'s."""
    md: markdown.Markdown | None = getattr(_local, "md", None)
    if md is None:
        md = _local.md = mdtuned.install(plain_markdown())
    return md


def plain_markdown() -> markdown.Markdown:
    """A Python-Markdown instance with yunzhan's extensions, as the library makes it (tests compare it with
    ``_markdown``'s). Extensions are given as instances, not names: a name is looked up among the installed
    packages' entry points, which imports importlib.metadata and email (~30 ms of an edit that converts one
    body)."""
    from markdown.extensions.attr_list import AttrListExtension
    from markdown.extensions.fenced_code import FencedCodeExtension
    from markdown.extensions.footnotes import FootnoteExtension
    from markdown.extensions.sane_lists import SaneListExtension
    from markdown.extensions.tables import TableExtension
    from markdown.extensions.toc import TocExtension

    slugger = _Slugger()
    return markdown.Markdown(
        extensions=[
            TableExtension(use_align_attribute=True),
            FencedCodeExtension(),
            FootnoteExtension(BACKLINK_TITLE="回到正文第 {} 处脚注"),
            AttrListExtension(),
            TocExtension(slugify=slugger, marker=""),
            SaneListExtension(),
            slugger,
        ],
        output_format="html",
    )


def _flatten(tokens: list[dict[str, object]]) -> Iterator[tuple[int, str, str]]:
    for token in tokens:
        yield int(token["level"]), unescape(str(token["name"])), str(token["id"])  # type: ignore[call-overload]
        yield from _flatten(token["children"])  # type: ignore[arg-type]


# Why a text is not converted: (file line or None, message, hint), reported as one error.
_Refusal = tuple[int | None, str, str]


@dataclass(frozen=True)
class _Converted:
    raw: str  # Python-Markdown's HTML, not yet sanitised
    headings: tuple[tuple[int, str, str], ...]
    scan: Scan  # what the sanitiser will remove


def _refusal(text: str, where: str, body_line: int, limits: MarkupLimits) -> _Refusal | None:
    """Too long or nested too deep to hand to Python-Markdown."""
    if len(text) > limits.max_chars:
        return None, f"{where}太长（{len(text)} 个字符，最多 {limits.max_chars} 个）", "把内容拆成几个条目"
    if deep := nesting(text, limits.max_nesting):
        message = f"{where}的嵌套层次太深（{deep[0]}超过 {limits.max_nesting} 层），没有转换"
        return body_line + deep[1], message, _SIMPLIFY
    return None


def _convert(text: str, where: str, hosts: tuple[str, ...], limits: MarkupLimits) -> _Converted | _Refusal:
    """Markdown → raw HTML within the time limit, its depth checked and what nh3 will remove noted."""
    md = _markdown()  # built outside the time limit: the first build imports the extensions
    try:
        with timelimit.time_limit(limits.time_limit):
            md.reset()
            raw = md.convert(text)
            headings = tuple(_flatten(md.toc_tokens))  # type: ignore[attr-defined]
            check_depth(raw, 4 * limits.max_nesting)
            found = scan(raw, hosts, where)
    except TooDeep:  # nh3's tree building is quadratic in tag depth: never hand it such HTML
        return None, f"{where}中的 HTML 标签嵌套太深（超过 {4 * limits.max_nesting} 层），没有转换", _SIMPLIFY
    except (timelimit.TimeLimitExceeded, RecursionError, Exception) as exc:
        _local.md = None  # interrupted mid-document: its state cannot be trusted
        reason = {
            timelimit.TimeLimitExceeded: f"超过 {limits.time_limit:g} 秒仍未完成",
            RecursionError: "嵌套层次太深",
        }
        return None, f"{where}无法转换（{reason.get(type(exc), f'{type(exc).__name__}: {exc}')}）", _SIMPLIFY
    return _Converted(raw, headings, found)


def render_markdown(
    text: str,
    *,
    path: str,
    body_line: int = 1,
    field: str = "body",
    resolve_link: LinkResolver | None = None,
    iframe_hosts: Sequence[str] = (),
    limits: MarkupLimits = MarkupLimits(),
) -> MarkupResult:
    """Convert, sanitise and check one Markdown text; content mistakes come back as problems, never raised.

    ``body_line`` is the file line of the text's first line. Links to ``.md``/``.yaml`` files are passed
    (percent-decoded, without ``#anchor``, backslashes as slashes) to ``resolve_link``; without one they are
    left alone.
    """
    where = "正文" if field == "body" else "这段文字"
    text = windows_paths(text)
    refusal = _refusal(text, where, body_line, limits)
    hosts = tuple(sorted({h.strip().lower() for h in iframe_hosts if h.strip()}))
    if refusal is None and _PLAIN.fullmatch(text):
        return MarkupResult(str.__new__(Markup, f"<p>{text}</p>"), (), (), ())
    converted = refusal or _convert(text, where, hosts, limits)
    if not isinstance(converted, _Converted):
        line, message, hint = converted
        return MarkupResult(Markup(""), (), (Problem(path, line, field, message, hint, ERROR),), ())

    problems: list[Problem] = []
    locate = Locator(text, body_line)
    for message, (hint, needle) in converted.scan.found.items():
        problems.append(Problem(path, locate.line(needle, fold=True), field, message, hint, WARNING))
    for address, alt in converted.scan.remote_images:
        line = locate.line(as_written(address))
        problems.append(Problem(path, line, field, *remote_image(address, alt), ERROR))
    rewriter = Rewriter(  # its own cursors: links and images are searched in document order
        text,
        path=path,
        body_line=body_line,
        field=field,
        hosts=hosts,
        resolve_link=resolve_link,
        problems=problems,
    )
    clean = typeset(rewriter.apply(cleaner(hosts).clean(converted.raw)))
    return MarkupResult(
        Markup(clean.strip()), tuple(rewriter.images), tuple(problems), headings=converted.headings
    )


def swap_images(html: Markup, replace: Callable[[str, str], Markup | None]) -> Markup:
    """Put ``replace(src, alt)`` (e.g. a responsive ``<picture>``) in place of each body image it returns for."""

    def swap(match: re.Match[str]) -> str:
        attrs = tag_attrs(match.group(1))
        new = replace(attrs.get("src", ""), attrs.get("alt", ""))
        return match.group(0) if new is None else str(new)

    return Markup(re.sub(r"<img\b([^>]*)>", swap, str(html)))
