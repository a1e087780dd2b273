"""The steps that make the output, after ``steps``' have read the site: which pages are stale, rendering them
(each page's dependencies noted), the site-wide files, redirect pages and compression. Each reads and fills the
``steps.Build``; nothing is written to the output here (``writing`` does that).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from yunzhan import opendata, placards, publish, render, review, shortlinks, workers
from yunzhan.incremental import reuse, searchblocks, verify
from yunzhan.incremental.fingerprints import DepKey, Fingerprints, digest, print_of
from yunzhan.incremental.pageentries import PackedEntry, PageEntry, PendingPages
from yunzhan.incremental.pageprints import page_fingerprint
from yunzhan.incremental.recordstates import Changes, changed_records
from yunzhan.incremental.sitefiles import make_site_files as _make_site_files
from yunzhan.incremental.storedprints import StoredPrints, context_of, forget, pages_shareless
from yunzhan.model import Page
from yunzhan.steps import Build, origins, pack_texts
from yunzhan.writing import Stage, written_files


def find_stale_pages(b: Build) -> None:
    """Which pages must be rendered again: those whose own fingerprint changed, or that read a record,
    collection or term whose fingerprint changed (one query finds them), or whose file is not as written."""
    config, plan = b.config, b.plan
    b.site = render.site_view(
        config,
        b.loaded.data,
        plan.collections,
        plan.taxonomies,
        {"drafts": b.options.drafts},
        filings=tuple(publish.filing_links(config.publish.icp, config.publish.police_filing)),
        open_data=tuple(opendata.open_data_links(config)) if config.publish.open_data else (),
        feed_url=config.url_for(publish.FEED) if config.publish.feed else None,
    )
    b.site_print = reuse.site_fingerprint(
        b.site_dir, config, b.options.drafts, b.asset_urls, b.loaded.sources, b.code
    )
    kept = b.session.prints if b.session is not None else None  # a long-lived process keeps prints
    if kept is not None:
        kept.begin()
    else:  # the last build's, when only the bodies of edited records changed since
        media = (b.image_result.images, b.media_result.images, b.media_result.audio)
        context = context_of(b.site_print, b.records, media)
        b.stored = StoredPrints(b.store, context, b.records, origins(b), b.print_basis)
    stored = b.stored
    b.prints = Fingerprints(
        b.records,
        plan.collections,
        plan.taxonomies,
        origins(b),
        kept.record if kept is not None else None,
        kept.other if kept is not None else None,
        b.html,
        stored and stored.known,
        stored and stored.others,
    )
    b.changed = changed = reuse.changed_owners(b.store, b.prints, stored and stored.records_before())
    suspects = b.store.readers(changed)
    heads = b.store.page_heads()
    as_noted = stored is not None and stored.pages and pages_shareless(plan.pages)  # prints: their heads'
    if b.options.verify_reuse and stored is not None and stored.known is not None:
        _verify_prints(b, stored, heads if as_noted else {})
    b.rendered_before = bool(heads)
    b.todo = []
    site, make = b.site_print, kept.page if kept is not None else page_fingerprint
    valid = partial(reuse.still_valid, b.store, b.prints, suspects, changed, written_files(b))
    for page in plan.pages:  # 12,000 at 10,000 records: what each costs counts
        rel = page.output_file
        head = heads.pop(rel, None)
        fingerprint = head[0] if as_noted and head is not None else make(page, site)
        if head is not None and valid(rel, head, fingerprint):
            b.kept.append(rel)
        else:
            b.todo.append((page, fingerprint))
    b.kept_pages = len(b.kept)
    b.gone = sorted(heads)


def _verify_prints(b: Build, stored: StoredPrints, heads: dict[str, tuple[str, int, int]]) -> None:
    """``verify_reuse``: the prints taken from the last build (``storedprints``) are those made now."""
    made = Fingerprints(b.records, b.plan.collections, b.plan.taxonomies, origins(b), html=b.html)
    known = stored.known or {}
    verify.same_entries("record print", known, {key: made.get(key) for key in known})
    verify.same("collection, taxonomy and term prints", stored.others, made.others())
    for page in b.plan.pages:
        head = heads.get(page.output_file)
        if head is not None:
            verify.same(f"page print of {page.output_file}", head[0], page_fingerprint(page, b.site_print))


def render_pages(b: Build) -> None:
    """Render the stale pages (to the staging folder as they come), noting what each read."""
    # Placard QR codes are slow to draw: draw the missing ones together (in forked processes when many).
    # Kept by the code too: a drawing made by another version of yunzhan may differ.
    wanted = placards.qr_requests([p for p, _ in b.todo], b.config)
    missing = b.qr_codes.missing(wanted) if wanted else []
    for args, svg in zip(missing, workers.fork_map(_draw_qr, missing, len(missing)), strict=True):
        b.qr_codes.keep(args, svg)
    if missing:  # forget the drawings no placard shows any more (each version of yunzhan draws its own)
        shown = placards.qr_requests(b.plan.pages, b.config)
        b.store.keep_only("qr", {b.qr_codes.key(args) for args in shown})
    todo = [page for page, _ in b.todo]
    pack_texts(b, wanted)
    # each page's entry packed where it rendered (at 10,000 pages what they read is ~100 MB as tuples) and kept
    # on disk until the forked renderers are gone: they hold the store's connection, which must not change under
    # them
    pending = PendingPages()
    earlier = partial(reuse.prints_read_before, b.store, b.changed) if b.rendered_before else None
    note = partial(_page_made, b.todo, b.prints, earlier, _placing(b, todo))
    for page, html, problem, made in render.render_pages(b.env, todo, b.site, b.site_dir, note):
        if problem is not None:
            b.problems.append(problem)
            continue
        entry, placed = made
        if b.stage is not None:
            if html is not None:
                b.stage.page(page.output_file, html)
            elif placed:
                b.stage.placed(placed)
        b.pages.append((page, None if b.stage is not None else html))
        pending.add(page.output_file, entry)
    if b.stage is not None and b.session is None:  # the renderers are gone: blocks made as pages are noted
        b.search_soon = searchblocks.blocks_soon(b.config, b.grouped, b.store)
    if b.search_soon is not None and b.stage is not None:  # a first build: its pages on disk while it goes on
        b.stage.flush_soon(len(pending.rels))
    b.fresh += pending.rels
    if b.stage is not None:  # a first build's spare tree begun (once the renderers are gone: memory)
        b.stage.expect(pending.rels)
    b.store.put_pages(pending.drain())
    reuse.keep_prints(b.store, b.prints, records=b.stored is None)
    if b.stored is not None:  # every page's head is its print now, unless one was not rendered
        complete = len(pending.rels) == len(b.todo)
        b.stored.keep(b.store, b.prints.records(), b.records, origins(b), complete)
    else:  # a long-lived process's build: the next from the command line makes every print
        forget(b.store)


def _placing(b: Build, todo: list[Page]) -> Callable[[str, str], list[tuple[str, str]]] | None:
    """Where pages rendered in forked processes are placed in the staging folder by the process that rendered
    them (``Stage.page_anywhere``): so this one, which notes every page, does not also write them all. None:
    this process writes them (no fork, no staging folder yet, or two pages at one URL, an error anyway)."""
    if b.stage is None or workers.workers_for(len(todo)) < 2:
        return None
    if len({page.output_file for page in todo}) < len(todo) or not b.stage.apart():
        return None
    return b.stage.page_anywhere


def _page_made(
    todo: list[tuple[Page, str]],
    prints: Fingerprints,
    earlier: Callable[[str], dict[DepKey, str]] | None,
    place: Callable[[str, str], list[tuple[str, str]]] | None,
    i: int,
    html: str,
    touched: Iterable[DepKey],
) -> tuple[str | None, tuple[PackedEntry, list[tuple[str, str]] | None]]:
    """What page ``i`` read, with the fingerprints of each now: made by whichever process rendered it. What it
    read of unchanged records, as its last entry noted it (``reuse.prints_read_before``). With ``place``, the
    page placed there too, and how (instead of its HTML)."""
    page, fingerprint = todo[i]
    before = earlier(page.output_file) if earlier is not None else {}
    deps = [(key, v) for key in touched if (v := before.get(key) or prints.get(key)) is not None]
    entry = PageEntry.of(fingerprint, deps).packed()
    if place is None:
        return html, (entry, None)
    return None, (entry, place(page.output_file, html))


def make_site_files(b: Build) -> None:
    """Search index, sitemap, robots.txt, feed, open data: kept while nothing they read changed; in a preview
    session, left for ``BuildResult.finish``."""
    everything = b.prints.everything()
    basis = b.store.get("meta", PRINTS)  # every build comes here: what ``b.changed`` was measured against
    if basis != everything:
        b.store.put("meta", PRINTS, everything)
    key = digest(b.site_print, everything, [p.path for p in b.plan.pages])
    previous = reuse.kept_as_made(b.store, written_files(b), "site_files", key)
    soon, b.search_soon = b.search_soon, None
    if previous is not None:
        if soon is not None:
            soon.started.close()
        b.kept += previous
        return
    changes = Changes(basis, everything, changed_records(b.changed))

    def make(stage: Stage | None) -> dict[str, bytes]:
        made = (b.config, b.grouped, b.plan.pages, b.store, b.prints, b.code, b.output_dir, b.slugs)
        same_plan = b.stored is not None and b.stored.known is not None  # only edited bodies changed
        return _make_site_files(*made, stage, b.pinyin, changes, same_plan, b.options.verify_reuse, soon)

    before = b.store.get("meta", "site_files")
    if before is not None and b.session is not None and b.options.preview:
        b.kept += sorted(before[1])  # served as they were until ``finish`` replaces them
        b.deferred = lambda: (key, make(None))
        return
    streamed = b.stage if not b.options.compress else None  # compressing needs the bytes
    made = make(streamed)
    b.made["site_files"] = (key, sorted(made))
    if streamed is None:
        b.generated |= made


def make_redirects(b: Build) -> None:
    """``/s/<code>/`` and renamed records' old URLs as redirect pages; in a preview, which pages get the review
    banner."""
    key = _redirects_key(b)
    kept = reuse.kept_as_made(b.store, written_files(b), "redirects", key)
    if kept is not None:  # thousands of /s/<code>/ pages, each as the last build wrote it
        b.kept += kept
    else:
        pages_made = {p.output_file for p in b.plan.pages}
        targets = shortlinks.redirect_targets(b.short_table, b.records, pages_made)
        made_of = {rel: shortlinks.redirect_made_of(record) for rel, record in targets.items()}
        settings = shortlinks.redirect_settings(b.config)
        kept, stale = reuse.kept_by_inputs(b.store, written_files(b), "redirects", made_of, settings)
        b.kept += kept
        for rel in stale:
            b.generated[rel] = shortlinks.redirect_html(targets[rel], b.config).encode("utf-8")
        b.made["redirects"] = (key, sorted(targets))
    if b.options.preview and b.waiting:
        b.generated |= review.preview_index(b.waiting)


PRINTS = "site_prints"  # the ``meta`` row: ``Fingerprints.everything`` of the last build (``Changes.basis``)


REDIRECTS = (
    "redirect_records"  # the ``meta`` row: the print of what the last build's redirect pages read of it
)


def _redirects_key(b: Build) -> str:
    """The key of everything ``shortlinks.redirect_pages`` reads (``redirect_inputs``). Of the records and the
    plan (10,000 records' short links, addresses and titles, 12,000 pages' files): while only edited records'
    bodies changed since the last build (``storedprints``), the print the last build noted."""
    prints = b.session.prints if b.session is not None else None  # a long-lived process keeps the last key
    if prints is not None:
        pages_made = {p.output_file for p in b.plan.pages}
        inputs = shortlinks.redirect_inputs(b.short_table, b.records, b.config, pages_made)
        return prints.step_key("redirects", b.code, *inputs)
    before = b.store.get("meta", REDIRECTS)
    reused = before is not None and b.stored is not None and b.stored.known is not None
    if reused and not b.options.verify_reuse:
        made_of = before
    else:
        pages_made = {p.output_file for p in b.plan.pages}
        inputs = shortlinks.redirect_inputs(b.short_table, b.records, b.config, pages_made)
        made_of = print_of(inputs[1:])  # all but the codes, first
        if reused:
            verify.same("redirect pages' key", before, made_of)
        if made_of != before:
            b.store.put("meta", REDIRECTS, made_of)
    codes = print_of(shortlinks.redirect_codes(b.short_table))  # not in ``storedprints``' context
    return digest(b.code, codes, made_of)


def compress(b: Build) -> None:
    """``--compress``: .gz and .br twins of the text files written now; those of kept files stay."""
    if not b.options.compress or b.options.preview:
        return
    pending = {page.output_file: html.encode("utf-8") for page, html in b.pages if html is not None}
    b.generated |= publish.compress(pending | b.generated, previous=b.output_dir)
    twins: list[str] = []
    lacking: dict[str, bytes] = {}  # kept files with no twin: the last build was made without --compress
    for rel in b.kept:
        found = [twin for twin in (rel + ".gz", rel + ".br") if (b.output_dir / twin).is_file()]
        twins += found
        if not found and publish.may_compress(rel, b.output_dir / rel):
            lacking[rel] = (b.output_dir / rel).read_bytes()
    b.kept += twins
    b.generated |= publish.compress(lacking)


def _draw_qr(wanted: list[tuple[str, str]], i: int) -> Any:
    return placards.placard_qr_svg(*wanted[i])
