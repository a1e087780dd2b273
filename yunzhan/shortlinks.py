"""Short, stable links for print: ``/s/<code>/`` on placards, posters and share cards, and the old URLs of a
renamed record, each a redirect page to where the record is now.

QR codes on paper outlive slugs: an editor renames ``rocket.md`` to ``tianlong-2.md`` or moves it to another
collection's folder after the placards are printed. So each record gets a code for life, kept in
``content/shortlinks.yaml`` (committed with the content, so a clean checkout keeps it) together with every URL
the record has had. The build adds a line when a record appears; a record whose file moved is recognised as
the entry whose file is gone and whose title it has (or, failing that, whose body it has), and keeps its code.

Plain functions: ``load``/``save`` read and write the file, ``assign`` matches records to entries,
``redirect_pages`` makes the pages.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

import yaml

from yunzhan.config import SiteConfig
from yunzhan.errors import Problem
from yunzhan.model import Record

FILE = "content/shortlinks.yaml"
PREFIX = "/s/"
ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # no 0/o, 1/l/i: read aloud or typed from paper
LENGTH = 4
HEADER = """\
# 短链接：展牌、海报和分享图上的二维码打开 /s/编号/，再转到条目的网页。
# 生成网站时会给新条目自动加上编号；条目改了文件名、换了栏目，编号不变，旧网址也会转到新网址。
# 请把这个文件和 content/ 一起保存、提交。不要改动或删除已有的编号：已经印出去的二维码靠它们。
"""


@dataclass(frozen=True)
class Entry:
    code: str
    source: str  # the record file, relative to content/
    title: str
    digest: str  # of the record's Markdown, to recognise a moved record whose title changed too
    urls: tuple[str, ...]  # site-relative paths the record has had, the current one last


@dataclass
class Table:
    entries: list[Entry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _rel(record: Record) -> str:
    return record.source.removeprefix("content/")


def body_digest(record: Record) -> str:
    """What an entry's ``digest`` is: the record's Markdown, stripped (its first 12 hex digits of SHA-256)."""
    return _text_digest(record.raw_body)


@functools.lru_cache(maxsize=65_536)
def _text_digest(text: str) -> str:
    """Asked for twice a record a build; a preview asks again for the same texts at every save."""
    text = text.strip()
    return hashlib.sha256(text.encode()).hexdigest()[:12] if text else ""


# libyaml's, when present: the file grows a line a record
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def load(site_dir: Path) -> Table:
    """The file as entries; a damaged file is an error naming it (the build then makes no new codes)."""
    path = site_dir / FILE
    if not path.is_file():
        return Table()
    try:
        return parse(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        return _damaged(exc)


def parse(text: str) -> Table:
    """The file's text as entries (``load``'s)."""
    try:
        data = yaml.load(text, Loader=_LOADER) or {}
        if not isinstance(data, dict):
            raise ValueError("应当是“编号: 内容”的列表")
        entries = [
            Entry(
                str(code),
                str(item["source"]),
                str(item.get("title", "")),
                str(item.get("digest", "")),
                tuple(str(u) for u in item.get("urls", [])),
            )
            for code, item in data.items()
        ]
    except (yaml.YAMLError, ValueError, KeyError, TypeError, AttributeError) as exc:
        return _damaged(exc)
    return Table(entries)


def _damaged(exc: Exception) -> Table:
    hint = "用版本管理（或备份）恢复这个文件；已经印出去的二维码靠其中的编号"
    return Table(problems=[Problem(FILE, None, None, f"读不懂短链接文件：{exc}", hint)])


def entry_text(entry: Entry) -> str:
    """One entry as the file has it: the file is these, one after another (each dumped alone, so that writing
    the file again after one edit need not dump 10,000 entries). Entries of plain values (``_scalar``: codes,
    paths, hex digests, titles in Chinese) are written the way ``yaml.dump`` writes them, 50 times faster
    (a site's first build reads 10,000 entries it then knows the text of); the others are dumped."""
    code, source, title, digest = map(_scalar, (entry.code, entry.source, entry.title, entry.digest))
    urls = [_scalar(u) for u in entry.urls]
    if code != entry.code or len(code) > 32 or None in (source, title, digest) or None in urls:  # key: plain
        item = {
            "source": entry.source,
            "title": entry.title,
            "digest": entry.digest,
            "urls": list(entry.urls),
        }
        return yaml.dump({entry.code: item}, Dumper=_DUMPER, allow_unicode=True, sort_keys=False, width=1000)
    listed = "".join(f"\n  - {u}" for u in urls) if urls else " []"
    return f"{code}:\n  source: {source}\n  title: {title}\n  digest: {digest}\n  urls:{listed}\n"


# Characters YAML prints as they are anywhere in a plain scalar (allow_unicode: those past ASCII in the BMP
# but line and paragraph separators and the BOM, and A-Za-z0-9_/() of ASCII); ".", "-" and " " only inside one,
# where they are no indicators. Written as the characters it is not (the other ASCII and C1 ones, the line and
# paragraph separators, surrogates, the BOM, all past the BMP): a class spanning the BMP takes ~9 ms to compile,
# at every start, this one under 1 ms; tests/test_shortlinks.py compares the two over every character.
_NOT = r"\x00-\x1f!-'*-,:-@\[-^`{-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe-\U0010ffff"
_PLAIN = re.compile(rf"[^{_NOT} .\-](?:[^{_NOT}]{{0,500}}[^{_NOT} ])?")
_RESOLVER = yaml.resolver.Resolver()
_STR = "tag:yaml.org,2002:str"
_FIRSTS = set(_RESOLVER.yaml_implicit_resolvers)  # the characters other types (numbers, dates...) begin with
_ANY_FIRST = None in _FIRSTS  # a resolver for any first character: every value is resolved


def _scalar(value: str) -> str | None:
    """``value`` as ``yaml.dump`` writes it in a block: itself when it reads back as that string (a plain
    scalar on one line, too short to be folded), '' for an empty one; None when unsure (then dumped)."""
    if not value:
        return "''"
    if _PLAIN.fullmatch(value) is None:
        return None
    others = _ANY_FIRST or value[0] in _FIRSTS
    resolved = not others or _RESOLVER.resolve(yaml.ScalarNode, value, (True, False)) == _STR
    if not resolved:
        return f"'{value}'"  # would read back as a number, a date, a boolean: quoted (1234, 2024-01-01, yes)
    return value


def dump(table: Table, text_of: Callable[[Entry], str] = entry_text) -> str:
    return HEADER + "".join(map(text_of, table.entries))


def save(site_dir: Path, table: Table, text_of: Callable[[Entry], str] = entry_text) -> str:
    """Write the file; returns its text."""
    from yunzhan import portable

    text = dump(table, text_of)
    portable.atomic_write(site_dir / FILE, text.encode("utf-8"))
    return text


def keeps(site_dir: Path, output_dir: Path, preview: bool) -> bool:
    """Whether a build writes new codes into the site's file: a build of the site itself (into a folder inside
    the site's, ``output/`` by default: ``build``, ``publish``), not the preview nor a build of the site into
    a folder elsewhere (a test, a one-off copy), which must not change the site's files. Those use the same
    codes, made from the file names, as the next build will write."""
    return not preview and output_dir.absolute().is_relative_to(site_dir.absolute())


def new_code(source: str, taken: set[str]) -> str:
    """A code from the file's name (the same on every computer), another where it is taken."""
    for attempt in range(1000):
        code = _candidate(source, attempt)
        if code not in taken:
            return code
    raise RuntimeError("no free short code")  # 923,521 codes: not reached by any exhibition


@functools.lru_cache(maxsize=65_536)
def _candidate(source: str, attempt: int) -> str:
    """Remembered: a site whose file is not written back (the preview) has every code made at every save."""
    number = int.from_bytes(hashlib.sha256(f"{source}#{attempt}".encode()).digest()[:8], "big")
    return "".join(ALPHABET[(number // len(ALPHABET) ** i) % len(ALPHABET)] for i in range(LENGTH))


def assign(
    table: Table, records: Iterable[Record], digests: Callable[[Record], str] = body_digest
) -> tuple[Table, bool]:
    """Match every published record to its entry (by file, then a moved file by title, then by body), give the
    others new codes, record each one's current URL; sets ``record.short``. Returns the table and whether it
    changed (then it should be saved). ``digests``: ``body_digest`` of each record, when the caller keeps them
    (made once per parse of a file, not once per build)."""
    if table.problems:
        return table, False
    entries = {e.code: e for e in table.entries}
    by_source = {e.source: e.code for e in table.entries}
    published = [r for r in records if not r.draft and r.path]  # a record without a page needs no link
    present = {_rel(r) for r in published}
    orphans = {e.code: e for e in table.entries if e.source not in present}  # in the file's order
    matched: dict[int, str] = {}
    for record in published:
        if _rel(record) in by_source:
            matched[id(record)] = by_source[_rel(record)]
    for key in ("title", "digest") if orphans else ():  # a file moved: its entry is an orphan
        having: dict[str, list[str]] = {}  # value -> the orphans that have it, last first
        for code, orphan in reversed(orphans.items()):
            having.setdefault(getattr(orphan, key), []).append(code)
        for record in published:
            if id(record) in matched:
                continue
            value = record.title if key == "title" else digests(record)
            if value and having.get(value):
                code = having[value].pop()
                del orphans[code]
                matched[id(record)] = code
    changed = False
    taken = set(entries)
    for record in sorted(published, key=_rel):
        rel, path = _rel(record), record.path
        code = matched.get(id(record)) or new_code(rel, taken)
        taken.add(code)
        old = entries.get(code)
        digest = digests(record)
        if old is None or not _holds(old, rel, record.title, digest, path):
            urls = (*(u for u in (old.urls if old else ()) if u != path), path)
            entries[code] = Entry(code, rel, record.title, digest, urls)
            changed = True
        record.short = f"{PREFIX}{code}/"
    return Table(list(entries.values())), changed


def assign_again(
    table: Table,
    records: list[Record],
    shorts: list[str],
    edited: Iterable[Record],
    digests: Callable[[Record], str],
) -> tuple[Table, bool]:
    """``assign``, for a table it gave (and no other) and records of which only the ``edited`` ones' bodies
    changed since: every record keeps its short link (``shorts``, the records' ``short`` as that ``assign`` set
    them), the edited ones' entries take their bodies' digests. The reuse layer knows when that holds."""
    for record, short in zip(records, shorts, strict=True):
        record.short = short
    entries = {e.code: e for e in table.entries}
    changed = False
    for record in edited:
        if not record.short or record.draft or not record.path:
            continue
        code, rel, path, digest = record.short[len(PREFIX) : -1], _rel(record), record.path, digests(record)
        old = entries[code]
        if not _holds(old, rel, record.title, digest, path):
            urls = (*(u for u in old.urls if u != path), path)
            entries[code] = Entry(code, rel, record.title, digest, urls)
            changed = True
    return (Table(list(entries.values())), True) if changed else (table, False)


def _holds(entry: Entry, source: str, title: str, digest: str, path: str) -> bool:
    """Whether ``assign`` would make ``entry`` again for a record (without making an Entry for each of 10,000
    records at every build): its URL already the last of its URLs, and only there."""
    urls = entry.urls
    return (
        entry.source == source
        and entry.title == title
        and entry.digest == digest
        and bool(urls)
        and urls[-1] == path
        and path not in urls[:-1]
    )


def redirect_pages(
    table: Table, records: Iterable[Record], config: SiteConfig, taken: set[str]
) -> dict[str, bytes]:
    """Output file → redirect page: ``/s/<code>/`` and every old URL of each published record, to its page.
    ``taken``: output files of real pages, which a redirect never replaces."""
    return {
        rel: redirect_html(record, config).encode("utf-8")
        for rel, record in redirect_targets(table, records, taken).items()
    }


def redirect_targets(table: Table, records: Iterable[Record], taken: set[str]) -> dict[str, Record]:
    """Output file → the record its redirect page sends the visitor to (see ``redirect_pages``)."""
    current = {r.short: r for r in records if r.short and not r.draft}
    targets: dict[str, Record] = {}
    for entry in table.entries:
        record = current.get(f"{PREFIX}{entry.code}/")
        if record is None:
            continue
        for path in (f"{PREFIX}{entry.code}/", *entry.urls):
            rel = path.strip("/") + "/index.html"
            if path != record.path and rel not in taken and path.startswith("/") and ".." not in path:
                targets[rel] = record
    return targets


def redirect_inputs(
    table: Table, records: Iterable[Record], config: SiteConfig, taken: set[str]
) -> tuple[object, ...]:
    """Everything ``redirect_pages`` reads: while it is the same, so are the pages (the reuse layer's key)."""
    current = sorted((r.short, r.path, r.title) for r in records if r.short and not r.draft)
    return (redirect_codes(table), current, config.base_url, config.language, sorted(taken))


def redirect_codes(table: Table) -> list[tuple[str, tuple[str, ...]]]:
    """What ``redirect_pages`` reads of the table (the first of ``redirect_inputs``): each code and its
    addresses, not their titles and digests (those only match files)."""
    return [(e.code, e.urls) for e in table.entries]


def redirect_made_of(record: Record) -> tuple[str, str]:
    """What ``redirect_html`` reads of a record (with ``redirect_settings``): while it is the same, so is
    the page."""
    return record.title, record.path


def redirect_settings(config: SiteConfig) -> tuple[str, str]:
    """What ``redirect_html`` reads of the settings."""
    return config.base_url, config.language


def redirect_html(record: Record, config: SiteConfig) -> str:
    """A page that sends the visitor on at once (meta refresh), tells search engines where the page is
    (canonical) and shows a link for when refresh is off."""
    target = escape(config.absolute_url(record.path))
    title = escape(record.title)
    return f"""<!doctype html>
<html lang="{escape(config.language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<meta name="robots" content="noindex">
<link rel="canonical" href="{target}">
<meta http-equiv="refresh" content="0; url={target}">
</head>
<body>
<main>
<h1>{title}</h1>
<p>正在打开“{title}”。如果没有自动打开，请点这里：<a href="{target}">{title}</a></p>
</main>
</body>
</html>
"""
