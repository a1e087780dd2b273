"""The editor's likely slip behind a YAML mistake, in plain Chinese, at the line where it was made.

PyYAML reports where it gave up, which is often the line after the slip (a full-width colon), or the end of
the fields (an unclosed quote), in English. Editors type on a Chinese keyboard: the slips are full-width
colons, spaces and brackets, Chinese commas in lists, Tab indentation, quotes that do not pair. This module
looks at the text around the parser's marks for those, and at what a successful parse made of them (a list
whose one item holds a Chinese comma). The parser's own words come last, and only when no slip is recognised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

from yunzhan import yamlblocks

LINE_BREAKS = "\r\x85\u2028\u2029"  # besides "\n", characters YAML counts as a new line
FLOW_COMMAS = "，、"
LIST_STARTS = ("-", "【", "［")  # how a plain value meant as a list begins

_KEY = r"[^\s:：#'\"\[\]{}\-][^:：]*?"  # a field name as an editor writes it, Chinese included
_FULL_WIDTH_COLON = re.compile(rf"^(\s*(?:- +)?)({_KEY})\s*：\s*(.*)$")
_NO_SPACE_AFTER_COLON = re.compile(r"^(\s*(?:- +)?)([A-Za-z_][\w-]*):(?!//)(\u3000*)(\S.*)$")
_DASH_WITHOUT_SPACE = re.compile(r"^(\s*)-([^\s\-\d].*)$")
_KEY_AND_VALUE = re.compile(r"^(\s*(?:- +)?)([^\s:#'\"][^:]*?): +(.*)$")
_CLOSING_FULL_WIDTH = re.compile(r"[】］」』]\s*$")


@dataclass(frozen=True)
class Slip:
    """One recognised mistake: its line (1-based, in the text given), the field it is in, what and how."""

    line: int
    field: str | None
    message: str
    hint: str


def line_of(text: str, index: int) -> int:
    """The 1-based line of a character, counting only "\\n": YAML also breaks lines at "\\r", U+2028 and
    U+0085, which would shift every later line number of a pasted text."""
    return text.count("\n", 0, index) + 1


def explain(text: str, error: yaml.MarkedYAMLError) -> Slip:
    """The likeliest slip behind a parse failure, or a plain sentence with the parser's words at the end."""
    lines = text.split("\n")
    problem = error.problem_mark or error.context_mark
    at = line_of(text, problem.index) if problem else 1
    opened = line_of(text, error.context_mark.index) if error.context_mark else None
    context = error.context or ""
    if "quoted scalar" in context and opened is not None and error.context_mark is not None:
        quote = text[error.context_mark.index : error.context_mark.index + 1] or '"'
        return Slip(
            opened,
            _key_of(lines[opened - 1]),
            f"引号没有配对：这一行的 {quote} 开了头，却没有结束",
            f"在这段文字的末尾补上 {quote}，或者去掉开头的 {quote}",
        )
    if "flow" in context and opened is not None:
        return _unclosed_bracket(lines, opened)
    stray = yamlblocks.stray_line(lines, at)
    if stray is not None:
        return _stray_slip(lines, *stray)
    start = opened if opened is not None else max(1, at - 1)
    text_lines = yamlblocks.text_lines(lines)  # a body's words: a "：" there is prose, not a field's colon
    window = [
        (n, lines[n - 1]) for n in range(min(start, at), min(at, len(lines)) + 1) if n not in text_lines
    ]
    for number, text_line in window:
        found = line_slip(text_line, number)
        if found is not None:
            return found
    for number, text_line in window:
        found = _quote_left_open(text_line, number)
        if found is not None:
            return found
    line = lines[at - 1] if at <= len(lines) else ""
    for number in (at, at - 1):
        if 1 <= number <= len(lines) and number not in text_lines and _misaligned(lines, number):
            return Slip(
                number,
                _key_of(lines[number - 1]),
                "这一行的缩进没有对齐",
                "同一层的字段要从同一列开始；属于上一项的内容，和上一项“- ”后面的文字对齐",
            )
    if "expected key" in (error.problem or "") and re.search(r"['\"]", line):
        return Slip(
            at,
            _key_of(line),
            "这一行的引号用得不对：引号要括住整段文字，引号后面不能再有字",
            "去掉引号；或者文字本身有 \" 时，外面改用 ' 括起来",
        )
    if "simple key" in context and opened is not None:
        return Slip(
            opened,
            None,
            "这一行没有冒号，看不出是哪个字段",
            "每行写成“名称: 值”（半角冒号后加一个空格）；如果它接着上一行的文字，在行首加两个空格",
        )
    if "mapping values are not allowed" in (error.problem or ""):
        found = _colon_in_value(line, at)
        if found is not None:
            return found
    return Slip(
        at,
        None,
        "这里的格式有误，无法读取",
        "检查这一行和上一行：缩进是否对齐、冒号后是否有空格、引号是否成对"
        f"（原始信息：{error.problem or error.context or error}）",
    )


def line_slip(line: str, number: int) -> Slip | None:
    """A slip that one line shows by itself, whatever the parser made of it."""
    indent = line[: len(line) - len(line.lstrip(" \t\u3000-"))]  # with the "- " of list items
    if "\t" in indent:
        return Slip(number, None, "这一行用 Tab 键缩进了", "缩进只能用空格：把行首的 Tab 换成两个空格")
    if "\u3000" in indent:
        return Slip(
            number,
            None,
            "这一行开头是全角空格“　”",
            "缩进只能用半角空格：切换到英文输入法，把行首的全角空格换成两个空格",
        )
    if any(c in line for c in LINE_BREAKS):
        return Slip(
            number,
            _key_of(line),
            "这一行里藏着一个看不见的换行符（多半是从网页或 Word 粘贴来的）",
            "把这一行的文字删掉重新打一遍，或者粘贴时选“只粘贴文本”",
        )
    match = _FULL_WIDTH_COLON.match(line)
    if match and ":" not in line[: match.end(2)]:
        fixed = f"{match.group(1)}{match.group(2).strip()}: {match.group(3)}".rstrip()
        return Slip(
            number,
            match.group(2).strip(),
            "字段名后面用了全角冒号“：”",
            f"改成半角冒号加一个空格：{fixed.strip()}",
        )
    match = _NO_SPACE_AFTER_COLON.match(line)
    if match:
        fixed = f"{match.group(1)}{match.group(2)}: {match.group(4)}".strip()
        if match.group(3):
            return Slip(number, match.group(2), "冒号后面是全角空格“　”", f"换成一个半角空格：{fixed}")
        return Slip(number, match.group(2), "冒号后面少了一个空格", f"改成：{fixed}")
    match = _DASH_WITHOUT_SPACE.match(line)
    if match:
        return Slip(
            number,
            None,
            "列表的“-”后面少了一个空格",
            f"改成：- {match.group(2).strip()}",
        )
    return None


def flow_comma_slip(item: str, key: str, number: int) -> Slip | None:
    """A ``[a，b]`` list: YAML splits only at a half-width comma, so the Chinese comma made one item."""
    comma = next((c for c in FLOW_COMMAS if c in item), None)
    if comma is None:
        return None
    parts = [p.strip() for p in re.split(f"[{FLOW_COMMAS}]", item) if p.strip()]
    name = "逗号" if comma == "，" else "顿号"
    return Slip(
        number,
        key,
        f"方括号里用了中文{name}“{comma}”，“{item}”成了一项",
        f"要分成几项，就用半角逗号加空格分开：[{', '.join(parts)}]",
    )


def text_slip(value: str, key: str, number: int, below_key: bool) -> Slip | None:
    """A plain value that was meant as a list: ``-航天`` lines below its key, or full-width brackets."""
    return (dash_value_slip(value, key, number) if below_key else None) or bracket_value_slip(
        value, key, number
    )


def dash_value_slip(value: str, key: str, number: int) -> Slip | None:
    """``tags:`` then ``-航天`` on the next lines: without a space after "-" they are one line of text."""
    if not re.match(r"-[^\s\-\d]", value):
        return None
    first = value.split(" -")[0].lstrip("-")
    return Slip(
        number,
        key,
        "列表的“-”后面少了一个空格，几项连成了一段文字",
        f"每项写成“- ”加内容，例如：- {first}",
    )


def bracket_value_slip(value: str, key: str, number: int) -> Slip | None:
    """``tags: 【织机, 断经】``: full-width brackets make one piece of text, not a list."""
    if not (value[:1] in "【［" and value[-1:] in "】］" and len(value) > 1):
        return None
    inner = [p.strip() for p in re.split(f"[,{FLOW_COMMAS}]", value[1:-1]) if p.strip()]
    return Slip(
        number,
        key,
        f"列表的方括号是全角的“{value[0]}{value[-1]}”，整段成了一项",
        f"改成半角方括号，用半角逗号加空格分开：[{', '.join(inner)}]",
    )


def key_slip(key: str, number: int) -> Slip | None:
    """A field name the parser accepted that no editor meant: full-width indentation or colon inside it."""
    if key[:1] in ("\u3000", " ", "\t") or "：" in key:
        return line_slip(key, number) or Slip(
            number, None, "字段名里有全角字符", "字段名只用英文字母，冒号用半角“:”"
        )
    return None


def dropped_headings(text: str) -> list[Slip]:
    """Warnings for the headings below a body that YAML read as comments: the build would succeed without
    them. Only called for a text holding "\\n##" (a body's own headings are indented)."""
    lines = text.split("\n")
    slips = []
    for block, number in yamlblocks.dropped_heading_lines(lines):
        column = block.column if block.column is not None else block.key_column + 2
        spaces = column - yamlblocks.indent(lines[number - 1])
        slips.append(
            Slip(
                number,
                block.key,
                "这一行以“#”开头又缩进得不够，被当成了注释，不会出现在正文里",
                f"在行首加 {spaces} 个空格，和上面正文的各行对齐",
            )
        )
    return slips


def _stray_slip(lines: list[str], block: yamlblocks.Block, kind: str) -> Slip:
    """A line below a block scalar that is indented too little to be part of its text, and how many spaces
    put it back: a body (正文) by its name, any other block (a caption, a summary) as 这段文字."""
    number = block.end or len(lines)
    spaces = yamlblocks.indent(lines[number - 1])
    what = "正文" if block.key == "body" else "这段文字"
    column = block.column if block.column is not None else block.key_column + 2
    if kind == "comment":
        message = f"这一行以“#”开头又缩进得不够，被当成了注释，{what}到上一行就结束了"
    elif kind == "full-width":
        message = f"这一行开头是全角空格“　”，它不算缩进，这一行落在了{what}外面"
    elif block.column is None:
        message = f"这一行没有比“{block.key}:”缩进得更多，不算{what}"
    elif spaces == 0:
        message = f"这一行没有缩进，落在了{what}外面"
    else:
        message = f"这一行只缩进了 {spaces} 个空格，比上面{what}的各行（{column} 个）少，落在了{what}外面"
    more = yamlblocks.stray_below(lines, block)
    message += f"（下面还有 {more} 行也缩进得不够）" if more else ""
    fix = f"在行首加 {column - spaces} 个空格"
    if kind == "full-width":
        fix = f"把行首的全角空格换成 {column - spaces} 个半角空格"
    if block.column is None:
        hint = f"{fix}：{what}的每一行都要比“{block.key}:”多缩进两格"
    elif block.filled == 1 and column > block.key_column + 2 and spaces > block.key_column:
        hint = f"{fix}，和上面{what}的各行对齐；或者把{what}第一行多打的 {column - spaces} 个空格删掉"
    else:
        hint = f"{fix}，和上面{what}的各行对齐；{what}的每一行，包括新的段落，都要这样缩进"
    return Slip(number, block.key, message, hint)


def _key_of(line: str) -> str | None:
    match = _KEY_AND_VALUE.match(line)
    return match.group(2).strip() if match else None


def _unclosed_bracket(lines: list[str], opened: int) -> Slip:
    line = lines[opened - 1] if opened <= len(lines) else ""
    bracket = "{" if "{" in line and ("[" not in line or line.index("{") < line.index("[")) else "["
    closing = "}" if bracket == "{" else "]"
    if _CLOSING_FULL_WIDTH.search(line):
        return Slip(
            opened,
            _key_of(line),
            f"列表结尾的括号是全角的“{line.rstrip()[-1]}”",
            f"改成半角的“{closing}”（切换到英文输入法再打）",
        )
    return Slip(
        opened,
        _key_of(line),
        f"这一行的“{bracket}”没有配对",
        f"在列表的最后补上“{closing}”：{line.strip()}{closing}",
    )


def _misaligned(lines: list[str], number: int) -> bool:
    """Whether a line starts at a column that neither an earlier line nor the line above it explains: the
    column of an earlier field, deeper after a line ending in ":", or the text after the "- " above."""
    line = lines[number - 1]
    if not line.strip() or line.lstrip().startswith("#"):
        return False
    earlier = [x for x in lines[: number - 1] if x.strip() and not x.lstrip().startswith("#")]
    column = yamlblocks.indent(line)
    if column in {0, *(yamlblocks.indent(x) for x in earlier)}:
        return False
    above = earlier[-1].rstrip() if earlier else ""
    if above.endswith(":") and column > yamlblocks.indent(above):
        return False
    item = re.match(r"^(\s*-\s+)", above)
    return not (item and column == len(item.group(1)))


def _quote_left_open(line: str, number: int) -> Slip | None:
    """``title: "断经自停`` closed by a quote some lines later: the parser stops there, the slip is here."""
    match = _KEY_AND_VALUE.match(line)
    value = match.group(3).strip() if match else ""
    if value[:1] in ("'", '"') and (len(value) == 1 or value[-1] != value[0]):
        quote = value[0]
        return Slip(
            number,
            match.group(2).strip() if match else None,
            f"引号没有配对：这一行的 {quote} 开了头，却没有在这一行结束",
            f"在这段文字的末尾补上 {quote}，或者去掉开头的 {quote}",
        )
    return None


def _colon_in_value(line: str, number: int) -> Slip | None:
    match = _KEY_AND_VALUE.match(line)
    if match is None or not (": " in match.group(3) or match.group(3).rstrip().endswith(":")):
        return None
    value = match.group(3).strip()
    if value.startswith("“") and value.endswith("”"):
        value = value[1:-1]
    return Slip(
        number,
        match.group(2).strip(),
        "值里有半角冒号“:”，会被当成又一个字段",
        f'给整段文字加上半角引号：{match.group(1).strip()}{match.group(2).strip()}: "{value}"'.strip(),
    )
