"""Check a built site: every internal link, anchor, ``src`` and ``srcset`` entry must resolve to a file.

Used by the tests and the quality gates; it reads the output folder as a static host would serve it.
"""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

_URL_ATTRS = {("a", "href"), ("link", "href"), ("img", "src"), ("script", "src"), ("source", "src")}
_SRCSET_TAGS = {"img", "source"}


@dataclass(frozen=True)
class BrokenLink:
    page: str  # output-relative path of the page
    url: str
    reason: str

    def format(self) -> str:
        return f"{self.page}: {self.url} — {self.reason}"


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v for k, v in attrs if v is not None}
        if "id" in values:
            self.ids.add(values["id"])
        if tag == "a" and "name" in values:
            self.ids.add(values["name"])
        for name, value in values.items():
            if (tag, name) in _URL_ATTRS:
                self.urls.append(value)
            elif name == "srcset" and tag in _SRCSET_TAGS:
                self.urls.extend(part.strip().split(" ")[0] for part in value.split(",") if part.strip())
            elif tag == "meta" and name == "content" and values.get("property") in ("og:image", "og:url"):
                self.urls.append(value)


def _parse(path: Path) -> _Collector:
    collector = _Collector()
    collector.feed(path.read_text(encoding="utf-8", errors="replace"))
    return collector


def resolve_path(output_dir: Path, base_path: str, url_path: str) -> Path | None:
    """The file a static host would serve for a URL path under the site's base path, or None."""
    if not url_path.startswith(base_path):
        return None
    rel = unquote(url_path[len(base_path) :])
    target = output_dir / rel
    if url_path.endswith("/") or target.is_dir():
        target = target / "index.html"
    return target if target.is_file() else None


def check_links(output_dir: Path, base_path: str = "/", site_url: str = "") -> list[BrokenLink]:
    """Return every broken internal reference of every HTML page in ``output_dir``."""
    broken: list[BrokenLink] = []
    output_dir = output_dir.resolve()
    pages = sorted(output_dir.rglob("*.html"))
    parsed = {p: _parse(p) for p in pages}
    site = urlsplit(site_url) if site_url else None
    for page, collector in parsed.items():
        rel_page = page.relative_to(output_dir).as_posix()
        for url in collector.urls:
            parts = urlsplit(url)
            if parts.scheme in ("mailto", "tel", "data"):
                continue
            if parts.scheme or parts.netloc:
                if site and parts.netloc == site.netloc:
                    parts = urlsplit(parts.path + ("#" + parts.fragment if parts.fragment else ""))
                else:
                    continue  # external: listed by `check`, never fetched
            if not parts.path:
                target: Path | None = page  # same-page anchor
            elif parts.path.startswith("/"):
                target = resolve_path(output_dir, base_path, parts.path)
            else:
                joined = (page.parent / unquote(parts.path)).resolve()
                target = joined / "index.html" if joined.is_dir() else joined
                target = target if target.is_file() else None
            if target is None:
                broken.append(BrokenLink(rel_page, url, "指向的文件不存在"))
                continue
            if parts.fragment and target.suffix == ".html":
                ids = parsed[target].ids if target in parsed else _parse(target).ids
                if unquote(parts.fragment) not in ids:
                    broken.append(BrokenLink(rel_page, url, f"页面里没有 id 为 {parts.fragment} 的位置"))
    return broken
