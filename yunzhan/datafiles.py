"""What a theme expects in ``content/data/*.yaml``, checked like a record's fields.

The home page of the default theme reads ``figures.yaml`` and ``exhibition.yaml``: a misspelt ``label`` would
show "None" there. So a theme describes the data files it reads in ``data.toml`` (beside its ``templates/``),
with the field types of site.toml's collections; a site adds or replaces a file's description, file by file,
in its own ``data.toml`` beside ``site.toml``. A data file described nowhere is free data, used as written.

A description, in TOML::

    [figures.each.fields]              # figures.yaml is a list; each item has these fields
    label = { type = "string", required = true }

    [exhibition.fields]                # exhibition.yaml holds these fields
    start = { type = "date" }
    [exhibition.fields.counts]         # a list whose items are tables: type "list" with its own ``each``
    type = "list"
    [exhibition.fields.counts.each.fields]
    label = { type = "string", required = true }

The fields are checked by the same code as a record's (``fields.check_fields``, which ``content`` hands in:
this module sits below it), so the messages are the same: unknown keys warn with a suggestion, a missing
required field or a wrong type is an error, each at its file, line and field. Values are not changed.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from yunzhan.config import CollectionSettings, FieldSpec, SiteConfig, TableReader, read_field
from yunzhan.errors import Problem

SCHEMA_FILE = "data.toml"

FieldCheck = Callable[
    [dict[str, Any], CollectionSettings, Path, Path, str, dict[str, int], list[Problem]], Any
]
"""``fields.check_fields``: (data, fields, folder, site folder, file, key → line, problems found)."""


@dataclass(frozen=True)
class Shape:
    """What a data file, or one item of a list inside it, may hold."""

    name: str  # how messages name it: "figures", "counts"
    table: CollectionSettings | None = None  # written as a table: its fields
    each: Shape | None = None  # written as a list: what each item is
    lists: dict[str, tuple[FieldSpec, Shape]] = field(default_factory=dict)  # fields that are lists of tables


def load_shapes(site_dir: Path, config: SiteConfig) -> tuple[dict[str, Shape], list[Problem]]:
    """The data files' descriptions by file name (``figures``): the theme's, then the site's in their place."""
    from yunzhan.render import theme_dirs  # where the theme is: one place decides

    theme = theme_dirs(site_dir, config)[1].parent
    shapes: dict[str, Shape] = {}
    problems: list[Problem] = []
    for path in (theme / SCHEMA_FILE, site_dir / SCHEMA_FILE):
        if path.is_file():
            rel = path.relative_to(site_dir).as_posix() if path.is_relative_to(site_dir) else None
            shapes |= _read(path, rel or f"themes/{config.theme}/{SCHEMA_FILE}", problems)
    return shapes, problems


def check_data(shape: Shape | None, value: Any, file: DataFile) -> list[Problem]:
    """Problems of one data file as loaded; none when no description names it."""
    problems: list[Problem] = []
    if shape is not None and value not in (None, {}, []):  # an empty file shows nothing: no mistake
        _check(shape, value, _Where(file, "", ""), problems)
    return problems


@dataclass(frozen=True)
class DataFile:
    """One data file being checked: where it is, its key → line map (``frontmatter.parse_yaml``) and the checker."""

    rel: str
    lines: dict[str, int]
    folder: Path
    site_dir: Path
    check: FieldCheck


@dataclass(frozen=True)
class _Where:
    """A place in a data file: its key in ``lines`` (``[2]``, ``counts[0]``) and the field printed for it."""

    file: DataFile
    key: str
    field: str

    def line(self) -> int | None:
        return self.file.lines.get(self.key) if self.key else 1

    def item(self, index: int, shape: Shape) -> _Where:
        field = self.field or shape.name  # a list file's items are "figures 第 3 项"
        return _Where(self.file, f"{self.key}[{index}]", f"{field}[{index}]")

    def child(self, name: str) -> _Where:
        return _Where(self.file, _join(self.key, name), _join(self.field, name))

    def problem(self, message: str, hint: str) -> Problem:
        return Problem(self.file.rel, self.line(), self.field or None, message, hint)


def _join(head: str, name: str) -> str:
    return f"{head}.{name}" if head else name


def _check(shape: Shape, value: Any, at: _Where, problems: list[Problem]) -> None:
    if isinstance(value, list) and shape.each is not None:
        for i, item in enumerate(value):
            _check(shape.each, item, at.item(i, shape), problems)
    elif isinstance(value, dict) and shape.table is not None:
        _check_table(shape, value, at, problems)
    elif shape.table is not None:
        example = next((f.name for f in shape.table.fields), "名称")
        problems.append(at.problem("应当写成“名称: 值”的几行", f"每行一项，例如 {example}: …"))
    else:
        assert shape.each is not None
        problems.append(at.problem("应当是一个列表", "每一项以“- ”开头，一项的几行对齐"))


def _check_table(shape: Shape, value: dict[str, Any], at: _Where, problems: list[Problem]) -> None:
    assert shape.table is not None
    prefix = f"{at.key}." if at.key else ""
    own = {k[len(prefix) :]: line for k, line in at.file.lines.items() if k.startswith(prefix)}
    stray = _item_fields_on_top(shape, value)
    if stray:
        problems.append(_stray_problem(shape, stray, at, own))
        return
    plain = {k: v for k, v in value.items() if k not in shape.lists}
    found: list[Problem] = []
    file = at.file
    file.check(plain, shape.table, file.folder, file.site_dir, file.rel, own, found)
    for problem in found:  # field paths and lines of the whole file; a missing field at its table's line
        name = str(problem.field or "")
        line = problem.line if re.split(r"[.\[]", name)[0] in own else at.line()
        field = _join(at.field, name) if name else at.field or None
        problems.append(replace(problem, line=line, field=field))
    for name, (spec, each) in shape.lists.items():
        items = value.get(name)
        where = at.child(name)
        if items in (None, "", []):
            if spec.required:
                missing = where.problem(f"缺少必填字段 {name}", f"加上 {name}: 和下面以“- ”开头的各项")
                problems.append(replace(missing, line=at.line()))  # at its table, as for other fields
        elif isinstance(items, list):
            _check(Shape(name, each=each), items, where, problems)
        else:
            problems.append(where.problem("应当是一个列表", "每一项另起一行，以“- ”开头"))


def _item_fields_on_top(shape: Shape, value: dict[str, Any]) -> tuple[str, list[str]] | None:
    """(list, keys) when the keys written are an item's fields, not the table's: one item without its ``- ``
    and without the list's name above it (``label: …`` in a figures.yaml that wants ``items:``)."""
    assert shape.table is not None
    known = {f.name for f in shape.table.fields} | set(shape.lists)
    unknown = [str(k) for k in value if k not in known]
    for name, (_, each) in shape.lists.items():
        item = {f.name for f in each.table.fields} if each.table else set()
        if unknown and name not in value and set(unknown) <= item:
            return name, unknown
    return None


def _stray_problem(shape: Shape, stray: tuple[str, list[str]], at: _Where, own: dict[str, int]) -> Problem:
    name, keys = stray
    message = f"{'、'.join(keys)} 这些是一项的字段，要写在 {name}: 下面的“- ”后面"
    if shape.each is not None:  # the file may also be the list itself
        hint = f"只有这一项时，也可以在 {keys[0]} 那一行前面加“- ”，下面几行前面加两个空格"
    else:
        hint = f"先写一行 {name}:，下面每一项以“- ”开头"
    return replace(at.problem(message, hint), line=own.get(keys[0], at.line()))


# ---------------------------------------------------------------------------------------------------- data.toml


def _read(path: Path, rel: str, problems: list[Problem]) -> dict[str, Shape]:
    try:
        text = path.read_text(encoding="utf-8-sig")
        data = tomllib.loads(text)
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(rel, None, None, f"无法读取：{exc}", "确认文件是 UTF-8 编码"))
        return {}
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"line (\d+)", str(exc))
        problems.append(
            Problem(
                rel, int(line.group(1)) if line else None, None, f"TOML 格式错误：{exc}", "检查引号和括号"
            )
        )
        return {}
    before = len(problems)
    shapes = {name: _shape(name, node, name, TableReader(rel, text, problems)) for name, node in data.items()}
    return shapes if len(problems) == before else {}  # a broken description checks nothing


def _shape(name: str, node: Any, where: str, r: TableReader) -> Shape:
    raw = r.table(node, where, {"fields": dict, "each": dict})
    if not raw:
        r.error(where, "没有写 fields 或 each", f"写成 [{where}.fields] 或 [{where}.each.fields]")
    fields: list[FieldSpec] = []
    lists: dict[str, tuple[FieldSpec, Shape]] = {}
    for fname, spec in raw.get("fields", {}).items():
        fwhere = f"{where}.fields.{fname}"
        each = spec.get("each") if isinstance(spec, dict) else None
        own = {k: v for k, v in spec.items() if k != "each"} if isinstance(spec, dict) else spec
        declared = read_field(fwhere, fname, own, r)
        if each is None:
            fields.append(declared)
        elif declared.type != "list":
            r.error(fwhere, "只有 list 字段可以写 each", f'写 type = "list"，或去掉 [{fwhere}.each]')
        else:
            lists[fname] = (declared, _shape(fname, each, f"{fwhere}.each", r))
    table = _as_collection(name, tuple(fields)) if "fields" in raw else None
    each = _shape(name, raw["each"], f"{where}.each", r) if "each" in raw else None
    return Shape(name, table, each, lists)


def _as_collection(name: str, fields: tuple[FieldSpec, ...]) -> CollectionSettings:
    """The fields in the form ``fields.check_fields`` takes (only ``name`` and ``fields`` are read)."""
    return CollectionSettings(
        name=name,
        title=name,
        folder="data",
        url="/{slug}/",
        template="",
        list_url="",
        list_template="",
        paginate=0,
        sort="slug",
        title_field="",
        neighbours_by="",
        fields=fields,
    )
