"""Personal data that must not be published: resident ID numbers, mobile numbers and bank card numbers in any
text of a record (fields, body, image alt text, captions and credits).

Each candidate is confirmed before it is reported, so ordinary numbers (dates, figures, order numbers) are not:
an 18-character ID must have a real area-code start, a real birth date and the GB 11643-1999 check character;
a mobile number must start with a prefix the carriers use (13x–19x); a card number must have 16 to 19 digits,
a card network's first digit and a valid Luhn check digit. A number listed as public (``[review] public``, or
the ``[contact]`` desk's phone) is not reported. Messages show the number masked, so logs do not repeat it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from yunzhan.config import SiteConfig

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
_ID = re.compile(r"(?<![0-9A-Za-z])([1-8]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx])(?![0-9A-Za-z])")  # fmt: skip
_MOBILE = re.compile(r"(?<![\d+])(?:(?:\+|00)?86[ -]?)?(1(?:3\d|4[5-9]|5[0-35-9]|6[2567]|7[0-8]|8\d|9[0-35-9])[ -]?\d{4}[ -]?\d{4})(?!\d)")  # fmt: skip
_CARD = re.compile(r"(?<![\d-])((?:[3-6]|9)\d{3}(?:[ -]?\d{4}){3}(?:[ -]?\d{1,3})?)(?![\d-])")
SUSPECT = re.compile(r"\d{4}")  # every finding holds four digits in a row: most texts are passed at once


@dataclass(frozen=True)
class Finding:
    kind: str  # "id", "mobile", "card"
    start: int
    text: str  # as written

    @property
    def masked(self) -> str:
        digits = [c for c in self.text if c.isalnum()]
        keep = 3 if self.kind == "mobile" else 4
        return "".join(digits[:keep]) + "*" * (len(digits) - keep - 4) + "".join(digits[-4:])

    @property
    def words(self) -> str:
        return {"id": "身份证号", "mobile": "手机号", "card": "银行卡号"}[self.kind]


def id_valid(number: str) -> bool:
    """GB 11643-1999: the 18th character is the ISO 7064 MOD 11-2 check of the first 17 digits."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11] == number[17].upper()


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        d = int(char)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


# What a finding is written with: digits, the ID's check letter, a mobile's "+", spaces and hyphens. Each lies in
# one run of these holding four digits in a row, and the patterns are looked for in those runs only.
_RUN_END = re.compile(r"[\d +\-Xx]*")


def _runs(text: str) -> list[tuple[int, int]]:
    """(start, end) of each run of ``_RUN_END``'s characters (``\\d`` is any decimal digit) with four digits in a
    row. The patterns are looked for from each run's start (their look-behinds still see the text before it)
    to one character past its end (for their look-aheads)."""
    runs: list[tuple[int, int]] = []
    end = 0
    for match in SUSPECT.finditer(text):
        if match.start() < end:
            continue
        start = match.start()
        while start > end and (text[start - 1] in " +-Xx" or text[start - 1].isdecimal()):
            start -= 1
        end = _RUN_END.match(text, match.end()).end()  # type: ignore[union-attr]
        runs.append((start, end))
    return runs


def find(text: str, public: frozenset[str] = frozenset()) -> list[Finding]:
    """Every confirmed ID, mobile and card number in ``text``, less those whose digits are public."""
    runs = _runs(text)
    if not runs:
        return []
    found: list[Finding] = []
    taken: list[range] = []
    for kind, pattern in (("id", _ID), ("card", _CARD), ("mobile", _MOBILE)):
        for match in (m for start, end in runs for m in pattern.finditer(text, start, end + 1)):
            span = range(match.start(1), match.end(1))
            if any(span.start < t.stop and t.start < span.stop for t in taken):
                continue
            value = match.group(1)
            digits = _digits(value)
            if kind == "id" and not id_valid(value.replace(" ", "")):
                continue
            if kind == "card" and not (16 <= len(digits) <= 19 and luhn_valid(digits)):
                continue
            if digits in public or (kind == "mobile" and len(digits) != 11):
                continue
            taken.append(span)
            found.append(Finding(kind, match.start(1), value))
    return sorted(found, key=lambda f: f.start)


def public_numbers(config: SiteConfig) -> frozenset[str]:
    """Digits that may be published: ``[review] public`` and the numbers in the ``[contact]`` desk's phone."""
    texts: Iterable[str] = (*config.review.public, config.contact.phone)
    numbers = set()
    for text in texts:
        for part in re.split(r"[,，;；/、]|\s{2,}", text):
            digits = _digits(part)
            if digits:
                numbers.add(digits)
                numbers.add(digits.removeprefix("86"))
    return frozenset(numbers)


HINT = "删掉它，或写成“138****0000”这样；本来就公开的号码（如服务热线）写进 site.toml 的 [review] public"


def lines_found(text: str, public: frozenset[str]) -> list[tuple[int, str, str]]:
    """(line index in ``text``, the number as written, message) for each finding, for the checks."""
    return [
        (text.count("\n", 0, f.start), f.text, f"含有{f.words} {f.masked}，不能公开发布")
        for f in find(text, public)
    ]
