"""Placards for the physical exhibition: one print page per zone (``/placards/<zone>/``) holding a placard for
each of its exhibits — title, zone, craftsmen, a short summary and a QR code (``qrmatrix``, inline SVG) that opens the
exhibit's page. Printed on A6 (default) or A5 with ``themes/default/static/css/print.css``.

The pages are ordinary ``Page`` objects of kind ``placards`` (kept out of the sitemap, ``noindex``) rendered with
``placards.html``; the template calls ``placard(record)`` and ``placards_url(zone)``, registered with
``template_globals``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from yunzhan.config import SiteConfig
from yunzhan.htmltext import plain_text, shorten
from yunzhan.model import Collection, Link, Page, Record
from yunzhan.qrmatrix import qr_svg

PLACARDS_PATH = "/placards/"
UNZONED = "other"  # page of exhibits that name no zone
SUMMARY_CHARS = 80


@dataclass(frozen=True)
class Placard:
    record: Record
    title: str
    zone: str
    craftsmen: tuple[str, ...]
    summary: str  # plain text, at most SUMMARY_CHARS characters
    url: str  # the absolute URL the QR code opens
    qr_svg: Markup


QrCodes = Mapping[tuple[str, str], Markup]  # codes already drawn, by (URL, label)


@functools.lru_cache(maxsize=256)  # the site's contact code is on every project page: drawn once a process
def placard_qr_svg(url: str, label: str = "") -> Markup:
    """The QR code of ``url`` as inline SVG (``qrmatrix.qr_svg``: sized by CSS, 4-module quiet zone, error
    correction M), named for screen readers by ``label`` or the URL."""
    return Markup(qr_svg(url, label or f"二维码：{url}"))


def _names(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value] if value else []
    return tuple(item.title if isinstance(item, Record) else str(item) for item in items)


def placard(
    record: Record, config: SiteConfig, zone_field: str = "zone", codes: QrCodes | None = None
) -> Placard:
    """Everything one placard prints, for the template. ``codes``: QR codes already drawn (a build keeps them:
    tens of milliseconds each); a code missing from it is drawn here."""
    zone = record.fields.get(zone_field)
    # not kept: nothing else reads a body while rendering, and every renderer would keep its placards' texts
    text = record.fields.get("summary") or record.fields.get("intro") or record.body
    summary = plain_text(text, keep=False)
    url, label = qr_request(record, config)
    return Placard(
        record=record,
        title=record.title,
        zone=zone.title if isinstance(zone, Record) else str(zone or ""),
        craftsmen=_names(record.fields.get("craftsmen")),
        summary=shorten(summary, SUMMARY_CHARS),
        url=url,
        qr_svg=_known_or_drawn(codes, url, label),
    )


def _known_or_drawn(codes: QrCodes | None, url: str, label: str) -> Markup:
    known = codes.get((url, label)) if codes is not None else None
    return known if known is not None else placard_qr_svg(url, label)


def qr_request(record: Record, config: SiteConfig) -> tuple[str, str]:
    """(URL, label) of a record's placard QR code: its short link, which outlives renames (shortlinks.py)."""
    return config.absolute_url(record.short or record.path), f"二维码：{record.title}"


def qr_requests(pages: list[Page], config: SiteConfig) -> list[tuple[str, str]]:
    """The QR codes the placard pages among ``pages`` will draw, so a build can draw them all at once."""
    return [
        qr_request(r, config)
        for p in pages
        if p.kind == "placards" and p.record is not None
        for r in p.records
    ]


def placard_pages(
    collections: Mapping[str, Collection],
    config: SiteConfig,
    exhibits: str = "projects",
    zone_field: str = "zone",
) -> list[Page]:
    """An index at ``/placards/`` and one page per zone with exhibits, in the zones' own order."""
    collection = collections.get(exhibits)
    if collection is None:
        return []
    by_zone: dict[str, tuple[Record | None, list[Record]]] = {}
    for record in collection.records:
        if record.draft:
            continue
        zone = record.fields.get(zone_field)
        zone = zone if isinstance(zone, Record) else None
        key = zone.slug if zone else UNZONED
        by_zone.setdefault(key, (zone, []))[1].append(record)
    zone_order = {id(r): i for c in collections.values() for i, r in enumerate(c.records)}
    ordered = sorted(
        by_zone.items(), key=lambda kv: (kv[1][0] is None, zone_order.get(id(kv[1][0]), 0), kv[0])
    )
    home = Link("首页", config.base_path)
    index_url = config.base_path + PLACARDS_PATH.lstrip("/")
    pages = [
        Page(
            kind="placards",
            path=PLACARDS_PATH,
            url=index_url,
            title="展品标牌",
            template="placards.html",
            breadcrumbs=[home, Link("展品标牌", None)],
            collection=collection,
            records=[zone for _, (zone, _) in ordered if zone is not None],
        )
    ]
    for key, (zone, records) in ordered:
        title = f"{zone.title if zone else '未分展区'} · 展品标牌"
        path = f"{PLACARDS_PATH}{key}/"
        pages.append(
            Page(
                kind="placards",
                path=path,
                url=config.base_path + path.lstrip("/"),
                title=title,
                template="placards.html",
                breadcrumbs=[home, Link("展品标牌", index_url), Link(title, None)],
                record=zone,
                collection=collection,
                records=records,
            )
        )
    return pages


def placards_url(config: SiteConfig, zone: Record | None) -> str:
    """Prefixed URL of a zone's placard page (or of the index for None)."""
    return config.base_path + PLACARDS_PATH.lstrip("/") + (f"{zone.slug}/" if zone else "")


def inputs(record: Record, zone_field: str = "zone") -> list[tuple[Record, str]]:
    """What ``placard`` reads: (record, attribute) pairs of the record and of the records it names. A build
    that reuses pages counts these as read by the page that shows the placard."""
    read = [
        (record, name) for name in ("title", "path", "short", zone_field, "summary", "intro", "craftsmen")
    ]
    if not (record.fields.get("summary") or record.fields.get("intro")):
        read.append((record, "body"))
    for value in (record.fields.get(zone_field), record.fields.get("craftsmen")):
        read += [
            (item, "title")
            for item in (value if isinstance(value, list) else [value])
            if isinstance(item, Record)
        ]
    return read


def template_globals(
    config: SiteConfig, zone_field: str = "zone", codes: QrCodes | None = None
) -> dict[str, Callable[..., Any]]:
    """Functions ``placards.html`` calls: ``placard(record)`` and ``placards_url(zone)``. ``codes``: QR codes
    already drawn (see ``placard``), read when a placard is made, so it may be filled after this call."""

    def placard_for(record: Record) -> Placard:
        return placard(record, config, zone_field, codes)

    return {"placard": placard_for, "placards_url": lambda zone=None: placards_url(config, zone)}
