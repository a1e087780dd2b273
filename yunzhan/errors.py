"""Problems an editor can cause, and the one exception that carries them.

Exception tree::

    YunzhanError            a build or command failed; ``.problems`` lists every reason
    └── ConfigError         site.toml or the command line is wrong (exit code 2)

Stages never raise for content mistakes: they return their results plus a list of ``Problem``s, so that a run
reports every mistake at once instead of stopping at the first.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, order=True)
class Problem:
    """One mistake in one place, phrased for an editor: what is wrong and how to fix it."""

    path: str
    line: int | None
    field: str | None
    message: str
    hint: str = ""
    severity: str = ERROR

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def format(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        text = f"{where}: "
        if self.field:
            text += f"{self.field}: "
        if self.severity == WARNING:
            text += "警告：" if not self.message.startswith("警告") else ""
        text += self.message
        if self.hint:
            text += f" — {self.hint}"
        return text

    def as_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "line": self.line,
            "field": self.field,
            "message": self.message,
            "hint": self.hint,
            "severity": self.severity,
        }


class YunzhanError(Exception):
    """A build failed; ``problems`` lists every reason, errors first."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = sort_problems(problems)
        super().__init__("\n".join(p.format() for p in self.problems))


class ConfigError(YunzhanError):
    """site.toml or the command line is unusable; nothing was built."""


def sort_problems(problems: Iterable[Problem]) -> list[Problem]:
    """Errors before warnings, then by file and line, so output is stable across runs."""
    return sorted(
        set(problems),
        key=lambda p: (p.severity != ERROR, p.path, p.line or 0, p.field or "", p.message),
    )


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A '是不是 "x"？' hint for a misspelt name, or '' when nothing is close."""
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f'是不是 "{match[0]}"？' if match else ""
