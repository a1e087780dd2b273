"""Page prints: what a page object itself carries (its place, title, breadcrumbs, the records it lists), in one
digest with the site's fingerprint. A page's own print; what it read of records is ``fingerprints``'."""

from __future__ import annotations

import operator

from yunzhan.incremental.fingerprints import RECORD_KEY, print_of
from yunzhan.model import Page


def page_fingerprint(page: Page, site: str = "") -> str:
    """What a page object itself carries: its place, title, breadcrumbs and which records it lists (with the
    site-wide fingerprint, in one digest)."""
    return print_of(page_parts(page, site))


_PAGE = operator.attrgetter("kind", "path", "url", "title", "template")
_LINK = operator.attrgetter("title", "url")


def page_parts(page: Page, site: str = "") -> tuple[object, ...]:
    """``page_fingerprint``'s inputs, as plain tuples (a dataclass repr is slow; a tuple can be a key; the
    attributes read in C where they can be: 12,000 pages at 10,000 records)."""
    pager, record, collection, taxonomy, term, share = _PARTS(page)
    return (
        site,
        _PAGE(page),
        tuple(map(_LINK, page.breadcrumbs)),
        tuple(map(RECORD_KEY, page.records)),
        pager
        and (
            pager.number,
            pager.count,
            pager.prev_url,
            pager.next_url,
            tuple(map(_LINK, pager.pages)),
        ),
        record and RECORD_KEY(record),
        collection and collection.name,
        taxonomy and taxonomy.name,
        term and term.path,
        share if share is None else repr(share),  # a ``cards.Share``: text and numbers, in its repr
    )


_PARTS = operator.attrgetter("paginator", "record", "collection", "taxonomy", "term", "share")
