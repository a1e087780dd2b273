"""Byte ranges of the preview's files (RFC 9110 §14): Safari and WeChat on iOS play a ``<video>`` only from a
server that answers ``Range`` with 206 Partial Content.

One range is served. Several ranges, a header that does not parse or another unit get the whole file, as §14.2
allows; a range wholly past the end is 416. ``If-Range`` holds only for the file's current ``ETag`` (compared
strongly) or its exact ``Last-Modified``, so a video rebuilt between two requests is never spliced from both.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from email.utils import formatdate
from http import HTTPStatus
from typing import BinaryIO, Literal

CHUNK = 1 << 16
SPEC = re.compile(r"(\d*)-(\d*)", re.ASCII)  # first-pos "-" [last-pos], or "-" suffix-length

Unsatisfiable = Literal["unsatisfiable"]
UNSATISFIABLE: Unsatisfiable = "unsatisfiable"


@dataclass(frozen=True)
class Span:
    """Bytes ``start`` to ``end`` of a file of ``size`` bytes, both ends included (never empty)."""

    start: int
    end: int
    size: int

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    @property
    def content_range(self) -> str:
        return f"bytes {self.start}-{self.end}/{self.size}"


@dataclass(frozen=True)
class Reply:
    """How to answer for a file: status, headers beyond the usual, and which of its bytes to send."""

    status: HTTPStatus
    start: int
    length: int
    headers: dict[str, str] = field(default_factory=dict)


def file_reply(info: os.stat_result, range_fields: list[str], if_range: str | None, *, head: bool) -> Reply:
    """The whole file (200), the one range a GET asks for (206), or 416 (no bytes: the caller says why).

    ``range_fields`` are the request's Range fields: two of them read as two ranges, so the whole file. HEAD
    ignores Range, which RFC 9110 defines for GET only (§14.2).
    """
    size = info.st_size
    etag, modified = validators(info)
    headers = {"Accept-Ranges": "bytes", "ETag": etag, "Last-Modified": modified}
    span = None
    if range_fields and not head and (if_range is None or if_range_holds(if_range, etag, modified)):
        span = requested_span(",".join(range_fields), size)
    if isinstance(span, Span):
        headers["Content-Range"] = span.content_range
        return Reply(HTTPStatus.PARTIAL_CONTENT, span.start, span.length, headers)
    if span == UNSATISFIABLE:  # the body is the caller's note, not the file: no validators
        headers = {"Accept-Ranges": "bytes", "Content-Range": f"bytes */{size}"}
        return Reply(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE, 0, 0, headers)
    return Reply(HTTPStatus.OK, 0, size, headers)


def validators(info: os.stat_result) -> tuple[str, str]:
    """The file's ``ETag`` and ``Last-Modified``: a rebuild that rewrites it changes the tag."""
    return f'"{info.st_mtime_ns:x}-{info.st_size:x}"', formatdate(int(info.st_mtime), usegmt=True)


def if_range_holds(value: str, etag: str, last_modified: str) -> bool:
    """Whether ``If-Range`` names the file as it is now (a weak tag never does, §13.1.5)."""
    value = value.strip()
    return value == etag if value.startswith('"') else value == last_modified


def requested_span(header: str, size: int) -> Span | Unsatisfiable | None:
    """The one range a ``Range`` value asks of a file of ``size`` bytes; None: send the whole file."""
    unit, equals, spec_list = header.partition("=")
    if not equals or unit.strip().lower() != "bytes":
        return None
    specs = [spec.strip() for spec in spec_list.split(",") if spec.strip()]  # empty list items are allowed
    if len(specs) != 1:
        return None
    match = SPEC.fullmatch(specs[0])
    if match is None or match.group(1) == match.group(2) == "":
        return None
    first, last = match.group(1), match.group(2)
    if not first:  # the last n bytes
        suffix = int(last)
        return Span(max(0, size - suffix), size - 1, size) if suffix and size else UNSATISFIABLE
    start = int(first)
    if last and int(last) < start:
        return None  # invalid, not unsatisfiable (§14.1.1)
    if start >= size:
        return UNSATISFIABLE
    return Span(start, min(int(last), size - 1) if last else size - 1, size)


def copy_bytes(source: BinaryIO, target: BinaryIO, start: int, length: int) -> None:
    """Write ``length`` bytes from ``start``, a chunk at a time: a large video is never held in memory."""
    source.seek(start)
    left = length
    while left > 0:
        chunk = source.read(min(CHUNK, left))
        if not chunk:
            break  # the file shrank while being sent: the client sees a short body
        target.write(chunk)
        left -= len(chunk)
