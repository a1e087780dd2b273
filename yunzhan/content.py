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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from yunzhan.config import RESERVED_KEYS, CollectionSettings, FieldSpec, SiteConfig
from yunzhan.errors import WARNING, Problem, did_you_mean
from yunzhan.model import ImageRequest, Record
from yunzhan.slugs import is_valid_slug, slugify

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
    """Load YAML safely; return (data, key → line, problems). Duplicate keys and aliases are problems."""
    problems: list[Problem] = []
    lines: dict[str, int] = {}
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return {}, lines, problems
        _walk(node, "", path, line_offset, lines, problems, set())
        if any(p.severity != WARNING for p in problems):
            return None, lines, problems
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 + line_offset if mark else None
        what = exc.problem or str(exc)
        hint = "检查这一行的缩进、冒号后的空格和引号是否成对"
        if "constructor for the tag" in what:
            what, hint = (
                "不支持 YAML 标签（以 ! 开头的写法）",
                "去掉以 ! 开头的标签，只写普通的文字、数字或列表",
            )
        if "\t" in text:
            hint = "YAML 里不能用 Tab 缩进，请改用空格；" + hint
        problems.append(Problem(path, line, None, f"YAML 格式错误：{what}", hint))
        return None, lines, problems
    except yaml.YAMLError as exc:
        problems.append(Problem(path, None, None, f"YAML 格式错误：{exc}", "检查缩进和引号"))
        return None, lines, problems
    except (ValueError, OverflowError) as exc:
        problems.append(Problem(path, None, None, f"无法读取的值：{exc}", "数字太长？把它写成带引号的文字"))
        return None, lines, problems
    finally:
        loader.dispose()
    return data, lines, problems


def _walk(
    node: yaml.Node,
    where: str,
    path: str,
    offset: int,
    lines: dict[str, int],
    problems: list[Problem],
    seen: set[int],
) -> None:
    """Record each key's line and reject duplicate keys and aliases (PyYAML accepts both silently)."""
    if id(node) in seen:
        top = where.split("[")[0].split(".")[0]
        line = lines.get(top, node.start_mark.line + 1 + offset)
        problems.append(
            Problem(path, line, where or None, "不支持 YAML 锚点和别名（& 和 *）", "把内容直接写出来")
        )
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        keys: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + 1 + offset
            name = f"{where}.{key}" if where else key
            if key in keys:
                problems.append(
                    Problem(
                        path,
                        line,
                        name,
                        f'字段 "{key}" 重复出现（第一次在第 {keys[key]} 行）',
                        "删掉其中一个",
                    )
                )
            keys[key] = line
            lines.setdefault(name, line)
            _walk(value_node, name, path, offset, lines, problems, seen)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            name = f"{where}[{i}]"
            lines.setdefault(name, item.start_mark.line + 1 + offset)
            _walk(item, name, path, offset, lines, problems, seen)


def split_front_matter(text: str, path: str) -> tuple[str, str, int, list[Problem]]:
    """Return (front matter, body, line where the body starts, problems) for a Markdown record."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return (
            "",
            text,
            1,
            [
                Problem(
                    path,
                    1,
                    None,
                    "缺少开头的 front matter",
                    "文件第一行应当是 ---，然后写字段，再用一行 --- 结束",
                )
            ],
        )
    for i in range(1, len(lines)):
        if lines[i].strip() in ("---", "..."):
            return "\n".join(lines[1:i]), "\n".join(lines[i + 1 :]), i + 2, []
    return "", "", 1, [Problem(path, 1, None, "front matter 没有结束", "是不是忘了在字段后面加一行 ---？")]


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
        for file in _record_files(folder):
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
        for file in sorted(data_dir.glob("*.y*ml")):
            out.sources.append(file)
            rel = file.relative_to(site_dir).as_posix()
            text = _read_text(file, rel, out.problems)
            if text is not None:
                value, _, problems = parse_yaml(text, rel)
                out.problems.extend(problems)
                if value is not None:
                    out.data[file.stem] = value
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


def _record_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    files: list[Path] = []
    with os.scandir(folder) as found:  # DirEntry knows file from folder without another stat
        entries = sorted(found, key=lambda e: e.name)
    for entry in entries:
        name = entry.name
        if name.startswith((".", "_", "#")) or name.endswith("~"):
            continue  # hidden, editor swap and backup files
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
        return file.read_bytes().decode("utf-8-sig").replace("\r\n", "\n")
    except UnicodeDecodeError:
        problems.append(Problem(rel, None, None, "文件不是 UTF-8 编码", "用编辑器“另存为 UTF-8”"))
    except OSError as exc:
        problems.append(Problem(rel, None, None, f"无法读取文件：{exc.strerror}", "检查文件权限"))
    return None


def load_record(
    file: Path, site_dir: Path, collection: CollectionSettings, problems: list[Problem]
) -> Record | None:
    """Parse one record file and check its fields; None when it cannot be used at all."""
    rel = file.relative_to(site_dir).as_posix()
    text = _read_text(file, rel, problems)
    if text is None:
        return None
    if file.suffix == ".md":
        front, body, body_line, split_problems = split_front_matter(text, rel)
        problems.extend(split_problems)
        if split_problems:
            return None
        data, lines, yaml_problems = parse_yaml(front, rel, line_offset=1)
    else:
        data, lines, yaml_problems = parse_yaml(text, rel)
        body, body_line = "", 1
    problems.extend(yaml_problems)
    if data is None:
        return None
    if not isinstance(data, dict):
        problems.append(Problem(rel, 1, None, "字段应当写成“名称: 值”的形式", "例如 title: 天龙二号火箭模型"))
        return None
    if file.suffix != ".md" and "body" in data:
        if not isinstance(data["body"], str):
            problems.append(
                Problem(rel, lines.get("body"), "body", "正文应当是文字", "用 body: | 然后缩进写正文")
            )
        else:
            body, body_line = data["body"], lines.get("body", 1) + 1
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


def _slug(stem: str, data: dict[str, Any], rel: str, lines: dict[str, int], problems: list[Problem]) -> str:
    if "slug" in data:
        slug = data["slug"]
        if isinstance(slug, str) and is_valid_slug(slug):
            return slug
        problems.append(
            Problem(
                rel,
                lines.get("slug"),
                "slug",
                f"slug {slug!r} 只能用小写英文字母、数字和 -",
                "例如 slug: tianlong-2",
            )
        )
    slug = stem if is_valid_slug(stem) else slugify(stem)
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
                problems.append(
                    Problem(
                        rel,
                        lines.get(spec.name, 1),
                        spec.name,
                        f"缺少必填字段 {spec.name}",
                        f"加上 {spec.name}: …",
                    )
                )
            values[spec.name] = [] if spec.type in ("list", "gallery") or spec.multiple else None
            continue
        values[spec.name] = checker.check(spec, raw, data)
    return values


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
            self.fail(name, f"日期格式不对：{text[:40]!r}", "写成 年-月-日，例如 2024-04-29")
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
