"""Record bodies and Markdown text fields → safe HTML, and the images they show: the glue between the markup
and images stages and the records (conversions are reused through ``incremental.memos.MarkdownMemo``).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from markupsafe import Markup

from yunzhan import markup, mediafields, references, texts, workers
from yunzhan.config import SiteConfig
from yunzhan.errors import Problem
from yunzhan.incremental.memos import MarkdownMemo
from yunzhan.model import Deferred, GalleryItem, Image, ImageRequest, Record

BODY_IMAGE_SIZES = "(min-width: 48rem) 44rem, 100vw"


def render_markup(
    records: list[Record], config: SiteConfig, site_dir: Path, problems: list[Problem], cache: MarkdownMemo
) -> dict[int, dict[str, ImageRequest]]:
    """Bodies and ``text`` fields → safe HTML; links to record files become URLs. Returns body images per record.

    Conversions the cache cannot vouch for are made in forked processes when there are many (a cold build)."""
    by_source = references.record_link_resolver(records)
    # Every conversion: (record, field or "" for the body, text, options). Cached ones are taken as they are.
    jobs: list[tuple[Record, str, str, dict[str, Any]]] = []
    results: list[markup.MarkupResult | None] = []
    missing: list[tuple[str, markup.LinkResolver, str, dict[str, Any]]] = []
    text_fields = texts.text_field_names(config)
    cache.begin(text_fields, config.markdown.iframe_hosts)

    def resolver(record: Record) -> markup.LinkResolver:
        return texts.link_resolver(record.source, by_source, site_dir)

    for record in records:
        kept = cache.whole(record, resolver)
        if kept is not None:  # converted before, as it is: no image, no problem
            record.defer("body", kept[0])
            for name, html in kept[1]:
                record.fields[name] = html
            continue
        found_texts = texts.markdown_texts(record, config, text_fields)
        resolve = texts.link_resolver(record.source, by_source, site_dir)
        for (name, text, options), key in zip(found_texts, cache.keys(record, found_texts), strict=True):
            jobs.append((record, name, text, options))
            found = cache.lookup(key, resolve, not name)
            results.append(found)
            if found is None:
                missing.append((key, resolve, text, options))
    made = zip(missing, workers.fork_map(_convert, missing, len(missing)), strict=True)
    body_images: dict[int, dict[str, ImageRequest]] = {}
    for (record, name, _text, _options), found in zip(jobs, results, strict=True):
        if found is None:
            (key, *_), (found, lookups) = next(made)
            found = cache.remember(key, found, lookups, not name)
        problems.extend(found.problems)
        if name:
            record.fields[name] = found.html
            continue
        if type(found.html) is Deferred:
            record.defer("body", found.html)
        else:
            record.body = found.html
        wanted: dict[str, ImageRequest] = {}
        folder = (site_dir / record.source).parent if found.images else site_dir
        for img in found.images:
            request = mediafields.image_request(
                site_dir, folder, img.src, img.alt, record.source, img.line, "body"
            )
            if isinstance(request, Problem):
                problems.append(request)
            else:
                wanted[img.src] = request
        body_images[id(record)] = wanted
    return body_images


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


def file_fields(config: SiteConfig) -> dict[str, list[str]]:
    """Each collection's fields that may hold image or media requests (``mediafields.FILE_TYPES``), in the
    order of its spec (the order of a record's fields): a record's other fields need not be looked at."""
    types = mediafields.FILE_TYPES
    return {c.name: [spec.name for spec in c.fields if spec.type in types] for c in config.collections}


def image_requests(
    records: list[Record], body_images: dict[int, dict[str, ImageRequest]], config: SiteConfig
) -> list[ImageRequest]:
    requests: list[ImageRequest] = []
    names = file_fields(config)
    for record in records:
        fields = record.fields
        for value in [fields.get(name) for name in names[record.collection]]:
            if isinstance(value, ImageRequest):
                requests.append(value)
            elif isinstance(value, list):
                requests.extend(item[0] for item in value if isinstance(item, tuple))
        wanted = body_images.get(id(record))
        if wanted:
            requests.extend(wanted.values())
    return requests


def attach_images(
    records: list[Record],
    processed: dict[str, Image],
    body_images: dict[int, dict[str, ImageRequest]],
    env: Any,
    config: SiteConfig,
) -> None:
    """Swap image requests in fields and bodies for processed images (with each use's own alt text)."""
    picture = env.get_template("_macros.html").module.picture

    def image_for(request: ImageRequest) -> Image | None:
        found = processed.get(request.source)
        return dataclasses.replace(found, alt=request.alt) if found else None

    names = file_fields(config)
    for record in records:
        fields = record.fields
        for name in names[record.collection]:
            value = fields.get(name)
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
