"""URL slugs: lowercase ASCII, from file names or titles; Chinese becomes pinyin (雷雨田 → lei-yu-tian)."""

from __future__ import annotations

import functools
import re
import unicodedata

_NON_SLUG = re.compile(r"[^a-z0-9]+")
_VALID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def _pinyin(text: str, *, initials: bool = False) -> list[str]:
    """pypinyin, imported on first use: loading its phrase dictionary takes a third of a second, which a rebuild
    whose slugs and title pinyin are all remembered need not pay."""
    from pypinyin import Style, lazy_pinyin

    return lazy_pinyin(text, style=Style.FIRST_LETTER if initials else Style.NORMAL, errors="default")


def slugify(text: str) -> str:
    """A stable ASCII slug; CJK characters are spelt in toneless pinyin, one syllable per hyphen."""
    parts = _pinyin(text)
    ascii_text = "-".join(parts)
    ascii_text = unicodedata.normalize("NFKD", ascii_text).encode("ascii", "ignore").decode("ascii")
    return _NON_SLUG.sub("-", ascii_text.lower()).strip("-")


def is_valid_slug(slug: str) -> bool:
    return bool(_VALID.fullmatch(slug))


@functools.lru_cache(maxsize=20_000)
def pinyin_forms(text: str) -> tuple[str, str]:
    """Full pinyin and initials of a name, for search: 雷雨田 → ("leiyutian", "lyt")."""
    full = "".join(_pinyin(text)).lower()
    initials = "".join(p[0] for p in _pinyin(text, initials=True) if p).lower()
    return _NON_SLUG.sub("", full), _NON_SLUG.sub("", initials)
