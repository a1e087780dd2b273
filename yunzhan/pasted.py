"""Characters that come with text pasted from Word, WPS or web pages, found line by line; and a file's text read
as the editor saved it (UTF-8, or the GBK of Notepad on a Chinese Windows).

What a visitor would see decides the severity: a private-use character (Word's Symbol-font bullet U+F0B7) or a
control character shows as an empty box, an error; invisible characters, soft hyphens, non-breaking spaces,
line separators, copied bullets and full-width indentation are warnings (the page reads, but lines run
together, words break oddly or search misses them).

``scan_text`` finds them in a record file's text. ``pastedfix`` repairs exactly what the scan reports, seeing
a line the same way (``leading`` and ``char_kind``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from yunzhan.errors import COMMAND, ERROR, WARNING, Problem

FIX_COMMAND = f"{COMMAND} check --fix"
MAX_COLUMNS = 3  # columns quoted per finding before "等 N 处"

_ZERO_WIDTH = (
    "\u200b\u200c\u200d\u2060\ufeff\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u180e"
)
_NBSP = "\u00a0\u202f\u2007"
_SEPARATORS = "\u2028\u2029\u0085"
_SOFT_HYPHEN = "\u00ad"
IDEOGRAPHIC_SPACE = "\u3000"
# Bullets that Word and WPS paste as text; "·" (the 间隔号 of names such as 阿卜杜·热合曼) only when a space
# follows it at the start of a line.
_BULLETS = "•●▪◆➢◦■□○◇►▶➤∙‣⁃"
_PUNCT_BULLETS = "·"
_SUSPECT = re.compile(
    f"[{_ZERO_WIDTH}{_NBSP}{_SEPARATORS}{_SOFT_HYPHEN}\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f"
    "\ue000-\uf8ff\U000f0000-\U0010ffff]"
    f"|^[ \t{IDEOGRAPHIC_SPACE}]*[{_BULLETS}{_PUNCT_BULLETS}{IDEOGRAPHIC_SPACE}]",
    re.MULTILINE,
)
_NAMES = {
    "\u200b": "零宽空格",
    "\u200c": "零宽非连接符",
    "\u200d": "零宽连接符",
    "\u2060": "零宽不换行符",
    "\ufeff": "零宽不换行空格（BOM）",
    "\u00ad": "软连字符",
    "\u00a0": "不换行空格",
    "\u202f": "窄不换行空格",
    "\u2007": "数字宽空格",
    "\u2028": "Word 的换行符",
    "\u2029": "Word 的分段符",
    "\u0085": "换行控制符",
}


@dataclass(frozen=True)
class Finding:
    """One kind of pasted character on one line: ``columns`` count characters from 1."""

    line: int
    kind: str
    columns: tuple[int, ...]
    chars: str  # the characters found, in order of columns


# ---------------------------------------------------------------------------------------------------- finding


def scan_text(
    text: str, path: str, body_line: int | None, fields: Mapping[str, int] | None = None
) -> list[Problem]:
    """The pasted characters of a record file's text (newlines as ``\\n``, no BOM): one problem per kind and line.

    ``body_line``: the file line where a Markdown body starts (bullets and indentation count only there); None for
    a file that is all fields. ``fields``: each field's line, to name the field a finding sits in."""
    if not _SUSPECT.search(text):
        return []
    problems: list[Problem] = []
    for number, line in enumerate(text.split("\n"), start=1):
        in_body = body_line is not None and number >= body_line
        for finding in _line_findings(line, number, in_body):
            field = None if in_body else _field_at(number, fields or {})
            if in_body and not path.endswith(".md"):
                field = "body"
            problems.append(_problem(finding, path, field))
    return problems


def body_start(text: str, path: str) -> int | None:
    """The line where a Markdown record's body starts (after the closing ``---``); None for other files."""
    if not path.endswith(".md"):
        return None
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return 1
    for i in range(1, len(lines)):
        if lines[i].strip() in ("---", "..."):
            return i + 2
    return None


def read_problems(file: Path, rel: str, fields: Mapping[str, int] | None = None) -> list[Problem]:
    """``scan_text`` of a file on disk; a file that cannot be read as UTF-8 has been reported when loading."""
    text = _decode(file)
    return [] if text is None else scan_text(text, rel, body_start(text, rel), fields)


def _line_findings(line: str, number: int, in_body: bool) -> Iterator[Finding]:
    """Every kind of pasted character on one line, in a fixed order (the one ``pastedfix`` repairs them in)."""
    found: dict[str, list[tuple[int, str]]] = {}
    lead = leading(line, in_body)
    if lead.bullet:
        found["bullet_box" if _is_private(lead.bullet) else "bullet"] = [(lead.bullet_at + 1, lead.bullet)]
    elif lead.indent:
        found["indent"] = [(i + 1, IDEOGRAPHIC_SPACE) for i in range(lead.indent)]
    for i, char in enumerate(line):
        if lead.bullet and i == lead.bullet_at:
            continue
        kind = char_kind(char, line, i)
        if kind:
            found.setdefault(kind, []).append((i + 1, char))
    for kind in _ORDER:
        if kind in found:
            columns, chars = zip(*found[kind], strict=True)
            yield Finding(number, kind, columns, "".join(chars))


_ORDER = ("bullet_box", "bullet", "indent", "box", "control", "invisible", "soft_hyphen", "nbsp", "separator")


def char_kind(char: str, line: str, i: int) -> str | None:
    """The kind of pasted character ``line[i]`` is (``_ORDER``), or None for an ordinary one."""
    if char in _ZERO_WIDTH:
        if char == "\u200d" and i > 0 and _is_emoji(line[i - 1]):
            return None  # joins emoji such as 👨‍👩‍👧: keep it
        return "invisible"
    if char in _NBSP:
        return "nbsp"
    if char in _SEPARATORS:
        return "separator"
    if char == _SOFT_HYPHEN:
        return "soft_hyphen"
    if _is_private(char):
        return "box"
    if char not in "\t\r" and unicodedata.category(char) == "Cc":
        return "control"
    return None


@dataclass(frozen=True)
class Lead:
    bullet: str  # the bullet character at the start of the line, or ""
    bullet_at: int  # its index
    end: int  # index of the text after the bullet and the spaces after it
    indent: int  # leading full-width spaces (no bullet)


def leading(line: str, in_body: bool) -> Lead:
    """A body line's pasted bullet or full-width indentation (code and indented blocks aside: they start with
    ASCII spaces, which are left alone)."""
    if not in_body:
        return Lead("", 0, 0, 0)
    i = 0
    while i < len(line) and line[i] == IDEOGRAPHIC_SPACE:
        i += 1
    start = len(line) - len(line.lstrip(" \t" + IDEOGRAPHIC_SPACE))
    char = line[start : start + 1]
    rest = line[start + 1 :]
    spaced = rest[:1] in (" ", "\t", IDEOGRAPHIC_SPACE, *_NBSP)
    if char and (
        char in _BULLETS or (_is_private(char) and rest.strip()) or (char in _PUNCT_BULLETS and spaced)
    ):
        gap = len(rest) - len(rest.lstrip(" \t" + IDEOGRAPHIC_SPACE + _NBSP))
        return Lead(char, start, start + 1 + gap, 0)
    if i and line[i:].strip():
        return Lead("", 0, 0, i)
    return Lead("", 0, 0, 0)


def _is_private(char: str) -> bool:
    return unicodedata.category(char) == "Co"


def _is_emoji(char: str) -> bool:
    return ord(char) >= 0x1F000 or char == "\ufe0f" or 0x2600 <= ord(char) <= 0x27BF


def _field_at(number: int, fields: Mapping[str, int]) -> str | None:
    """The field whose lines hold file line ``number``: the last one starting on or before it."""
    best: tuple[int, int, str] | None = None
    for name, line in fields.items():
        if line <= number and (best is None or (line, -len(name)) > best[:2]):
            best = (line, -len(name), name)
    return best[2] if best else None


def _problem(finding: Finding, path: str, field: str | None) -> Problem:
    place = "这一行"  # the line number is already in front of the message
    columns = "、".join(str(c) for c in finding.columns[:MAX_COLUMNS])
    more = f"等 {len(finding.columns)} 处" if len(finding.columns) > MAX_COLUMNS else ""
    at = f"{place}第 {columns} 个字符{more}"
    codes = "、".join(dict.fromkeys(f"U+{ord(c):04X}" for c in finding.chars))
    fix = f"；运行 {FIX_COMMAND} 可以自动改好"
    kind, char = finding.kind, finding.chars[0]
    if kind == "bullet_box":
        return Problem(
            path,
            finding.line,
            field,
            f"{place}开头是 Word 的项目符号（{codes}），网页上会显示成一个空方框，几行也会连成一段",
            f"改成列表的写法：行首写“- ”（减号加一个空格），列表前空一行{fix}",
            ERROR,
        )
    if kind == "bullet":
        return Problem(
            path,
            finding.line,
            field,
            f"{place}开头是复制来的项目符号“{char}”，几行会连成一段显示",
            f"改成列表的写法：行首写“- ”（减号加一个空格），列表前空一行{fix}",
            WARNING,
        )
    if kind == "indent":
        return Problem(
            path,
            finding.line,
            field,
            f"{place}开头有 {len(finding.columns)} 个全角空格（首行缩进）",
            f"网站会自己排版段落，不需要缩进：删掉行首的全角空格，段落之间空一行即可{fix}",
            WARNING,
        )
    if kind == "box":
        return Problem(
            path,
            finding.line,
            field,
            f"{at}是 Word 的特殊符号（{codes}），网页上会显示成空方框",
            "删掉它，或者换成普通的文字和标点（它原来可能是 ✓、→ 之类的符号）",
            ERROR,
        )
    if kind == "control":
        return Problem(
            path,
            finding.line,
            field,
            f"{at}是看不见的控制字符（{codes}），网页上会显示成空方框或乱码",
            f"删掉它{fix}",
            ERROR,
        )
    name = _NAMES.get(char, "看不见的字符")
    if kind == "invisible":
        message, hint = f"{at}是看不见的{name}（{codes}），会让搜索找不到这里的词", f"删掉它{fix}"
    elif kind == "soft_hyphen":
        message, hint = f"{at}是看不见的{name}（{codes}），换行时会冒出多余的“-”", f"删掉它{fix}"
    elif kind == "nbsp":
        message, hint = f"{at}是从网页或 Word 带来的{name}（{codes}）", f"换成普通空格{fix}"
    else:
        space = " " if name[0].isascii() else ""
        message, hint = f"{at}是{space}{name}（{codes}），网页上不会换行", f"在这里按回车换行{fix}"
    return Problem(path, finding.line, field, message, hint, WARNING)


# ---------------------------------------------------------------------------------------------------- reading


GBK_HINT = f"用记事本打开它，“另存为”时把编码选成 UTF-8；或者运行 {FIX_COMMAND} 自动转换"


def decode_text(data: bytes, rel: str) -> tuple[str | None, Problem | None]:
    """UTF-8 (with or without a BOM); else the GBK that Notepad and WPS write on a Chinese Windows ("ANSI"),
    read as GB18030 with a warning when it plainly is Chinese text. Anything else is an error at the line of
    the first byte that is not UTF-8."""
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        text = None
    if text is not None and _looks_chinese(text):
        hint = GBK_HINT
        return text, Problem(rel, line, None, "文件是按 GBK（ANSI）编码保存的，已按 GBK 读出", hint, WARNING)
    return None, Problem(
        rel,
        line,
        None,
        "文件不是 UTF-8 编码的文字，读不出来",
        "它可能不是文字文件，或者用了别的编码：用记事本打开它，“另存为”时把编码选成 UTF-8",
    )


def _looks_chinese(text: str) -> bool:
    """Text, not a binary file that happens to decode: no control characters, and most of what is not ASCII
    is Chinese characters or punctuation."""
    if any(ord(c) < 32 and c not in "\t\n\r" for c in text):
        return False
    wide = [c for c in text if ord(c) > 127]
    chinese = sum(
        "\u4e00" <= c <= "\u9fff" or "\u3000" <= c <= "\u303f" or "\uff00" <= c <= "\uffef" for c in wide
    )
    return bool(wide) and chinese >= 0.8 * len(wide)


def _decode(file: Path) -> str | None:
    try:
        return file.read_bytes().decode("utf-8-sig").replace("\r\n", "\n")
    except (OSError, UnicodeDecodeError):
        return None
