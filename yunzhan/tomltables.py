"""A TOML table read against the keys it may hold: unknown keys with a did-you-mean, wrong types named in plain
words, each problem at its line. ``site.toml`` is read with it, and so is a theme's ``data.toml``.
"""

from __future__ import annotations

import re
from typing import Any

from yunzhan.errors import Problem, did_you_mean


class TableReader:
    """Checks one TOML table against the keys it may hold, collecting problems instead of raising."""

    def __init__(self, path: str, text: str, problems: list[Problem]) -> None:
        self.path = path
        self.lines = text.splitlines()
        self.problems = problems

    def line_of(self, key: str) -> int | None:
        pattern = re.compile(rf"^\s*(\[+\s*)?[\w.\"-]*\b{re.escape(key)}\b")
        return next((i for i, ln in enumerate(self.lines, 1) if pattern.match(ln)), None)

    def error(self, where: str, message: str, hint: str = "") -> None:
        key = where.rsplit(".", 1)[-1]
        self.problems.append(Problem(self.path, self.line_of(key), where, message, hint))

    def table(self, data: Any, where: str, allowed: dict[str, type | tuple[type, ...]]) -> dict[str, Any]:
        if not isinstance(data, dict):
            self.error(where, "应当是一个表（table）", f"写成 [{where}] 形式")
            return {}
        out: dict[str, Any] = {}
        for key, value in data.items():
            name = f"{where}.{key}" if where else key
            if key not in allowed:
                self.error(name, f'未知的设置项 "{key}"', did_you_mean(key, allowed) or "删除这一行")
                continue
            expected = allowed[key]
            if expected is float and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            if not isinstance(value, expected) or (isinstance(value, bool) and expected is int):
                self.error(name, f"类型不对：应当是 {_type_name(expected)}", f"当前的值是 {value!r}")
                continue
            out[key] = value
        return out


def _type_name(expected: type | tuple[type, ...]) -> str:
    names = {str: "文字", int: "整数", bool: "true/false", list: "列表", dict: "表", float: "数字"}
    types = expected if isinstance(expected, tuple) else (expected,)
    return " 或 ".join(names.get(t, t.__name__) for t in types)
