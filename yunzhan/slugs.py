"""URL slugs: lowercase ASCII, from file names or titles; Chinese becomes pinyin (雷雨田 → lei-yu-tian).

A slug names a folder of the published site, so it must be a name every system can store: at most
``MAX_LENGTH`` characters (Windows counts 260 for a whole path, and a 300-character title spelt in pinyin is
over 1,000), and none of Windows' reserved device names (``con``, ``nul``, ``com1`` …). A slug made here from a
title or tag is cut and given a short hash of the whole text, so two long titles alike at the start still
differ; a slug an editor chose (``slug:``, a file name) is checked by ``slug_problem`` instead, never changed.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata

MAX_LENGTH = 64
_HASH_LENGTH = 8
_NON_SLUG = re.compile(r"[^a-z0-9]+")
_VALID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# Windows' device names: a file or folder named so (with any extension, in any case) cannot be made there.
RESERVED_NAMES = frozenset(
    ["con", "prn", "aux", "nul"] + [f"{port}{n}" for port in ("com", "lpt") for n in "123456789"]
)


def _pinyin(text: str) -> list[str]:
    """pypinyin, imported on first use: loading its phrase dictionary takes a third of a second, which a rebuild
    whose slugs and title pinyin are all remembered need not pay."""
    from pypinyin import lazy_pinyin

    return lazy_pinyin(text, errors="default")


def slugify(text: str) -> str:
    """A stable ASCII slug, safe as a folder name everywhere; CJK characters are spelt in toneless pinyin, one
    syllable per hyphen. Too long or reserved, it ends in a short hash of ``text``."""
    parts = _pinyin(text)
    ascii_text = "-".join(parts)
    ascii_text = unicodedata.normalize("NFKD", ascii_text).encode("ascii", "ignore").decode("ascii")
    slug = _NON_SLUG.sub("-", ascii_text.lower()).strip("-")
    if slug and (len(slug) > MAX_LENGTH or slug in RESERVED_NAMES):
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:_HASH_LENGTH]
        slug = f"{slug[: MAX_LENGTH - _HASH_LENGTH - 1].rstrip('-')}-{digest}"
    return slug


def is_valid_slug(slug: str) -> bool:
    return bool(_VALID.fullmatch(slug))


def slug_problem(slug: str) -> tuple[str, str] | None:
    """What makes a valid slug unusable as a folder name on some system (to follow the slug in a message), and
    a slug to suggest instead; None when nothing does."""
    if len(slug) > MAX_LENGTH:
        return f"太长（{len(slug)} 个字符），做网址最多 {MAX_LENGTH} 个字符", slug[:33].rsplit("-", 1)[0]
    if slug in RESERVED_NAMES:
        return "是 Windows 的保留名字，那里无法用它做文件夹", f"{slug}-1"
    return None


def file_name_problem(name: str) -> tuple[str, str] | None:
    """What keeps a file or folder named ``name`` from being saved on Windows (or copied there from a Mac):
    a reserved device name, with or without an extension, or a dot or space at the end. None when nothing."""
    base = name.split(".", 1)[0].rstrip(" ").lower()
    if base in RESERVED_NAMES:
        return (
            f"“{name}”在 Windows 上是保留的名字，那里无法保存这个文件",
            f"改一个名字，例如 {base}-1{name[len(name.split('.', 1)[0]) :]}",
        )
    if name.endswith((".", " ")):
        return (
            f"“{name}”以{'点' if name.endswith('.') else '空格'}结尾，Windows 上无法保存",
            "去掉名字末尾的点和空格",
        )
    return None


@functools.lru_cache(maxsize=20_000)
def pinyin_forms(text: str) -> tuple[str, str]:
    """Full pinyin and initials of a name, for search: 雷雨田 → ("leiyutian", "lyt"). The initials are the first
    letters of the full pinyin's syllables (the same as pypinyin's ``FIRST_LETTER`` style, checked on every
    character from U+3400 to U+9FFF and 55,000 texts, at half the cost: 10,000 titles, ~1.5 s less)."""
    parts = _pinyin(text)
    full = "".join(parts).lower()
    initials = "".join(p[0] for p in parts if p).lower()
    return _NON_SLUG.sub("", full), _NON_SLUG.sub("", initials)
