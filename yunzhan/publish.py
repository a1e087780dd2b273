"""What a published build carries besides its pages: sitemap, robots.txt, Atom feed, fingerprinted theme
assets and pre-compressed copies.

Every function is data in → ``{output-relative path: bytes}`` out, with no clock and no I/O except reading the
files it is handed, so two builds of the same input give the same bytes. Dates come from the records
(``record.date``: the ``date`` field, else ``start``), never from the build time.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import heapq
import operator
import posixpath
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from urllib.parse import urlsplit

import brotli

from yunzhan.config import SiteConfig
from yunzhan.htmltext import plain_text, shorten
from yunzhan.model import Page, Record

SITEMAP = "sitemap.xml"
ROBOTS = "robots.txt"
FEED = "feed.xml"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
ATOM_NS = "http://www.w3.org/2005/Atom"
MAX_SITEMAP_URLS = 50_000  # the sitemaps.org limit per file
FEED_LIMIT = 50
TIMEZONE = "+08:00"  # record dates are dates in China
NOT_LISTED = frozenset({"404", "placards"})  # page kinds kept out of the sitemap
HASH_LENGTH = 10
FINGERPRINT_RE = re.compile(r"\.[0-9a-f]{10}\.[A-Za-z0-9]+$")  # what hosting matches to cache for a year
COMPRESSIBLE = frozenset(
    {".html", ".css", ".js", ".mjs", ".svg", ".xml", ".json", ".txt", ".csv", ".wasm", ".webmanifest"}
)
_CSS_REF = re.compile(
    r"""url\(\s*(?P<q>['"]?)(?P<url>[^'")\s]+)(?P=q)\s*\)|@import\s+(?P<q2>['"])(?P<url2>[^'"]+)(?P=q2)"""
)


def escape(text: str) -> str:
    """``xml.sax.saxutils.escape``, whose module imports urllib.request and email: ~12 ms of every build."""
    return text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")


def quoteattr(text: str) -> str:
    """``xml.sax.saxutils.quoteattr``, byte for byte (see ``escape``)."""
    data = escape(text).replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
    if '"' not in data:
        return f'"{data}"'
    if "'" not in data:
        return f"'{data}'"
    return '"{}"'.format(data.replace('"', "&quot;"))


def _rfc3339(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00{TIMEZONE}"


def _latest(records: Iterable[Record], dates: Mapping[int, dt.date | None] | None = None) -> dt.date | None:
    """The newest date of ``records``; ``dates``: their dates by id, read once for a whole sitemap (the home page
    and each taxonomy overview list every record)."""
    if dates is None:
        return max((r.date for r in records if r.date is not None), default=None)
    return max(filter(None, map(dates.__getitem__, map(id, records))), default=None)


# ---------------------------------------------------------------------------------------------- sitemap


def page_lastmod(
    page: Page, everything: list[Record], dates: Mapping[int, dt.date | None] | None = None
) -> dt.date | None:
    """A page changes when a record on it does: a record page has its own date, an index the newest of its own."""
    if page.record is not None:
        return page.record.date
    if page.kind == "home":
        return _latest(everything, dates)
    if page.kind == "taxonomy" and page.taxonomy is not None:
        return _latest((r for term in page.taxonomy.terms for r in term.records), dates)
    return _latest(page.records, dates)


def sitemap(pages: list[Page], config: SiteConfig) -> dict[str, bytes]:
    """``sitemap.xml`` (sitemaps.org 0.9); past 50,000 URLs, a sitemap index over numbered files."""
    return sitemap_files(sitemap_inputs(pages), config)


def sitemap_inputs(pages: list[Page]) -> list[tuple[str, dt.date | None]]:
    """Everything ``sitemap_files`` reads besides the settings: each listed page's path and lastmod (a body
    edit changes neither, so a key of these keeps the sitemap of 10,000 pages)."""
    listed = [p for p in pages if p.kind not in NOT_LISTED and not (p.record and p.record.draft)]
    everything = list({id(r): r for p in listed for r in ([p.record] if p.record else p.records)}.values())
    dates = {id(r): r.date for r in everything}
    for page in listed:  # the records of every page page_lastmod reads are in ``everything``, or terms here
        if page.kind == "taxonomy" and page.taxonomy is not None:
            dates.update(
                (id(r), r.date) for term in page.taxonomy.terms for r in term.records if id(r) not in dates
            )
    return [
        (p.path, dates[id(p.record)] if p.record is not None else page_lastmod(p, everything, dates))
        for p in {p.path: p for p in listed}.values()
    ]  # a record page's lastmod is its record's date, read once above


def sitemap_files(inputs: list[tuple[str, dt.date | None]], config: SiteConfig) -> dict[str, bytes]:
    """The sitemap of ``sitemap_inputs``, made of them and the settings alone."""
    entries = sorted((config.absolute_url(path), lastmod) for path, lastmod in inputs)
    chunks = [entries[i : i + MAX_SITEMAP_URLS] for i in range(0, len(entries), MAX_SITEMAP_URLS)] or [[]]
    if len(chunks) == 1:
        return {SITEMAP: _urlset(chunks[0])}
    files = {f"sitemap-{n}.xml": _urlset(chunk) for n, chunk in enumerate(chunks, 1)}
    index = ['<?xml version="1.0" encoding="UTF-8"?>', f'<sitemapindex xmlns="{SITEMAP_NS}">']
    for name, chunk in zip(files, chunks, strict=True):
        newest = max((d for _, d in chunk if d), default=None)
        lastmod = f"<lastmod>{newest.isoformat()}</lastmod>" if newest else ""
        index.append(f"<sitemap><loc>{escape(config.absolute_url(name))}</loc>{lastmod}</sitemap>")
    index.append("</sitemapindex>\n")
    return {SITEMAP: "\n".join(index).encode(), **files}


def _urlset(entries: list[tuple[str, dt.date | None]]) -> bytes:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f'<urlset xmlns="{SITEMAP_NS}">']
    for loc, lastmod in entries:
        mod = f"<lastmod>{lastmod.isoformat()}</lastmod>" if lastmod else ""
        lines.append(f"<url><loc>{escape(loc)}</loc>{mod}</url>")
    lines.append("</urlset>\n")
    return "\n".join(lines).encode()


def robots(config: SiteConfig) -> dict[str, bytes]:
    """``robots.txt`` allowing everything and naming the sitemap. Crawlers read it only at a host's root: under
    a sub-path it is a template for the host's own robots.txt (see docs/deploy.md)."""
    text = f"User-agent: *\nAllow: /\n\nSitemap: {config.absolute_url(SITEMAP)}\n"
    return {ROBOTS: text.encode()}


# ---------------------------------------------------------------------------------------------- Atom


def atom_feed(records: Iterable[Record], config: SiteConfig, limit: int = FEED_LIMIT) -> dict[str, bytes]:
    """An Atom 1.0 feed of the dated records (activities, projects), newest first; undated ones are left out."""
    return feed_files(feed_inputs(records, limit), config)


FeedEntry = tuple[dt.date, str, str, str, str]  # date, collection, title, path, the text of its summary


def feed_inputs(records: Iterable[Record], limit: int = FEED_LIMIT) -> list[FeedEntry]:
    """Everything ``feed_files`` reads of the records: the newest ``limit`` dated ones, newest first (an edit of
    another record's body changes none of it)."""
    dated = [(day, r.collection, r.slug, r) for r in records if (day := r.date) is not None and not r.draft]
    # the first ``limit`` of them sorted newest first (a record's collection and slug are its own: no ties)
    newest = heapq.nlargest(limit, dated, key=_DAY_AND_KEY)
    return [
        (day, r.collection, r.title, r.path, r.fields.get("summary") or r.fields.get("intro") or r.body)
        for day, _, _, r in newest
    ]


_DAY_AND_KEY = operator.itemgetter(0, 1, 2)


def feed_files(entries: list[FeedEntry], config: SiteConfig) -> dict[str, bytes]:
    """The feed of ``feed_inputs``, made of them and the settings alone."""
    newest = entries[0][0] if entries else dt.date(1970, 1, 1)
    titles = {c.name: c.title for c in config.collections}
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<feed xmlns="{ATOM_NS}" xml:lang={quoteattr(config.language)}>',
        f"<id>{escape(config.base_url)}</id>",
        f"<title>{escape(config.title)}</title>",
    ]
    if config.subtitle:
        out.append(f"<subtitle>{escape(config.subtitle)}</subtitle>")
    out += [
        f"<updated>{_rfc3339(newest)}</updated>",
        f"<author><name>{escape(config.title)}</name><uri>{escape(config.base_url)}</uri></author>",
        f'<link rel="self" type="application/atom+xml" href={quoteattr(config.absolute_url(FEED))}/>',
        f'<link rel="alternate" type="text/html" href={quoteattr(config.base_url)}/>',
        "<generator>yunzhan</generator>",
    ]
    for date, collection, title, path, text in entries:
        url = config.absolute_url(path)
        category = titles.get(collection, collection)
        out += [
            "<entry>",
            f"<id>{escape(url)}</id>",
            f"<title>{escape(title)}</title>",
            f'<link rel="alternate" type="text/html" href={quoteattr(url)}/>',
            f"<published>{_rfc3339(date)}</published>",
            f"<updated>{_rfc3339(date)}</updated>",
            f"<category term={quoteattr(collection)} label={quoteattr(category)}/>",
        ]
        summary = plain_text(text)
        if summary:
            out.append(f"<summary>{escape(shorten(summary, 200))}</summary>")
        out.append("</entry>")
    out.append("</feed>\n")
    return {FEED: "\n".join(out).encode()}


# ---------------------------------------------------------------------------------------------- assets


def fingerprint_name(rel: str, data: bytes) -> str:
    """``css/site.css`` + bytes → ``css/site.<10 hex of sha256>.css``."""
    folder, name = posixpath.split(rel)
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        stem, ext = name, ""
    digest = hashlib.sha256(data).hexdigest()[:HASH_LENGTH]
    new = f"{stem}.{digest}.{ext}" if ext else f"{stem}.{digest}"
    return posixpath.join(folder, new)


def fingerprint_assets(
    files: Mapping[str, Path], prefix: str = "assets/"
) -> tuple[dict[str, bytes], dict[str, str]]:
    """Rename every file under ``prefix`` to carry a hash of its bytes, so hosting may cache it for a year.

    Returns the renamed files (output-relative path → bytes; other files untouched are left to the caller) and
    the mapping ``"css/site.css" → "css/site.<hash>.css"`` (relative to ``prefix``) that
    ``render.make_environment`` takes as ``asset_urls``. ``url()`` and ``@import`` references between assets in
    CSS are rewritten first, so a CSS file's hash covers the names of what it uses.
    """
    assets = {rel[len(prefix) :]: path for rel, path in files.items() if rel.startswith(prefix)}
    data = {rel: path.read_bytes() for rel, path in assets.items()}
    mapping: dict[str, str] = {}

    def visit(rel: str, stack: tuple[str, ...]) -> None:
        if rel in mapping:
            return
        if rel.endswith(".css") and rel not in stack:
            for target in _css_targets(rel, data[rel]):
                if target in data and target not in stack:
                    visit(target, (*stack, rel))
            data[rel] = _rewrite_css(rel, data[rel], mapping)
        mapping[rel] = fingerprint_name(rel, data[rel])

    for rel in sorted(data):
        visit(rel, ())
    out = {prefix + mapping[rel]: data[rel] for rel in sorted(data)}
    return out, dict(sorted(mapping.items()))


def _css_targets(rel: str, css: bytes) -> list[str]:
    targets = []
    for match in _CSS_REF.finditer(css.decode("utf-8", errors="replace")):
        target = _resolve(rel, match.group("url") or match.group("url2"))
        if target:
            targets.append(target)
    return targets


def _resolve(rel: str, ref: str) -> str | None:
    parts = urlsplit(ref)
    if parts.scheme or parts.netloc or ref.startswith(("/", "#", "data:")) or not parts.path:
        return None
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(rel), parts.path))
    return None if joined.startswith("..") else joined


def _rewrite_css(rel: str, css: bytes, mapping: Mapping[str, str]) -> bytes:
    def swap(match: re.Match[str]) -> str:
        ref = match.group("url") or match.group("url2")
        target = _resolve(rel, ref)
        if target is None or target not in mapping:
            return match.group(0)
        parts = urlsplit(ref)
        new = posixpath.relpath(mapping[target], posixpath.dirname(rel) or ".")
        new += (f"?{parts.query}" if parts.query else "") + (f"#{parts.fragment}" if parts.fragment else "")
        return match.group(0).replace(ref, new)

    return _CSS_REF.sub(swap, css.decode("utf-8")).encode("utf-8")


# ---------------------------------------------------------------------------------------------- compression


MIN_COMPRESSED = 256  # smaller files are served as they are


def may_compress(rel: str, path: Path) -> bool:
    """Whether ``compress`` would look at the file at all (by its name and size, not its bytes)."""
    if posixpath.splitext(rel)[1].lower() not in COMPRESSIBLE:
        return False
    try:
        return path.stat().st_size >= MIN_COMPRESSED
    except OSError:
        return False


def compress(
    files: Mapping[str, bytes], previous: Path | None = None, min_size: int = MIN_COMPRESSED
) -> dict[str, bytes]:
    """``.gz`` (gzip -9, no name, mtime 0) and ``.br`` (brotli 11) beside each text file, for static serving.

    Only files that get smaller are given a compressed twin. ``previous`` is the last build's output folder:
    where it holds the same bytes and their ``.br``/``.gz``, those are reused (brotli 11 is slow).
    """
    out: dict[str, bytes] = {}
    for rel, data in sorted(files.items()):
        if posixpath.splitext(rel)[1].lower() not in COMPRESSIBLE or len(data) < min_size:
            continue
        old = _previous_twins(previous, rel, data)
        gz = old.get(".gz") or gzip.compress(data, compresslevel=9, mtime=0)
        br = old.get(".br") or brotli.compress(data, quality=11)
        if len(gz) < len(data):
            out[rel + ".gz"] = gz
        if len(br) < len(data):
            out[rel + ".br"] = br
    return out


def _previous_twins(previous: Path | None, rel: str, data: bytes) -> dict[str, bytes]:
    if previous is None:
        return {}
    try:
        if (previous / rel).read_bytes() != data:
            return {}
        twins = {ext: (previous / (rel + ext)).read_bytes() for ext in (".gz", ".br")}
    except OSError:
        return {}
    try:  # never trust a stale or damaged twin
        ok = gzip.decompress(twins[".gz"]) == data and brotli.decompress(twins[".br"]) == data
    except (OSError, EOFError, brotli.error):
        return {}
    return twins if ok else {}


# ---------------------------------------------------------------------------------------------- footer


def filing_links(icp: str, police: str) -> list[dict[str, str]]:
    """Footer links for the ICP filing (ICP备案号) and the public-security filing (公安备案), as Chinese rules
    want them: the ICP number links to the MIIT register, the police number to the MPS register with its code."""
    links = []
    if icp.strip():
        links.append({"title": icp.strip(), "url": "https://beian.miit.gov.cn/"})
    if police.strip():
        code = "".join(re.findall(r"\d+", police))
        url = (
            f"https://beian.mps.gov.cn/#/query/webSearch?code={code}" if code else "https://beian.mps.gov.cn/"
        )
        links.append({"title": police.strip(), "url": url})
    return links
