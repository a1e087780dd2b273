"""Review before release (三审三校): with ``[review] stages = ["初审", "复审", "终审"]`` in site.toml, a record is
published only when every stage has signed it in its own file::

    review:
      初审: 张三 2024-05-01
      复审: 李四 2024-05-03
      终审: 王五 2024-05-06

``build`` leaves out the records still waiting and lists each one with the stages it waits for (warnings, so
that ``--strict`` refuses to publish while anything waits); ``serve`` keeps them and its pages say, in a banner,
who has yet to sign. Plain functions: ``signatures`` reads one record's, ``withhold`` splits the records,
``preview_index`` and ``banner_html`` are for the preview.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from html import escape
from pathlib import Path

from yunzhan.config import ReviewSettings
from yunzhan.errors import ERROR, WARNING, Problem, did_you_mean
from yunzhan.model import Record

PREVIEW_INDEX = ".yunzhan-review.json"  # in the preview folder only: page path → stages waiting
_SIGNATURE = re.compile(r"^\s*(?P<name>\S.*?)\s+(?P<date>\d{4}-\d{1,2}-\d{1,2})\s*$")


@dataclass(frozen=True)
class Waiting:
    record: Record
    signed: tuple[tuple[str, str], ...]  # (stage, "姓名 日期") in the stages' order
    missing: tuple[str, ...]  # stages still to sign


def example(stages: Iterable[str]) -> str:
    return "review: {" + ", ".join(f"{s}: 姓名 {dt.date(2024, 5, 1).isoformat()}" for s in stages) + "}"


def signatures(record: Record, settings: ReviewSettings) -> tuple[dict[str, str], list[Problem]]:
    """The stages this record's ``review:`` signs validly, and a problem for each mistake in it."""
    raw = record.review
    line = record.lines.get("review")
    problems: list[Problem] = []
    if raw is None:
        return {}, problems
    if not isinstance(raw, dict):
        hint = f"每个审核环节写一行“环节: 姓名 日期”，例如 {example(settings.stages)}"
        return {}, [Problem(record.source, line, "review", "review 应当是“环节: 姓名 日期”的列表", hint)]
    signed: dict[str, str] = {}
    for stage, value in raw.items():
        where = f"review.{stage}"
        at = record.lines.get(where, line)
        if stage not in settings.stages:
            hint = (
                did_you_mean(str(stage), settings.stages)
                or f"site.toml 里的审核环节是：{'、'.join(settings.stages)}"
            )
            problems.append(Problem(record.source, at, "review", f"没有“{stage}”这个审核环节", hint))
            continue
        match = _SIGNATURE.match(str(value or ""))
        day = _date(match.group("date")) if match else None
        if match is None or day is None:
            problems.append(
                Problem(
                    record.source,
                    at,
                    where,
                    f"“{value or ''}”不是“姓名 日期”",
                    f"例如 {stage}: 张三 2024-05-01",
                    ERROR,
                )
            )
            continue
        signed[str(stage)] = f"{match.group('name')} {day.isoformat()}"
    return signed, problems


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat("-".join(f"{int(p):02d}" for p in text.split("-")))
    except ValueError:
        return None


def withhold(
    records: list[Record], settings: ReviewSettings, *, keep: bool = False
) -> tuple[list[Record], list[Waiting], list[Problem]]:
    """Records that every stage has signed (all of them with ``keep``, for the preview), those still waiting,
    and the problems: a warning per waiting record naming the stages it waits for, errors for misspelt
    signatures. Without stages in site.toml every record is published and nothing is checked."""
    if not settings.stages:
        return records, [], []
    published: list[Record] = []
    waiting: list[Waiting] = []
    problems: list[Problem] = []
    for record in records:
        signed, found = signatures(record, settings)
        problems += found
        missing = tuple(s for s in settings.stages if s not in signed)
        if not missing:
            published.append(record)
            continue
        done = tuple((s, signed[s]) for s in settings.stages if s in signed)
        waiting.append(Waiting(record, done, missing))
        if keep:
            published.append(record)
        so_far = "；".join(f"{s}：{who}" for s, who in done)
        message = f"等待{'、'.join(missing)}签字，这次不发布" + (f"（已签：{so_far}）" if so_far else "")
        hint = f"{missing[0]}审过后，在 review: 里加一行 {missing[0]}: 姓名 日期"
        problems.append(Problem(record.source, record.lines.get("review"), "review", message, hint, WARNING))
    return published, waiting, problems


def preview_index(waiting: Iterable[Waiting]) -> dict[str, bytes]:
    """The preview's list of pages waiting for review, for ``serve`` to put a banner on (never in output/)."""
    pages = {
        w.record.path: {
            "title": w.record.title,
            "missing": list(w.missing),
            "signed": [list(s) for s in w.signed],
        }
        for w in waiting
        if w.record.path
    }
    return (
        {PREVIEW_INDEX: json.dumps(pages, ensure_ascii=False, sort_keys=True).encode("utf-8")}
        if pages
        else {}
    )


def banner_for(preview_dir: Path, request_path: str, base_path: str) -> bytes:
    """The banner of a preview page whose record waits for review, or b"" (read from ``preview_index``)."""
    try:
        pages = json.loads((preview_dir / PREVIEW_INDEX).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return b""
    path = "/" + request_path.removeprefix(base_path).lstrip("/")
    path = path.removesuffix("index.html")
    entry = pages.get(path)
    return banner_html(entry["missing"], entry["signed"]).encode("utf-8") if isinstance(entry, dict) else b""


def banner_html(missing: list[str], signed: list[list[str]]) -> str:
    done = "；".join(f"{escape(s)}：{escape(who)}" for s, who in signed)
    text = f"未发布：这个条目还在等{escape('、'.join(missing))}签字，只在预览里显示。" + (
        f"已签：{done}。" if done else ""
    )
    return (
        '<div id="yunzhan-review" role="status" lang="zh-CN" style="position:sticky;top:0;z-index:2147483646;'
        "background:#fff4ce;color:#3d2e00;border-bottom:3px solid #b58100;padding:.6rem 1rem;"
        f'font:1rem/1.5 system-ui,sans-serif">{text}</div>'
    )


def with_banner(page: bytes, banner: bytes) -> bytes:
    """The banner as the first thing inside ``<body>``: the first thing read and seen."""
    if not banner:
        return page
    start = page.lower().find(b"<body")
    end = page.find(b">", start) if start >= 0 else -1
    return page[: end + 1] + banner + page[end + 1 :] if end >= 0 else banner + page
