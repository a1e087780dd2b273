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
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from yunzhan.config import RESERVED_KEYS, CollectionSettings, FieldSpec
from yunzhan.errors import WARNING, Problem, did_you_mean
from yunzhan.imagepaths import AUDIO_EXTENSIONS, VIDEO_KEYS, is_video, local_source
from yunzhan.model import ImageRequest, MediaRequest

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
_QUOTE_MARKS = frozenset("“”‘’\"'「」『』")


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


@dataclass
class _FieldChecker:
    rel: str
    lines: dict[str, int]
    problems: list[Problem]
    folder: Path
    site_dir: Path
    known: frozenset[str] = frozenset()  # the fields declared beside this one

    def line_of(self, name: str) -> int | None:
        """Line of a field, or of the nearest enclosing one (``gallery[1].alt`` → ``gallery[1]``)."""
        while name:
            if name in self.lines:
                return self.lines[name]
            name = re.sub(r"(\.[^.\[]*|\[\d+\])$", "", name) if re.search(r"[.\[]", name) else ""
        return None

    def fail(self, name: str, message: str, hint: str) -> None:
        self.problems.append(Problem(self.rel, self.line_of(name), name, message, hint))

    def warn(self, name: str, message: str, hint: str) -> None:
        self.problems.append(Problem(self.rel, self.line_of(name), name, message, hint, WARNING))

    def unquoted(self, name: str, value: Any) -> Any:
        """An alt, caption or credit typed as only quote marks (``alt: “”``) meant empty: taken so, and said."""
        text = value.strip() if isinstance(value, str) else ""
        if not text or any(c not in _QUOTE_MARKS and not c.isspace() for c in text):
            return value
        key = name.rsplit(".", 1)[-1]
        if key == "alt":
            self.warn(name, f"只有引号 {text}，当作空的替代文字（纯装饰图片）", '写成英文引号 alt: ""')
        else:
            self.warn(name, f"只有引号 {text}，当作没有写", f'不需要就删掉这一行，或写成英文引号 {key}: ""')
        return ""

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

    def _image(self, spec: FieldSpec, name: str, raw: Any, data: dict[str, Any]) -> ImageRequest | None:
        if isinstance(raw, str):
            raw = {"src": raw}
        if not isinstance(raw, dict) or not isinstance(raw.get("src"), str):
            self.fail(name, "图片应当写成文件路径", f"例如 {spec.name}: cover.jpg，或 src: 和 alt: 两行")
            return None
        unknown = set(raw) - {"src", "alt", "caption", "credit"} - _video_keys(raw["src"])
        if unknown:
            self.fail(
                name,
                f"图片里有未知的项：{', '.join(sorted(unknown))}",
                "图片只能有 src、alt、caption、credit（视频还可以有 poster、captions）",
            )
        alt = self.unquoted(f"{name}.alt", raw.get("alt"))
        if alt is None:
            alt = str(data.get("title") or data.get("name") or "")
        return self._request(name, raw["src"], str(alt), f"{spec.name}: {{}}", raw)

    def _gallery(
        self, spec: FieldSpec, name: str, raw: Any, data: dict[str, Any]
    ) -> list[tuple[ImageRequest, str, str]]:
        if not isinstance(raw, list):
            self.fail(name, "图集应当是列表", "每张图片一项：- src: a.jpg 然后 alt:、caption:、credit:")
            return []
        items = []
        for i, item in enumerate(raw):
            where = f"{name}[{i}]"
            if isinstance(item, str):
                item = {"src": item}
            if not isinstance(item, dict) or not isinstance(item.get("src"), str):
                self.fail(where, "图集的每一项都要有 src", "例如 - src: photo1.jpg")
                continue
            unknown = set(item) - {"src", "alt", "caption", "credit"} - _video_keys(item["src"])
            if unknown:
                self.fail(
                    where,
                    f"未知的项：{', '.join(sorted(unknown))}",
                    "只能有 src、alt、caption、credit（视频还可以有 poster、captions）",
                )
            if "alt" not in item or item["alt"] is None:
                self.fail(
                    f"{where}.alt", "图片缺少替代文字 alt", '写一句描述图片内容的话；纯装饰图片写 alt: ""'
                )
                continue
            alt, caption, credit = (
                self.unquoted(f"{where}.{k}", item.get(k)) for k in ("alt", "caption", "credit")
            )
            request = self._request(where, item["src"], str(alt), "- src: {}", item)
            if request is not None:
                items.append((request, str(caption or ""), str(credit or "")))
        return items

    def _request(
        self, name: str, src: str, alt: str, example: str, written: dict[str, Any] | None = None
    ) -> ImageRequest | None:
        line = self.line_of(name)
        result = image_request(self.site_dir, self.folder, src, alt, self.rel, line, name, example)
        if isinstance(result, Problem):
            self.problems.append(result)
            return None
        if is_video(src):
            return self._media(name, result, "video", written or {})
        return result

    def _media(
        self, name: str, found: ImageRequest, kind: str, written: dict[str, Any]
    ) -> MediaRequest | None:
        """The request of a video or audio file, with its poster, captions or transcript as written."""
        poster, texts = None, {}
        if kind == "video" and written.get("poster") is not None:
            where = f"{name}.poster"
            request = self._request(where, str(written["poster"]), found.alt, "poster: {}")
            if request is None or isinstance(request, MediaRequest):
                if isinstance(request, MediaRequest):
                    self.fail(where, "封面（poster）应当是一张图片", "例如 poster: 封面.jpg")
                return None
            poster = request.source
        for key in ("captions", "transcript"):
            value = written.get(key)
            if value is not None and (not isinstance(value, str) or not value.strip()):
                self.fail(f"{name}.{key}", "应当是一段文字", _MEDIA_TEXT_HINTS[key])
                return None
            texts[key] = value.strip() if isinstance(value, str) else None
        fields = dict(found.__dict__)
        return MediaRequest(**fields, kind=kind, poster=poster, **texts)

    def _audio(self, spec: FieldSpec, name: str, raw: Any, data: dict[str, Any]) -> MediaRequest | None:
        """``audio: 讲解.mp3``, or ``src:`` with ``transcript:`` (else a .txt/.vtt of the same name beside it)."""
        written = {"src": raw} if isinstance(raw, str) else raw
        if not isinstance(written, dict) or not isinstance(written.get("src"), str):
            self.fail(name, "语音导览应当写成音频文件名", f"例如 {spec.name}: 讲解.mp3")
            return None
        unknown = set(written) - {"src", "title", "transcript"}
        if unknown:
            self.fail(name, f"未知的项：{', '.join(sorted(unknown))}", "只能有 src、title、transcript")
        if not written["src"].lower().rstrip().endswith(AUDIO_EXTENSIONS):
            self.fail(name, f"不支持的音频格式：{written['src']}", "语音导览请用 MP3、M4A 或 AAC 文件")
            return None
        title = str(written.get("title") or data.get("title") or data.get("name") or "语音导览")
        line = self.line_of(name)
        found = image_request(
            self.site_dir, self.folder, written["src"], title, self.rel, line, name, f"{spec.name}: {{}}"
        )
        if isinstance(found, Problem):
            self.problems.append(found)
            return None
        return self._media(name, found, "audio", written)

    def _guide(self, spec: FieldSpec, name: str, raw: Any, data: dict[str, Any]) -> int | None:
        """An exhibit's number in the audio guide, as printed on its placard: 1 to 9999, unique (guide.py)."""
        text = unicodedata.normalize("NFKC", str(raw)).strip()
        if isinstance(raw, bool) or not re.fullmatch(r"\d{1,4}", text) or int(text) == 0:
            self.fail(
                name, f"导览编号应当是 1 到 9999 的整数，现在是 {str(raw)[:20]!r}", f"例如 {spec.name}: 12"
            )
            return None
        return int(text)


_MEDIA_TEXT_HINTS = {
    "captions": "字幕写成同名 .vtt/.srt 文件放在视频旁边；确实不需要时写 captions: none（没有对白，只有机器声）",
    "transcript": "写讲解词全文，或把同名 .txt 文件放在音频旁边",
}


def _video_keys(src: Any) -> frozenset[str]:
    return VIDEO_KEYS if isinstance(src, str) and is_video(src) else frozenset()


def _times(number: str, scale: str) -> str:
    """``1.05`` 万 → ``10500``: the whole number a 万 or 亿 stands for."""
    factor = {"": 1, "万": 10_000, "亿": 100_000_000}[scale]
    return f"{(decimal.Decimal(number) * factor).normalize():f}"


def image_request(
    site_dir: Path,
    folder: Path,
    src: str,
    alt: str,
    rel: str,
    line: int | None,
    name: str,
    example: str = "![描述]({})",
) -> ImageRequest | Problem:
    """Where an image a record names really is; a path that leaves ``content/`` (even by symlink) is refused.
    ``example`` is how the file name is written in its place (a Markdown image unless a field says)."""
    content = (site_dir / "content").resolve()
    if src.startswith(("http://", "https://", "//", "data:")):
        return Problem(rel, line, name, "不能引用外部网站的图片", "把图片下载后放在条目旁边，写相对路径")
    written = local_source(src, example)
    if isinstance(written, tuple):
        return Problem(rel, line, name, *written)
    target = (folder / written).resolve()
    if not target.is_relative_to(content):
        return Problem(
            rel, line, name, f"图片路径超出了网站的 content 文件夹：{src}", "图片要放在 content/ 里面"
        )
    return ImageRequest(source=str(target), alt=alt, record_path=rel, line=line, field=name)
