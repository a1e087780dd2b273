"""A piece of a record's text and what a check found in it: shared by the record walker and the rules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from yunzhan.model import Record


class Finding(NamedTuple):
    """What a rule found in one line: ``needle`` locates it in the file."""

    needle: str
    message: str
    hint: str
    severity: str


@dataclass
class Text:
    """A piece of text of a record and where it sits in the file."""

    record: Record
    field: str | None  # None: the body
    text: str
    line: int | None  # line of the field, or of the body's first line
    exact: bool  # True: text line i is file line ``line + i`` (bodies); else located by searching the file
    markdown: bool


def field_name(text: Text) -> str | None:
    """A Markdown file's body has no field name; a YAML record's body is its ``body`` key."""
    return text.field or (None if text.record.source.endswith(".md") else "body")
