"""Shared by the markup tests: one record path, and the problems of a conversion by severity."""

from __future__ import annotations

from yunzhan.errors import ERROR, WARNING
from yunzhan.markup import MarkupResult, render_markdown

PATH = "content/projects/rocket.md"


def render(text: str, **kwargs: object) -> MarkupResult:
    return render_markdown(text, path=PATH, **kwargs)  # type: ignore[arg-type]


def errors(result: MarkupResult) -> list[str]:
    return [p.message for p in result.problems if p.severity == ERROR]


def warnings(result: MarkupResult) -> list[str]:
    return [p.message for p in result.problems if p.severity == WARNING]
