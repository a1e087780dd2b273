"""The steps of a build, in the order ``pipeline.steps_in_order()`` runs them: each reads and fills a ``Build``.

A step calls the stages (plain functions of their inputs) and, around them, the reuse layer
(``yunzhan.incremental``): it looks up what the store holds and notes what it made. Nothing here is written to
the output; ``writing`` does that once every step has run without an error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from yunzhan import (
    charts,
    content,
    guide,
    images,
    media,
    pages,
    pinyinsoon,
    placards,
    publish,
    references,
    render,
    review,
    shortlinks,
    workers,
)
from yunzhan.bodies import attach_images, image_requests, render_markup
from yunzhan.config import SiteConfig, load_config
from yunzhan.errors import Problem
from yunzhan.incremental import reuse, verify
from yunzhan.incremental.fingerprints import Fingerprints, HtmlPrints, ParsePrints, digest
from yunzhan.incremental.keptorder import keep_file, keep_order, kept_order
from yunzhan.incremental.keptrows import KeptRows
from yunzhan.incremental.memos import MarkdownMemo, ParsedFiles, pack_bodies, same_markdown
from yunzhan.incremental.qrcodes import KeptQrCodes
from yunzhan.incremental.searchblocks import BlocksSoon, titles_wanted
from yunzhan.incremental.session import Session
from yunzhan.incremental.shortlinkfile import ShortLinkFile
from yunzhan.incremental.store import Store
from yunzhan.incremental.storedprints import StoredPrints, basis
from yunzhan.incremental.textpack import TextPack
from yunzhan.incremental.tracking import TrackingEnvironment
from yunzhan.model import Page, Record
from yunzhan.options import BuildOptions
from yunzhan.writing import Stage

TITLES_SOON = 200  # up to this many new titles (an edit's): their pinyin taken by the plan; more (a first
# build's) with the terms' slugs, taken before the Markdown's workers fork (``take_pinyin``)


@dataclass
class Build:
    """Everything one build knows, filled step by step: what it read, what it made, what it keeps."""

    options: BuildOptions
    site_dir: Path
    output_dir: Path
    cache_dir: Path
    store: Store
    session: Session | None
    stage: Stage | None  # None: a preview, written in place
    problems: list[Problem] = field(default_factory=list)
    files: dict[str, Path] = field(
        default_factory=dict
    )  # output path -> file to place (images, theme assets)
    generated: dict[str, bytes] = field(default_factory=dict)  # output path -> bytes made by the build
    kept: list[str] = field(default_factory=list)  # output files kept as the last build wrote them
    pages: list[tuple[Page, str | None]] = field(default_factory=list)  # rendered now; HTML None once staged
    # pages rendered now (their store entries await their files' sizes and times)
    fresh: list[str] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)  # pages of the last build that this one has no more
    kept_pages: int = 0  # how many of ``kept`` are pages
    image_stats: dict[str, int] = field(default_factory=dict)
    deferred: Callable[[], tuple[str, dict[str, bytes]]] | None = None  # preview sessions
    waiting: list[review.Waiting] = field(default_factory=list)  # records still waiting for review signatures
    made: dict[str, tuple[str, list[str]]] = field(default_factory=dict)  # step -> (key, files made of it)
    # the digests of the HTML the Markdown memo handed out (for the records' prints)
    html: HtmlPrints = field(default_factory=HtmlPrints)
    # the record files as the stamp's walk stat-ed them moments ago (path → identity): emptied by the load
    file_keys: dict[str, Any] = field(default_factory=dict)
    # filled by the steps below, in order
    config: SiteConfig = field(init=False)
    code: str = field(init=False)  # yunzhan's own code: part of every key
    memo: content.ParseMemo = field(init=False)
    parse_prints: ParsePrints = field(init=False)  # of the records in ``memo``
    loaded: content.LoadedContent = field(init=False)
    short_table: shortlinks.Table = field(init=False)
    grouped: dict[str, list[Record]] = field(init=False)
    body_images: dict[int, Any] = field(init=False)
    image_requests: list[Any] = field(init=False)  # pictures for the image stage (media taken out)
    media_result: media.MediaResult = field(init=False)
    image_result: images.ImageResult = field(init=False)
    slugs: dict[str, str] = field(init=False)  # term slugs by name
    pinyin: dict[str, str] = field(init=False)  # titles' pinyin the store lacked (for search)
    titles: list[str] = field(init=False)  # those whose pinyin the store lacks (``titles_wanted``)
    # the function that gives their pinyin (after ``soon_terms``' slugs), made meanwhile (``load_records``)
    titles_soon: Callable[[], list[str]] | None = field(init=False, default=None)
    soon_terms: list[str] = field(default_factory=list)  # a first build's term names, slugged with its titles
    early_slugs: dict[str, str] | None = None  # their slugs once taken (``take_pinyin``): ``pinyin`` is made
    qr_codes: KeptQrCodes = field(init=False)  # placard QR codes by request, drawn by ``render_pages``
    plan: pages.SitePlan = field(init=False)
    asset_urls: dict[str, str] = field(init=False)
    env: Any = field(init=False)
    site: render.SiteView = field(init=False)
    site_print: str = field(init=False)
    prints: Fingerprints = field(init=False)
    todo: list[tuple[Page, str]] = field(init=False)  # pages to render, with their fingerprints
    changed: set[str] = field(init=False)  # ``reuse.changed_owners``: what changed since the last build
    rendered_before: bool = field(init=False)  # the store notes pages of a last build
    stored: StoredPrints | None = None  # the last build's prints, for a build from the command line
    search_soon: BlocksSoon | None = None  # a cold build's first search blocks, begun once pages are rendered
    print_basis: KeptRows | None = None  # their rows, read once for ``keptorder`` and ``StoredPrints``

    @property
    def records(self) -> list[Record]:
        return self.loaded.records

    @property
    def page_count(self) -> int:
        """Pages of the site, rendered now or kept (``kept`` also holds the sitemap, search shards, ...)."""
        return len(self.pages) + self.kept_pages


def read_config(b: Build) -> None:
    b.config = load_config(b.site_dir, b.options.base_url)
    if b.session is None:
        b.code = reuse.code_digest()
    else:  # a long-lived process: reading every module again at each save would change nothing it runs
        b.code = b.session.code = b.session.code or reuse.code_digest()


def load_records(b: Build) -> None:
    """Every record file, parsed again only when it changed (the parse memo: the session's, or the store's)."""
    if b.session is None:
        b.memo = files = ParsedFiles(b.store, b.config.collections)
        b.parse_prints = files.prints
    else:
        b.memo, b.parse_prints = b.session.parsed, b.session.parse_prints
    listing = b.session.listings if b.session is not None else None
    b.loaded = content.load_content(
        b.site_dir, b.config, drafts=b.options.drafts, memo=b.memo, listing=listing, known=b.file_keys
    )
    b.file_keys.clear()
    if b.session is None:
        files.settle()
    b.problems += b.loaded.problems
    if b.session is not None:
        b.parse_prints.keep_only(known[1] for known in b.memo.values() if known[1] is not None)
    b.titles = titles_wanted(b.store, b.records)
    if len(b.titles) > TITLES_SOON:  # a first build's: the terms named too (see pinyinsoon.py)
        b.soon_terms = sorted(pinyinsoon.term_names(b.records, b.config) - _known_slugs(b).keys())
    b.titles_soon = pinyinsoon.soon(b.soon_terms, b.titles)  # while the build goes on (pypinyin loads ~0.3 s)


def take_pinyin(b: Build) -> None:
    """A first build's titles' pinyin and terms' slugs from ``load_records``' child, before the Markdown's workers
    fork: the plan waits for nothing (a cold 10,000-record build's waited ~0.8 s, one core idle)."""
    if b.titles_soon is None or len(b.titles) <= TITLES_SOON:
        return
    made, b.titles_soon = b.titles_soon(), None
    split = len(b.soon_terms)
    b.early_slugs = dict(zip(b.soon_terms, made[:split], strict=True))
    b.pinyin = dict(zip(b.titles, made[split:], strict=True))


def check_records(b: Build) -> None:
    """The content rules, before references turn field values into records; remembered for unchanged files."""
    key = digest(b.config, b.code, b.options.drafts)  # drafts: whether a draft's file is a record
    kept = reuse.findings(b.store, b.session.findings if b.session is not None else None)
    if b.session is not None:  # kept as read while its store is open: a save reads none back
        b.session.findings = kept
    check = b.options.verify_reuse
    b.problems += reuse.record_rules(b.loaded, b.config, b.site_dir, b.memo, kept, key, check=check)


def withhold_unreviewed(b: Build) -> None:
    """Records not yet signed by every ``[review]`` stage wait (a preview keeps them, with a banner)."""
    b.loaded.records, b.waiting, problems = review.withhold(
        b.records, b.config.review, keep=b.options.preview
    )
    b.problems += problems


def resolve_references(b: Build) -> None:
    """Refs resolved; each collection's order and each record's short link for life (content/shortlinks.yaml,
    printed in QR codes): the last build's while only edited records' bodies changed (``keptorder``)."""
    b.problems += references.resolve_references(b.records, b.config)
    file = ShortLinkFile(b.store, b.site_dir, b.code)  # read and written through the store: 10,000 entries
    table = file.load()
    keeps = shortlinks.keeps(b.site_dir, b.output_dir, b.options.preview)
    key = digest(b.code, b.config, b.options.drafts, keeps)
    kept = None
    fresh = _fresh(b) if isinstance(b.memo, ParsedFiles) else None  # a build from the command line
    if fresh is not None and not table.problems:
        b.print_basis = basis(b.store)
        kept = kept_order(b.store, key, b.records, fresh, file.key, b.print_basis)
    if kept is not None:
        b.grouped = kept.grouped
        references.link_in_order(b.grouped, b.records, b.config)
    else:
        b.grouped = references.order_records(b.records, b.config)
    pages.assign_urls(b.records, b.config)
    if kept is not None:
        made = shortlinks.assign_again(table, b.records, kept.shorts, kept.edited, _body_digests(b))
    else:
        made = shortlinks.assign(table, b.records, _body_digests(b))
    b.short_table, changed = made
    if kept is not None and b.options.verify_reuse:
        _verify_order(b)
    b.problems += b.short_table.problems
    if changed and keeps:
        file.save(b.short_table)
    if isinstance(b.memo, ParsedFiles):
        left = "" if changed and not keeps else file.key  # a table not written: the next build makes it again
        if kept is None:
            keep_order(b.store, key, b.records, b.grouped, left)
        else:
            keep_file(b.store, left)


def _verify_order(b: Build) -> None:
    """``verify_reuse``: the order and short links ``keptorder`` gave are those made the full way (which links
    and sets them again: to the same, or the build fails)."""
    grouped = {name: [r.source for r in items] for name, items in b.grouped.items()}
    shorts = [r.short for r in b.records]
    made = references.order_records(b.records, b.config)
    verify.same("collections' order", grouped, {n: [r.source for r in items] for n, items in made.items()})
    # the file as this build read it (not saved yet), through a reader of its own
    loaded = ShortLinkFile(b.store, b.site_dir, b.code).load()
    table, _ = shortlinks.assign(loaded, b.records, _body_digests(b))
    verify.same("short links", shorts, [r.short for r in b.records])
    verify.same("short-link entries", b.short_table.entries, table.entries)


def _fresh(b: Build) -> list[tuple[Record, Record]] | None:
    """Each record whose file this build parsed (not taken from the store), with its parse; None when a
    record was not parsed from a file through the memo."""
    assert isinstance(b.memo, ParsedFiles)
    originals, loaded = b.loaded.originals, b.memo.loaded
    if not all(r.source in originals for r in b.records):
        return None
    fresh = {parsed.source for parsed in (loaded[path][1] for path in b.memo.fresh) if parsed is not None}
    return [(r, originals[r.source]) for r in b.records if r.source in fresh]


def convert_markdown(b: Build) -> None:
    """Bodies and text fields → HTML; a conversion is reused while its text and record links are as they were."""
    take_pinyin(b)
    links = digest(sorted((r.source, r.url) for r in b.records))  # what record links resolve to
    memory = b.session.conversions if b.session is not None else None
    as_before = links == b.store.get("meta", "links")
    kept_keys = b.session.markdown_keys if b.session is not None else None
    memo = MarkdownMemo(b.store, as_before, memory, origins(b), kept_keys, b.html)
    b.body_images = render_markup(b.records, b.config, b.site_dir, b.problems, memo)
    memo.finish()
    if b.store.get("meta", "links") != links:
        b.store.put("meta", "links", links)


def process_media(b: Build) -> None:
    """Videos and audio guides (checked, remuxed, stripped; their posters go to the image stage), guide numbers."""
    b.image_requests, clips = media.split_requests(image_requests(b.records, b.body_images, b.config))
    made = b.media_result = media.process_media(
        clips,
        b.config,
        site_dir=b.site_dir,
        cache_dir=b.cache_dir,
        url_prefix=b.config.base_path,
        progress=b.options.progress,
    )
    b.problems += made.problems + guide.number_problems(b.records, b.config)
    b.files |= made.files


def process_images(b: Build) -> None:
    b.image_result = images.process_images(
        b.image_requests,
        b.config.images,
        site_dir=b.site_dir,
        cache_dir=b.cache_dir,
        url_prefix=b.config.base_path,
        progress=b.options.progress,
    )
    b.problems += b.image_result.problems
    b.files |= b.image_result.files
    b.image_stats = {**b.image_result.stats, **{f"media_{k}": v for k, v in b.media_result.stats.items()}}


def plan_pages(b: Build) -> None:
    """Every page of the site; the theme's environment; images put in place of their requests."""
    # Term slugs: a few hundred names at most, kept in the store, so a warm build need not import pypinyin; new
    # ones made in a forked child (pypinyin's tables are 55 MB), a first build's beside the rules (``take_pinyin``)
    known = _known_slugs(b)
    have = known | (b.early_slugs or {})
    values = pages.term_values(b.grouped, b.config)
    missing = sorted(pages.term_names(values) - have.keys())
    slugs = workers.apart(pinyinsoon.slug_or_pinyin, (missing, []), len(missing), chunk=256)
    b.plan = pages.plan_site(b.grouped, b.config, have | dict(zip(missing, slugs, strict=True)), values)
    b.slugs = {term.name: term.slug for t in b.plan.taxonomies.values() for term in t.terms}
    if b.slugs != known:
        b.store.put("meta", "term_slugs", (b.code, b.slugs))
    if b.config.publish.placards in b.plan.collections:
        b.plan.pages += placards.placard_pages(b.plan.collections, b.config, b.config.publish.placards)
    b.plan.pages += guide.guide_pages(b.plan.collections, b.config)  # /guide/ when exhibits have numbers
    b.problems += pages.find_collisions(b.plan.pages)
    assets, b.asset_urls = publish.fingerprint_assets(render.theme_assets(b.site_dir, b.config))
    b.generated |= assets
    cache_dir = b.cache_dir if b.options.use_cache else None
    b.env = render.make_environment(b.site_dir, b.config, b.asset_urls, cache_dir, TrackingEnvironment)
    b.qr_codes = KeptQrCodes(b.store, b.code)
    placard_globals = placards.template_globals(b.config, codes=b.qr_codes)  # drawn by ``render_pages``
    placard_globals["placard"] = b.env.tracked(placard_globals["placard"], placards.inputs)
    b.env.globals.update(placard_globals)
    b.env.globals.update(charts.template_globals(), qr_svg=placards.placard_qr_svg)
    media.attach_media(
        b.records, b.media_result, b.body_images, b.env.get_template("_macros.html").module.video
    )
    attach_images(
        b.records, {**b.image_result.images, **b.media_result.images}, b.body_images, b.env, b.config
    )
    if b.titles_soon is not None:  # an edit's few titles (a first build's were taken by ``take_pinyin``)
        b.pinyin = dict(zip(b.titles, b.titles_soon(), strict=True))


def _known_slugs(b: Build) -> dict[str, str]:
    """The term slugs the store keeps (slugify: our code's)."""
    found = b.store.get("meta", "term_slugs")
    return found[1] if isinstance(found, tuple) and found[0] == b.code else {}


def draw_share_images(b: Build) -> None:
    """Link-preview cards and WeChat posters; each page learns its card (og:image) and poster."""
    config = b.config
    if not config.publish.share_cards or b.options.preview:
        return
    from yunzhan import cards  # Pillow's drawing, fonts and QR codes: ~70 ms a build that draws none

    font = None
    if config.publish.card_font:
        found = cards.font_from_setting(b.site_dir, config.publish.card_font)
        if isinstance(found, Problem):
            b.problems.append(found)
            return
        font = found
    made = cards.make_share_images(
        b.records, config, b.files, b.cache_dir / "cards", posters=config.publish.share_posters, font=font
    )
    b.files.update(made.files)
    for page in b.plan.pages:
        if page.kind not in ("404", "placards"):
            page.share = made.shares.get(page.path, made.default)
    b.problems += made.problems


def pack_texts(b: Build, wanted_qr: list[tuple[str, str]]) -> None:
    """Before rendering pages in forked processes: the texts they may read that this build made (bodies' HTML,
    placard QR codes, the Markdown, which a build from the command line reads no more once converted) compressed
    into one buffer of this process; what an earlier build committed they read themselves (``Store.committed``,
    see ``incremental.textpack``)."""
    if workers.workers_for(len(b.todo)) < 2:
        return  # rendered here: read from the store when shown
    pack = TextPack()
    try:
        pack_bodies(b.records, pack)
        b.qr_codes.pack(wanted_qr, pack)
        if isinstance(b.memo, ParsedFiles):
            b.memo.let_go_of_bodies(b.records, pack)
    finally:
        pack.close()  # compressed partly in a thread: gone before the renderers fork


def origins(b: Build) -> Callable[[Record], tuple[str, Record] | None]:
    """Each record's parsed original (the memo's, which the build copied) and its ``parsed_print``."""
    originals, prints = b.loaded.originals, b.parse_prints

    def origin(record: Record) -> tuple[str, Record] | None:
        parsed = originals.get(record.source)
        return (prints.get(parsed), parsed) if parsed is not None else None

    return origin


def _body_digests(b: Build) -> Callable[[Record], str]:
    """Each record's ``shortlinks.body_digest``, made once per parse of its file and kept beside its print."""
    originals, prints = b.loaded.originals, b.parse_prints

    def body(record: Record) -> str:
        parsed = originals.get(record.source)
        if parsed is not None and same_markdown(record, parsed):
            return prints.body(parsed, shortlinks.body_digest)
        return shortlinks.body_digest(record)

    return body
