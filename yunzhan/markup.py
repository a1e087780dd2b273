"""Markdown → safe HTML for record bodies and ``text`` fields, bounded in size, nesting and time.

Editors' Markdown is untrusted: nh3 (an allow-list sanitiser) is the only security boundary. Everything else
here is bookkeeping around it: pre-checks that keep Python-Markdown and the sanitiser from running into their
super-linear corners, a scan of the unsanitised HTML that tells editors *what* was removed (and which pictures
stay on other websites, WeChat's above all), and a pass over nh3's normalised output that rewrites record
links, collects body images and drops off-site requests. Paths copied on Windows (``..\\craftsmen\\a.md``)
are read with slashes, before Markdown could take their backslashes for escapes.
"""

from __future__ import annotations

import functools
import re
import threading
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from html import escape, unescape
from html.parser import HTMLParser
from urllib.parse import SplitResult, unquote, urlsplit

import markdown
import nh3
from markdown.extensions import Extension
from markdown.extensions.toc import slugify_unicode
from markupsafe import Markup

from yunzhan import portable
from yunzhan.errors import ERROR, WARNING, Problem
from yunzhan.typeset import typeset


@dataclass(frozen=True)
class MarkupLimits:
    max_chars: int = 200_000  # longer input -> Problem, no conversion
    time_limit: float = (
        5.0  # seconds per conversion, where portable.time_limit can bound it; exceeded -> Problem
    )
    max_nesting: int = 40  # brackets, blockquotes, lists, backtick runs; deeper -> Problem before converting


@dataclass(frozen=True)
class BodyImage:
    src: str  # as written in the Markdown (relative path)
    alt: str
    line: int | None  # line in the source file, or None when the src could not be found in the text


@dataclass(frozen=True)
class LinkMiss:
    """Why a link to a record file leads nowhere, worded by whoever knows the records (``resolve_link``)."""

    message: str
    hint: str


# A record link's page address, a LinkMiss, or None (nothing known about why it leads nowhere).
LinkResolver = Callable[[str], "str | LinkMiss | None"]


@dataclass(frozen=True, slots=True)
class MarkupResult:
    html: Markup
    images: tuple[BodyImage, ...]
    problems: tuple[Problem, ...]
    headings: tuple[tuple[int, str, str], ...]  # (level, text, anchor id) for a table of contents


_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_TAGS = frozenset(
    {"p", "br", "hr", "ul", "ol", "li", "dl", "dt", "dd", "a", "img", "figure", "figcaption", "blockquote"}
    | {"pre", "code", "em", "strong", "b", "i", "u", "s", "del", "ins", "sup", "sub", "small", "q", "cite"}
    | {"abbr", "kbd", "mark", "span", "div", "section", "details", "summary", "caption"}
    | {"table", "thead", "tbody", "tfoot", "tr", "th", "td"}
    | set(_HEADINGS)
)
_CELL = {"align", "colspan", "rowspan"}
_IMG = {"src", "alt", "title", "width", "height"}
_ATTRS: dict[str, set[str]] = {"a": {"href", "title", "class"}, "img": _IMG, "div": {"class"}}
_ATTRS |= {"code": {"class"}}
_ATTRS |= {"sup": {"id"}, "li": {"id"}, "ol": {"start"}, "th": _CELL, "td": _CELL, "abbr": {"title"}}
_ATTRS |= {"details": {"open"}} | {h: {"id"} for h in _HEADINGS}
_CLASSES = {"a": {"footnote-ref", "footnote-backref"}, "div": {"footnote"}}
_LANGUAGE_CLASS = re.compile(r"language-[\w+#.-]{1,40}")
# Dropped together with their content: never readable text, often active content.
_DROP_WITH_CONTENT = frozenset(
    {"script", "style", "object", "embed", "applet", "template", "svg", "math", "noscript", "textarea"}
    | {"select", "xmp", "noembed", "noframes", "title", "frameset", "frame"}
)
_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
_URL_ATTRS = frozenset({"href", "src", "action", "formaction", "data", "poster", "background", "xlink:href"})
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
_IFRAME_SET = {"sandbox": "allow-scripts allow-same-origin allow-presentation", "allowfullscreen": ""}
_IFRAME_SET |= {"loading": "lazy", "referrerpolicy": "strict-origin-when-cross-origin"}
_EXTERNAL_REL = "noopener noreferrer"
_ATTR_RE = re.compile(r'([^\s=/>]+)(?:="([^"]*)")?')  # nh3 always double-quotes and escapes values
# nh3 output is normalised: attribute values are double-quoted with <, >, " escaped, and an iframe's raw-text
# content runs to the first "</iframe>", so these regular expressions see exactly the tags.
_REWRITE_RE = re.compile(r"<(a|img)\b([^>]*)>|<(iframe)\b([^>]*)>.*?</iframe>", re.S)
_WHY = {"script": "网站不会发布脚本", "style": "外观由主题统一决定", "target": "链接打开方式由网站统一决定"}
_SIMPLIFY = "简化这段文字的嵌套结构"
_GENERIC_HINT = "正文请用 Markdown 书写；确需特殊排版时请联系网站技术人员"


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
_EXTENSIONS = ["tables", "fenced_code", "footnotes", "attr_list", "toc", "sane_lists"]
_local = threading.local()


def _markdown() -> markdown.Markdown:
    """One reusable instance per thread (building one costs more than converting a short body)."""
    md: markdown.Markdown | None = getattr(_local, "md", None)
    if md is None:
        slugger = _Slugger()
        md = markdown.Markdown(
            extensions=[*_EXTENSIONS, slugger],
            extension_configs={
                "tables": {"use_align_attribute": True},
                "footnotes": {"BACKLINK_TITLE": "回到正文第 {} 处脚注"},
                "toc": {"slugify": slugger, "marker": ""},
            },
            output_format="html",
        )
        _local.md = md
    return md


def _keep_classes(tag: str, attr: str, value: str) -> str | None:
    if attr != "class":
        return value
    allowed = _CLASSES.get(tag, set())
    kept = [c for c in value.split() if c in allowed or (tag == "code" and _LANGUAGE_CLASS.fullmatch(c))]
    return " ".join(kept) or None


@functools.lru_cache(maxsize=8)
def _cleaner(iframe_hosts: tuple[str, ...]) -> nh3.Cleaner:
    attributes = dict(_ATTRS)
    if iframe_hosts:
        attributes["iframe"] = {"src", "width", "height", "title"}
    return nh3.Cleaner(
        tags=set(_TAGS | ({"iframe"} if iframe_hosts else set())),
        clean_content_tags=set(_DROP_WITH_CONTENT | (set() if iframe_hosts else {"iframe"})),
        attributes=attributes,
        attribute_filter=_keep_classes,
        link_rel=None,
        url_schemes=set(_SCHEMES),
        set_tag_attribute_values={"iframe": _IFRAME_SET},
        strip_comments=True,
    )


def _scheme(url: str) -> str | None:
    """The scheme as a browser sees it (whitespace and control characters inside it are ignored)."""
    m = re.match(r"([a-z][a-z0-9+.-]*):", re.sub(r"[\x00-\x20]", "", url).lower())
    return m.group(1) if m else None


def is_external(url: str) -> bool:
    """http(s) and protocol-relative URLs (browsers read "\\\\host" and "/\\host" as "//host")."""
    squeezed = re.sub(r"[\x00-\x20]", "", url).replace("\\", "/")
    return squeezed.startswith("//") or _scheme(url) in ("http", "https")


def _split(url: str) -> SplitResult:
    """``urlsplit`` that never raises (it does for a malformed "[IPv6]" host)."""
    try:
        return urlsplit(url.strip())
    except ValueError:
        return urlsplit("")


def _iframe_src(src: str, hosts: tuple[str, ...]) -> str | None:
    """The address an embedded player is published with, or None when it may not be embedded: https on an
    allowed host. Bilibili's embed code is protocol-relative (``//player.bilibili.com/…``): on an https site
    that means https, so it is written out as such."""
    src = src.strip()
    if src.startswith("//"):
        src = "https:" + src
    parts = _split(src)
    return src if parts.scheme == "https" and (parts.hostname or "") in hosts else None


def _iframe_refusal(src: str, hosts: tuple[str, ...], where: str) -> tuple[str, str]:
    """(message, hint) for an embedded page or player that is removed, naming its host."""
    host = _split(src.strip()).hostname
    if not host:
        return f"{where}中嵌入的 <iframe> 已被移除：没有写要嵌入的网址", _GENERIC_HINT
    removed = f"{where}中嵌入的 {host} 的视频或网页已被移除"
    if host in hosts:
        return f"{removed}：地址要以 https:// 开头", "把地址开头的 http:// 改成 https://"
    if where != "正文":
        return f"{removed}：只有正文里可以嵌入视频", "这里请改用链接，写成 [文字](网址)"
    return (
        f"{removed}：这个网站不在允许嵌入的名单里",
        f"如需嵌入，请网站管理员把 {host} 加到 site.toml 的 [markdown] iframe_hosts 里",
    )


_WECHAT_IMAGE_HOSTS = ("qpic.cn", "qlogo.cn")
_SAVE_IMAGE = "请把图片保存到电脑上，放在条目文件旁边，再写成 ![{alt}](文件名.jpg)"


def _remote_image(url: str, alt: str) -> tuple[str, str]:
    """(message, hint) for a picture that stays on another website, which the page cannot show."""
    host = _split(re.sub(r"[\x00-\x20]", "", url).replace("\\", "/")).hostname or ""
    named = f"（{alt}）" if alt else ""
    hint = _SAVE_IMAGE.format(alt=alt or "描述")
    if any(host == h or host.endswith(f".{h}") for h in _WECHAT_IMAGE_HOSTS) or "wx_fmt=" in url:
        message = (
            f"这张图片{named}是从微信公众号文章复制来的，网页上显示不出来：图片存放在微信的服务器上，"
            "微信不让别的网站使用，本网站也不向其他网站请求内容"
        )
        return message, hint
    message = f"这张图片{named}在别的网站上（{host or url}），网页上显示不出来：本网站不向其他网站请求内容"
    return message, hint


def slashed(target: str) -> str:
    """A relative path copied on Windows (``..\\craftsmen\\chen.md``) as the web writes it, with ``/``; other
    addresses (``D:\\照片``, ``\\\\server``, ``https://…``) as they are, for their own messages."""
    if "\\" not in target or target.startswith(("\\\\", "/")) or _scheme(target):
        return target
    return target.replace("\\", "/")


FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
CODE_SPAN = re.compile(r"(`+).+?\1")
# A link or image target with a backslash that is not a Markdown escape of a bracket: "](..\\x\\a.md)".
_BACKSLASH_TARGET = re.compile(r"(\]\(\s*<?)([^\s()<>]*\\[^\s()<>]*[^\s()<>\\])(?=>?(?:\s|\)))")


def _windows_paths(text: str) -> str:
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


# A link target that is a website without its "https://": "www.wjsilk.com.cn", "wjsilk.com/about".
_BARE_DOMAIN = re.compile(
    r"(?:www\.[^/\s?#]+|(?:[a-z0-9-]+\.)+(?:com|net|org|cn|gov|edu|info|top|xyz|vip|site|shop|cc|tv)(?:\.cn)?)"
    r"(?:[/?#:]|$)",
    re.I,
)


_LIST_MARKERS = re.compile(r"(?:(?:[-*+]|\d{1,9}[.)])[ \t]+)*")
_QUOTE_MARKERS = re.compile(r"(?:>[ \t]*)*")


def _nesting(text: str, limit: int) -> tuple[str, int] | None:
    """(what, line index) of the first construct nested deeper than ``limit``: Python-Markdown handles these
    super-linearly or recursively (a RecursionError deep inside it)."""
    brackets = 0
    for index, line in enumerate(text.split("\n")):
        if not line.strip():
            brackets = 0  # a link's text cannot span paragraphs
        for token in re.findall(r"\\.|[\[\]]", line):
            brackets = brackets + 1 if token == "[" else max(brackets - 1, 0) if token == "]" else brackets
            if brackets > limit:
                return "方括号 [", index
        expanded = line.expandtabs(4)
        body = expanded.lstrip(" ")
        if _QUOTE_MARKERS.match(body).group().count(">") > limit:  # type: ignore[union-attr]
            return "引用 >", index
        markers = _LIST_MARKERS.match(body).group()  # type: ignore[union-attr]
        if markers and (len(expanded) - len(body)) // 4 + len(re.findall(r"[ \t]+", markers)) > limit:
            return "列表", index
        if any(len(run) > limit for run in re.findall(r"`+", line)):
            return "连续反引号 `", index
    return None


class _TooDeep(Exception):
    """The HTML would nest deeper than nh3 can build in reasonable time."""


class _Depth:
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
            raise _TooDeep

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


class _Scan(HTMLParser):
    """Notes what the sanitiser is about to remove from unsanitised HTML, to tell the editor."""

    def __init__(self, iframe_hosts: tuple[str, ...], where: str) -> None:
        super().__init__(convert_charrefs=True)
        self.hosts, self.where = iframe_hosts, where
        self.found: dict[str, tuple[str, str]] = {}  # message -> (hint, text to search for in the source)
        self.remote_images: list[tuple[str, str]] = []  # (address, alt) of each picture on another website

    def note(self, message: str, needle: str, hint: str = _GENERIC_HINT) -> None:
        self.found.setdefault(f"{self.where}{message}", (hint, needle))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        src = values.get("src", "").strip()
        if tag == "iframe":
            if not _iframe_src(src, self.hosts):
                message, hint = _iframe_refusal(src, self.hosts, self.where)
                self.found.setdefault(message, (hint, _as_written(src) or "<iframe"))
        elif tag == "img":
            # Pictures in WeChat articles load late: their address is in data-src, and src is missing.
            address = src or values.get("data-src", "").strip()
            if is_external(address):
                self.remote_images.append((address, values.get("alt", "").strip()))
        elif tag in ("script", "style"):
            self.note(f"中的 <{tag}> 已被移除：{_WHY[tag]}", f"<{tag}")
        elif tag in _DROP_WITH_CONTENT:
            self.note(f"中的 <{tag}> 已被移除（连同其中的内容）：只允许常用的排版标签", f"<{tag}")
        elif tag not in _TAGS:
            self.note(f"中的 <{tag}> 标签已被移除（其中的文字保留）：只允许常用的排版标签", f"<{tag}")
        for name, value in values.items():
            scheme = _scheme(value) if name in _URL_ATTRS else None
            if name.startswith("on") or name in ("style", "target"):
                self.note(f"中的 {name} 属性已被移除：{_WHY.get(name, _WHY['script'])}", name)
            elif scheme and len(scheme) == 1 and tag == "img":
                continue  # D:\照片\a.jpg: a path on the editor's computer, named as such by the image check
            elif scheme and len(scheme) == 1:
                message = f"中的链接 {value} 是电脑上的完整路径，网站上打不开"
                hint = "把文件放进网站文件夹，或者改成网址（https://…）"
                self.note(message, f"{scheme}:", hint)
            elif scheme and scheme not in _SCHEMES:
                hint = "把图片作为文件放在条目旁边，用相对路径引用" if scheme == "data" else _GENERIC_HINT
                message = f"中的 {scheme}: 地址已被移除：只允许 http、https、mailto、tel 和相对地址"
                self.note(message, f"{scheme}:", hint)


class _Locator:
    """Source-file line numbers for strings of the rendered HTML, found by searching the Markdown text."""

    def __init__(self, text: str, first_line: int) -> None:
        self.text, self.first = text, first_line
        self.starts = [0, *(m.end() for m in re.finditer("\n", text))]
        self.next: dict[str, int] = {}

    def line(self, needle: str, *, fold: bool = False) -> int | None:
        """Successive calls with one needle return its successive occurrences (then the first again)."""
        if not needle:
            return None
        pattern = re.compile(re.escape(needle), re.I if fold else 0)
        start = self.next.get(needle, 0)
        m = pattern.search(self.text, start) or (pattern.search(self.text) if start else None)
        if m is None:
            return None
        self.next[needle] = m.end()
        return self.first + bisect_right(self.starts, m.start()) - 1


def _as_written(address: str) -> str:
    """The part of an address from raw HTML sure to be in the source as it is (it may have ``&amp;`` for ``&``)."""
    return re.split(r"[&<>\"']", address)[0]


def _link_label(text: str, index: int | None, href: str) -> str | None:
    """The words of the Markdown link ``[words](href)`` on line ``index`` of the text, or None (raw HTML)."""
    if index is None:
        return None
    line = text.split("\n")[index]
    match = re.search(r"\[([^\[\]]*)\]\(\s*<?" + re.escape(href), line)
    return match.group(1) if match else None


def _attrs(raw: str) -> dict[str, str]:
    return {name: unescape(value or "") for name, value in _ATTR_RE.findall(raw)}


def _tag(name: str, attrs: dict[str, str]) -> str:
    return f"<{name}" + "".join(f' {k}="{escape(v)}"' for k, v in attrs.items()) + ">"


def _flatten(tokens: list[dict[str, object]]) -> Iterator[tuple[int, str, str]]:
    for token in tokens:
        yield int(token["level"]), unescape(str(token["name"])), str(token["id"])  # type: ignore[call-overload]
        yield from _flatten(token["children"])  # type: ignore[arg-type]


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
    text = _windows_paths(text)
    problems: list[Problem] = []

    def problem(line: int | None, message: str, hint: str = _SIMPLIFY, severity: str = ERROR) -> None:
        problems.append(Problem(path, line, field, message, hint, severity))

    def failed(line: int | None, message: str, hint: str = _SIMPLIFY) -> MarkupResult:
        problem(line, message, hint)
        return MarkupResult(Markup(""), (), tuple(problems), ())

    if len(text) > limits.max_chars:
        return failed(
            None, f"{where}太长（{len(text)} 个字符，最多 {limits.max_chars} 个）", "把内容拆成几个条目"
        )
    if deep := _nesting(text, limits.max_nesting):
        return failed(
            body_line + deep[1], f"{where}的嵌套层次太深（{deep[0]}超过 {limits.max_nesting} 层），没有转换"
        )
    hosts = tuple(sorted({h.strip().lower() for h in iframe_hosts if h.strip()}))
    md = _markdown()  # built outside the time limit: the first build imports the extensions
    try:
        with portable.time_limit(limits.time_limit):
            md.reset()
            raw = md.convert(text)
            headings = tuple(_flatten(md.toc_tokens))  # type: ignore[attr-defined]
            _Depth(4 * limits.max_nesting).feed(raw)
            scan = _Scan(hosts, where)
            scan.feed(raw)
            scan.close()
    except _TooDeep:  # nh3's tree building is quadratic in tag depth: never hand it such HTML
        return failed(None, f"{where}中的 HTML 标签嵌套太深（超过 {4 * limits.max_nesting} 层），没有转换")
    except (portable.TimeLimitExceeded, RecursionError, Exception) as exc:
        _local.md = None  # interrupted mid-document: its state cannot be trusted
        reason = {
            portable.TimeLimitExceeded: f"超过 {limits.time_limit:g} 秒仍未完成",
            RecursionError: "嵌套层次太深",
        }
        return failed(None, f"{where}无法转换（{reason.get(type(exc), f'{type(exc).__name__}: {exc}')}）")

    locate = _Locator(text, body_line)
    for message, (hint, needle) in scan.found.items():
        problem(locate.line(needle, fold=True), message, hint, WARNING)
    for address, alt in scan.remote_images:
        problem(locate.line(_as_written(address)), *_remote_image(address, alt))
    locate = _Locator(text, body_line)  # fresh cursors: links and images are searched in document order
    images: list[BodyImage] = []

    def image(attrs: dict[str, str], original: str) -> str:
        src, alt = attrs.get("src", ""), attrs.get("alt", "").strip()
        if not src or is_external(src):
            return ""  # an unsafe URL (data:, javascript:) or a picture on another website: the scan has told
        line = locate.line(src)
        if "\\" in src:  # raw HTML: Markdown images had their backslashes turned before converting
            src = slashed(src)
            original = _tag("img", attrs | {"src": src})
        if not alt:
            problem(
                line, f'图片 "{src}" 缺少替代文字 alt', "写成 ![描述](图片.jpg)，为看不见图片的观众描述它"
            )
        images.append(BodyImage(src, alt, line))
        return original

    def link(attrs: dict[str, str], original: str) -> str:
        written = attrs.get("href", "")
        if is_external(written):
            return _tag("a", attrs | {"rel": _EXTERNAL_REL})
        href = slashed(written)
        parts = _split(href)
        if not parts.scheme and _BARE_DOMAIN.match(href):
            line = locate.line(written)
            label = _link_label(text, line - body_line if line is not None else None, written)
            fixed = f"https://{href}" if label is None else f"[{label}](https://{href})"
            message = f"链接 {href} 少了开头的 https://，现在会被当成本网站里的页面"
            problem(line, message, f"写成 {fixed}")
            return original
        if resolve_link is None or parts.scheme or href.startswith(("#", "/")):
            return original
        if not parts.path.lower().endswith((".md", ".yaml")):
            return original
        target = resolve_link(unquote(parts.path))
        if not isinstance(target, str):
            miss = target or LinkMiss(f"链接指向的条目不存在：{href}", "检查文件名是否写对")
            problem(locate.line(written), miss.message, miss.hint)
            return original
        return _tag("a", attrs | {"href": target + (f"#{parts.fragment}" if parts.fragment else "")})

    def rewrite(match: re.Match[str]) -> str:
        attrs = _attrs(match.group(4) if match.group(3) else match.group(2))
        if match.group(3):  # an iframe that survived nh3: keep it only for an allowed https host, empty
            src = _iframe_src(attrs.get("src", ""), hosts)
            return _tag("iframe", attrs | {"src": src}) + "</iframe>" if src else ""
        return (image if match.group(1) == "img" else link)(attrs, match.group(0))

    clean = typeset(_REWRITE_RE.sub(rewrite, _cleaner(hosts).clean(raw)))
    return MarkupResult(Markup(clean.strip()), tuple(images), tuple(problems), headings)


def swap_images(html: Markup, replace: Callable[[str, str], Markup | None]) -> Markup:
    """Put ``replace(src, alt)`` (e.g. a responsive ``<picture>``) in place of each body image it returns for."""

    def swap(match: re.Match[str]) -> str:
        attrs = _attrs(match.group(1))
        new = replace(attrs.get("src", ""), attrs.get("alt", ""))
        return match.group(0) if new is None else str(new)

    return Markup(re.sub(r"<img\b([^>]*)>", swap, str(html)))


# ---------------------------------------------------------------- safe HTML → plain text

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
    value = _DROP.sub(" ", value)

    def tag(match: re.Match[str]) -> str:
        name = (match.group(2) or "").lower()
        return "\n" if name in BLOCK_TAGS else ""

    return unescape(_TAG.sub(tag, value))


@functools.lru_cache(
    maxsize=32_768
)  # pure: search and open data read the same HTML; `serve` builds again and again
def _plain_text(html: str) -> str:
    lines = (" ".join(line.split()) for line in html_text(html).split("\n"))
    return "\n".join(line for line in lines if line)


def shorten(text: str, limit: int) -> str:
    """Plain text in at most ``limit`` characters, spaces collapsed: ended on a full sentence when one ends late
    enough, else cut with "…" (feed summaries, placards)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    stop = max(cut.rfind(p) for p in "。！？；")
    return cut[: stop + 1] if stop >= limit // 2 else cut + "…"


def plain_text(html: object) -> str:
    """Safe HTML (a rendered body or ``text`` field) → plain text, one paragraph a line, spaces collapsed."""
    return _plain_text(str(html)) if html else ""
