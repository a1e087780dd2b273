"""Chinese text that must not go live: Traditional characters in a Simplified Chinese site, and text garbled by
a converter that puts pinyin in brackets after characters, ``當(dāng)前``.

Both are rules of one record file (``records.RecordRules``): ``build`` runs them too.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from typing import Any

from yunzhan.check.text import Finding
from yunzhan.errors import ERROR, WARNING

MAX_QUOTES = 3  # examples quoted per line before "等 N 处"

# Characters that OpenCC's t2s changes on their own but that are standard Simplified Chinese in some uses
# (通用规范汉字表): 乾坤/乾隆, the surnames 於 and 麴, 昇/陞 in names, 夥 ("many"), 藉 in 慰藉/狼藉, 瞭望, 幺麽,
# 哪吒, 宫商角徵羽, 拚弃, 蒜薹, 袷袢.
SIMPLIFIED_TOO = frozenset("乾於麴昇陞夥藉瞭麽吒徵拚薹袷")

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RUN = re.compile(f"[{_CJK}]+")
_TONE_MARKS = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
_SYLLABLE = f"[a-zü{_TONE_MARKS}]{{1,6}}[1-5]?"
GARBLED = re.compile(
    rf"([{_CJK}])[ \t]?[(（][ \t]*({_SYLLABLE}(?:[ \t']+{_SYLLABLE}){{0,3}})[ \t]*[)）](?=([{_CJK}]?))"
)
_PINYIN_SHAPE = re.compile(
    r"(?:(?:zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])?[aeiouv]{1,3}(?:ng|n|r)?|er|ng|n|m|hm|hng)"
)


_PAREN = re.compile("[(（]")


def may_apply(value: str, *, chinese: bool, simplified: bool) -> bool:
    """Whether either rule can find anything in a text: a few searches in C instead of a loop over its lines."""
    return bool(
        (chinese and _garbled_somewhere(value)) or (simplified and traditional_table()[1].search(value))
    )


def _garbled_somewhere(value: str) -> bool:
    """``GARBLED.search(value)``, tried only where a match would begin: one or two characters before a bracket
    (a search tries every character of a Chinese text)."""
    for paren in _PAREN.finditer(value):
        at = paren.start()
        if GARBLED.match(value, max(at - 1, 0)) or (at >= 2 and GARBLED.match(value, at - 2)):
            return True
    return False


def traditional(line: str) -> Finding | None:
    """Traditional characters of one line, quoted with their Simplified forms."""
    table, pattern = traditional_table()
    if not pattern.search(line):
        return None
    converter = converter_t2s()
    found: list[tuple[str, str]] = []
    for run in _CJK_RUN.finditer(line):
        chars = run.group(0)
        if not pattern.search(chars):
            continue
        converted = converter.convert(chars) if converter else chars
        if len(converted) != len(chars):  # a phrase changed length: fall back to single characters
            converted = "".join(table.get(c, c) for c in chars)
        marked = [i for i, (a, b) in enumerate(zip(chars, converted, strict=True)) if a != b and a in table]
        found.extend((chars[a:b], converted[a:b]) for a, b in _spans(marked, len(chars)))
    if not found:
        return None
    shown = found[:MAX_QUOTES]
    more = f"等 {len(found)} 处" if len(found) > MAX_QUOTES else ""
    old = "".join(f"“{a}”" for a, _ in shown)
    new = "".join(f"“{b}”" for _, b in shown)
    return Finding(
        found[0][0],
        f"发现繁体字{old}{more}，简体应为{new}",
        "改成简体字；如果整段是从繁体网页复制来的，请找简体原文重新复制",
        WARNING,
    )


def garbled(line: str) -> Finding | None:
    """Characters followed by their pinyin in brackets: an error, or a warning for one rare character."""
    if "(" not in line and "（" not in line:
        return None
    found = [m for m in GARBLED.finditer(line) if _is_pinyin(m.group(1), m.group(2))]
    if not found:
        return None
    # "欢迎(huān yíng)参": as many characters before the bracket as it has syllables, and the next one
    quotes = [
        line[max(0, m.start() - len(m.group(2).replace("'", " ").split()) + 1) : m.end()] + m.group(3)
        for m in found
    ]
    shown = "".join(f"“{q}”" for q in quotes[:MAX_QUOTES])
    more = f"等 {len(quotes)} 处" if len(quotes) > MAX_QUOTES else ""
    first = found[0]
    deliberate = (
        len(found) == 1
        and not first.group(2)[-1].isdigit()
        and first.group(1) not in traditional_table()[0]
        and not _is_common(first.group(1))
    )
    if deliberate:  # one reading given for a rare character, e.g. 缂（kè）丝: may be on purpose
        return Finding(
            quotes[0],
            f"文字里有带拼音的字{shown}",
            "如果是有意给生僻字注音，可以忽略；如果是从网页复制时带进来的拼音，请删掉括号和拼音",
            WARNING,
        )
    return Finding(
        quotes[0],
        f"发现夹带拼音的乱码文字{shown}{more}，不能发布",
        "这是网页转换工具造成的；请从原始来源（原文件或官方文章）重新复制这段文字，不要复制带拼音的版本",
        ERROR,
    )


@cache
def converter_t2s() -> Any:
    """OpenCC Traditional → Simplified, or None when the package is missing."""
    try:
        import opencc
    except ImportError:
        return None
    return opencc.OpenCC("t2s")


@cache
def traditional_table() -> tuple[dict[str, str], re.Pattern[str]]:
    """Traditional-only characters → Simplified, and a pattern that finds any of them (built once, ~0.1 s)."""
    converter = converter_t2s()
    if converter is None:
        return {}, re.compile(r"(?!)")
    chars = [chr(c) for a, b in ((0x3400, 0x4DC0), (0x4E00, 0xA000), (0xF900, 0xFB00)) for c in range(a, b)]
    converted = converter.convert("\n".join(chars)).split("\n")
    table = {
        a: b
        for a, b in zip(chars, converted, strict=True)
        if a != b and len(b) == 1 and a not in SIMPLIFIED_TOO
    }
    return table, re.compile("[" + "".join(sorted(table)) + "]")


def _spans(marked: list[int], length: int) -> list[tuple[int, int]]:
    """Each marked character with one neighbour either side, overlapping spans merged: 當前 not just 當."""
    spans: list[tuple[int, int]] = []
    for i in marked:
        start, end = max(0, i - 1), min(length, i + 2)
        if len(marked) == 1 and end - i == 2:
            start = i  # a lone character is quoted with the next one only: “當前”
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return spans


def _toneless(syllable: str) -> str:
    text = unicodedata.normalize("NFD", syllable.lower().replace("ü", "v"))
    return "".join(c for c in text if not unicodedata.combining(c)).replace("ü", "v")


@cache
def _readings(char: str) -> frozenset[str]:
    from pypinyin import Style, pinyin

    return frozenset(pinyin(char, style=Style.NORMAL, heteronym=True, errors="ignore")[0] if char else ())


def _is_pinyin(char: str, content: str) -> bool:
    """True for 当(dāng), 當(dang1), 当（dāng qián）, 当(dang): a reading, not 项目(AI) or 园区(sip)."""
    syllables = content.replace("'", " ").split()
    toned = [any(c in _TONE_MARKS for c in s) or s[-1].isdigit() for s in syllables]
    bases = [_toneless(s).rstrip("12345") for s in syllables]
    if not all(_PINYIN_SHAPE.fullmatch(b) for b in bases):
        return False
    if all(toned):
        return True
    return len(bases) == 1 and bases[0] in _readings(char)


def _is_common(char: str) -> bool:
    """One of the 3,755 most common characters (GB 2312 level 1): nobody annotates those on purpose."""
    try:
        encoded = char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return 0xB0 <= encoded[0] <= 0xD7
