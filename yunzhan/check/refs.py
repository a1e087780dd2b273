"""What a built HTML page refers to (every URL attribute, inline CSS, stylesheets, scripts) and the ids it holds."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import ClassVar

CSS_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)\s]*))\s*\)""", re.I)
CSS_IMPORT = re.compile(r"""@import\s+(?:"([^"]*)"|'([^']*)')""", re.I)
CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)


@dataclass
class Ref:
    tag: str
    attr: str
    value: str
    line: int
    rel: str = ""  # <link rel>


@dataclass
class PageRefs:
    """What one HTML file refers to, and the ids it holds."""

    ids: set[str] = field(default_factory=set)
    refs: list[Ref] = field(default_factory=list)
    styles: list[tuple[str, int]] = field(default_factory=list)  # inline CSS (elements and attributes), line
    stylesheets: list[str] = field(default_factory=list)
    scripts: list[str] = field(default_factory=list)


class PageParser(HTMLParser):
    """Collects ids, references, stylesheets and scripts of one HTML file."""

    URL_ATTRS: ClassVar[dict[str, tuple[str, ...]]] = {
        "a": ("href",),
        "area": ("href",),
        "link": ("href",),
        "img": ("src", "srcset"),
        "source": ("src", "srcset"),
        "script": ("src",),
        "iframe": ("src",),
        "video": ("src", "poster"),
        "audio": ("src",),
        "track": ("src",),
        "embed": ("src",),
        "object": ("data",),
        "input": ("src",),
        "form": ("action",),
        "use": ("href", "xlink:href"),
        "image": ("href", "xlink:href"),
    }
    META_URL: ClassVar[set[str]] = {
        "og:image",
        "og:image:url",
        "og:image:secure_url",
        "twitter:image",
        "og:url",
    }

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = PageRefs()
        self._in_style = False
        self._style_buf: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        line, page = self.getpos()[0], self.page
        if "id" in a:
            page.ids.add(a["id"])
        if tag == "a" and "name" in a:
            page.ids.add(a["name"])
        for attr in self.URL_ATTRS.get(tag, ()):
            if attr in a:
                page.refs.append(Ref(tag, attr, a[attr], line, a.get("rel", "").lower()))
        if tag == "meta":
            key = (a.get("property") or a.get("name") or "").lower()
            if key in self.META_URL and a.get("content"):
                page.refs.append(Ref("meta", key, a["content"], line))
        if tag == "link":
            rels = a.get("rel", "").lower().split()
            if "stylesheet" in rels and a.get("href"):
                page.stylesheets.append(a["href"])
            if ("modulepreload" in rels or ("preload" in rels and a.get("as") == "script")) and a.get("href"):
                page.scripts.append(a["href"])
        if tag == "script" and a.get("src"):
            page.scripts.append(a["src"])
        if "style" in a and "url(" in a["style"]:
            page.styles.append((a["style"], line))
        if tag == "style":
            self._in_style = True
            self._style_buf = []

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self._style_buf.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "style" and self._in_style:
            self._in_style = False
            self.page.styles.append(("".join(self._style_buf), self.getpos()[0]))


def parse_page(text: str) -> PageRefs:
    parser = PageParser()
    parser.feed(text)
    parser.close()
    return parser.page


def parse_srcset(value: str) -> list[str]:
    """URLs of a srcset attribute (HTML's algorithm, simplified: URLs may contain commas only mid-token)."""
    urls, i, n = [], 0, len(value)
    while i < n:
        while i < n and (value[i].isspace() or value[i] == ","):
            i += 1
        if i >= n:
            break
        j = i
        while j < n and not value[j].isspace():
            j += 1
        url = value[i:j]
        if url.endswith(","):
            url = url.rstrip(",")
            i = j
        else:
            depth, i = 0, j
            while i < n and not (value[i] == "," and depth == 0):
                depth += value[i] == "("
                depth -= value[i] == ")"
                i += 1
        if url:
            urls.append(url)
    return urls


def css_urls(text: str) -> list[str]:
    text = CSS_COMMENT.sub("", text)
    out = [next(g for g in m.groups() if g is not None) for m in CSS_URL.finditer(text)]
    out += [m.group(1) or m.group(2) for m in CSS_IMPORT.finditer(text)]
    return [u for u in out if u]


def natural_key(s: str) -> list[int | str]:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", s)]
