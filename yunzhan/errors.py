"""Problems an editor can cause, and the one exception that carries them.

Exception tree::

    YunzhanError            a build or command failed; ``.problems`` lists every reason
    └── ConfigError         site.toml or the command line is wrong (exit code 2)

Stages never raise for content mistakes: they return their results plus a list of ``Problem``s, so that a run
reports every mistake at once instead of stopping at the first.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from yunzhan.command import command_name

EXIT_OK, EXIT_CONTENT, EXIT_USAGE = 0, 1, 2  # the exit codes of every command

ERROR = "error"
WARNING = "warning"
COMMAND = "⟨命令⟩"
"""Stands for the command the editor typed (``yunzhan`` or ``python build.py``) in a hint: problems are kept in
the build cache and printed by later runs, so the name is filled in when printed, not when found."""


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
            text += f"{field_words(self.field)}: "
        if self.severity == WARNING:
            text += "警告：" if not self.message.startswith("警告") else ""
        text += self.message
        if self.hint:
            text += f" — {self.hint}"
        return text.replace(COMMAND, command_name()) if COMMAND in text else text

    def as_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "line": self.line,
            "field": self.field,
            "message": self.message,
            "hint": self.hint.replace(COMMAND, command_name()),
            "severity": self.severity,
        }


class YunzhanError(Exception):
    """A build failed; ``problems`` lists every reason, errors first."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = sort_problems(problems)
        super().__init__("\n".join(p.format() for p in self.problems))


class ConfigError(YunzhanError):
    """site.toml or the command line is unusable; nothing was built."""


_INDEX = re.compile(r"\[(\d+)\]")
_IMAGE_KEYS = {"src": "文件", "alt": "替代文字", "caption": "说明", "credit": "来源"}
_IMAGE_FIELDS = {"images", "photos"}  # a gallery holds videos too: its items are "项"


def field_words(field: str) -> str:
    """A field path as people say it: ``gallery[1].alt`` → ``gallery 第 2 项的替代文字（alt）``, counted
    from 1; the field's own name stays, since that is what the editor finds in the file."""
    if field == "body":  # a Markdown file's text below the header, or a YAML record's body: key
        return "正文"
    head, _, rest = field.partition("[")
    if not rest and "." not in field:
        return field
    if not rest:
        head, _, key = field.partition(".")
        return f"{head} 的{_IMAGE_KEYS.get(key, key)}（{key}）" if key in _IMAGE_KEYS else field
    match = _INDEX.match("[" + rest)
    if match is None:
        return field
    number = int(match.group(1)) + 1
    key = rest[match.end() - 1 :].lstrip(".")
    is_image = head in _IMAGE_FIELDS or (key in _IMAGE_KEYS and head != "gallery")
    words = f"{head} 第 {number} {'张图片' if is_image else '项'}".lstrip()  # a list file: "[0].value"
    if key:
        words += f"的{_IMAGE_KEYS[key]}（{key}）" if key in _IMAGE_KEYS else f"的 {key}"
    return words


def sort_problems(problems: Iterable[Problem]) -> list[Problem]:
    """Errors before warnings, then by file and line, so output is stable across runs."""
    return sorted(
        set(problems),
        key=lambda p: (p.severity != ERROR, p.path, p.line or 0, p.field or "", p.message),
    )


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice a misspelt name most likely meant, or None when nothing is close."""
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return match[0] if match else None


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A '是不是 "x"？' hint for a misspelt name, or '' when nothing is close."""
    match = closest(word, choices)
    return f'是不是 "{match}"？' if match else ""
