"""A record file's fields read with the line of each, and the editor's slip named when they cannot be read.

Front matter is the part of a Markdown record between its ``---`` lines; a YAML record is all fields. Every
value keeps the line it was written on (``key → line``), so a later check can point at it; dates stay text, so
a bad date is reported against its field rather than as unreadable fields.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from yunzhan import yamlhints
from yunzhan.errors import ERROR, WARNING, Problem

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
        if "\n##" in text:  # a heading typed below the body at column 0: a YAML comment, lost
            for slip in yamlhints.dropped_headings(text):
                walk.slip(slip, WARNING)
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


def not_fields_problem(text: str, rel: str, offset: int) -> Problem:
    """The fields read as one piece of text or a list: most often a slip on the first field's line."""
    for number, line in enumerate(text.split("\n"), 1):
        slip = yamlhints.line_slip(line, number)
        if slip is not None:
            return _slip_problem(rel, offset, slip)
    return Problem(
        rel, 1 + offset, None, "字段应当写成“名称: 值”的形式", "每行一个字段，例如 title: 天龙二号火箭模型"
    )
