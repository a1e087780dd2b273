"""Where a problem with one of a record's fields goes: to the field's line, or the nearest enclosing field's
(``gallery[1].alt`` → ``gallery[1]``), as an error or a warning. The base of the field checks (``fields``,
``mediafields``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from yunzhan.errors import WARNING, Problem

_QUOTE_MARKS = frozenset("“”‘’\"'「」『』")


@dataclass
class FieldReport:
    """One record's (or data file's) fields being checked: its file, field lines and the problems found."""

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
