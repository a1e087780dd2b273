"""Decide every page of the site: record pages, collection indexes with pagination, taxonomy and term pages,
home and 404. Two sources claiming one URL is an error naming both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from yunzhan.config import SiteConfig
from yunzhan.errors import Problem
from yunzhan.model import Collection, Link, Page, Paginator, Record, Taxonomy, Term
from yunzhan.slugs import slugify

RELATED_MAX = 4  # related records on a record page (collections with ``related_by``)
TermValues = list[tuple[str, str, Record]]  # (taxonomy, term name, record): ``term_values``


@dataclass
class SitePlan:
    collections: dict[str, Collection]
    taxonomies: dict[str, Taxonomy]
    pages: list[Page] = field(default_factory=list)


def assign_urls(records: list[Record], config: SiteConfig) -> None:
    patterns = {c.name: c.url for c in config.collections}
    for record in records:
        record.path = patterns[record.collection].replace("{slug}", record.slug)
        record.url = config.url_for(record.path)


def related_records(
    records: list[Record], by: tuple[str, ...], limit: int = RELATED_MAX
) -> dict[int, list[Record]]:
    """Each record's related records (by ``id``): up to ``limit`` others sharing the value of ``by[0]``, then of
    ``by[1]``…, each group in the collection's order. A ref field's group is the referenced record's back-references
    (the projects of a zone, as a zone page lists them); another field's, the records with an equal value. Groups
    are made once, and each record looks at no more of a group than it takes: linear in the records, where a
    template's loop over every record of the group on every page was quadratic."""
    groups: dict[str, dict[object, list[Record]]] = {name: {} for name in by}
    for name in by:
        for record in records:
            value = record.fields.get(name)
            if value and not isinstance(value, Record):
                groups[name].setdefault(value, []).append(record)
    related: dict[int, list[Record]] = {}
    for record in records:
        chosen: list[Record] = []
        for name in by:
            value = record.fields.get(name)
            if not value or len(chosen) >= limit:
                continue
            group = (
                value.backrefs.get(record.collection, [])
                if isinstance(value, Record)
                else groups[name][value]
            )
            for other in group:
                if other is not record and other not in chosen:
                    chosen.append(other)
                    if len(chosen) >= limit:
                        break
        related[id(record)] = chosen
    return related


def plan_site(
    grouped: dict[str, list[Record]],
    config: SiteConfig,
    slugs: Mapping[str, str] | None = None,
    values: TermValues | None = None,
) -> SitePlan:
    """Build the collections, taxonomies and the full list of pages, in a deterministic order. ``slugs``: the
    slugs of term names already known (``slugify`` of each; a build keeps them, so a rebuild need not load
    pypinyin); the others are made here. ``values``: ``term_values`` of the same records, when already made."""
    home = Link("首页", config.url_for("/"))
    collections: dict[str, Collection] = {}
    pages: list[Page] = []
    for settings in config.collections:
        records = grouped.get(settings.name, [])
        list_url = config.url_for(settings.list_url) if settings.list_url else None
        collection = Collection(settings.name, settings.title, list_url, records)
        collections[settings.name] = collection
        crumbs = [home] + ([Link(settings.title, list_url)] if list_url else [])
        related = related_records(records, settings.related_by) if settings.related_by else {}
        for record in records:
            pages.append(
                Page(
                    kind="record",
                    path=record.path,
                    url=record.url,
                    title=record.title,
                    template=settings.template,
                    breadcrumbs=[*crumbs, Link(record.title, None)],
                    record=record,
                    collection=collection,
                    records=related.get(id(record), []),
                )
            )
        if settings.list_url:
            pages.extend(
                _list_pages(config, collection, settings.list_url, settings.list_template, settings.paginate)
            )
    taxonomies = _taxonomies(values or term_values(grouped, config), config, slugs or {})
    per_page = {t.name: t.paginate for t in config.taxonomies}
    for taxonomy in taxonomies.values():
        pages.append(
            Page(
                kind="taxonomy",
                path=taxonomy.path,
                url=taxonomy.url,
                title=taxonomy.title,
                template="taxonomy.html",
                breadcrumbs=[home, Link(taxonomy.title, None)],
                taxonomy=taxonomy,
            )
        )
        for term in taxonomy.terms:
            pages.extend(
                _paginated(
                    config,
                    term.records,
                    term.path,
                    per_page.get(taxonomy.name, 0),
                    term.name,
                    [home, Link(taxonomy.title, taxonomy.url)],
                    kind="term",
                    template="term.html",
                    taxonomy=taxonomy,
                    term=term,
                )
            )
    pages.append(
        Page(
            "search",
            "/search/",
            config.url_for("/search/"),
            "搜索",
            "search.html",
            [home, Link("搜索", None)],
        )
    )
    pages.append(Page("home", "/", home.url, config.title, "home.html", breadcrumbs=[Link("首页", None)]))
    pages.append(
        Page("404", "/404.html", config.url_for("/404.html"), "页面不存在", "404.html", breadcrumbs=[home])
    )
    return SitePlan(collections, taxonomies, pages)


def _list_pages(
    config: SiteConfig, collection: Collection, list_url: str, template: str, per_page: int
) -> list[Page]:
    home = Link("首页", config.url_for("/"))
    return _paginated(
        config,
        collection.records,
        list_url,
        per_page,
        collection.title,
        [home],
        kind="list",
        template=template,
        collection=collection,
    )


def _paginated(
    config: SiteConfig,
    records: list[Record],
    first_path: str,
    per_page: int,
    title: str,
    crumbs: list[Link],
    **page: Any,
) -> list[Page]:
    """``first_path``, then ``first_path/page/2/``…, ``per_page`` records each (all on one page for 0)."""
    size = per_page or max(len(records), 1)
    chunks = [records[i : i + size] for i in range(0, len(records), size)] or [[]]
    paths = [
        first_path if n == 1 else f"{first_path.rstrip('/')}/page/{n}/" for n in range(1, len(chunks) + 1)
    ]
    links = tuple(Link(str(n), config.url_for(p)) for n, p in enumerate(paths, 1))
    pages = []
    for n, (chunk, path) in enumerate(zip(chunks, paths, strict=True), 1):
        paginator = Paginator(
            number=n,
            count=len(chunks),
            prev_url=links[n - 2].url if n > 1 else None,
            next_url=links[n].url if n < len(chunks) else None,
            pages=pager_window(links, n),
        )
        trail = [*crumbs, Link(title, None)] if n == 1 else [*crumbs, Link(title, links[0].url)]
        if n > 1:
            trail.append(Link(f"第 {n} 页", None))
        pages.append(
            Page(
                path=path,
                url=config.url_for(path),
                title=title if n == 1 else f"{title}（第 {n} 页）",
                breadcrumbs=trail,
                records=chunk,
                paginator=paginator,
                **page,
            )
        )
    return pages


GAP = Link("…", None)


def pager_window(links: tuple[Link, ...], number: int, around: int = 2) -> tuple[Link, ...]:
    """The page links a pager shows: the first, the last, and ``around`` either side of page ``number``, with
    ``GAP`` for what is left out. 500 pages of a national edition must not mean 500 links on each."""
    shown = {1, len(links), *range(number - around, number + around + 1)}
    out: list[Link] = []
    last = 0
    for n in sorted(k for k in shown if 1 <= k <= len(links)):
        if n - last == 2:
            out.append(links[n - 2])  # one page left out: show it rather than a gap
        elif n - last > 2:
            out.append(GAP)
        out.append(links[n - 1])
        last = n
    return tuple(out)


def term_names(values: TermValues) -> set[str]:
    """The names of every term the site's records name (each needs a slug: see ``plan_site``)."""
    return {name for _, name, _ in values}


def term_values(grouped: dict[str, list[Record]], config: SiteConfig) -> TermValues:
    """(taxonomy, term name, record) for each term value of each record, in the collections' order (80,000 at
    10,000 records: made once a build, in one loop)."""
    found: TermValues = []
    add = found.append
    for settings in config.collections:
        records = grouped.get(settings.name, [])
        for spec in settings.fields:
            if not spec.taxonomy:
                continue
            taxonomy, field_name = spec.taxonomy, spec.name
            for record in records:
                value = record.fields.get(field_name)
                if not value:
                    continue
                if isinstance(value, list):
                    for name in value:
                        add((taxonomy, name, record))
                else:
                    add((taxonomy, value, record))
    return found


def _taxonomies(values: TermValues, config: SiteConfig, slugs: Mapping[str, str]) -> dict[str, Taxonomy]:
    taxonomies = {t.name: Taxonomy(t.name, t.title, config.url_for(t.url), t.url) for t in config.taxonomies}
    terms: dict[tuple[str, str], Term] = {}
    members: dict[tuple[str, str], set[int]] = {}  # ids of each term's records: a list lookup is O(n)
    for taxonomy_name, name, record in values:
        key = (taxonomy_name, name)
        term = terms.get(key)
        if term is None:
            taxonomy = taxonomies[taxonomy_name]
            known = slugs.get(name)
            slug = (slugify(name) if known is None else known) or "term"
            path = f"{taxonomy.path}{slug}/"
            term = terms[key] = Term(name, slug, config.url_for(path), path)
            taxonomy.terms.append(term)
            members[key] = set()
        seen = members[key]
        if id(record) not in seen:
            seen.add(id(record))
            term.records.append(record)
    for taxonomy in taxonomies.values():
        taxonomy.terms.sort(key=lambda t: (-len(t.records), t.slug))
    return taxonomies


def find_collisions(pages: list[Page]) -> list[Problem]:
    """Two pages writing one file: name both sources so the editor can rename one. Two files whose names differ
    only in letter case are one file on Windows and macOS: the same error."""
    problems = []
    owner: dict[str, Page] = {}
    folded: dict[str, Page] = {}
    for page in pages:
        key = page.output_file
        first = owner.get(key) or folded.get(key.casefold())
        if first is None:
            owner[key] = folded[key.casefold()] = page
            continue
        where = page.record.source if page.record else f"site.toml（{page.kind} 页面）"
        if first.output_file == key:
            other = first.record.source if first.record else f"{first.kind} 页面"
            message, hint = f"网址 {page.path} 与 {other} 重复", "改文件名、slug 或 site.toml 里的 url"
        else:
            other = f"{first.record.source} 的网址" if first.record else "网址"
            message = f"网址 {page.path} 与{other} {first.path} 只差字母大小写，在 Windows 和 macOS 上是同一个文件夹"
            hint = "改文件名、slug 或 site.toml 里的 url，让两个网址不只差大小写（网址最好全用小写字母）"
        problems.append(Problem(where, None, "slug", message, hint))
    return problems
