"""The sanitised HTML's links and images, tag by tag: record links (``../craftsmen/chen.md``) become page
addresses, off-site links get ``rel``, a website written without ``https://`` and a picture without alt text are
reported at their source line, and body images are collected for the image stage.

nh3's output is normalised (attribute values double-quoted, ``<``, ``>``, ``"`` escaped; an iframe's raw text
runs to the first ``</iframe>``), so regular expressions see exactly the tags here.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from html import escape, unescape
from urllib.parse import unquote

from yunzhan.addresses import is_external, slashed, split_url
from yunzhan.errors import ERROR, Problem
from yunzhan.sanitize import iframe_src


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


_EXTERNAL_REL = "noopener noreferrer"
_ATTR_RE = re.compile(r'([^\s=/>]+)(?:="([^"]*)")?')  # nh3 always double-quotes and escapes values
_REWRITE_RE = re.compile(r"<(a|img)\b([^>]*)>|<(iframe)\b([^>]*)>.*?</iframe>", re.S)
# A link target that is a website without its "https://": "www.wjsilk.com.cn", "wjsilk.com/about".
_BARE_DOMAIN = re.compile(
    r"(?:www\.[^/\s?#]+|(?:[a-z0-9-]+\.)+(?:com|net|org|cn|gov|edu|info|top|xyz|vip|site|shop|cc|tv)(?:\.cn)?)"
    r"(?:[/?#:]|$)",
    re.I,
)


class Locator:
    """Source-file line numbers for strings of the rendered HTML, found by searching the Markdown text."""

    def __init__(self, text: str, first_line: int) -> None:
        self.text, self.first = text, first_line
        self.starts: list[int] = []  # where each line begins, once a line is asked for (most texts: never)
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
        if not self.starts:
            self.starts = [0, *(newline.end() for newline in re.finditer("\n", self.text))]
        return self.first + bisect_right(self.starts, m.start()) - 1


def _link_label(text: str, index: int | None, href: str) -> str | None:
    """The words of the Markdown link ``[words](href)`` on line ``index`` of the text, or None (raw HTML)."""
    if index is None:
        return None
    line = text.split("\n")[index]
    match = re.search(r"\[([^\[\]]*)\]\(\s*<?" + re.escape(href), line)
    return match.group(1) if match else None


def tag_attrs(raw: str) -> dict[str, str]:
    return {name: unescape(value or "") for name, value in _ATTR_RE.findall(raw)}


def _tag(name: str, attrs: dict[str, str]) -> str:
    return f"<{name}" + "".join(f' {k}="{escape(v)}"' for k, v in attrs.items()) + ">"


class Rewriter:
    """Rewrites one text's sanitised HTML (``apply``), noting problems in ``problems`` and images in ``images``.

    The source is searched in document order for each link and image, so its line is the one it was written on.
    """

    def __init__(
        self,
        text: str,
        *,
        path: str,
        body_line: int,
        field: str,
        hosts: tuple[str, ...],
        resolve_link: LinkResolver | None,
        problems: list[Problem],
    ) -> None:
        self.text, self.path, self.body_line, self.field = text, path, body_line, field
        self.hosts, self.resolve_link, self.problems = hosts, resolve_link, problems
        self.locate = Locator(text, body_line)
        self.images: list[BodyImage] = []

    def apply(self, html: str) -> str:
        return _REWRITE_RE.sub(self.rewrite, html)

    def problem(self, line: int | None, message: str, hint: str) -> None:
        self.problems.append(Problem(self.path, line, self.field, message, hint, ERROR))

    def image(self, attrs: dict[str, str], original: str) -> str:
        src, alt = attrs.get("src", ""), attrs.get("alt", "").strip()
        if not src or is_external(src):
            return ""  # an unsafe URL (data:, javascript:) or a picture on another website: the scan has told
        line = self.locate.line(src)
        if "\\" in src:  # raw HTML: Markdown images had their backslashes turned before converting
            src = slashed(src)
            original = _tag("img", attrs | {"src": src})
        if not alt:
            self.problem(
                line, f'图片 "{src}" 缺少替代文字 alt', "写成 ![描述](图片.jpg)，为看不见图片的观众描述它"
            )
        self.images.append(BodyImage(src, alt, line))
        return original

    def link(self, attrs: dict[str, str], original: str) -> str:
        written = attrs.get("href", "")
        if is_external(written):
            return _tag("a", attrs | {"rel": _EXTERNAL_REL})
        href = slashed(written)
        parts = split_url(href)
        if not parts.scheme and _BARE_DOMAIN.match(href):
            line = self.locate.line(written)
            label = _link_label(self.text, line - self.body_line if line is not None else None, written)
            fixed = f"https://{href}" if label is None else f"[{label}](https://{href})"
            message = f"链接 {href} 少了开头的 https://，现在会被当成本网站里的页面"
            self.problem(line, message, f"写成 {fixed}")
            return original
        if self.resolve_link is None or parts.scheme or href.startswith(("#", "/")):
            return original
        if not parts.path.lower().endswith((".md", ".yaml")):
            return original
        target = self.resolve_link(unquote(parts.path))
        if not isinstance(target, str):
            miss = target or LinkMiss(f"链接指向的条目不存在：{href}", "检查文件名是否写对")
            self.problem(self.locate.line(written), miss.message, miss.hint)
            return original
        return _tag("a", attrs | {"href": target + (f"#{parts.fragment}" if parts.fragment else "")})

    def rewrite(self, match: re.Match[str]) -> str:
        found = tag_attrs(match.group(4) if match.group(3) else match.group(2))
        if match.group(3):  # an iframe that survived nh3: keep it only for an allowed https host, empty
            src = iframe_src(found.get("src", ""), self.hosts)
            return _tag("iframe", found | {"src": src}) + "</iframe>" if src else ""
        return (self.image if match.group(1) == "img" else self.link)(found, match.group(0))
