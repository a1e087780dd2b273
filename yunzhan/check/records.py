"""Walking a record's texts line by line, and the rules of one record file that ``build`` runs too.

``Checker`` visits the body and every text field (with the right line of the file), lists external links and hands
each line to the rules: Chinese text (chinese.py), body image paths and image files, injected HTML (html.py).
``RecordRules`` is the part ``build`` runs for the files it parses anew, so that what ``check`` calls an error
stops a build.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import NamedTuple
from urllib.parse import unquote

from yunzhan import addresses, mdsource, pasted, personal
from yunzhan.check import chinese, html
from yunzhan.check.text import Finding, Text, field_name
from yunzhan.config import CollectionSettings, SiteConfig
from yunzhan.errors import ERROR, WARNING, Problem
from yunzhan.imagepaths import AUDIO_EXTENSIONS, is_video
from yunzhan.images import check_source
from yunzhan.mediafields import image_request
from yunzhan.model import ImageRequest, Record

_LINK_TARGET = (
    r"\(\s*(<[^<>\n]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^()]*\)))?\s*\)"
)
_MD_IMAGE = re.compile(r"!\[((?:[^\[\]\\]|\\.|\[[^\[\]]*\])*)\]" + _LINK_TARGET)
_URL = re.compile(r"https?://[^\s<>\"'`()\[\]{}\u3000-\u303f\uff00-\uffef]+", re.IGNORECASE)
_URL_TRAILING = ".,;:!?*_~"


class ExternalLink(NamedTuple):
    """A link to another website: listed for the editor to look over, never fetched."""

    path: str  # site-relative record file
    line: int | None
    url: str


class RecordRules:
    """The checks of one record file that ``build`` runs too (for the files it parses anew): the file's pasted
    characters, and for a record its Traditional characters, garbled pinyin and body image paths."""

    def __init__(self, config: SiteConfig, site_dir: Path) -> None:
        self.config = config
        self.site_dir = site_dir.absolute()
        self._checker = Checker(config, self.site_dir, rules_only=True)
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


class Checker:
    """Walks records' texts; collects ``problems`` and ``links``."""

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
        self.public = personal.public_numbers(config) if config else frozenset()  # listed as public: no alarm
        if self.simplified and chinese.converter_t2s() is None:
            self.simplified = False
        if self.chinese and not self.simplified and rules_only and chinese.converter_t2s() is None:
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
            self.scan(Text(record, None, record.raw_body, record.body_line, exact=True, markdown=True))
        if settings is None:  # no spec: every text value, as plain text
            for name, value in record.fields.items():
                items = value if isinstance(value, list) else [value]
                for i, item in enumerate(items):
                    if isinstance(item, str):
                        where = f"{name}[{i}]" if isinstance(value, list) else name
                        line = record.lines.get(where, record.lines.get(name))
                        self.scan(Text(record, where, item, line, exact=False, markdown=False))
            return
        for spec in settings.fields:
            value = record.fields.get(spec.name)
            line = record.lines.get(spec.name)
            if spec.type in ("ref", "enum", "date", "int", "bool") or value is None:
                continue
            if spec.type == "url" and isinstance(value, str):
                self.links.append(ExternalLink(record.source, line, value))
            elif spec.type in ("string", "text") and isinstance(value, str):
                self.scan(Text(record, spec.name, value, line, exact=False, markdown=spec.type == "text"))
            elif spec.type == "list" and isinstance(value, list):
                for i, item in enumerate(value):
                    if isinstance(item, str):
                        name = f"{spec.name}[{i}]"
                        self.scan(Text(record, name, item, record.lines.get(name, line), False, False))
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
                                self.scan(Text(record, name, text, where, exact=False, markdown=False))

    def field_image(self, record: Record, request: ImageRequest, alt: str) -> None:
        if alt:
            name = f"{request.field}.alt"
            self.scan(Text(record, name, alt, record.lines.get(name, request.line), False, False))
        if not self.only_links and not self.rules_only:
            shown = os.path.relpath(request.source, (self.site_dir / record.source).parent)
            self.image_file(record, request.field, request.line, request.source, Path(shown).as_posix())

    # -- text, line by line

    def scan(self, text: Text) -> None:
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
                match = mdsource.FENCE.match(raw)
                if fence:
                    if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
                        fence = ""
                    plain = ""  # code: shown as it is, never HTML or a link
                elif match:
                    fence = match.group(1)
                    plain = ""
                elif "`" in raw:
                    plain = mdsource.CODE_SPAN.sub(lambda m: " " * len(m.group(0)), raw)
            if "://" in plain and not self.rules_only:
                for url in _URL.findall(plain):
                    url = url.rstrip(_URL_TRAILING)
                    self.links.append(ExternalLink(text.record.source, self.line_of(text, i, url), url))
            if self.only_links:
                continue
            if self.rules_only and self.chinese:
                self.report(text, i, chinese.garbled(raw))
            if self.rules_only and self.simplified:
                self.report(text, i, chinese.traditional(raw))
            if text.markdown and ("[" in plain or "<" in plain):
                self.markdown_line(text, i, plain)

    def _may_break_rules(self, text: Text) -> bool:
        value = text.text
        return chinese.may_apply(value, chinese=self.chinese, simplified=self.simplified) or (
            text.markdown and "![" in value
        )

    def line_of(self, text: Text, index: int, needle: str) -> int | None:
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

    def add(self, text: Text, index: int, needle: str, message: str, hint: str, severity: str) -> None:
        line = self.line_of(text, index, needle)
        self.problems.append(Problem(text.record.source, line, field_name(text), message, hint, severity))

    def report(self, text: Text, index: int, finding: Finding | None) -> None:
        if finding is not None:
            self.add(text, index, *finding)

    # -- Markdown: raw HTML, links, images

    def markdown_line(self, text: Text, index: int, line: str) -> None:
        """Body image paths (a rule: build checks them too) and HTML that looks injected (check only). Alt text,
        links to records and the HTML the sanitiser removes are the conversion's to report (texts.py)."""
        for match in _MD_IMAGE.finditer(line):
            src = _target(match.group(2))
            if (
                src and not html.is_script_url(src) and not addresses.is_external(src)
            ):  # the conversion's to tell
                self.body_image(text, index, src)
        if "<" in line and not self.rules_only:
            for finding in html.injected_html(line):
                self.report(text, index, finding)

    def body_image(self, text: Text, index: int, src: str) -> None:
        record = text.record
        folder = (self.site_dir / record.source).parent
        line = self.line_of(text, index, src)
        where = field_name(text)
        src = addresses.slashed(src)  # as the conversion reads it: images\a.jpg is images/a.jpg
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
        if is_video(source) or source.lower().endswith(AUDIO_EXTENSIONS):
            return  # media.check_media checks media files
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


def _target(raw: str) -> str:
    return raw[1:-1].strip() if raw.startswith("<") and raw.endswith(">") else raw
