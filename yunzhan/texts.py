"""The Markdown texts of a record (its body and ``text`` fields) and the options each is converted with.

``build`` converts them into pages; ``check`` converts them only for what the conversion finds (images without
alt text, links to records that do not exist, HTML the sanitiser removes). One list, one converter and one way
of resolving record links (``link_resolver``, which also words why a link leads nowhere), so that both
commands find the same problems in the same words.
"""

from __future__ import annotations

import functools
import os
import posixpath
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from markupsafe import Markup

from yunzhan import markup, references, workers
from yunzhan.config import SiteConfig
from yunzhan.errors import Problem, closest
from yunzhan.incremental.fingerprints import digest, parsed_print, text_digest
from yunzhan.model import Record


def markdown_texts(
    record: Record, config: SiteConfig, text_fields: dict[str, list[str]] | None = None
) -> list[tuple[str, str, dict[str, Any]]]:
    """(field name, "" for the body; the text; ``markup.render_markdown``'s options) for each Markdown text.
    ``text_fields``: ``text_field_names(config)``, when made once for many records."""
    names = (text_fields or text_field_names(config))[record.collection]
    source = record.source
    texts = [
        (
            "",
            record.raw_body,
            {"path": source, "body_line": record.body_line, "iframe_hosts": config.markdown.iframe_hosts},
        )
    ]
    fields, lines = record.fields, record.lines
    for name in names:
        value = fields.get(name)
        if isinstance(value, str):
            options = {"path": source, "body_line": lines.get(name, 1), "field": name, "iframe_hosts": ()}
            texts.append((name, value, options))
    return texts


def text_field_names(config: SiteConfig) -> dict[str, list[str]]:
    """Each collection's ``text`` fields, in the order of its spec (the order of ``markdown_texts``)."""
    return {c.name: [spec.name for spec in c.fields if spec.type == "text"] for c in config.collections}


def markdown_key(text: str, options: dict[str, Any]) -> str:
    """What a conversion is remembered by in the build cache."""
    return digest(text_digest(text), sorted(options.items()))


# options a record's ``parsed_print`` covers: its source, and the lines of its body and fields
FROM_FILE = ("path", "body_line")


def parsed_markdown_keys(made: str, texts: list[tuple[str, str, dict[str, Any]]]) -> list[str]:
    """The keys of a record's ``markdown_texts`` exactly as its file gave them: the file's ``parsed_print``
    (which digested every text of it, its source and its lines when it was parsed) with the options of each
    that the print does not cover (``FROM_FILE``: a record's print fixes them), so an unchanged file's texts
    need not be read again, nor most of their options digested (thousands of records share a few shapes)."""
    shape = tuple(
        [tuple([item for item in options.items() if item[0] not in FROM_FILE]) for _, _, options in texts]
    )
    try:
        known = _shape_digest(shape)
    except TypeError:  # an option's value that cannot be a key: digested each time
        known = _shape_digest.__wrapped__(shape)
    return kept_keys(made, known, len(texts))


def kept_keys(made: str, shape: str, count: int) -> list[str]:
    """The keys of a file's ``count`` texts, by its print and the digest of their options' shape."""
    return [f"{made}.{shape}.{i}" for i in range(count)]


def shape_of(key: str) -> str:
    """The shape's digest in a key of ``kept_keys``."""
    return key.split(".")[1]


@functools.lru_cache(maxsize=256)  # a few shapes of options a site
def _shape_digest(shape: tuple[object, ...]) -> str:
    return digest(repr(shape))[:16]


Lookups = tuple[tuple[str, str | markup.LinkMiss | None], ...]  # how each record link of a text resolved


def kept_row(
    result: markup.MarkupResult, lookups: Lookups, made: str, apart: bool = False
) -> tuple[object, ...]:
    """A conversion as the build store keeps it, with ``made``, its HTML's digest: ``(html, headings, lookups,
    made)``, plain values ``marshal`` reads about twice as fast as pickle, when it found no problem and no
    image and each link resolved to an address or nothing (at 10,000 records nearly all of them; a build reads
    20,000); else ``(result, lookups, made)``. ``apart``: the HTML is kept in a row of its own (a body's, read
    when a page shows it), and None stands for it here."""
    if result.images or result.problems or not all(url is None or type(url) is str for _, url in lookups):
        return result, lookups, made
    return None if apart else str(result.html), result.headings, lookups, made


def from_kept_row(row: tuple[Any, ...], apart: Any = None) -> tuple[markup.MarkupResult, Lookups, str]:
    """``kept_row`` read back: ``(result, lookups, made)``; ``apart`` is the HTML when the row keeps it apart."""
    if len(row) == 3:
        return row  # type: ignore[return-value]
    html, headings, lookups, made = row
    return markup.MarkupResult(Markup(html) if html is not None else apart, (), (), headings), lookups, made


def link_resolver(source: str, by_source: dict[str, Record], site_dir: Path) -> markup.LinkResolver:
    """How the record links of the file ``source`` resolve: to the page's address, or to why not (a draft, a
    slip in the name), in the words both ``build`` and ``check`` print."""

    def resolve(href: str) -> str | markup.LinkMiss:
        target = references.resolve_link(source, href, by_source)
        return target.url if target is not None else _link_miss(source, href, by_source, site_dir)

    return resolve


def _link_miss(source: str, href: str, by_source: dict[str, Record], site_dir: Path) -> markup.LinkMiss:
    target = posixpath.normpath(posixpath.join(posixpath.dirname(source), href))
    bundle = posixpath.join(target.rsplit(".", 1)[0], "index.md")
    if not target.startswith("../") and any(_is_file(site_dir, t) for t in (target, bundle)):
        return markup.LinkMiss(
            f"链接指向的条目不会发布：{href}",
            "那个条目是草稿（draft: true）或者文件有错误；先把它改好，或去掉这个链接",
        )
    return markup.LinkMiss(
        f"链接指向的条目不存在：{href}",
        _suggestion(source, target, by_source)
        or "链接里写另一个条目的文件路径（相对于本文件），例如 ../craftsmen/li-qijie.md",
    )


def _suggestion(source: str, target: str, by_source: dict[str, Record]) -> str:
    """'是不是 "../craftsmen/chen-mou.md"？' for the record whose file name is closest to the link's (in the
    folder the link points into first): whole paths all look alike, since they share "../craftsmen/"."""
    folder = posixpath.dirname(target)
    paths: dict[str, str] = {}
    for other in sorted(by_source, key=lambda other: (posixpath.dirname(other) != folder, other)):
        paths.setdefault(_record_name(other), posixpath.relpath(other, posixpath.dirname(source)))
    match = closest(_record_name(target), paths)
    return f'是不是 "{paths[match]}"？' if match else ""


def _record_name(path: str) -> str:
    """A record's file name; a folder record (``chen-mou/index.md``) goes by its folder's, as links may."""
    folder, name = posixpath.split(path)
    return f"{posixpath.basename(folder)}.md" if name in ("index.md", "index.yaml") else name


def _is_file(site_dir: Path, rel: str) -> bool:
    """A file of exactly this name (Windows and macOS would also find ``Chen.md`` for ``chen.md``)."""
    path = site_dir / rel
    try:
        return path.is_file() and path.name in os.listdir(path.parent)
    except OSError:
        return False


def markdown_problems(
    records: list[Record], config: SiteConfig, site_dir: Path, known: Mapping[str, Any] | None = None
) -> list[Problem]:
    """What converting every Markdown text of ``records`` finds, as ``build`` finds it. ``known``: the build
    cache's conversions (by ``parsed_markdown_keys``: ``records`` are as their files gave them), taken while each
    of their record links still resolves (or fails) as it did; the rest are converted (in forked processes when
    there are many)."""
    by_source = references.record_link_resolver(records)
    problems: list[Problem] = []
    jobs: list[tuple[str, str, dict[str, Any]]] = []
    text_fields = text_field_names(config)
    for record in records:
        resolve = link_resolver(record.source, by_source, site_dir)
        found = markdown_texts(record, config, text_fields)
        keys = parsed_markdown_keys(parsed_print(record), found) if known is not None else [""] * len(found)
        for (_, text, options), key in zip(found, keys, strict=True):
            row = (known or {}).get(key)
            hit = from_kept_row(row) if row is not None else None
            if hit is not None and all(_as_before(resolve(href), then) for href, then in hit[1]):
                problems += hit[0].problems
            else:
                jobs.append((record.source, text, options))
    found = workers.fork_map(_problems, (jobs, by_source, site_dir), len(jobs))
    return problems + [problem for done in found for problem in done]


def _as_before(now: str | markup.LinkMiss | None, then: str | markup.LinkMiss | None) -> bool:
    """Whether a link resolves as it did for the build; records have no addresses yet when checking."""
    return isinstance(now, str) == isinstance(then, str) and (isinstance(now, str) or now == then)


def _problems(
    state: tuple[list[tuple[str, str, dict[str, Any]]], dict[str, Record], Path], i: int
) -> tuple[Problem, ...]:
    jobs, by_source, site_dir = state
    source, text, options = jobs[i]
    resolve = link_resolver(source, by_source, site_dir)
    return markup.render_markdown(text, resolve_link=resolve, **options).problems
