"""``build()``: the stages in order, each timed. Everything is gathered and checked first; only a build with no
errors is written, and then atomically (see output.py), so a bad entry never touches the published site.
"""

from __future__ import annotations

import dataclasses
import gc
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markupsafe import Markup

from yunzhan import (
    cards,
    charts,
    checks,
    content,
    fields,
    images,
    markup,
    pages,
    placards,
    publish,
    references,
    render,
    review,
    search,
    shortlinks,
    stamp,
    texts,
    workers,
)
from yunzhan.cache import (
    WHOLE,
    CacheData,
    DepKey,
    Fingerprints,
    PageEntry,
    build_cache_path,
    digest,
    files_digest,
    load_cache,
    page_fingerprint,
    save_cache,
)
from yunzhan.config import SiteConfig, load_config
from yunzhan.errors import ConfigError, Problem, YunzhanError, sort_problems
from yunzhan.ignored import is_ignored_name
from yunzhan.model import GalleryItem, Image, ImageRequest, Page, Record
from yunzhan.output import InPlaceOutput, StagedOutput, WriteStats, same_file
from yunzhan.slugs import slugify

CACHE_DIR_NAME = stamp.CACHE_DIR_NAME
MEDIA_PREFIX = "media/"  # image derivatives: cache files written by rename, safe to hard-link
BODY_IMAGE_SIZES = "(min-width: 48rem) 44rem, 100vw"


@dataclass(frozen=True)
class BuildOptions:
    site_dir: Path
    output_dir: Path | None = None  # default: <site>/output
    base_url: str | None = None  # overrides site.toml
    drafts: bool = False
    strict: bool = False  # warnings fail the build
    progress: bool = False
    cache_dir: Path | None = None  # default: <site>/.yunzhan-cache
    use_cache: bool = True  # False: redo everything (the output must be the same)
    compress: bool = False  # also write .gz and .br beside text files, for servers that serve them
    preview: bool = False  # for `serve`: no share images, files updated in place (not atomic as a whole)


@dataclass
class Session:
    """What a long-lived process (``serve``) keeps between the builds of one site into one folder, so that a
    save redoes only what it changed: parsed record files, the build cache (in memory; ``close`` saves it) and
    the list of files in the output."""

    parsed: content.ParseMemo = field(default_factory=dict)
    store: CacheData | None = None
    cache_path: Path | None = None
    output_files: set[str] | None = None
    unsaved: bool = False

    def forget(self, paths: Iterable[Path], content_dir: Path | None = None) -> None:
        """Files changed on disk: drop their parsed records — all of them when another file under
        ``content_dir`` (an image, a folder) changed, as records resolve the paths they name. Changes elsewhere
        (templates, styles) leave the records as they are."""
        for path in paths:
            if path in self.parsed:
                del self.parsed[path]
            elif content_dir is None or path.is_relative_to(content_dir):
                self.parsed.clear()
                return

    def close(self) -> None:
        if self.unsaved and self.store is not None and self.cache_path is not None:
            save_cache(self.cache_path, self.store)
            self.unsaved = False


@dataclass
class BuildResult:
    output_dir: Path
    pages: int
    problems: list[Problem]  # warnings only; errors raise
    timings: dict[str, float] = field(default_factory=dict)
    written: int = 0
    unchanged: int = 0
    removed: int = 0
    image_stats: dict[str, int] = field(default_factory=dict)
    finish: Callable[[], None] | None = None  # deferred site-wide files: run it once the pages are seen


@dataclass
class Gathered:
    """Everything a build knows before it writes: the pages as HTML plus the files to place beside them."""

    config: SiteConfig
    pages: list[tuple[Page, str | None]]  # pages rendered in this build, HTML None once staged
    kept: list[str]  # output files kept as the last build wrote them: pages, then site-wide files and twins
    files: dict[str, Path]  # output-relative path -> file to place (image derivatives, theme assets)
    generated: dict[str, bytes]  # output-relative path -> bytes made by the build (the search index)
    problems: list[Problem]
    image_stats: dict[str, int]
    store: CacheData
    cache_path: Path
    fresh: dict[str, PageEntry]  # cache entries of the pages rendered now, completed once written
    cache_dirty: bool = False  # the Markdown or site-wide part of the cache changed: it must be saved
    deferred: Callable[[], tuple[str, dict[str, bytes], publish.RowSpans]] | None = None  # preview sessions
    site_made: tuple[str, list[str], publish.RowSpans] | None = (
        None  # site-wide files made now (key, paths, where the open data rows are): note them once written
    )
    record_prints: dict[tuple[str, str], str] = field(default_factory=dict)
    other_prints: dict[Any, str] = field(default_factory=dict)
    kept_pages: int = 0  # how many of ``kept`` are pages

    @property
    def page_count(self) -> int:
        """Pages of the site, rendered now or kept (``kept`` also holds the sitemap, search shards, ...)."""
        return len(self.pages) + self.kept_pages


class _Timer:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - start


@contextmanager
def _without_gc() -> Iterator[None]:
    """Python's cycle collector walks every live object each time it runs in full: with 10,000 records and
    their pages in memory that is tens of milliseconds, many times a build. A build frees its cycles when done."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def build(
    options: BuildOptions, session: Session | None = None, checked: stamp.Check | None = None
) -> BuildResult:
    """``checked``: the stamp check the caller already made for these options (the command line does)."""
    with _without_gc():
        return _build(options, session, checked)


def _build(options: BuildOptions, session: Session | None, checked: stamp.Check | None) -> BuildResult:
    """Build the site; raise YunzhanError (with every problem) and leave the output untouched on errors.

    With a preview ``session``, the site-wide files (search index, sitemap, feed, open data) are left as they
    were and ``BuildResult.finish`` brings them up to date: the edited page is ready first."""
    timer = _Timer()
    site_dir = options.site_dir.absolute()
    output_dir = (options.output_dir or site_dir / "output").absolute()
    _check_output_dir(output_dir, site_dir)
    stamped = options.use_cache and session is None and not options.preview
    if stamped:
        with timer.step("stamp"):
            if checked is None:
                settings = stamp.settings(options.base_url, options.drafts, options.strict, options.compress)
                checked = stamp.check(site_dir, output_dir, options.cache_dir, settings)
            if checked.last is not None:
                last = checked.last
                return BuildResult(
                    output_dir, last.pages, last.warnings(), timer.timings, unchanged=last.files
                )
    stage = None if options.preview else _Stage(output_dir, options.compress)
    try:
        gathered = gather(options, timer, session, stage)
        errors = [p for p in gathered.problems if p.is_error or options.strict]
        if errors:
            raise YunzhanError(gathered.problems)
        with timer.step("write"):
            stats = _write(gathered, output_dir, stage, session)
    except BaseException:
        if stage is not None:
            stage.abort()
        raise
    with timer.step("write"):
        if options.use_cache:
            _remember(gathered, output_dir, session)
        if stamped:
            written, files = stamp.output_signature(output_dir)
            warnings = [p.as_dict() for p in sort_problems(gathered.problems)]
            pages = gathered.page_count
            inputs = stamp.signed_after(checked, site_dir)  # with the short-link codes this build added
            stamp.save_stamp(checked.path, stamp.Stamp(inputs, written, pages, files, warnings))
    finish = None
    deferred = gathered.deferred
    if deferred is not None:

        def finish() -> None:
            store = gathered.store
            before = set(store.site_files[1]) if store.site_files else set()
            out = InPlaceOutput(output_dir)
            key, made, spans = deferred()
            for rel, data in sorted(made.items()):
                out.write_bytes(rel, data)
            for rel in sorted(before - made.keys()):
                out.remove(rel)
            store.site_files, store.rows = (key, _file_stats(output_dir, made)), spans
            if session is not None:
                session.unsaved = True
                if session.output_files is not None:
                    session.output_files = (session.output_files - before) | made.keys()

    return BuildResult(
        output_dir=output_dir,
        pages=gathered.page_count,
        problems=sort_problems(gathered.problems),
        timings=timer.timings,
        written=stats.written,
        unchanged=stats.unchanged,
        removed=stats.removed,
        image_stats=gathered.image_stats,
        finish=finish,
    )


class _Stage:
    """The staging folder of a build that is swapped in whole (see output.py), made when the first page is
    rendered: pages go to disk as they render instead of piling up in memory (hundreds of MB at 10,000)."""

    def __init__(self, output_dir: Path, compress: bool) -> None:
        self.output_dir, self.compress = output_dir, compress
        self.staged: StagedOutput | None = None

    def get(self) -> StagedOutput:
        if self.staged is None:
            self.staged = StagedOutput(self.output_dir)
        return self.staged

    def page(self, rel: str, html: str) -> None:
        data = html.encode("utf-8")
        staged = self.get()
        if rel in staged.stats.files:
            return  # two pages at one URL: a problem already stops this build (pages.find_collisions)
        staged.write_bytes(rel, data)
        if self.compress:
            for twin, blob in publish.compress({rel: data}, previous=self.output_dir).items():
                staged.write_bytes(twin, blob)

    def abort(self) -> None:
        if self.staged is not None:
            self.staged.abort()


def _write(
    gathered: Gathered, output_dir: Path, stage: _Stage | None, session: Session | None = None
) -> WriteStats:
    """Complete the staged build (pages may be staged already) and swap it in; when nothing at all changed,
    leave the output alone. No ``stage``: a preview, updated in place."""
    if stage is not None and not gathered.pages and _unchanged(gathered, output_dir):
        return WriteStats(unchanged=len(gathered.kept) + len(gathered.files))
    staged: StagedOutput | InPlaceOutput
    if stage is None:
        staged = InPlaceOutput(output_dir, session.output_files if session else None)
    else:
        staged = stage.get()
    try:
        for page, html in gathered.pages:
            if html is not None:
                staged.write_text(page.output_file, html)
        for rel in gathered.kept:
            staged.keep(rel)
        for rel, source in sorted(gathered.files.items()):
            staged.copy_file(rel, source, link=rel.startswith(MEDIA_PREFIX))
        for rel, data in sorted(gathered.generated.items()):
            staged.write_bytes(rel, data)
        stats = staged.commit(background=True) if isinstance(staged, StagedOutput) else staged.commit()
        if session is not None:
            session.output_files = set(stats.files)
        return stats
    except BaseException:
        staged.abort()
        raise


def _unchanged(gathered: Gathered, output_dir: Path) -> bool:
    """True when the output already holds exactly this build: same files, same bytes."""
    if not output_dir.is_dir():
        return False
    wanted = set(gathered.kept) | set(gathered.files) | set(gathered.generated)
    present = {p.relative_to(output_dir).as_posix() for p in output_dir.rglob("*") if not p.is_dir()}
    if wanted != present:
        return False
    if any((output_dir / rel).read_bytes() != data for rel, data in gathered.generated.items()):
        return False
    return all(same_file(output_dir / rel, source) for rel, source in gathered.files.items())


def _remember(gathered: Gathered, output_dir: Path, session: Session | None = None) -> None:
    """Save the cache with each freshly written page's file identity, so a later build can trust it (a session
    keeps it in memory and saves it when closed)."""
    store = gathered.store
    kept = set(gathered.kept)
    pages = {rel: entry for rel, entry in store.pages.items() if rel in kept}
    if session is not None:
        session.store, session.cache_path = store, gathered.cache_path
    if not gathered.fresh and not gathered.cache_dirty and len(pages) == len(store.pages):
        return  # nothing new to remember: saving a large cache again would only cost time
    store.pages = pages
    store.records, store.others = gathered.record_prints, gathered.other_prints
    if gathered.site_made is not None:
        key, made, spans = gathered.site_made
        # The rows' places go with the files' sizes and times: they are read back from those very files.
        store.site_files, store.rows = (key, _file_stats(output_dir, made)), spans
    for rel, entry in gathered.fresh.items():
        written = _as_written(output_dir / rel)
        if written is not None:
            entry.size, entry.mtime_ns = written
            store.pages[rel] = entry
    if session is not None:
        session.unsaved = True
    else:
        save_cache(gathered.cache_path, store, detach=True)


def gather(
    options: BuildOptions,
    timer: _Timer | None = None,
    session: Session | None = None,
    stage: _Stage | None = None,
) -> Gathered:
    """Load, check, process images and render everything; nothing is written to the output. Rendered pages go
    to ``stage`` as they come when given, and are kept in memory otherwise."""
    timer = timer or _Timer()
    site_dir = options.site_dir.absolute()
    with timer.step("config"):
        config = load_config(site_dir, options.base_url)
    cache_dir = options.cache_dir or site_dir / CACHE_DIR_NAME
    output_dir = (options.output_dir or site_dir / "output").absolute()
    cache_path = build_cache_path(cache_dir, output_dir)
    with timer.step("load"):
        if not options.use_cache:
            store = CacheData()
        elif session is not None and session.store is not None and session.cache_path == cache_path:
            store = session.store
        else:
            store = load_cache(cache_path)
        memo = session.parsed if session is not None else store.parsed
        loaded = content.load_content(site_dir, config, drafts=options.drafts, memo=memo)
    code = _code_digest()
    with timer.step("rules"):  # before references turn field values into records
        rules_key = digest(config, code, options.drafts)  # drafts: whether a draft's file is a record
        ruled, rules_redone = _record_rules(loaded, config, site_dir, memo, store, rules_key)
        problems = [*loaded.problems, *ruled]
    records = loaded.records
    # review.py: records not yet signed by every [review] stage wait (the preview keeps them, with a banner)
    records, waiting, review_problems = review.withhold(records, config.review, keep=options.preview)
    problems += review_problems
    with timer.step("references"):
        problems += references.resolve_references(records, config)
        grouped = references.order_records(records, config)
        pages.assign_urls(records, config)
        # shortlinks.py: each record's code for life (content/shortlinks.yaml), printed in QR codes
        short_table, short_changed = shortlinks.assign(shortlinks.load(site_dir), records)
        problems += short_table.problems
        if short_changed and shortlinks.keeps(site_dir, output_dir, options.preview):
            shortlinks.save(site_dir, short_table)
    with timer.step("markdown"):
        used: dict[str, Any] = {}
        links = digest(sorted((r.source, r.url) for r in records))  # what record links resolve to
        markdown_cache = _MarkdownCache(store.markdown, used, links_as_before=links == store.links)
        body_images = _render_markup(records, config, site_dir, problems, markdown_cache)
        cache_dirty = used.keys() != store.markdown.keys() or loaded.memo_changed or links != store.links
        store.markdown, store.links = used, links
    with timer.step("images"):
        requests = _image_requests(records, body_images)
        result = images.process_images(
            requests,
            config.images,
            site_dir=site_dir,
            cache_dir=cache_dir,
            url_prefix=config.base_path,
            progress=options.progress,
        )
        problems += result.problems
    with timer.step("plan"):
        # Term slugs: a few hundred names at most, kept as they come (the search index's filters slug some
        # too, maybe in ``finish``), so a warm build need not import pypinyin.
        known_slugs = len(store.slugs)
        slug = _remembered(slugify, store.slugs, store.slugs)
        plan = pages.plan_site(grouped, config, slug)
        if config.publish.placards in plan.collections:
            plan.pages += placards.placard_pages(plan.collections, config, config.publish.placards)
        problems += pages.find_collisions(plan.pages)
        assets, asset_urls = publish.fingerprint_assets(_theme_assets(site_dir, config))
        env = render.make_environment(site_dir, config, asset_urls, cache_dir if options.use_cache else None)
        qr_codes: dict[str, Any] = {}
        remembered_qr = _remembered(placards.placard_qr_svg, store.qr, qr_codes)
        env.globals.update(placards.template_globals(config, touch=env.touch, qr=remembered_qr))
        env.globals.update(charts.template_globals(), qr_svg=placards.placard_qr_svg)
        _attach_images(records, result.images, body_images, env)
    files = dict(result.files)
    if config.publish.share_cards and not options.preview:
        with timer.step("share images"):
            problems += _share_images(plan, records, config, site_dir, cache_dir, files)
    with timer.step("check"):  # which pages must be rendered again
        build_options = {"drafts": options.drafts}
        site = render.site_view(
            config,
            loaded.data,
            plan.collections,
            plan.taxonomies,
            build_options,
            filings=tuple(publish.filing_links(config.publish.icp, config.publish.police_filing)),
            open_data=tuple(publish.open_data_links(config)) if config.publish.open_data else (),
            feed_url=config.url_for(publish.FEED) if config.publish.feed else None,
        )
        site_print = _site_fingerprint(site_dir, config, options, asset_urls, loaded.sources, code)
        prints = Fingerprints(records, plan.collections, plan.taxonomies)
        record_prints = prints.records()
        # Every cached entry was right as of the build that saved ``store.records``: only records changed
        # since then need their attributes compared.
        changed = {key for key, value in record_prints.items() if store.records.get(key) != value}
        other_prints = prints.others()
        changed_others = {k for k, v in other_prints.items() if store.others.get(k) != v} | (
            store.others.keys() - other_prints.keys()
        )
        rendered: list[tuple[Page, str | None]] = []
        kept: list[str] = []
        fresh: dict[str, PageEntry] = {}
        todo: list[tuple[Page, str]] = []
        for page in plan.pages:
            fingerprint = page_fingerprint(page, site_print)
            entry = store.pages.get(page.output_file)
            if entry is not None and _still_valid(
                entry, fingerprint, prints, changed, changed_others, output_dir / page.output_file
            ):
                kept.append(page.output_file)
            else:
                todo.append((page, fingerprint))
    with timer.step("render"):
        # Placard QR codes are slow to draw: draw the missing ones together (in forked processes when many).
        wanted = {digest(*args): args for args in placards.qr_requests([p for p, _ in todo], config)}
        missing = [args for key, args in wanted.items() if key not in store.qr]
        for args, svg in zip(missing, workers.fork_map(_draw_qr, missing, len(missing)), strict=True):
            qr_codes[digest(*args)] = svg
        by_page = {id(page): fingerprint for page, fingerprint in todo}
        shared: dict[Any, Any] = {}
        for page, html, problem, touched in render.render_pages(env, [p for p, _ in todo], site, site_dir):
            if problem is not None:
                problems.append(problem)
            elif html is not None:
                if stage is not None:
                    stage.page(page.output_file, html)
                rendered.append((page, None if stage is not None else html))
                deps = [(key, v) for key in touched if (v := prints.get(key)) is not None]
                fresh[page.output_file] = PageEntry.of(by_page[id(page)], deps, shared)
    if qr_codes.keys() - store.qr.keys():
        cache_dirty = True
        # Kept pages drew none: keep the old codes too, unless they pile up (URLs that no longer exist).
        store.qr = {**store.qr, **qr_codes} if len(store.qr) <= 2 * len(records) else qr_codes
    kept_pages = len(kept)
    deferred = None
    site_made: tuple[str, list[str], publish.RowSpans] | None = None
    with timer.step("publish"):
        # Site-wide files depend on every record: while no fingerprint at all has changed, the ones in the
        # output (as the last build left them) stay.
        key = digest(site_print, prints.everything(), [p.path for p in plan.pages])
        previous = store.site_files
        left = _left_as_written(output_dir, store)
        site_files: dict[str, bytes] = {}
        if previous is not None and previous[0] == key and all(map(left, previous[1])):
            kept += sorted(previous[1])
        elif previous is not None and session is not None and options.preview:
            kept += sorted(previous[1])  # served as they were until ``finish`` replaces them

            def deferred() -> tuple[str, dict[str, bytes], publish.RowSpans]:
                return key, *_site_files(
                    config, grouped, plan.pages, store, prints, code, output_dir, None, slug
                )

        else:
            streamed = stage if not options.compress else None  # compressing needs the bytes
            site_files, spans = _site_files(
                config, grouped, plan.pages, store, prints, code, output_dir, streamed, slug
            )
            site_made = (key, sorted(site_files), spans)
            cache_dirty = True
            if streamed is not None:
                site_files = {}
        generated = {**assets, **site_files}
        # shortlinks.py: /s/<code>/ and renamed records' old URLs, as redirect pages
        generated |= shortlinks.redirect_pages(
            short_table, records, config, {p.output_file for p in plan.pages}
        )
        if options.preview and waiting:  # review.py: which preview pages get the banner
            generated |= review.preview_index(waiting)
    cache_dirty |= len(store.slugs) != known_slugs or rules_redone
    if options.compress and not options.preview:
        with timer.step("compress"):
            pending = {page.output_file: html.encode("utf-8") for page, html in rendered if html is not None}
            texts = pending | generated
            generated |= publish.compress(texts, previous=output_dir)
            kept += [
                twin for rel in kept for twin in (rel + ".gz", rel + ".br") if (output_dir / twin).is_file()
            ]
    return Gathered(
        config,
        rendered,
        kept,
        files,
        generated,
        problems,
        dict(result.stats),
        store,
        cache_path,
        fresh,
        cache_dirty,
        deferred,
        site_made,
        record_prints,
        other_prints,
        kept_pages,
    )


def _as_written(path: Path) -> tuple[int, int] | None:
    """Size and modification time of an output file: a later build trusts a file (a page, a site-wide file)
    that still has those it had when written, with no copy of its bytes in the cache."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns


def _file_stats(output_dir: Path, rels: Iterable[str]) -> dict[str, tuple[int, int]]:
    return {rel: written for rel in rels if (written := _as_written(output_dir / rel)) is not None}


def _site_files(
    config: SiteConfig,
    grouped: dict[str, list[Record]],
    all_pages: list[Page],
    store: CacheData,
    prints: Fingerprints,
    code: str,
    output_dir: Path,
    stage: _Stage | None = None,
    slug: Callable[[str], str] = slugify,
) -> tuple[dict[str, bytes], publish.RowSpans]:
    """The search index (its blocks kept in ``store`` for the next build), sitemap, robots.txt, feed and open
    data, and where the open data rows are in their files. With ``stage``, each group of files is staged as soon
    as it is made (at 10,000 records they come to over 100 MB) and only their names are returned, with empty
    bytes. Open data rows of records unchanged since the last build are taken from the files it wrote."""
    ordered = [r for c in config.collections for r in grouped[c.name]]
    if store.search is None:
        store.search = search.SearchMemo()
    settings = digest(config, code)

    def row_key(record: Record) -> str:
        return digest(settings, prints.get(("record", record.collection, record.slug, WHOLE)))

    def search_key(record: Record) -> bytes:  # its text reads the titles of the records it refers to
        refs = [v.title for value in record.fields.values() for v in _listed(value) if isinstance(v, Record)]
        return bytes.fromhex(digest(row_key(record), refs))

    left = _left_as_written(output_dir, store)
    rows = publish.RowMemo(row_key, _previous_rows(output_dir, store, left))
    makers: list[Callable[[], Mapping[str, bytes | None]]] = [
        lambda: search.build_index(ordered, config, store.search, search_key, left, slug),
        lambda: publish.sitemap(all_pages, config),
        lambda: publish.robots(config),
    ]
    if config.publish.feed:
        makers.append(lambda: publish.atom_feed(ordered, config))
    if config.publish.open_data:
        makers.append(lambda: publish.open_data(grouped, config, rows))
    files: dict[str, bytes] = {}
    for make in makers:
        made = make()  # None: the file in the output is still right (``left`` said it is as written)
        if stage is not None:
            for rel, data in made.items():
                if data is None:
                    stage.get().keep(rel)
                else:
                    stage.get().write_bytes(rel, data)
            files |= dict.fromkeys(made, b"")
        else:
            files |= {
                rel: (output_dir / rel).read_bytes() if data is None else data for rel, data in made.items()
            }
    return files, rows.spans


def _left_as_written(output_dir: Path, store: CacheData) -> Callable[[str], bool]:
    """Whether a site-wide file of the last build is in the output as it was written (its size and time)."""
    stats = store.site_files[1] if store.site_files is not None else {}

    def left(rel: str) -> bool:
        return rel in stats and _as_written(output_dir / rel) == stats[rel]

    return left


def _previous_rows(
    output_dir: Path, store: CacheData, left: Callable[[str], bool]
) -> dict[str, tuple[publish.Buffer, publish.Buffer]]:
    """The open data rows of the last build, read from its files while they are as it left them."""
    files: dict[str, bytes] = {}
    for rel in store.rows:
        try:
            if left(rel):
                files[rel] = (output_dir / rel).read_bytes()
        except OSError:
            pass
    return publish.rows_from_files(files, store.rows)


def _listed(value: object) -> list[object]:
    return value if isinstance(value, list) else [value]


def _share_images(
    plan: pages.SitePlan,
    records: list[Record],
    config: SiteConfig,
    site_dir: Path,
    cache_dir: Path,
    files: dict[str, Path],
) -> list[Problem]:
    """Link-preview cards and WeChat posters; each page learns its card (og:image) and poster."""
    font = None
    if config.publish.card_font:
        found = cards.font_from_setting(site_dir, config.publish.card_font)
        if isinstance(found, Problem):
            return [found]
        font = found
    made = cards.make_share_images(
        records, config, files, cache_dir / "cards", posters=config.publish.share_posters, font=font
    )
    files.update(made.files)
    for page in plan.pages:
        if page.kind not in ("404", "placards"):
            page.share = made.shares.get(page.path, made.default)
    return made.problems


def _still_valid(
    entry: PageEntry,
    fingerprint: str,
    prints: Fingerprints,
    changed: set[tuple[str, str]],
    changed_others: set[DepKey],
    output_file: Path,
) -> bool:
    if entry.fingerprint != fingerprint:
        return False
    # Most pages read nothing that changed since the last build: two set operations in C say so.
    if not (entry.records.isdisjoint(changed) and entry.others.isdisjoint(changed_others)):
        for key, value in entry.deps:
            if key[0] == "record" and (key[1], key[2]) not in changed:
                continue
            if prints.get(key) != value:
                return False
    return _as_written(output_file) == (entry.size, entry.mtime_ns)


def _site_fingerprint(
    site_dir: Path,
    config: SiteConfig,
    options: BuildOptions,
    asset_urls: dict[str, str],
    sources: list[Path],
    code: str,
) -> str:
    """Everything every page may depend on: settings, data files, templates, and yunzhan's own code."""
    template_files = [
        p for d in render.theme_dirs(site_dir, config) if d.is_dir() for p in d.rglob("*") if p.is_file()
    ]
    data_files = [p for p in sources if p.parent.name == "data"]
    return digest(
        config,
        options.drafts,
        sorted(asset_urls.items()),
        files_digest([site_dir / "site.toml", *template_files, *data_files]),
        code,
    )


def _code_digest() -> str:
    """yunzhan's own code: what it makes of the same input may change with it."""
    return files_digest(Path(__file__).parent.glob("*.py"))


def _record_rules(
    loaded: content.LoadedContent,
    config: SiteConfig,
    site_dir: Path,
    memo: content.ParseMemo,
    store: CacheData,
    settings: str,
) -> tuple[list[Problem], bool]:
    """``checks.RecordRules`` for every file read: run for the files parsed in this build, remembered (in
    ``store``) for the others, while the file, the settings and the code are as they were. Also returns
    whether anything was run or forgotten (the cache must then be saved). ``settings``: a key of all else the
    findings depend on."""
    by_source = {record.source: record for record in loaded.records}
    rules: checks.RecordRules | None = None
    old, found = store.findings, {}
    problems: list[Problem] = []
    for file in loaded.sources:
        rel = file.relative_to(site_dir).as_posix()
        parsed = memo.get(file)
        identity = (parsed[0][:4] if parsed is not None else _identity(file), settings)
        known = old.get(rel)
        if identity[0] is None or known is None or known[0] != identity:
            rules = rules or checks.RecordRules(config, site_dir)
            known = (identity, rules.file_problems(rel, by_source.get(rel)))
        found[rel] = known
        problems += known[1]
    redone = rules is not None or len(found) != len(old)
    store.findings = found
    return [*problems, *(rules.site_problems if rules else [])], redone


def _identity(file: Path) -> tuple[int, int, int, int] | None:
    """Size, times and inode of a file the parse memo does not hold (a data file), or None."""
    try:
        st = file.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino


def _remembered(func: Callable[..., Any], old: dict[str, Any], used: dict[str, Any]) -> Callable[..., Any]:
    """``func`` (pure) with its results kept in the build cache: ``old`` from the last build, ``used`` now."""

    def call(*args: Any) -> Any:
        key = digest(*args)
        found = used.get(key)
        if found is None:
            found = old.get(key)
            used[key] = found if found is not None else func(*args)
        return used[key]

    return call


class _MarkdownCache:
    """Markdown conversions by input; an entry stands only while its record links resolve as they did."""

    def __init__(self, old: dict[str, Any], used: dict[str, Any], links_as_before: bool = False) -> None:
        self.old, self.used = old, used
        # Every record has the source and URL it had: each link resolves as it did, no need to check.
        self.links_as_before = links_as_before

    @staticmethod
    def key(text: str, options: dict[str, Any]) -> str:
        return texts.markdown_key(text, options)

    def lookup(self, key: str, resolve: markup.LinkResolver) -> markup.MarkupResult | None:
        hit = self.old.get(key)
        if hit is not None and (self.links_as_before or all(resolve(href) == url for href, url in hit[1])):
            self.used[key] = hit
            return hit[0]  # type: ignore[no-any-return]
        return None

    def remember(
        self,
        key: str,
        result: markup.MarkupResult,
        lookups: tuple[tuple[str, str | markup.LinkMiss | None], ...],
    ) -> None:
        self.used[key] = (result, lookups)


def _check_output_dir(output_dir: Path, site_dir: Path) -> None:
    """Refuse to replace a folder that is not a previous build: a wrong --output must not wipe someone's files."""
    if output_dir in (site_dir, site_dir / "content", Path.home(), Path("/")) or site_dir.is_relative_to(
        output_dir
    ):
        raise ConfigError(
            [Problem("--output", None, None, f"不能输出到 {output_dir}", "换一个专用的输出文件夹")]
        )
    looks_built = (output_dir / "index.html").exists() or (output_dir / "404.html").exists()
    if output_dir.is_dir() and any(output_dir.iterdir()) and not looks_built:
        raise ConfigError(
            [
                Problem(
                    "--output",
                    None,
                    None,
                    f"{output_dir} 里已有其他文件，不像是以前生成的网站",
                    "为了不覆盖别的文件，请换一个空文件夹或删掉它",
                )
            ]
        )


def _render_markup(
    records: list[Record], config: SiteConfig, site_dir: Path, problems: list[Problem], cache: _MarkdownCache
) -> dict[int, dict[str, ImageRequest]]:
    """Bodies and ``text`` fields → safe HTML; links to record files become URLs. Returns body images per record.

    Conversions the cache cannot vouch for are made in forked processes when there are many (a cold build)."""
    by_source = references.record_link_resolver(records)
    # Every conversion: (record, field or "" for the body, text, options). Cached ones are taken as they are.
    jobs = [(record, *text) for record in records for text in texts.markdown_texts(record, config)]
    results: list[markup.MarkupResult | None] = []
    missing: list[tuple[str, markup.LinkResolver, str, dict[str, Any]]] = []
    for record, _name, text, options in jobs:
        resolve = texts.link_resolver(record.source, by_source, site_dir)
        key = _MarkdownCache.key(text, options)
        found = cache.lookup(key, resolve)
        results.append(found)
        if found is None:
            missing.append((key, resolve, text, options))
    made = zip(missing, workers.fork_map(_convert, missing, len(missing)), strict=True)
    body_images: dict[int, dict[str, ImageRequest]] = {}
    for (record, name, _text, _options), found in zip(jobs, results, strict=True):
        if found is None:
            (key, *_), (found, lookups) = next(made)
            cache.remember(key, found, lookups)
        problems.extend(found.problems)
        if name:
            record.fields[name] = found.html
            continue
        record.body = found.html
        folder = (site_dir / record.source).parent
        wanted: dict[str, ImageRequest] = {}
        for img in found.images:
            request = fields.image_request(
                site_dir, folder, img.src, img.alt, record.source, img.line, "body"
            )
            if isinstance(request, Problem):
                problems.append(request)
            else:
                wanted[img.src] = request
        body_images[id(record)] = wanted
    return body_images


def _draw_qr(wanted: list[tuple[str, str]], i: int) -> Any:
    return placards.placard_qr_svg(*wanted[i])


def _convert(
    missing: list[tuple[str, markup.LinkResolver, str, dict[str, Any]]], i: int
) -> tuple[markup.MarkupResult, tuple[tuple[str, str | markup.LinkMiss | None], ...]]:
    """One Markdown conversion, noting how each record link resolved (module level: ``fork_map`` runs it)."""
    _key, resolve, text, options = missing[i]
    lookups: list[tuple[str, str | markup.LinkMiss | None]] = []

    def recording(href: str) -> str | markup.LinkMiss | None:
        url = resolve(href)
        lookups.append((href, url))
        return url

    return markup.render_markdown(text, resolve_link=recording, **options), tuple(lookups)


def _image_requests(
    records: list[Record], body_images: dict[int, dict[str, ImageRequest]]
) -> list[ImageRequest]:
    requests: list[ImageRequest] = []
    for record in records:
        for value in record.fields.values():
            if isinstance(value, ImageRequest):
                requests.append(value)
            elif isinstance(value, list):
                requests.extend(item[0] for item in value if isinstance(item, tuple))
        requests.extend(body_images.get(id(record), {}).values())
    return requests


def _attach_images(
    records: list[Record],
    processed: dict[str, Image],
    body_images: dict[int, dict[str, ImageRequest]],
    env: Any,
) -> None:
    """Swap image requests in fields and bodies for processed images (with each use's own alt text)."""
    picture = env.get_template("_macros.html").module.picture

    def image_for(request: ImageRequest) -> Image | None:
        found = processed.get(request.source)
        return dataclasses.replace(found, alt=request.alt) if found else None

    for record in records:
        for name, value in list(record.fields.items()):
            if isinstance(value, ImageRequest):
                record.fields[name] = image_for(value)
            elif isinstance(value, list) and value and isinstance(value[0], tuple):
                items = []
                for request, caption, credit in value:
                    image = image_for(request)
                    if image is not None:
                        items.append(GalleryItem(image, caption, credit))
                record.fields[name] = items
        wanted = body_images.get(id(record))
        if wanted:

            def replace(src: str, alt: str, wanted: dict[str, ImageRequest] = wanted) -> Markup | None:
                image = image_for(wanted[src]) if src in wanted else None
                return Markup(picture(image, BODY_IMAGE_SIZES)) if image else None

            record.body = markup.swap_images(record.body, replace)


def _theme_assets(site_dir: Path, config: SiteConfig) -> dict[str, Path]:
    """The theme's static files (and the site's own ``static/``), placed under /assets/ (fingerprinted later)."""
    files: dict[str, Path] = {}
    for base in (render.theme_static_dir(site_dir, config), site_dir / "static"):
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            if path.is_file() and not any(map(is_ignored_name, path.relative_to(base).parts)):
                files[render.ASSET_PREFIX.lstrip("/") + path.relative_to(base).as_posix()] = path
    return files
