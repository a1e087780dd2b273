"""Content checks before publishing (``python build.py check``): what the build accepts but should not go live.

Pure functions over loaded records (``content.load_content``); nothing here fetches, renders or writes. Each
finding is a ``Problem`` phrased for an editor, with the right line of the file. ``check`` reports what ``build``
would, in the same words from the same code, and adds what needs every record or a person's eye:

- the rules of one record file (``RecordRules``, run by ``build`` too, so that what ``check`` calls an error
  stops a build): pasted characters from Word and web pages (pasted.py), Traditional characters in a Simplified
  Chinese site (warning, with the Simplified form), text garbled by a converter that puts pinyin in brackets
  after characters, ``當(dāng)前`` (error), and image paths in bodies;
- what converting the Markdown finds (texts.py, as ``build`` converts it): images without alt text, pictures
  left on other websites (WeChat's), links to records that do not exist, websites linked without https://,
  HTML the sanitiser removes;
- image files that are missing (worded by images.py, as ``build`` says it) or far too large (warning);
- check only: hidden text and HTML links that look injected, duplicate titles within a collection (warnings).

External links are listed (never fetched) in ``CheckReport.external_links``.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import unquote, urlsplit

from yunzhan import markup, pasted, personal, references, review, texts
from yunzhan.config import CollectionSettings, SiteConfig
from yunzhan.content import LoadedContent
from yunzhan.errors import ERROR, WARNING, Problem, sort_problems
from yunzhan.fields import image_request
from yunzhan.images import check_source
from yunzhan.model import ImageRequest, Record

JSON_FORMAT_VERSION = 1
MAX_QUOTES = 3  # examples quoted per line before "等 N 处"

# Characters that OpenCC's t2s changes on their own but that are standard Simplified Chinese in some uses
# (通用规范汉字表): 乾坤/乾隆, the surnames 於 and 麴, 昇/陞 in names, 夥 ("many"), 藉 in 慰藉/狼藉, 瞭望, 幺麽,
# 哪吒, 宫商角徵羽, 拚弃, 蒜薹, 袷袢.
SIMPLIFIED_TOO = frozenset("乾於麴昇陞夥藉瞭麽吒徵拚薹袷")

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RUN = re.compile(f"[{_CJK}]+")
_TONE_MARKS = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
_SYLLABLE = f"[a-zü{_TONE_MARKS}]{{1,6}}[1-5]?"
_GARBLED = re.compile(
    rf"([{_CJK}])[ \t]?[(（][ \t]*({_SYLLABLE}(?:[ \t']+{_SYLLABLE}){{0,3}})[ \t]*[)）](?=([{_CJK}]?))"
)
_PINYIN_SHAPE = re.compile(
    r"(?:(?:zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])?[aeiouv]{1,3}(?:ng|n|r)?|er|ng|n|m|hm|hng)"
)

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1")
_LINK_TARGET = (
    r"\(\s*(<[^<>\n]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^()]*\)))?\s*\)"
)
_MD_IMAGE = re.compile(r"!\[((?:[^\[\]\\]|\\.|\[[^\[\]]*\])*)\]" + _LINK_TARGET)
_URL = re.compile(r"https?://[^\s<>\"'`()\[\]{}\u3000-\u303f\uff00-\uffef]+", re.IGNORECASE)
_URL_TRAILING = ".,;:!?*_~"
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)(?=[\s/>])((?:[^<>\"']|\"[^\"]*\"|'[^']*')*)>")
_ATTR = re.compile(r"([^\s=/>\"']+)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>]+))?")
_HIDDEN_STYLE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0(?![.\d]*[1-9])|opacity\s*:\s*0(?![.\d]*[1-9])"
    r"|(?:left|top|text-indent)\s*:\s*-\d{3,}",
    re.IGNORECASE,
)
_SCRIPT_URL = re.compile(r"^\s*(?:javascript|vbscript|data\s*:\s*text/html)", re.IGNORECASE)
_PASTE = "从网页复制文字时请用“粘贴为纯文本”"


class ExternalLink(NamedTuple):
    """A link to another website: listed for the editor to look over, never fetched."""

    path: str  # site-relative record file
    line: int | None
    url: str


@dataclass
class CheckReport:
    problems: list[Problem] = field(default_factory=list)
    external_links: list[ExternalLink] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(p.is_error for p in self.problems)

    @property
    def warnings(self) -> int:
        return sum(not p.is_error for p in self.problems)

    def failed(self, strict: bool = False) -> bool:
        """True when publishing should be refused: any error, or any warning with ``--strict``."""
        return self.errors > 0 or (strict and self.warnings > 0)


class RecordRules:
    """The checks of one record file that ``build`` runs too (for the files it parses anew): the file's pasted
    characters, and for a record its Traditional characters, garbled pinyin and body image paths."""

    def __init__(self, config: SiteConfig, site_dir: Path) -> None:
        self.config = config
        self.site_dir = site_dir.absolute()
        self._checker = _Checker(config, self.site_dir, rules_only=True)
        self.site_problems = self._checker.problems[:]  # about the whole site (a missing converter), once

    def file_problems(self, rel: str, record: Record | None) -> list[Problem]:
        """What the rules find in one file (site-relative ``rel``); ``record``: the file as loaded, if it was."""
        problems = pasted.read_problems(self.site_dir / rel, rel, record.lines if record else None)
        settings = self.config.collection(record.collection) if record is not None else None
        if record is not None and settings is not None:
            checker = self._checker
            checker.problems, checker.links = [], []
            checker.check_record(record, settings)
            problems += checker.problems
        return problems


# ---------------------------------------------------------------------------------------------------- entry points


def check_site(site_dir: Path, *, drafts: bool = False) -> CheckReport:
    """Everything ``check`` reports for a site: loading, reference and Markdown problems plus the content checks.

    Raises ``ConfigError`` when site.toml is unusable (nothing can be checked then).
    """
    from yunzhan.cache import build_cache_path, load_cache
    from yunzhan.config import load_config
    from yunzhan.content import load_content
    from yunzhan.stamp import CACHE_DIR_NAME

    site_dir = site_dir.absolute()
    config = load_config(site_dir)
    loaded = load_content(site_dir, config, drafts=drafts)
    report = run_checks(loaded, config, site_dir)
    built = load_cache(build_cache_path(site_dir / CACHE_DIR_NAME, site_dir / "output"))  # the last build's
    converted = texts.markdown_problems(loaded.records, config, site_dir, built.markdown)
    ref_problems = references.resolve_references(loaded.records, config)
    waiting = review.withhold(loaded.records, config.review)[2]  # review.py: who still has to sign
    report.problems = sort_problems([*loaded.problems, *ref_problems, *converted, *report.problems, *waiting])
    return report


def run_checks(loaded: LoadedContent, config: SiteConfig, site_dir: Path) -> CheckReport:
    """Check every loaded record; return the problems found (sorted) and the external links (sorted).

    Give it records straight from ``load_content``: before references are resolved or Markdown is rendered.
    """
    site_dir = site_dir.absolute()
    rules = RecordRules(config, site_dir)
    checker = _Checker(config, site_dir)
    by_source = {record.source: record for record in loaded.records}
    for file in loaded.sources:
        rel = file.relative_to(site_dir).as_posix()
        checker.problems += rules.file_problems(rel, by_source.get(rel))
    for record in loaded.records:
        settings = config.collection(record.collection)
        if settings is not None:
            checker.check_record(record, settings)
    checker.problems.extend(rules.site_problems)
    checker.problems.extend(duplicate_titles(loaded.records, config))
    return CheckReport(sort_problems(checker.problems), sorted(set(checker.links), key=_link_key))


def list_external_links(
    records: Iterable[Record], config: SiteConfig | None = None, site_dir: Path = Path(".")
) -> list[ExternalLink]:
    """Every http(s) link in bodies and fields, with its line; sorted and without repeats.

    Without ``config`` every text value of a record is searched; ``site_dir`` (the folder the records' paths are
    relative to) is read only to find lines inside multi-line field values.
    """
    checker = _Checker(config, site_dir.absolute(), only_links=True)
    for record in records:
        settings = config.collection(record.collection) if config else None
        checker.check_record(record, settings)
    return sorted(set(checker.links), key=_link_key)


def duplicate_titles(records: Iterable[Record], config: SiteConfig) -> list[Problem]:
    """A warning on every record whose title repeats an earlier one of the same collection, naming both files."""
    problems: list[Problem] = []
    seen: dict[tuple[str, str], Record] = {}
    for record in sorted(records, key=lambda r: (r.collection, r.source)):
        settings = config.collection(record.collection)
        title_field = settings.title_field if settings else "title"
        title = record.fields.get(title_field)
        if not isinstance(title, str) or not title.strip():
            continue
        key = (record.collection, " ".join(title.split()).casefold())
        first = seen.setdefault(key, record)
        if first is record:
            continue
        kind = settings.title if settings else record.collection
        problems.append(
            Problem(
                record.source,
                record.lines.get(title_field),
                title_field,
                f"标题“{title.strip()}”与 {first.source} 重复",
                f"同一个“{kind}”栏目里有两个同名条目，访客分不清：如果是同一个条目写了两遍，删掉其中一个文件；"
                "如果是两个不同的条目，给其中一个的标题加上区别（例如年份、地点）",
                WARNING,
            )
        )
    return problems


def format_json(report: CheckReport, other_problems: Iterable[Problem] = ()) -> str:
    """The report as JSON for ``check --format json``: stable key order, problems sorted, UTF-8 text."""
    problems = sort_problems([*report.problems, *other_problems])
    errors = sum(p.is_error for p in problems)
    data = {
        "version": JSON_FORMAT_VERSION,
        "ok": errors == 0,
        "counts": {
            "errors": errors,
            "warnings": len(problems) - errors,
            "external_links": len(report.external_links),
        },
        "problems": [p.as_dict() for p in problems],
        "external_links": [{"path": x.path, "line": x.line, "url": x.url} for x in report.external_links],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def format_external_links(links: Sequence[ExternalLink]) -> list[str]:
    """Plain lines for the text output: ``content/x.md:12: https://…``."""
    return [f"{x.path}:{x.line}: {x.url}" if x.line else f"{x.path}: {x.url}" for x in links]


def summary_line(report: CheckReport, other_problems: Iterable[Problem] = ()) -> str:
    """One closing sentence in plain Chinese."""
    problems = [*report.problems, *other_problems]
    errors = sum(p.is_error for p in problems)
    warnings = len(problems) - errors
    links = (
        f"，外部链接 {len(report.external_links)} 个（未访问，请人工看一遍）" if report.external_links else ""
    )
    if errors:
        return f"检查完毕：{errors} 个错误，{warnings} 个警告{links}。改正错误后才能发布。"
    if warnings:
        return f"检查完毕：没有错误，{warnings} 个警告{links}。发布前请看一下警告。"
    return f"检查完毕：没有发现问题{links}。"


def _link_key(link: ExternalLink) -> tuple[str, int, str]:
    return (link.path, link.line or 0, link.url)


# ---------------------------------------------------------------------------------------------------- the checker


@dataclass
class _Text:
    """A piece of text of a record and where it sits in the file."""

    record: Record
    field: str | None  # None: the body
    text: str
    line: int | None  # line of the field, or of the body's first line
    exact: bool  # True: text line i is file line ``line + i`` (bodies); else located by searching the file
    markdown: bool


class _Checker:
    def __init__(
        self,
        config: SiteConfig | None,
        site_dir: Path,
        *,
        only_links: bool = False,
        rules_only: bool = False,
    ) -> None:
        self.config = config
        self.site_dir = site_dir
        self.only_links = only_links
        self.rules_only = rules_only  # only what RecordRules runs; else only what it does not
        language = (config.language if config else "zh-CN").lower()
        self.chinese = language.startswith("zh")
        self.simplified = self.chinese and not any(x in language for x in ("hant", "tw", "hk", "mo"))
        self.warn_bytes = config.images.warn_bytes if config else 20 * 1024 * 1024
        self.content_dir = os.path.realpath(site_dir / "content")
        self.problems: list[Problem] = []
        self.links: list[ExternalLink] = []
        self._file_lines: dict[str, list[str]] = {}
        self._sized: set[tuple[str, str]] = set()
        self.public = personal.public_numbers(config) if config else frozenset()  # personal.py
        if self.simplified and _converter() is None:
            self.simplified = False
        if self.chinese and not self.simplified and rules_only and _converter() is None:
            self.problems.append(
                Problem(
                    "site.toml",
                    None,
                    "language",
                    "没有安装繁简转换组件 opencc，跳过了繁体字检查",
                    "运行 pip install -e . 安装全部依赖后再检查",
                    WARNING,
                )
            )

    # -- walking a record

    def check_record(self, record: Record, settings: CollectionSettings | None) -> None:
        if record.raw_body:
            self.scan(_Text(record, None, record.raw_body, record.body_line, exact=True, markdown=True))
        if settings is None:  # no spec: every text value, as plain text
            for name, value in record.fields.items():
                items = value if isinstance(value, list) else [value]
                for i, item in enumerate(items):
                    if isinstance(item, str):
                        where = f"{name}[{i}]" if isinstance(value, list) else name
                        line = record.lines.get(where, record.lines.get(name))
                        self.scan(_Text(record, where, item, line, exact=False, markdown=False))
            return
        for spec in settings.fields:
            value = record.fields.get(spec.name)
            line = record.lines.get(spec.name)
            if spec.type in ("ref", "enum", "date", "int", "bool") or value is None:
                continue
            if spec.type == "url" and isinstance(value, str):
                self.links.append(ExternalLink(record.source, line, value))
            elif spec.type in ("string", "text") and isinstance(value, str):
                self.scan(_Text(record, spec.name, value, line, exact=False, markdown=spec.type == "text"))
            elif spec.type == "list" and isinstance(value, list):
                for i, item in enumerate(value):
                    if isinstance(item, str):
                        name = f"{spec.name}[{i}]"
                        self.scan(_Text(record, name, item, record.lines.get(name, line), False, False))
            elif isinstance(value, ImageRequest):
                self.field_image(record, value, value.alt if f"{spec.name}.alt" in record.lines else "")
            elif spec.type == "gallery" and isinstance(value, list):
                for item in value:
                    if isinstance(item, tuple) and len(item) == 3 and isinstance(item[0], ImageRequest):
                        request, caption, credit = item
                        self.field_image(record, request, request.alt)
                        for key, text in (("caption", caption), ("credit", credit)):
                            name = f"{request.field}.{key}"
                            if text:
                                where = record.lines.get(name, request.line)
                                self.scan(_Text(record, name, text, where, exact=False, markdown=False))

    def field_image(self, record: Record, request: ImageRequest, alt: str) -> None:
        if alt:
            name = f"{request.field}.alt"
            self.scan(_Text(record, name, alt, record.lines.get(name, request.line), False, False))
        if not self.only_links and not self.rules_only:
            shown = os.path.relpath(request.source, (self.site_dir / record.source).parent)
            self.image_file(record, request.field, request.line, request.source, Path(shown).as_posix())

    # -- text, line by line

    def scan(self, text: _Text) -> None:
        if self.rules_only:  # personal.py: resident ID, mobile and bank card numbers are errors
            for index, needle, message in personal.lines_found(text.text, self.public):
                self.add(text, index, needle, message, personal.HINT, ERROR)
        if self.rules_only and not self._may_break_rules(text):
            return  # most texts: a few searches in C instead of a loop over lines (build runs this too)
        fence = ""
        for i, raw in enumerate(text.text.split("\n")):
            if not raw.strip():
                continue
            plain = raw
            if text.markdown:
                match = _FENCE.match(raw)
                if fence:
                    if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
                        fence = ""
                    plain = ""  # code: shown as it is, never HTML or a link
                elif match:
                    fence = match.group(1)
                    plain = ""
                elif "`" in raw:
                    plain = _CODE_SPAN.sub(lambda m: " " * len(m.group(0)), raw)
            if "://" in plain and not self.rules_only:
                for url in _URL.findall(plain):
                    url = url.rstrip(_URL_TRAILING)
                    self.links.append(ExternalLink(text.record.source, self.line_of(text, i, url), url))
            if self.only_links:
                continue
            if self.rules_only and self.chinese:
                self.garbled(text, i, raw)
            if self.rules_only and self.simplified:
                self.traditional(text, i, raw)
            if text.markdown and ("[" in plain or "<" in plain):
                self.markdown_line(text, i, plain)

    def _may_break_rules(self, text: _Text) -> bool:
        value = text.text
        return bool(
            (self.chinese and _GARBLED.search(value))
            or (self.simplified and _traditional_table()[1].search(value))
            or (text.markdown and "![" in value)
        )

    def line_of(self, text: _Text, index: int, needle: str) -> int | None:
        """The file line of line ``index`` of a text; multi-line field values are found by searching the file."""
        if text.line is None:
            return None
        if text.exact:
            return text.line + index
        if "\n" not in text.text:
            return text.line
        lines = self._lines(text.record)
        needle = needle.strip()[:40]
        if needle:
            stop = min(len(lines), text.line + text.text.count("\n") * 3 + 20)
            for n in range(text.line - 1, stop):
                if needle in lines[n]:
                    return n + 1
        return text.line

    def _lines(self, record: Record) -> list[str]:
        if record.source not in self._file_lines:
            try:
                raw = (self.site_dir / record.source).read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError):
                raw = ""
            self._file_lines[record.source] = raw.replace("\r\n", "\n").split("\n")
        return self._file_lines[record.source]

    def add(self, text: _Text, index: int, needle: str, message: str, hint: str, severity: str) -> None:
        line = self.line_of(text, index, needle)
        self.problems.append(Problem(text.record.source, line, _field_name(text), message, hint, severity))

    # -- Traditional characters and converter garbage

    def traditional(self, text: _Text, index: int, line: str) -> None:
        table, pattern = _traditional_table()
        if not pattern.search(line):
            return
        converter = _converter()
        found: list[tuple[str, str]] = []
        for run in _CJK_RUN.finditer(line):
            chars = run.group(0)
            if not pattern.search(chars):
                continue
            converted = converter.convert(chars) if converter else chars
            if len(converted) != len(chars):  # a phrase changed length: fall back to single characters
                converted = "".join(table.get(c, c) for c in chars)
            marked = [
                i for i, (a, b) in enumerate(zip(chars, converted, strict=True)) if a != b and a in table
            ]
            found.extend((chars[a:b], converted[a:b]) for a, b in _spans(marked, len(chars)))
        if not found:
            return
        shown = found[:MAX_QUOTES]
        more = f"等 {len(found)} 处" if len(found) > MAX_QUOTES else ""
        old = "".join(f"“{a}”" for a, _ in shown)
        new = "".join(f"“{b}”" for _, b in shown)
        self.add(
            text,
            index,
            found[0][0],
            f"发现繁体字{old}{more}，简体应为{new}",
            "改成简体字；如果整段是从繁体网页复制来的，请找简体原文重新复制",
            WARNING,
        )

    def garbled(self, text: _Text, index: int, line: str) -> None:
        if "(" not in line and "（" not in line:
            return
        found = [m for m in _GARBLED.finditer(line) if _is_pinyin(m.group(1), m.group(2))]
        if not found:
            return
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
            and first.group(1) not in _traditional_table()[0]
            and not _is_common(first.group(1))
        )
        if deliberate:  # one reading given for a rare character, e.g. 缂（kè）丝: may be on purpose
            self.add(
                text,
                index,
                quotes[0],
                f"文字里有带拼音的字{shown}",
                "如果是有意给生僻字注音，可以忽略；如果是从网页复制时带进来的拼音，请删掉括号和拼音",
                WARNING,
            )
            return
        self.add(
            text,
            index,
            quotes[0],
            f"发现夹带拼音的乱码文字{shown}{more}，不能发布",
            "这是网页转换工具造成的；请从原始来源（原文件或官方文章）重新复制这段文字，不要复制带拼音的版本",
            ERROR,
        )

    # -- Markdown: raw HTML, links, images

    def markdown_line(self, text: _Text, index: int, line: str) -> None:
        """Body image paths (a rule: build checks them too) and HTML that looks injected (check only). Alt text,
        links to records and the HTML the sanitiser removes are the conversion's to report (texts.py)."""
        for match in _MD_IMAGE.finditer(line):
            src = _target(match.group(2))
            if src and not _SCRIPT_URL.match(src) and not markup.is_external(src):  # the conversion's to tell
                self.body_image(text, index, src)
        if "<" in line and not self.rules_only:
            self.injected_html(text, index, line)

    def body_image(self, text: _Text, index: int, src: str) -> None:
        record = text.record
        folder = (self.site_dir / record.source).parent
        line = self.line_of(text, index, src)
        where = _field_name(text)
        src = markup.slashed(src)  # as the conversion reads it: images\a.jpg is images/a.jpg
        request = image_request(self.site_dir, folder, src, "", record.source, line, where or "body")
        if isinstance(request, Problem):
            if self.rules_only:
                self.problems.append(request)  # "body", as build names it
            return
        if self.rules_only:
            return
        source = request.source
        if not Path(source).is_file() and unquote(src) != src:
            request = image_request(self.site_dir, folder, unquote(src), "", record.source, line, where)
            source = request.source if isinstance(request, ImageRequest) else source
        self.image_file(record, where or "body", line, source, src)

    def image_file(
        self, record: Record, where: str | None, line: int | None, source: str, shown: str
    ) -> None:
        found = check_source(os.path.realpath(source), self.content_dir)
        if not isinstance(
            found, os.stat_result
        ):  # missing, unsupported or outside content/: as build says it
            self.problems.append(Problem(record.source, line, where, *found))
            return
        size = found.st_size
        if size > self.warn_bytes and (record.source, source) not in self._sized:
            self._sized.add((record.source, source))
            limit = self.warn_bytes / 1024 / 1024
            self.problems.append(
                Problem(
                    record.source,
                    line,
                    where,
                    f"图片 {shown} 太大（{size / 1024 / 1024:.1f} MB，超过 {limit:.0f} MB）",
                    "生成网站会很慢；请先把照片缩小（长边 4000 像素以内即可）再放进来",
                    WARNING,
                )
            )

    def injected_html(self, text: _Text, index: int, line: str) -> None:
        """Hidden text and HTML links: what spam injected into a copied web page looks like."""
        hidden: list[str] = []
        anchors: list[str] = []
        for match in _TAG.finditer(line):
            closing, tag, attr_text = match.group(1), match.group(2).lower(), match.group(3)
            if closing:
                continue
            attrs = {k.lower(): (v or "").strip("\"'") for k, v in _ATTR.findall(attr_text)}
            if _HIDDEN_STYLE.search(attrs.get("style", "")) or "hidden" in attrs:
                hidden.append(match.group(0)[:60])
            if tag == "a" and urlsplit(attrs.get("href", "")).scheme in ("http", "https"):
                anchors.append(attrs["href"])
        if hidden:
            self.add(
                text,
                index,
                "<",
                f"有被隐藏起来的文字 {hidden[0]}，可能是网页里被注入的垃圾内容",
                f"确认后删掉这段 HTML；{_PASTE}",
                WARNING,
            )
        if anchors:
            self.add(
                text,
                index,
                "<a",
                f"HTML 写法的外部链接 {anchors[0]}，可能是复制网页时带进来的广告链接",
                "确认确实需要这个链接；需要就改用 Markdown 写法 [文字](网址)，不需要就删掉",
                WARNING,
            )


# ---------------------------------------------------------------------------------------------------- helpers


@cache
def _converter() -> Any:
    """OpenCC Traditional → Simplified, or None when the package is missing."""
    try:
        import opencc
    except ImportError:
        return None
    return opencc.OpenCC("t2s")


@cache
def _traditional_table() -> tuple[dict[str, str], re.Pattern[str]]:
    """Traditional-only characters → Simplified, and a pattern that finds any of them (built once, ~0.1 s)."""
    converter = _converter()
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


def _field_name(text: _Text) -> str | None:
    """A Markdown file's body has no field name; a YAML record's body is its ``body`` key."""
    return text.field or (None if text.record.source.endswith(".md") else "body")


def _target(raw: str) -> str:
    return raw[1:-1].strip() if raw.startswith("<") and raw.endswith(">") else raw
