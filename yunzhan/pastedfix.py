"""The safe repair of pasted characters (``check --fix``): ``fix_text`` makes exactly the repairs that
``pasted.scan_text`` reports and nothing else, so that every other character of the editor's text survives in
order. ``fix_file`` keeps a file's BOM and line endings, turns a GBK file into UTF-8, and writes atomically.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from yunzhan import portable
from yunzhan.pasted import IDEOGRAPHIC_SPACE, body_start, char_kind, decode_text, leading

BOM = b"\xef\xbb\xbf"
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s")


@dataclass(frozen=True)
class Change:
    """One line that ``--fix`` rewrote, for the editor to see."""

    path: str
    line: int
    before: str
    after: str

    def format(self) -> str:
        return f"{self.path}:{self.line}: {_shown(self.before)} → {_shown(self.after)}"


def fix_text(text: str, path: str = "") -> tuple[str, list[Change]]:
    """``text`` with every fixable finding of ``pasted.scan_text`` repaired, and the lines changed. Line endings (``\\n``
    or ``\\r\\n``, even mixed) stay as they are; a new line takes the ending of the line it splits."""
    body_line = body_start(text.replace("\r\n", "\n"), path)
    out: list[str] = []
    changes: list[Change] = []
    previous = ""
    for number, (line, ending) in enumerate(_lines(text), start=1):
        in_body = body_line is not None and number >= body_line
        if number == body_line:
            previous = ""  # the closing --- is no paragraph
        newline = ending or "\n"
        fixed = _fix_line(line, in_body, newline)
        if fixed != line:
            if in_body and leading(line, True).bullet and previous.strip() and not _LIST_ITEM.match(previous):
                fixed = newline + fixed  # a list needs a blank line before it, or it joins the paragraph
            changes.append(Change(path, number, line, fixed.replace(newline, "⏎")))
        out.append(fixed + ending)
        previous = fixed.rsplit(newline, 1)[-1]
    return "".join(out), changes


def fix_file(file: Path, rel: str) -> list[Change]:
    """Repair one file in place (atomically), keeping its BOM and line endings; nothing is written when nothing
    needs fixing or the file is not UTF-8."""
    try:
        data = file.read_bytes()
    except OSError:
        return []
    bom = data.startswith(BOM)
    recoded: list[Change] = []
    try:
        text = data[len(BOM) if bom else 0 :].decode("utf-8")
    except UnicodeDecodeError:
        gbk, problem = decode_text(data, rel)
        if gbk is None or problem is None:
            return []  # not text we can read: left for the editor
        text = gbk
        recoded.append(Change(rel, 1, "整个文件按 GBK 编码保存", "改存为 UTF-8 编码"))
    fixed, changes = fix_text(text, rel)
    if changes or recoded:
        portable.atomic_write(file, (BOM if bom else b"") + fixed.encode("utf-8"))
    return recoded + changes


def fix_files(site_dir: Path, rels: Iterable[str]) -> list[Change]:
    """``fix_file`` for each site-relative path, in order."""
    changes: list[Change] = []
    for rel in sorted(set(rels)):
        file = site_dir / rel
        if file.suffix in (".md", ".yaml", ".yml") and file.is_file():
            changes += fix_file(file, rel)
    return changes


def _fix_line(line: str, in_body: bool, newline: str) -> str:
    """Repair what ``pasted.scan_text`` reports for this line that can be repaired without losing text: a private-use
    character in the middle of a line is left for the editor (nobody knows what it stood for)."""
    lead = leading(line, in_body)
    head = ""
    if lead.bullet:
        head = line[: lead.bullet_at].replace(IDEOGRAPHIC_SPACE, "") + "- "
        line = line[lead.end :]
    elif lead.indent:
        line = line[lead.indent :]
    separator = newline if in_body else " "  # inside fields a line break would end the value
    kept: list[str] = []
    for i, char in enumerate(line):
        kind = char_kind(char, line, i)
        if kind in ("invisible", "soft_hyphen", "control"):
            continue
        if kind == "nbsp":
            kept.append(" ")
        elif kind == "separator":
            kept.append(separator * (2 if char == "\u2029" and in_body else 1))
        else:
            kept.append(char)
    return head + "".join(kept)


def _lines(text: str) -> Iterator[tuple[str, str]]:
    """Each line without its ending, and the ending (``\\n``, ``\\r\\n`` or ``""`` for the last)."""
    parts = text.split("\n")
    for i, part in enumerate(parts):
        if i == len(parts) - 1:
            yield part, ""
        else:
            yield (part[:-1], "\r\n") if part.endswith("\r") else (part, "\n")


def _shown(text: str, width: int = 40) -> str:
    """A line as the editor can see it: invisible characters named by code, long lines cut."""
    visible = "".join(
        f"<U+{ord(c):04X}>" if char_kind(c, text, i) or c == IDEOGRAPHIC_SPACE else c
        for i, c in enumerate(text)
    )
    return f"“{visible[:width]}{'…' if len(visible) > width else ''}”"
