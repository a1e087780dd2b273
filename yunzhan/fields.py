"""A record's fields checked against its collection's declaration (site.toml), one problem per mistake.

The same checks serve records and the data files a theme describes (``datafiles``): each value is turned into
what templates use (a date, a list, an image request, a record name to resolve later), or reported with its
line and a hint fitted to the case.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import re
import unicodedata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from yunzhan.config import RESERVED_KEYS, CollectionSettings, FieldSpec
from yunzhan.errors import WARNING, Problem, did_you_mean
from yunzhan.mediafields import MediaFields

MAX_STRING_CHARS = 20_000
MAX_INT = 10**15


def reserved_bool(
    data: dict[str, Any], key: str, rel: str, lines: dict[str, int], problems: list[Problem]
) -> bool:
    value = data.get(key, False)
    if not isinstance(value, bool):
        problems.append(Problem(rel, lines.get(key), key, f"{key} 只能是 true 或 false", f"例如 {key}: true"))
        return False
    return value


def check_fields(
    data: dict[str, Any],
    collection: CollectionSettings,
    folder: Path,
    site_dir: Path,
    rel: str,
    lines: dict[str, int],
    problems: list[Problem],
) -> dict[str, Any]:
    """Coerce each declared field to its type; report missing, mistyped and unknown fields."""
    values: dict[str, Any] = {}
    known = {f.name for f in collection.fields}
    for key in data:
        if key not in known and key not in RESERVED_KEYS:
            hint = did_you_mean(str(key), known) or f"{collection.name} 的字段有：{', '.join(sorted(known))}"
            problems.append(
                Problem(rel, lines.get(str(key)), str(key), f'未知字段 "{key}"（会被忽略）', hint, WARNING)
            )
    checker = _FieldChecker(rel, lines, problems, folder, site_dir, frozenset(known))
    for spec in collection.fields:
        raw = data.get(spec.name, spec.default)
        if raw is None or raw == "" or raw == []:
            if spec.required:
                empty = spec.name in data  # written but left empty, as ``new`` leaves it
                message = f"必填字段 {spec.name} 还是空的" if empty else f"缺少必填字段 {spec.name}"
                hint = _fill_hint(spec) if empty else f"加上 {spec.name}: …"
                problems.append(Problem(rel, lines.get(spec.name, 1), spec.name, message, hint))
            values[spec.name] = [] if spec.type in ("list", "gallery") or spec.multiple else None
            continue
        values[spec.name] = checker.check(spec, raw, data)
    start, end = values.get("start"), values.get("end")
    if isinstance(start, dt.date) and isinstance(end, dt.date) and end < start:
        message = f"结束日期 {end.isoformat()} 早于开始日期 {start.isoformat()}"
        problems.append(Problem(rel, lines.get("end"), "end", message, "检查年份和月份"))
    return values


_SEPARATORS = re.compile(r"\s*[、，,；;]\s*")


def split_names(text: str) -> list[str]:
    """The names in one line written with 、，or , between them (``织机、断经自停``): one name gives one item."""
    return [part for part in _SEPARATORS.split(str(text).strip()) if part]


def as_list_hint(field: str, names: list[str]) -> str:
    """The exact way to write several names as a list: half-width comma and space."""
    return f"{field}: [{', '.join(names)}]"


def _fill_hint(spec: FieldSpec) -> str:
    if spec.type == "gallery":
        return f"在 {spec.name}: 下面每张照片写一项：- src: 照片.jpg，下一行 alt: 一句描述"
    if spec.type == "list" or spec.multiple:
        return f"在 {spec.name}: 后面空一格写上，几项时写成 [甲, 乙]"
    return f"在 {spec.name}: 后面空一格，写上内容"


_CHINESE_DATE = re.compile(r"(\d{4})\s*[年/.\-]\s*(\d{1,2})\s*[月/.\-]\s*(\d{1,2})\s*[日号]?")


def _date_hint(text: str) -> str:
    """The exact fix for the ways people write a date (2024年6月20日, 2024/6/20, 2024.6.20, full-width digits)."""
    match = _CHINESE_DATE.fullmatch(unicodedata.normalize("NFKC", text))
    if match:
        year, month, day = (int(g) for g in match.groups())
        return f"日期写成 年-月-日：改成 {year:04d}-{month:02d}-{day:02d}"
    return "写成 年-月-日，例如 2024-04-29"


class _FieldChecker(MediaFields):
    """Each field type's check is the method ``_<type>``; those naming files are in ``MediaFields``."""

    def check(self, spec: FieldSpec, raw: Any, data: dict[str, Any]) -> Any:
        handler = getattr(self, f"_{spec.type}")
        return handler(spec, spec.name, raw, data)

    def _string(self, spec: FieldSpec, name: str, raw: Any, data: dict[str, Any]) -> str | None:
        if isinstance(raw, bool) or not isinstance(raw, str | int | float):
            self.fail(name, "应当是一行文字", f"例如 {spec.name}: 文字内容")
            return None
        text = str(raw).strip()
        if len(text) > MAX_STRING_CHARS:
            self.fail(name, f"文字太长（{len(text)} 字）", "是不是粘贴错了位置？")
            return None
        return text

    def _text(self, spec: FieldSpec, name: str, raw: Any, data: dict[str, Any]) -> str | None:
        return self._string(spec, name, raw, data)

    def _int(self, spec: FieldSpec, name: str, raw: Any, data: dict[str, Any]) -> int | None:
        if isinstance(raw, bool) or not isinstance(raw, int):
            self.fail(name, f"应当是整数，现在是 {str(raw)[:40]!r}", f"例如 {spec.name}: 3")
            return None
        if abs(raw) > MAX_INT:
            self.fail(name, "数字大得不合理", "检查是否多打了数字")
            return None
        return raw

    def _number(self, spec: FieldSpec, name: str, raw: Any, data: dict[str, Any]) -> int | float | None:
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            if not math.isfinite(raw) or abs(raw) > MAX_INT:
                self.fail(name, "数字大得不合理", "检查是否多打了数字")
                return None
            return raw
        text = unicodedata.normalize("NFKC", str(raw)).strip()
        plain = text.replace(",", "")  # "1,050", as the chart reads it
        if not isinstance(raw, bool) and re.fullmatch(r"-?\d+(\.\d+)?", plain):
            return float(plain) if "." in plain else int(plain)
        self.fail(name, *self._number_words(spec.name, text, data))
        return None

    def _number_words(self, key: str, text: str, data: dict[str, Any]) -> tuple[str, str]:
        """Message and exact fix for a number written with its unit (``305家``, ``1.05万``)."""
        match = re.fullmatch(r"(-?[\d,]*\d(?:\.\d+)?)\s*([万亿]?)\s*(.*)", text)
        if not match:
            return f"只写数字（可以带小数点），现在是 “{text[:40]}”", f"例如 {key}: 305"
        number, scale, rest = match.group(1).replace(",", ""), match.group(2), match.group(3).strip()
        unit = rest or str(data.get("unit") or "").strip()
        if "unit" not in self.known:
            whole = _times(number, scale)
            return "只写数字（可以带小数点）", f"改成 {key}: {whole}"
        message = "只写数字（可以带小数点），单位写在 unit 里"
        if not scale:
            return message, f"例如 {key}: {number} 和 unit: {unit or '家'}"
        whole = _times(number, scale)
        plain_unit = f" 和 unit: {unit}" if unit else ""
        return message, f"例如 {key}: {number} 和 unit: {scale}{unit}，或 {key}: {whole}{plain_unit}"

    def _bool(self, spec: FieldSpec, name: str, raw: Any, data: dict[str, Any]) -> bool | None:
        if not isinstance(raw, bool):
            self.fail(name, f"只能是 true 或 false，现在是 {str(raw)[:40]!r}", f"例如 {spec.name}: true")
            return None
        return raw

    def _date(self, spec: FieldSpec, name: str, raw: Any, data: dict[str, Any]) -> dt.date | None:
        text = str(raw).strip()
        if not re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text):
            self.fail(name, f"日期格式不对：“{text[:40]}”", _date_hint(text))
            return None
        try:
            return dt.date(*(int(p) for p in text.split("-")))
        except ValueError:
            self.fail(name, f"不存在的日期：{text}", "检查月份（1–12）和日子是否写对")
            return None

    def _url(self, spec: FieldSpec, name: str, raw: Any, data: dict[str, Any]) -> str | None:
        text = self._string(spec, name, raw, data)
        if text is None:
            return None
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            self.fail(name, f"不是有效的网址：{text[:80]!r}", "网址应当以 https:// 开头")
            return None
        return text

    def _enum(self, spec: FieldSpec, name: str, raw: Any, data: dict[str, Any]) -> str | None:
        text = self._string(spec, name, raw, data)
        if text is None:
            return None
        if text not in spec.values:
            hint = did_you_mean(text, spec.values)
            self.fail(name, f'"{text}" 不是可选的值', f"{hint}可选：{'、'.join(spec.values)}")
            return None
        return text

    def _list(self, spec: FieldSpec, name: str, raw: Any, data: dict[str, Any]) -> list[str]:
        items = raw if isinstance(raw, list) else [raw]
        names = split_names(raw) if isinstance(raw, str) and spec.type == "list" else []
        if len(names) > 1:
            hint = f"几项要写成列表，用英文逗号和空格隔开：{as_list_hint(spec.name, names)}"
            self.warn(name, f"“{raw.strip()}” 会被当作一项", hint)
        out = []
        for i, item in enumerate(items):
            text = self._string(spec, f"{name}[{i}]" if isinstance(raw, list) else name, item, data)
            if text:
                out.append(text)
        return out

    def _ref(self, spec: FieldSpec, name: str, raw: Any, data: dict[str, Any]) -> Any:
        # Checked against the other records later (references.py): here only the shape.
        if spec.multiple:
            return self._list(spec, name, raw, data)
        return self._string(spec, name, raw, data)

    def _guide(self, spec: FieldSpec, name: str, raw: Any, data: dict[str, Any]) -> int | None:
        """An exhibit's number in the audio guide, as printed on its placard: 1 to 9999, unique (guide.py)."""
        text = unicodedata.normalize("NFKC", str(raw)).strip()
        if isinstance(raw, bool) or not re.fullmatch(r"\d{1,4}", text) or int(text) == 0:
            self.fail(
                name, f"导览编号应当是 1 到 9999 的整数，现在是 {str(raw)[:20]!r}", f"例如 {spec.name}: 12"
            )
            return None
        return int(text)


def _times(number: str, scale: str) -> str:
    """``1.05`` 万 → ``10500``: the whole number a 万 or 亿 stands for."""
    factor = {"": 1, "万": 10_000, "亿": 100_000_000}[scale]
    return f"{(decimal.Decimal(number) * factor).normalize():f}"
