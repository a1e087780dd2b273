"""Pinyin made in a forked child (pypinyin's tables are 55 MB, which the build process then never loads): the
terms' slugs, then the titles' pinyin for search, one list of names in one child (``workers.apart_soon``, or
``workers.apart_each`` when the plan needs them at once).

A first build's many titles are handed to the child as soon as the records are loaded, with the names of the
terms they name: it works beside the content rules and the references (where one core idles), and the build
waits for it before the Markdown's workers fork, so its tables are never held beside theirs.
"""

from __future__ import annotations

from collections.abc import Callable

from yunzhan import pages, searchtext, workers
from yunzhan.config import SiteConfig
from yunzhan.model import Record
from yunzhan.slugs import slugify

Wanted = tuple[list[str], list[str]]  # term names, then titles


def slug_or_pinyin(wanted: Wanted, i: int) -> str:
    """Term ``i``'s slug; past the terms, a title's pinyin for search (module level: a child runs it)."""
    names, titles = wanted
    return slugify(names[i]) if i < len(names) else searchtext.title_pinyin(titles[i - len(names)])


def soon(names: list[str], titles: list[str]) -> Callable[[], list[str]]:
    """``slug_or_pinyin`` of every name and title, begun now in a child; the function returned waits for them."""
    return workers.apart_soon(slug_or_pinyin, (names, titles), len(names) + len(titles))


def term_names(records: list[Record], config: SiteConfig) -> set[str]:
    """The names of the terms ``records`` name as loaded: a few more than the plan's when records are withheld
    (their slugs unused); the plan slugs any other it meets (a name that is not text, reported by the rules)."""
    grouped: dict[str, list[Record]] = {}
    for record in records:
        grouped.setdefault(record.collection, []).append(record)
    return {
        name for _, name, _ in pages.term_values(grouped, config) if type(name) is str
    }  # before the rules
