"""Decide every page of the site: record pages, collection indexes with pagination, taxonomy and term pages,
home and 404. Two sources claiming one URL is an error naming both.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from yunzhan.config import SiteConfig
from yunzhan.errors import Problem
from yunzhan.model import Collection, Link, Page, Paginator, Record, Taxonomy, Term
from yunzhan.slugs import slugify


@dataclass
class SitePlan:
    collections: dict[str, Collection]
    taxonomies: dict[str, Taxonomy]
    pages: list[Page] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def prefixed(config: SiteConfig, path: str) -> str:
    return config.url_for(path)


def assign_urls(records: list[Record], config: SiteConfig) -> None:
    for record in records:
        settings = config.collection(record.collection)
        assert settings is not None
        record.path = settings.url.replace("{slug}", record.slug)
        record.url = prefixed(config, record.path)


def plan_site(grouped: dict[str, list[Record]], config: SiteConfig) -> SitePlan:
    """Build the collections, taxonomies and the full list of pages, in a deterministic order."""
    home = Link("首页", prefixed(config, "/"))
    collections: dict[str, Collection] = {}
    pages: list[Page] = []
    for settings in config.collections:
        records = grouped.get(settings.name, [])
        list_url = prefixed(config, settings.list_url) if settings.list_url else None
        collection = Collection(settings.name, settings.title, list_url, records)
        collections[settings.name] = collection
        crumbs = [home] + ([Link(settings.title, list_url)] if list_url else [])
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
                )
            )
        if settings.list_url:
            pages.extend(
                _list_pages(config, collection, settings.list_url, settings.list_template, settings.paginate)
            )
    taxonomies = _taxonomies(grouped, config)
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
            pages.append(
                Page(
                    kind="term",
                    path=term.path,
                    url=term.url,
                    title=term.name,
                    template="term.html",
                    breadcrumbs=[home, Link(taxonomy.title, taxonomy.url), Link(term.name, None)],
                    taxonomy=taxonomy,
                    term=term,
                    records=term.records,
                )
            )
    pages.append(
        Page(
            "search",
            "/search/",
            prefixed(config, "/search/"),
            "搜索",
            "search.html",
            [home, Link("搜索", None)],
        )
    )
    pages.append(Page("home", "/", home.url, config.title, "home.html", breadcrumbs=[Link("首页", None)]))
    pages.append(
        Page("404", "/404.html", prefixed(config, "/404.html"), "页面不存在", "404.html", breadcrumbs=[home])
    )
    return SitePlan(collections, taxonomies, pages)


def _list_pages(
    config: SiteConfig, collection: Collection, list_url: str, template: str, per_page: int
) -> list[Page]:
    records = collection.records
    size = per_page or max(len(records), 1)
    chunks = [records[i : i + size] for i in range(0, len(records), size)] or [[]]
    paths = [list_url if n == 1 else f"{list_url.rstrip('/')}/page/{n}/" for n in range(1, len(chunks) + 1)]
    links = tuple(Link(str(n), prefixed(config, p)) for n, p in enumerate(paths, 1))
    home = Link("首页", prefixed(config, "/"))
    pages = []
    for n, (chunk, path) in enumerate(zip(chunks, paths, strict=True), 1):
        paginator = Paginator(
            number=n,
            count=len(chunks),
            prev_url=links[n - 2].url if n > 1 else None,
            next_url=links[n].url if n < len(chunks) else None,
            pages=links,
        )
        title = collection.title if n == 1 else f"{collection.title}（第 {n} 页）"
        crumbs = (
            [home, Link(collection.title, None)] if n == 1 else [home, Link(collection.title, links[0].url)]
        )
        if n > 1:
            crumbs.append(Link(f"第 {n} 页", None))
        pages.append(
            Page(
                kind="list",
                path=path,
                url=prefixed(config, path),
                title=title,
                template=template,
                breadcrumbs=crumbs,
                collection=collection,
                records=chunk,
                paginator=paginator,
            )
        )
    return pages


def _taxonomies(grouped: dict[str, list[Record]], config: SiteConfig) -> dict[str, Taxonomy]:
    taxonomies = {
        t.name: Taxonomy(t.name, t.title, prefixed(config, t.url), t.url) for t in config.taxonomies
    }
    terms: dict[tuple[str, str], Term] = {}
    for settings in config.collections:
        for spec in settings.fields:
            if not spec.taxonomy:
                continue
            taxonomy = taxonomies[spec.taxonomy]
            for record in grouped.get(settings.name, []):
                value = record.fields.get(spec.name)
                for name in value if isinstance(value, list) else ([value] if value else []):
                    key = (taxonomy.name, name)
                    if key not in terms:
                        slug = slugify(name) or "term"
                        path = f"{taxonomy.path}{slug}/"
                        terms[key] = Term(name, slug, prefixed(config, path), path)
                        taxonomy.terms.append(terms[key])
                    if record not in terms[key].records:
                        terms[key].records.append(record)
    for taxonomy in taxonomies.values():
        taxonomy.terms.sort(key=lambda t: (-len(t.records), t.slug))
    return taxonomies


def find_collisions(pages: list[Page]) -> list[Problem]:
    """Two pages writing one file: name both sources so the editor can rename one."""
    problems = []
    owner: dict[str, Page] = {}
    for page in pages:
        key = page.output_file
        if key in owner:
            first, second = owner[key], page
            where = second.record.source if second.record else f"site.toml（{second.kind} 页面）"
            other = first.record.source if first.record else f"{first.kind} 页面"
            problems.append(
                Problem(
                    where,
                    None,
                    "slug",
                    f"网址 {page.path} 与 {other} 重复",
                    "改文件名、slug 或 site.toml 里的 url",
                )
            )
        else:
            owner[key] = page
    return problems
