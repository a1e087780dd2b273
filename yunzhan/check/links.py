"""Every internal reference of a built site resolves, as a static host would serve it under the base path.

Checked: ``href``/``src``/``srcset``/``poster``/``data`` of every HTML file, CSS ``url()`` and ``@import`` (inline
and in stylesheets), ``#fragment`` ids, ``og:image``/``og:url`` and canonical links on the site's own base URL,
the URLs of ``sitemap.xml``, the feeds and ``robots.txt``; nothing may leave the base path, no resource may come
from another origin (but the hosts given, e.g. video players), and ``404.html`` (served at any URL) may hold no
relative link. The one link checker: ``check`` runs it on ``output/``, the tests on what they build and
``scripts/audit.py`` as its links gate.
"""

from __future__ import annotations

import html
import os
import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from urllib.parse import quote, unquote, urljoin, urlsplit

from yunzhan.check.refs import PageRefs, css_urls, natural_key, parse_page, parse_srcset
from yunzhan.errors import COMMAND, Problem

SKIP_SCHEMES = {"mailto", "tel", "sms", "javascript", "data", "blob", "about", "weixin", "geo"}
RESOURCE_ATTRS = {"src", "srcset", "poster", "data"}
LOADING_LINK_RELS = {
    "stylesheet",
    "icon",
    "apple-touch-icon",
    "manifest",
    "preload",
    "modulepreload",
    "prefetch",
    "mask-icon",
    "shortcut",
}
FEEDS = ("feed.xml", "atom.xml", "rss.xml", "index.xml")


# ---------------------------------------------------------------------------------------------------- the output


class Output:
    """A built output folder and the URL space it is served at (files parsed once, on demand)."""

    def __init__(
        self, root: str | os.PathLike[str], base_path: str = "/", base_url: str | None = None
    ) -> None:
        self.root = Path(root).resolve()
        if base_url:
            base_path = urlsplit(base_url).path or "/"
        self.base_path = "/" + base_path.strip("/") + "/" if base_path.strip("/") else "/"
        self.base_url = base_url.rstrip("/") + "/" if base_url else None
        self._parsed: dict[str, PageRefs] = {}
        self._css: dict[str, list[str]] = {}
        self._ids: dict[Path, set[str]] = {}
        self._served: dict[str, Path | None] = {}

    @cached_property
    def html_files(self) -> list[str]:
        files = [p.relative_to(self.root).as_posix() for p in self.root.rglob("*.html") if p.is_file()]
        return sorted(files, key=natural_key)

    def url_path(self, rel: str) -> str:
        """Site URL path of a file: 'projects/a/index.html' -> '/expo/2024/projects/a/'."""
        if rel == "index.html":
            rel = ""
        elif rel.endswith("/index.html"):
            rel = rel[: -len("index.html")]
        return self.base_path + quote(rel)

    @cached_property
    def tree(self) -> tuple[frozenset[str], frozenset[str]]:
        """Every file and every folder of the output (relative, with /), from one walk: no disk access a link."""
        files: set[str] = set()
        folders: set[str] = set()
        for folder, subfolders, names in os.walk(self.root):
            rel = Path(folder).relative_to(self.root).as_posix()
            prefix = "" if rel == "." else rel + "/"
            folders.update(prefix + name for name in subfolders)
            files.update(prefix + name for name in names)
        return frozenset(files), frozenset(folders)

    def file_for(self, path: str) -> Path | None:
        """The file a URL path (already inside the base path, percent-encoded) is served from, or None."""
        if path not in self._served:
            self._served[path] = self._lookup(unquote(path[len(self.base_path) :]))
        return self._served[path]

    def _lookup(self, rel: str) -> Path | None:
        files, folders = self.tree
        normal = posixpath.normpath(rel) if rel else ""
        if normal == ".":
            normal = ""
        if normal.startswith(("/", "../")) or normal == "..":
            return None  # outside the output
        if rel == "" or rel.endswith("/") or normal in folders:
            normal = f"{normal}/index.html" if normal else "index.html"
        return self.root / normal if normal in files else None

    def text(self, rel: str) -> str:
        return (self.root / rel).read_text("utf-8", errors="replace")

    def parsed(self, rel: str) -> PageRefs:
        if rel not in self._parsed:
            self._parsed[rel] = parse_page(self.text(rel))
        return self._parsed[rel]

    def css_refs(self, rel: str) -> list[str]:
        if rel not in self._css:
            self._css[rel] = css_urls(self.text(rel))
        return self._css[rel]

    def ids_of(self, target: Path) -> set[str]:
        if target not in self._ids:
            if target.suffix == ".html":
                self._ids[target] = self.parsed(target.relative_to(self.root).as_posix()).ids
            elif target.suffix == ".svg":
                found = re.findall(r'\bid\s*=\s*["\']([^"\']+)', target.read_text("utf-8", errors="replace"))
                self._ids[target] = set(found)
            else:
                self._ids[target] = set()
        return self._ids[target]


class Resolver:
    """Where a reference of a page points: skip, external, internal (a URL path and fragment) or outside."""

    HOST = "site.invalid"

    def __init__(self, output: Output) -> None:
        self.output = output
        own = urlsplit(output.base_url) if output.base_url else None
        self.own = (own.scheme, own.netloc) if own else None

    def resolve(self, from_path: str, value: str) -> tuple[str, str | None, str]:
        """-> (kind, url path, fragment); kind in skip/external/internal/outside."""
        value = value.strip()
        if urlsplit(value).scheme.lower() in SKIP_SCHEMES:
            return "skip", None, ""
        parts = urlsplit(urljoin(f"http://{self.HOST}{from_path}", value))
        if parts.netloc != self.HOST and (not self.own or (parts.scheme, parts.netloc) != self.own):
            return "external", None, ""
        base = self.output.base_path
        path = parts.path or "/"
        if not path.startswith(base):
            if path + "/" == base:
                return "internal", base, unquote(parts.fragment)
            return "outside", path, ""
        return "internal", path, unquote(parts.fragment)


# ---------------------------------------------------------------------------------------------------- checking


@dataclass(frozen=True)
class BrokenLink:
    page: str  # output-relative file that holds the reference (an HTML page, a stylesheet, sitemap.xml…)
    line: int | None
    what: str  # e.g. "<img srcset>", "url()"
    url: str
    reason: str

    def format(self) -> str:
        where = f"{self.page}:{self.line}" if self.line else self.page
        return f"{where}: {self.what} {self.url} — {self.reason}"


@dataclass
class LinkReport:
    broken: list[BrokenLink] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


class _Walk:
    """One pass over an output: each reference resolved once per page, each stylesheet read once."""

    def __init__(self, output: Output, allowed_hosts: Iterable[str]) -> None:
        self.output = output
        self.resolver = Resolver(output)
        self.allowed_hosts = {host.lower() for host in allowed_hosts}
        self.report = LinkReport(
            counts={
                "pages": 0,
                "references": 0,
                "fragments": 0,
                "external links (not followed)": 0,
                "stylesheets": 0,
            }
        )
        self._seen_css: set[str] = set()

    def broken(self, page: str, line: int | None, what: str, url: str, reason: str) -> None:
        self.report.broken.append(BrokenLink(page, line, what, url, reason))

    def check(
        self, page: str, line: int | None, from_path: str, what: str, value: str, *, resource: bool
    ) -> None:
        counts = self.report.counts
        counts["references"] += 1
        kind, path, fragment = self.resolver.resolve(from_path, value)
        if kind == "skip":
            return
        if kind == "external":
            if not resource:
                counts["external links (not followed)"] += 1
            elif (urlsplit(value.strip()).hostname or "") not in self.allowed_hosts:
                self.broken(page, line, what, value, "从别的网站加载：访客的浏览器会去请求另一个网站")
            return
        if kind == "outside":
            base = self.output.base_path
            self.broken(page, line, what, value, f"指向网站路径 {base} 以外（{path}），发布后打不开")
            return
        assert path is not None
        target = self.output.file_for(path)
        if target is None:
            self.broken(page, line, what, value, f"指向的文件不存在（{unquote(path)}）")
            return
        if fragment and fragment != "top" and not fragment.startswith(":~:"):
            counts["fragments"] += 1
            if fragment not in self.output.ids_of(target):
                shown = target.relative_to(self.output.root).as_posix()
                self.broken(page, line, what, value, f'{shown} 里没有 id="{fragment}" 的位置')
        if target.suffix == ".css":
            self.stylesheet(target)

    def stylesheet(self, target: Path) -> None:
        rel = target.relative_to(self.output.root).as_posix()
        if rel in self._seen_css:
            return
        self._seen_css.add(rel)
        self.report.counts["stylesheets"] += 1
        for url in self.output.css_refs(rel):
            self.check(rel, None, self.output.base_path + quote(rel), "url()", url, resource=True)

    def page(self, rel: str) -> None:
        output = self.output
        self.report.counts["pages"] += 1
        parsed = output.parsed(rel)
        from_path = output.url_path(rel)
        for ref in parsed.refs:
            what = f"<{ref.tag} {ref.attr}>"
            rels = set(ref.rel.split())
            if ref.tag == "link" and rels & {"dns-prefetch", "preconnect"}:
                continue
            absolute = ref.tag == "meta" or (ref.tag == "link" and bool(rels & {"canonical", "alternate"}))
            if absolute and not output.base_url:
                continue  # absolute by nature: checkable only when the site's origin is known
            own = ref.tag == "meta" or "canonical" in rels  # must point at this site
            if own and self.resolver.resolve(from_path, ref.value)[0] == "external":
                self.broken(rel, ref.line, what, ref.value, f"不在网站地址 {output.base_url} 下")
                continue
            resource = (
                ref.attr in RESOURCE_ATTRS
                or ref.tag in ("script", "iframe", "embed", "object")
                or (ref.tag == "link" and bool(rels & LOADING_LINK_RELS))
                or (ref.tag == "meta" and "image" in ref.attr)
            )
            for value in parse_srcset(ref.value) if ref.attr == "srcset" else [ref.value]:
                self.check(rel, ref.line, from_path, what, value, resource=resource)
            if rel == "404.html" and _relative(ref.value):
                reason = "是相对地址：404.html 会出现在任何地址上，它的链接必须以网站路径开头"
                self.broken(rel, ref.line, what, ref.value, reason)
        for css, line in parsed.styles:
            for url in css_urls(css):
                self.check(rel, line, from_path, "inline CSS url()", url, resource=True)

    def listed(self) -> None:
        """sitemap.xml, the feeds and robots.txt name absolute URLs: each on the base URL, each a file."""
        output, listed = self.output, []
        if (output.root / "sitemap.xml").is_file():
            locs = re.findall(r"<loc>\s*(.*?)\s*</loc>", output.text("sitemap.xml"), re.S)
            listed += [("sitemap.xml", html.unescape(u)) for u in locs]
            self.report.counts["sitemap.xml URLs"] = len(locs)
        for feed in FEEDS:
            if (output.root / feed).is_file():
                text = output.text(feed)
                links = re.findall(r"<link\b[^>]*\bhref=\"([^\"]+)\"", text) + re.findall(
                    r"<link>\s*(.*?)\s*</link>", text
                )
                listed += [(feed, html.unescape(u)) for u in links]
                self.report.counts[f"{feed} links"] = len(links)
        if (output.root / "robots.txt").is_file():
            for line in output.text("robots.txt").splitlines():
                if line.lower().startswith("sitemap:"):
                    listed.append(("robots.txt", line.split(":", 1)[1].strip()))
        for where, url in listed:
            if not output.base_url:
                self.report.notes.append(
                    f"{where}: {url} not checked (give the base URL to check absolute URLs)"
                )
                break
            if not url.startswith(output.base_url):
                self.broken(where, None, "URL", url, f"不在网站地址 {output.base_url} 下")
            else:
                self.check(where, None, output.base_path, "URL", url, resource=False)


def _relative(value: str) -> bool:
    value = value.strip()
    return bool(value) and not value.startswith(("/", "#", "http:", "https:", "data:", "mailto:", "tel:"))


def check_output(output: Output, allowed_hosts: Iterable[str] = ()) -> LinkReport:
    """Every broken reference of the output, in page order; ``allowed_hosts`` may serve resources (iframes)."""
    walk = _Walk(output, allowed_hosts)
    for rel in output.html_files:
        walk.page(rel)
    walk.listed()
    return walk.report


def check_links(output_dir: Path, base_path: str = "/", base_url: str | None = None) -> list[BrokenLink]:
    """Every broken reference of the output folder served under ``base_path`` (or ``base_url``)."""
    return check_output(Output(output_dir, base_path, base_url)).broken


def grouped(broken: Iterable[BrokenLink]) -> list[tuple[BrokenLink, list[str]]]:
    """The same mistake in a shared template shows on every page: each once, with the other pages it is on."""
    groups: dict[tuple[str, str, str], list[BrokenLink]] = {}
    for link in broken:
        groups.setdefault((link.what, link.url, link.reason), []).append(link)
    return [(links[0], [link.page for link in links[1:]]) for links in groups.values()]


def built_base_url(output_dir: Path) -> str | None:
    """The base URL the output was built with (its home page's canonical link): ``build --base-url`` may differ
    from site.toml's."""
    try:
        head = (output_dir / "index.html").read_text("utf-8", errors="replace")[:20000]
    except OSError:
        return None
    refs = parse_page(head).refs
    return next((r.value for r in refs if r.tag == "link" and "canonical" in r.rel.split()), None)


def output_problems(
    output_dir: Path, site_dir: Path, base_url: str, allowed_hosts: Iterable[str] = ()
) -> list[Problem]:
    """``check``'s view of the last build in ``output_dir`` (nothing when there is none): one problem per broken
    reference, a mistake shared by many pages (a template's) said once."""
    if not (output_dir / "index.html").is_file():
        return []
    output = Output(output_dir, base_url=built_base_url(output_dir) or base_url)
    where = output_dir.relative_to(site_dir).as_posix() + "/" if output_dir.is_relative_to(site_dir) else ""
    problems = []
    for link, others in grouped(check_output(output, allowed_hosts).broken):
        more = f"（另外 {len(others)} 个页面也一样，如 {others[0]}）" if others else ""
        problems.append(
            Problem(
                where + link.page,
                link.line,
                None,
                f"生成的网站里 {link.what} 的链接 {link.url} 有问题：{link.reason}{more}",
                f"先重新生成网站（{COMMAND} build）再检查；还有这个问题，就是内容或模板里的链接写错了，改正后重新生成",
            )
        )
    return problems
