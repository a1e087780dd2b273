"""What a built HTML page refers to (every URL attribute, inline CSS, stylesheets, scripts) and the ids it holds."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from yunzhan.htmltokens import HTML_TOKEN

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


URL_ATTRS: dict[str, tuple[str, ...]] = {
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
META_URL = {"og:image", "og:image:url", "og:image:secure_url", "twitter:image", "og:url"}
_W = "[\t\n\f\r ]"  # HTML's whitespace
_ATTR = re.compile(rf"""([^\t\n\f\r />][^\t\n\f\r /=>]*)(?:{_W}*={_W}*("[^"]*"?|'[^']*'?|[^\t\n\f\r >]*))?""")
_READ = frozenset(URL_ATTRS) | {"meta"}  # tags whose attributes may refer to something
_ID_OR_STYLE = re.compile(rf"(?:^|{_W})(?:id|style){_W}*=", re.I)  # on any other tag: an anchor or CSS url()
# Their content holds no tags (as html.parser reads them; noscript's content does count).
_RAW_TEXT = ("script", "style")


def _attrs(text: str) -> dict[str, str]:
    """A start tag's attributes, names lower-cased, values unquoted and unescaped; the first of a repeated one."""
    found: dict[str, str] = {}
    for name, value in _ATTR.findall(text):
        if value[:1] in ("'", '"'):
            value = value[1:-1] if len(value) > 1 and value[-1] == value[0] else value[1:]
        found.setdefault(name.lower(), html.unescape(value) if "&" in value else value)
    return found


def _collect(page: PageRefs, tag: str, a: dict[str, str], line: int) -> None:
    if "id" in a:
        page.ids.add(a["id"])
    if tag == "a" and "name" in a:
        page.ids.add(a["name"])
    for attr in URL_ATTRS.get(tag, ()):
        if attr in a:
            page.refs.append(Ref(tag, attr, a[attr], line, a.get("rel", "").lower()))
    if tag == "meta":
        key = (a.get("property") or a.get("name") or "").lower()
        if key in META_URL and a.get("content"):
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


def parse_page(text: str) -> PageRefs:
    """Read a page with the HTML tokenizer markup.py uses (comments, quoting and raw text as browsers read them):
    several times faster than html.parser, which counts for ``check`` on a site of ten thousand pages."""
    page = PageRefs()
    pos, line, counted = 0, 1, 0
    while (match := HTML_TOKEN.search(text, pos)) is not None:
        pos = match.end()
        name = match.group(2)
        if not name or match.group(1):  # a comment, a doctype, an end tag
            continue
        line += text.count("\n", counted, match.start())
        counted = match.start()
        tag, attributes = name.lower(), match.group(3) or ""
        if tag in _READ or _ID_OR_STYLE.search(attributes):  # else nothing to collect
            _collect(page, tag, _attrs(attributes), line)
        if tag in _RAW_TEXT:
            end = re.compile(rf"</{tag}[\t\n\f\r />]", re.I).search(text, pos)
            stop = end.start() if end else len(text)
            if tag == "style":
                page.styles.append((text[pos:stop], line))
            pos = stop
    return page


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
