"""Find record files, parse them with line numbers, and check every field against its collection's spec.

Three layouts load the same way: ``<slug>.md`` (front matter + Markdown), ``<slug>/index.md`` (a bundle with
its images beside it) and ``<slug>.yaml`` (all fields, optional ``body``). Nothing here raises for an
editor's mistake: each function returns what it could load plus the problems it found.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from yunzhan import datafiles, placeholders, yamlhints
from yunzhan.config import RESERVED_KEYS, CollectionSettings, FieldSpec, SiteConfig
from yunzhan.errors import ERROR, WARNING, Problem, did_you_mean
from yunzhan.ignored import is_ignored_name
from yunzhan.model import ImageRequest, Record
from yunzhan.pasted import decode_text
from yunzhan.slugs import RESERVED_NAMES, file_name_problem, is_valid_slug, slug_problem, slugify

MAX_FILE_BYTES = 2 * 1024 * 1024  # a record larger than this is a paste accident, not content
MAX_STRING_CHARS = 20_000
MAX_INT = 10**15
RECORD_SUFFIXES = (".md", ".yaml", ".yml")


@dataclass
class LoadedContent:
    records: list[Record] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    sources: list[Path] = field(default_factory=list)  # every file read, for incremental rebuilds
    memo_changed: bool = False  # the parse memo given to load_content gained, replaced or dropped entries


ParseMemo = dict[Path, tuple[Any, Record | None, list[Problem]]]
"""Record files already parsed (kept by ``serve`` in memory, by ``build`` in its cache): file → (file identity —
size, times, inode — and settings, the record as loaded, its problems). The record is copied out, never handed
over: later stages fill it in."""


_SafeBase = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser is ~10x faster when present


class _Loader(_SafeBase):  # type: ignore[misc, valid-type]
    """Safe loader that leaves dates as text, so a bad date is reported against its field, not as broken YAML."""


_Loader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse_yaml(text: str, path: str, line_offset: int = 0) -> tuple[Any, dict[str, int], list[Problem]]:
    """Load YAML safely; return (data, key → line, problems). Duplicate keys and aliases are problems; a
    mistake is reported as the editor's likely slip, at the line where it was made (``yamlhints``)."""
    problems: list[Problem] = []
    lines: dict[str, int] = {}
    loader = _Loader(text)
    walk = _Walk(
        path, line_offset, lines, problems, text if any(c in text for c in yamlhints.LINE_BREAKS) else None
    )
    try:
        node = loader.get_single_node()
        if node is None:
            return {}, lines, problems
        walk.node(node, "")
        if any(p.severity != WARNING for p in problems):
            return None, lines, problems
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        what = exc.problem or str(exc)
        if "constructor for the tag" in what:
            mark = exc.problem_mark or exc.context_mark
            line = yamlhints.line_of(text, mark.index) + line_offset if mark else None
            problems.append(
                Problem(
                    path,
                    line,
                    None,
                    "不支持以 ! 开头的写法",
                    "去掉以 ! 开头的标签，只写普通的文字、数字或列表",
                )
            )
        else:
            problems.append(_slip_problem(path, line_offset, yamlhints.explain(text, exc)))
        return None, lines, problems
    except yaml.YAMLError as exc:
        problems.append(
            Problem(path, None, None, "这里的格式有误，无法读取", f"检查缩进和引号（原始信息：{exc}）")
        )
        return None, lines, problems
    except (ValueError, OverflowError) as exc:
        problems.append(Problem(path, None, None, f"无法读取的值：{exc}", "数字太长？把它写成带引号的文字"))
        return None, lines, problems
    finally:
        loader.dispose()
    return data, lines, problems


def _slip_problem(path: str, offset: int, slip: yamlhints.Slip, severity: str = ERROR) -> Problem:
    return Problem(path, slip.line + offset, slip.field, slip.message, slip.hint, severity)


@dataclass
class _Walk:
    """Record each key's line and reject duplicate keys and aliases (PyYAML accepts both silently); find
    what parsed but was not meant (a full-width space in a field name, a Chinese comma in ``[...]``).
    ``text`` is given when it holds line breaks other than "\n", whose marks' line numbers would be off."""

    path: str
    offset: int
    lines: dict[str, int]
    problems: list[Problem]
    text: str | None
    seen: set[int] = field(default_factory=set)

    def line(self, mark: yaml.Mark) -> int:
        return (
            yamlhints.line_of(self.text, mark.index) if self.text is not None else mark.line + 1
        ) + self.offset

    def slip(self, slip: yamlhints.Slip | None, severity: str = ERROR) -> None:
        if slip is not None:
            self.problems.append(_slip_problem(self.path, self.offset, slip, severity))

    def node(self, node: yaml.Node, where: str) -> None:
        if id(node) in self.seen:
            top = where.split("[")[0].split(".")[0]
            line = self.lines.get(top, self.line(node.start_mark))
            self.problems.append(
                Problem(self.path, line, where or None, "不支持锚点和别名（& 和 *）", "把内容直接写出来")
            )
            return
        self.seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            keys: dict[str, int] = {}
            for key_node, value_node in node.value:
                key = str(key_node.value)
                line = self.line(key_node.start_mark)
                name = f"{where}.{key}" if where else key
                if key in keys:
                    self.problems.append(
                        Problem(
                            self.path,
                            line,
                            name,
                            f'字段 "{key}" 重复出现（第一次在第 {keys[key]} 行）',
                            "删掉其中一个",
                        )
                    )
                keys[key] = line
                self.lines.setdefault(name, line)
                self.slip(yamlhints.key_slip(key, line - self.offset))
                self.value(value_node, name, line)
                self.node(value_node, name)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                name = f"{where}[{i}]"
                self.lines.setdefault(name, self.line(item.start_mark))
                self.node(item, name)

    def value(self, node: yaml.Node, name: str, key_line: int) -> None:
        """Warn about a list that became one item: ``[织机，断经]``, ``【织机, 断经】``, ``-航天`` lines. Plain
        values only (style None, or "" from libyaml); the cheap test first, as this runs for every field."""
        if isinstance(node, yaml.SequenceNode) and node.flow_style:
            for item in node.value:
                text = item.value if isinstance(item, yaml.ScalarNode) and not item.style else ""
                if any(c in text for c in yamlhints.FLOW_COMMAS):
                    line = self.line(item.start_mark) - self.offset
                    self.slip(yamlhints.flow_comma_slip(text, name, line), WARNING)
        elif (
            isinstance(node, yaml.ScalarNode)
            and not node.style
            and node.value.startswith(yamlhints.LIST_STARTS)
        ):
            line = self.line(node.start_mark)
            self.slip(yamlhints.text_slip(node.value, name, line - self.offset, line > key_line), WARNING)


_DASHES = re.compile(r"[-—－–―─ー]{2,}")  # "---" as a Chinese input method types it: —— or －－－
_FIELD_LINE = re.compile(r"^(?:[A-Za-z_][\w-]*\s*[:：]|\s+\S|- )")  # a field, an indented line or a list item


def split_front_matter(text: str, path: str) -> tuple[str, str, int, list[Problem]]:
    """Return (front matter, body, line where the body starts, problems) for a Markdown record. A line of
    full-width dashes is taken for the ``---`` it was meant to be, and reported, so the fields are still read."""
    lines = text.split("\n")
    problems: list[Problem] = []
    first = lines[0].strip()
    if first != "---":
        if not _DASHES.fullmatch(first):
            hint = "在第一行前面加一行 ---，字段写完后再加一行 ---，下面写正文"
            if not _FIELD_LINE.match(lines[0]):
                hint = "第一行应当是 ---，接着每行写一个字段（例如 title: …），再用一行 --- 结束，下面写正文"
            return "", text, 1, [Problem(path, 1, None, "文件开头少了一行 ---", hint)]
        problems.append(_dash_problem(path, 1, first))
    for i in range(1, len(lines)):
        mark = lines[i].strip()
        if mark in ("---", "..."):
            return "\n".join(lines[1:i]), "\n".join(lines[i + 1 :]), i + 2, problems
        if _DASHES.fullmatch(mark):
            problems.append(_dash_problem(path, i + 1, mark))
            return "\n".join(lines[1:i]), "\n".join(lines[i + 1 :]), i + 2, problems
    last = 1
    while last < len(lines) and lines[last].strip() and _FIELD_LINE.match(lines[last]):
        last += 1
    problems.append(
        Problem(
            path,
            last,
            None,
            "字段写完后少了一行 ---",
            f"在第 {last} 行后面加一行 ---，把字段和正文分开",
        )
    )
    return "", "", 1, problems


def _dash_problem(path: str, line: int, typed: str) -> Problem:
    return Problem(
        path,
        line,
        None,
        f"这一行应当是三个半角减号 ---，现在是“{typed}”",
        "切换到英文输入法，把这一行改成 ---",
    )


def _is_empty(text: str) -> bool:
    """Nothing but blank lines, ``---``/``...`` and ``%YAML`` directives: a file made and not yet filled.
    Runs for every record, so only the first lines are split off; an empty file has no more."""
    head = text.split("\n", 64)
    rest = head.pop() if len(head) > 64 else ""
    lines = (x.strip() for x in head)
    return not rest.strip() and all(not s or s in ("---", "...") or s.startswith("%") for s in lines)


def _empty_problem(rel: str, collection: CollectionSettings) -> Problem:
    """A new file is a record being started: say which fields it needs, rather than three missing-field errors."""
    required = [f.name for f in collection.fields if f.required] or [collection.title_field]
    if rel.endswith(".md"):
        how = f"第一行写 ---，接着每行写一个字段（必填的有 {'、'.join(required)}），再写一行 ---，下面写正文"
    else:
        how = f"每行写一个字段，例如 {required[0]}: …（必填的有 {'、'.join(required)}）"
    return Problem(rel, 1, None, "这个文件是空的", f"{how}；用不上的话就删掉这个文件")


def load_content(
    site_dir: Path, config: SiteConfig, *, drafts: bool = False, memo: ParseMemo | None = None
) -> LoadedContent:
    """Load every record of every declared collection plus ``content/data/*.yaml``. With ``memo``, a record
    file whose size, times and inode are as before is not parsed again; the memo is left holding exactly the
    files seen."""
    out = LoadedContent()
    content_dir = site_dir / "content"
    if not content_dir.is_dir():
        out.problems.append(
            Problem("content", None, None, "找不到 content 文件夹", "在网站文件夹里建一个 content/")
        )
        return out
    verdicts: dict[tuple[int, int], tuple[object, bool]] = {}  # remembered settings == today's, compared once
    for collection in config.collections:
        folder = content_dir / collection.folder
        out.problems += stray_files(folder, site_dir)
        for file in record_files(folder):
            out.sources.append(file)
            if memo is None:
                record = load_record(file, site_dir, collection, out.problems)
            else:
                record, parsed = _load_remembered(file, site_dir, collection, out.problems, memo, verdicts)
                out.memo_changed |= parsed
            if record is not None and (drafts or not record.draft):
                out.records.append(record)
    data_dir = content_dir / "data"
    if data_dir.is_dir():
        shapes, problems = datafiles.load_shapes(site_dir, config)
        out.problems.extend(problems)
        for file in sorted(data_dir.glob("*.y*ml")):
            out.sources.append(file)
            rel = file.relative_to(site_dir).as_posix()
            text = _read_text(file, rel, out.problems)
            if text is not None:
                value, lines, problems = parse_yaml(text, rel)
                out.problems.extend(problems)
                if value is not None:
                    out.data[file.stem] = value
                    where = datafiles.DataFile(rel, lines, data_dir, site_dir, check_fields)
                    out.problems += datafiles.check_data(shapes.get(file.stem), value, where)
    if memo is not None and len(memo) > len(out.sources):
        seen = set(out.sources)
        for gone in [path for path in memo if path not in seen]:
            del memo[gone]
        out.memo_changed = True
    _check_duplicate_slugs(out.records, out.problems)
    return out


def _load_remembered(
    file: Path,
    site_dir: Path,
    collection: CollectionSettings,
    problems: list[Problem],
    memo: ParseMemo,
    verdicts: dict[tuple[int, int], tuple[object, bool]],
) -> tuple[Record | None, bool]:
    """The record (a copy of the remembered one when the file is as it was) and whether it was parsed now.
    ``verdicts``: whether each remembered settings object equals ``collection`` (the object is kept with it, so
    its id stays its own): thousands of records share one, and comparing two is slow."""
    try:
        stat = file.stat()
    except OSError:
        return load_record(file, site_dir, collection, problems), False
    key = (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino, collection)
    known = memo.get(file)
    if known is not None and (settings := known[0][4]) is not collection:
        verdict = verdicts.get((id(settings), id(collection)))
        if verdict is None:
            verdict = verdicts[id(settings), id(collection)] = (settings, settings == collection)
        if verdict[1]:
            known = memo[file] = ((*known[0][:4], collection), known[1], known[2])
    parsed = known is None or known[0] != key
    if parsed:
        found: list[Problem] = []
        known = memo[file] = (key, load_record(file, site_dir, collection, found), found)
    problems.extend(known[2])
    record = known[1]
    if record is None:
        return None, parsed
    return dataclasses.replace(record, fields=dict(record.fields), backrefs={}), parsed


_DOCUMENTS = {
    ".doc": "Word 文件",
    ".docx": "Word 文件",
    ".wps": "WPS 文件",
    ".rtf": "RTF 文件",
    ".pdf": "PDF 文件",
    ".txt": "纯文本文件",
    ".markdown": "文件",
}


def stray_files(folder: Path, site_dir: Path) -> list[Problem]:
    """Documents an editor put beside the records that the site will never read: a Word file, or Notepad's
    ``x.md.txt`` (Windows hides the extension it added), and bundle folders with no ``index.md``."""
    if not folder.is_dir():
        return []
    found: list[Problem] = []
    with os.scandir(folder) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            name = entry.name
            if name.startswith("_") or is_ignored_name(name):
                continue
            rel = f"{folder.relative_to(site_dir).as_posix()}/{name}"
            stem, suffix = os.path.splitext(name)
            if entry.is_file() and suffix.lower() == ".txt" and stem.lower().endswith(RECORD_SUFFIXES):
                found.append(
                    Problem(
                        rel,
                        None,
                        None,
                        "文件名多了 .txt，网站不会读它",
                        f"记事本保存时自动加上了 .txt（Windows 默认不显示扩展名）：把它重命名为 {stem}",
                        WARNING,
                    )
                )
            elif entry.is_file() and suffix.lower() in _DOCUMENTS:
                found.append(
                    Problem(
                        rel,
                        None,
                        None,
                        f"{_DOCUMENTS[suffix.lower()]}不会发布到网站上",
                        "网站只读 .md 和 .yaml 文件：把内容复制到一个 .md 文件里；不用的文件请移出 content 文件夹",
                        WARNING,
                    )
                )
            elif entry.is_dir() and not any(
                os.path.isfile(os.path.join(entry.path, f"index{s}")) for s in RECORD_SUFFIXES
            ):
                found.append(
                    Problem(
                        rel,
                        None,
                        None,
                        "这个文件夹里没有 index.md，网站不会读它",
                        "一个条目做成文件夹时，文字写在文件夹里的 index.md 中，照片放在它旁边",
                        WARNING,
                    )
                )
    return found


def record_files(folder: Path) -> list[Path]:
    """A collection folder's record files (flat or bundle), in name order, lock files and ``_x`` set aside."""
    if not folder.is_dir():
        return []
    files: list[Path] = []
    with os.scandir(folder) as found:  # DirEntry knows file from folder without another stat
        entries = sorted(found, key=lambda e: e.name)
    for entry in entries:
        name = entry.name
        if name.startswith("_") or is_ignored_name(name):
            continue  # set aside by the editor; lock, swap and backup files
        if entry.is_file() and os.path.splitext(name)[1] in RECORD_SUFFIXES:
            files.append(folder / name)
        elif entry.is_dir() and os.path.isfile(os.path.join(entry.path, "index.md")):
            files.append(folder / name / "index.md")
        elif entry.is_dir() and os.path.isfile(os.path.join(entry.path, "index.yaml")):
            files.append(folder / name / "index.yaml")
    return files


def _read_text(file: Path, rel: str, problems: list[Problem]) -> str | None:
    try:
        if file.stat().st_size > MAX_FILE_BYTES:
            problems.append(
                Problem(rel, None, None, "文件太大（超过 2 MB）", "正文是否误粘贴了图片或整篇网页？")
            )
            return None
        data = file.read_bytes()
    except OSError as exc:
        problems.append(Problem(rel, None, None, f"无法读取文件：{exc.strerror}", "检查文件权限"))
        return None
    text, problem = decode_text(data, rel)
    if problem is not None:
        problems.append(problem)
    return None if text is None else text.replace("\r\n", "\n")


def load_record(
    file: Path, site_dir: Path, collection: CollectionSettings, problems: list[Problem]
) -> Record | None:
    """Parse one record file and check its fields; None when it cannot be used at all."""
    rel = file.relative_to(site_dir).as_posix()
    text = _read_text(file, rel, problems)
    if text is None:
        return None
    if _is_empty(text):
        problems.append(_empty_problem(rel, collection))
        return None
    if file.suffix == ".md":
        front, body, body_line, split_problems = split_front_matter(text, rel)
        problems.extend(split_problems)
        if split_problems and not front.strip():
            return None
        data, lines, yaml_problems = parse_yaml(front, rel, line_offset=1)
    else:
        front, body, body_line = text, "", 1
        data, lines, yaml_problems = parse_yaml(front, rel)
    problems.extend(yaml_problems)
    if data is None and yaml_problems:
        return None
    if not isinstance(data, dict):
        problems.append(_not_fields_problem(front, rel, 1 if file.suffix == ".md" else 0))
        return None
    if file.suffix != ".md" and "body" in data:
        if not isinstance(data["body"], str):
            problems.append(
                Problem(rel, lines.get("body"), "body", "正文应当是文字", "用 body: | 然后缩进写正文")
            )
        else:
            body, body_line = data["body"], lines.get("body", 1) + 1
    problems.extend(placeholders.unreplaced(body, body_line, rel))
    stem = file.parent.name if file.stem == "index" else file.stem
    record = Record(
        collection=collection.name, slug="", source=rel, lines=lines, raw_body=body, body_line=body_line
    )
    record.slug = _slug(stem, data, rel, lines, problems)
    record.draft = _reserved_bool(data, "draft", rel, lines, problems)
    weight = data.get("weight", 0)
    if isinstance(weight, bool) or not isinstance(weight, int) or abs(weight) > MAX_INT:
        problems.append(Problem(rel, lines.get("weight"), "weight", "weight 应当是整数", "例如 weight: 10"))
    else:
        record.weight = weight
    record.fields = check_fields(data, collection, file.parent, site_dir, rel, lines, problems)
    title = record.fields.get(collection.title_field)
    record.title = str(title) if title else record.slug
    return record


def _not_fields_problem(text: str, rel: str, offset: int) -> Problem:
    """The fields read as one piece of text or a list: most often a slip on the first field's line."""
    for number, line in enumerate(text.split("\n"), 1):
        slip = yamlhints.line_slip(line, number)
        if slip is not None:
            return _slip_problem(rel, offset, slip)
    return Problem(
        rel, 1 + offset, None, "字段应当写成“名称: 值”的形式", "每行一个字段，例如 title: 天龙二号火箭模型"
    )


def _slug(stem: str, data: dict[str, Any], rel: str, lines: dict[str, int], problems: list[Problem]) -> str:
    for part in rel.split("/"):  # a name Windows cannot store: the site could not be copied there
        if found := file_name_problem(part):
            problems.append(Problem(rel, None, None, *found))
            break
    if "slug" in data:
        slug = data["slug"]
        if isinstance(slug, str) and is_valid_slug(slug):
            if (unsafe := slug_problem(slug)) is None:
                return slug
            why, instead = unsafe
            problems.append(
                Problem(rel, lines.get("slug"), "slug", f"“{slug}”{why}", f"换一个，例如 slug: {instead}")
            )
        else:
            problems.append(
                Problem(
                    rel,
                    lines.get("slug"),
                    "slug",
                    f"slug {slug!r} 只能用小写英文字母、数字和 -",
                    "例如 slug: tianlong-2",
                )
            )
    if is_valid_slug(stem):
        if stem not in RESERVED_NAMES and (
            unsafe := slug_problem(stem)
        ):  # (a reserved one is told just above)
            why, instead = unsafe
            hint = f"把文件名改短，例如 {instead}.md，或在开头写 slug: {instead}"
            problems.append(Problem(rel, None, None, f"文件名 “{stem}”{why}", hint))
        return stem
    slug = slugify(stem)
    if not slug:
        problems.append(
            Problem(rel, None, "slug", "无法从文件名生成网址", "给文件起一个含字母或汉字的名字，或写 slug:")
        )
    return slug or "untitled"


def _reserved_bool(
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
    checker = _FieldChecker(rel, lines, problems, folder, site_dir)
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
    return values


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

    def line_of(self, name: str) -> int | None:
        """Line of a field, or of the nearest enclosing one (``gallery[1].alt`` → ``gallery[1]``)."""
        while name:
            if name in self.lines:
                return self.lines[name]
            name = re.sub(r"(\.[^.\[]*|\[\d+\])$", "", name) if re.search(r"[.\[]", name) else ""
        return None

    def fail(self, name: str, message: str, hint: str) -> None:
        self.problems.append(Problem(self.rel, self.line_of(name), name, message, hint))

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
        unknown = set(raw) - {"src", "alt", "caption", "credit"}
        if unknown:
            self.fail(
                name,
                f"图片里有未知的项：{', '.join(sorted(unknown))}",
                "图片只能有 src、alt、caption、credit",
            )
        alt = raw.get("alt")
        if alt is None:
            alt = str(data.get("title") or data.get("name") or "")
        return self._request(name, raw["src"], str(alt))

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
            unknown = set(item) - {"src", "alt", "caption", "credit"}
            if unknown:
                self.fail(
                    where, f"未知的项：{', '.join(sorted(unknown))}", "只能有 src、alt、caption、credit"
                )
            if "alt" not in item or item["alt"] is None:
                self.fail(
                    f"{where}.alt", "图片缺少替代文字 alt", '写一句描述图片内容的话；纯装饰图片写 alt: ""'
                )
                continue
            request = self._request(where, item["src"], str(item["alt"]))
            if request is not None:
                items.append((request, str(item.get("caption") or ""), str(item.get("credit") or "")))
        return items

    def _request(self, name: str, src: str, alt: str) -> ImageRequest | None:
        line = self.line_of(name)
        result = image_request(self.site_dir, self.folder, src, alt, self.rel, line, name)
        if isinstance(result, Problem):
            self.problems.append(result)
            return None
        return result


def image_request(
    site_dir: Path, folder: Path, src: str, alt: str, rel: str, line: int | None, name: str
) -> ImageRequest | Problem:
    """Where an image a record names really is; a path that leaves ``content/`` (even by symlink) is refused."""
    content = (site_dir / "content").resolve()
    if src.startswith(("http://", "https://", "//", "data:")):
        return Problem(rel, line, name, "不能引用外部网站的图片", "把图片下载后放在条目旁边，写相对路径")
    if Path(src).is_absolute() or "\\" in src:
        return Problem(
            rel, line, name, f"图片路径不能是绝对路径：{src}", "写相对于本文件的路径，例如 images/a.jpg"
        )
    target = (folder / src).resolve()
    if not target.is_relative_to(content):
        return Problem(
            rel, line, name, f"图片路径超出了网站的 content 文件夹：{src}", "图片要放在 content/ 里面"
        )
    return ImageRequest(source=str(target), alt=alt, record_path=rel, line=line, field=name)


def _check_duplicate_slugs(records: list[Record], problems: list[Problem]) -> None:
    """One error per repeated slug, on the file that repeats it (the one whose ``slug:`` line says so, else the
    later file), at its ``slug:`` line or its first field; that record is dropped, so that no page collision
    reports the same mistake again."""
    first: dict[tuple[str, str], Record] = {}
    dropped: set[int] = set()
    for record in records:
        key = (record.collection, record.slug)
        earlier = first.setdefault(key, record)
        if earlier is record:
            continue
        if "slug" in earlier.lines and "slug" not in record.lines:
            first[key], earlier, record = record, record, earlier  # the written slug is the one to change
        dropped.add(id(record))
        written = "slug" in record.lines
        line = record.lines["slug"] if written else min(record.lines.values(), default=1)
        what = f"写的网址名 {record.slug}" if written else f"由文件名生成的网址名 {record.slug}"
        problems.append(
            Problem(
                record.source,
                line,
                "slug",
                f"{what} 和 {earlier.source} 的网址重复，两个条目不能用同一个网址",
                f"换一个 slug，例如 slug: {record.slug}-2"
                if written
                else f"改这个文件的文件名，或者加一行 slug: {record.slug}-2",
            )
        )
    records[:] = [record for record in records if id(record) not in dropped]
