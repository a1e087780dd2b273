"""YAML slips an editor makes on a Chinese keyboard: named in Chinese, at the line where they were made."""

from __future__ import annotations

import pytest

from yunzhan.frontmatter import parse_yaml, split_front_matter

ALIGN_2 = "在行首加 2 个空格，和上面正文的各行对齐；正文的每一行，包括新的段落，都要这样缩进"

SLIPS = [
    (
        "full-width colon, the parser stops on the next line",
        "title: 断经自停装置\ncategory: 创新项目\nzone：wujiang\ndate: 2024-01-01\n",
        "f.md:4: zone: 字段名后面用了全角冒号“：” — 改成半角冒号加一个空格：zone: wujiang",
    ),
    (
        "full-width colon on the first line",
        "zone：wujiang\ntitle: x\n",
        "f.md:2: zone: 字段名后面用了全角冒号“：” — 改成半角冒号加一个空格：zone: wujiang",
    ),
    (
        "full-width colon inside a gallery item",
        "gallery:\n  - src: a.jpg\n    alt：图\n  - src: b.jpg\n",
        "f.md:4: alt: 字段名后面用了全角冒号“：” — 改成半角冒号加一个空格：alt: 图",
    ),
    (
        "unclosed double quote, the parser stops at the end of the fields",
        'title: "断经自停装置\ncategory: 创新项目\nzone: wujiang\ndate: 2024-01-01\nsummary: 好\n',
        'f.md:2: title: 引号没有配对：这一行的 " 开了头，却没有结束 — 在这段文字的末尾补上 "，或者去掉开头的 "',
    ),
    (
        "unclosed single quote",
        "title: x\nsummary: '断经自停\nzone: y\n",
        "f.md:3: summary: 引号没有配对：这一行的 ' 开了头，却没有结束 — 在这段文字的末尾补上 '，或者去掉开头的 '",
    ),
    (
        "a quote left open and closed lines later",
        'title: "断经自停装置\ncategory: 创新项目\nsummary: 他说"好"\nzone: x\n',
        'f.md:2: title: 引号没有配对：这一行的 " 开了头，却没有在这一行结束 — 在这段文字的末尾补上 "，或者去掉开头的 "',
    ),
    (
        "Chinese quotes do not protect a colon",
        "title: “断经: 自停”\n",
        'f.md:2: title: 值里有半角冒号“:”，会被当成又一个字段 — 给整段文字加上半角引号：title: "断经: 自停"',
    ),
    (
        "a colon at the end of a value",
        "title: x\nsummary: 注意事项:\n",
        'f.md:3: summary: 值里有半角冒号“:”，会被当成又一个字段 — 给整段文字加上半角引号：summary: "注意事项:"',
    ),
    (
        "a field indented by one space too many",
        "title: x\ngallery:\n  - src: a.jpg\n    alt: 图\n summary: 好\n",
        "f.md:6: summary: 这一行的缩进没有对齐 — 同一层的字段要从同一列开始；属于上一项的内容，和上一项“- ”后面的文字对齐",
    ),
    (
        "a Tab after the dash of a list item",
        "gallery:\n  -\tsrc: a.jpg\n",
        "f.md:3: 这一行用 Tab 键缩进了 — 缩进只能用空格：把行首的 Tab 换成两个空格",
    ),
    (
        "Tab indentation",
        "title: x\ngallery:\n\t- src: a.jpg\n",
        "f.md:4: 这一行用 Tab 键缩进了 — 缩进只能用空格：把行首的 Tab 换成两个空格",
    ),
    (
        "full-width spaces as indentation of a list",
        "tags:\n\u3000- a\n\u3000- b\n",
        "f.md:3: 这一行开头是全角空格“　” — 缩进只能用半角空格：切换到英文输入法，把行首的全角空格换成两个空格",
    ),
    (
        "full-width space before a field name (parses, as a field nobody meant)",
        "title: x\n\u3000zone: y\n",
        "f.md:3: 这一行开头是全角空格“　” — 缩进只能用半角空格：切换到英文输入法，把行首的全角空格换成两个空格",
    ),
    (
        "no space after the colon",
        "title: x\nzone:wujiang\n",
        "f.md:3: zone: 冒号后面少了一个空格 — 改成：zone: wujiang",
    ),
    (
        "a full-width space after the colon",
        "title: x\nzone:\u3000gusu\n",
        "f.md:3: zone: 冒号后面是全角空格“　” — 换成一个半角空格：zone: gusu",
    ),
    (
        "a list item without a space after -",
        "title: x\ntags:\n-航天\n-织机\n",
        "f.md:4: 列表的“-”后面少了一个空格 — 改成：- 航天",
    ),
    (
        "a field without a colon",
        "title: x\nzone\n",
        "f.md:3: 这一行没有冒号，看不出是哪个字段 — 每行写成“名称: 值”（半角冒号后加一个空格）；如果它接着上一行的文字，在行首加两个空格",
    ),
    (
        "an unclosed [",
        "title: x\ntags: [a, b\n",
        "f.md:3: tags: 这一行的“[”没有配对 — 在列表的最后补上“]”：tags: [a, b]",
    ),
    (
        "a list closed by a full-width bracket",
        "tags: [织机, 断经】\nzone: x\n",
        "f.md:2: tags: 列表结尾的括号是全角的“】” — 改成半角的“]”（切换到英文输入法再打）",
    ),
    (
        "a line break pasted from a web page (U+2028) does not shift the lines",
        "title: a\u2028b\nzone: 吴江\n",
        "f.md:2: title: 这一行里藏着一个看不见的换行符（多半是从网页或 Word 粘贴来的） — "
        "把这一行的文字删掉重新打一遍，或者粘贴时选“只粘贴文本”",
    ),
    (
        "a stray line after a body block: the body's own colons are prose, the stray line is named",
        "title: 换型\nbody: |\n  工匠借鉴“快速换型”的思路：\n\n  第二段。\n- 追加\n",
        f"f.md:7: 正文: 这一行没有缩进，落在了正文外面 — {ALIGN_2}",
    ),
    (
        "a paragraph added below the body without indenting it",
        "title: x\nbody: |\n  第一段。\n\n正文追加\n",
        f"f.md:6: 正文: 这一行没有缩进，落在了正文外面 — {ALIGN_2}",
    ),
    (
        "a list item added right below the body: the body's last line is not blamed",
        "title: x\nbody: |\n  第一段。\n- 正文追加\n",
        f"f.md:5: 正文: 这一行没有缩进，落在了正文外面 — {ALIGN_2}",
    ),
    (
        "a sentence with a full-width colon below the body is prose, not a field",
        "title: x\nbody: |\n  第一段。\n注意：先断电。\n",
        f"f.md:5: 正文: 这一行没有缩进，落在了正文外面 — {ALIGN_2}",
    ),
    (
        "Markdown emphasis below the body (YAML reads * as an alias)",
        "title: x\nbody: |\n  第一段。\n*封面图：示意插图*\n",
        f"f.md:5: 正文: 这一行没有缩进，落在了正文外面 — {ALIGN_2}",
    ),
    (
        "several paragraphs added below the body, up to the next field",
        "title: x\nbody: |\n  第一段。\n第二段。\n\n第三段。\n# 以下是标签（YAML 的注释，不算）\ntags: [a]\n",
        f"f.md:5: 正文: 这一行没有缩进，落在了正文外面（下面还有 1 行也缩进得不够） — {ALIGN_2}",
    ),
    (
        "a heading below the body is taken for a YAML comment, the body's text goes on below it",
        "title: x\nbody: |\n  第一段。\n## 新的小节\n  第二段。\n",
        f"f.md:5: 正文: 这一行以“#”开头又缩进得不够，被当成了注释，正文到上一行就结束了 — {ALIGN_2}",
    ),
    (
        "a heading and a list below the body: the heading is named, where the body ended",
        "title: x\nbody: |\n  第一段。\n## 步骤\n- 第一步\n- 第二步\n",
        "f.md:5: 正文: 这一行以“#”开头又缩进得不够，被当成了注释，正文到上一行就结束了（下面还有 2 行也缩进得不够） — "
        + ALIGN_2,
    ),
    (
        "a line indented less than the body's lines",
        "title: x\nbody: |\n  第一段。\n  第二段。\n 第三段。\n",
        "f.md:6: 正文: 这一行只缩进了 1 个空格，比上面正文的各行（2 个）少，落在了正文外面 — "
        "在行首加 1 个空格，和上面正文的各行对齐；正文的每一行，包括新的段落，都要这样缩进",
    ),
    (
        "the body's first line indented more than the rest: either may be the slip",
        "title: x\nbody: |\n    第一段。\n\n  第二段。\n",
        "f.md:6: 正文: 这一行只缩进了 2 个空格，比上面正文的各行（4 个）少，落在了正文外面 — "
        "在行首加 2 个空格，和上面正文的各行对齐；或者把正文第一行多打的 2 个空格删掉",
    ),
    (
        "a paragraph indented with full-width spaces, as Chinese paragraphs begin",
        "title: x\nbody: |\n  第一段。\n\n\u3000\u3000第二段。\n",
        "f.md:6: 正文: 这一行开头是全角空格“\u3000”，它不算缩进，这一行落在了正文外面 — "
        "把行首的全角空格换成 2 个半角空格，和上面正文的各行对齐；"
        "正文的每一行，包括新的段落，都要这样缩进",
    ),
    (
        "a body whose first line is indented with full-width spaces only",
        "title: x\nbody: |\n\u3000\u3000正文第一段。\n",
        "f.md:4: 正文: 这一行开头是全角空格“\u3000”，它不算缩进，这一行落在了正文外面 — "
        "把行首的全角空格换成 2 个半角空格：正文的每一行都要比“body:”多缩进两格",
    ),
    (
        "a body whose first line is not indented",
        "title: x\nbody: |\n正文第一段。\n",
        "f.md:4: 正文: 这一行没有比“body:”缩进得更多，不算正文 — 在行首加 2 个空格：正文的每一行都要比“body:”多缩进两格",
    ),
    (
        "a caption block in a gallery item: a line at the caption's own column",
        "gallery:\n  - src: a.jpg\n    caption: |\n      第一行说明\n    第二行说明\n  - src: b.jpg\n",
        "f.md:6: caption: 这一行只缩进了 4 个空格，比上面这段文字的各行（6 个）少，落在了这段文字外面 — "
        "在行首加 2 个空格，和上面这段文字的各行对齐；这段文字的每一行，包括新的段落，都要这样缩进",
    ),
    (
        "a folded summary (>-) with a line added below it",
        "title: x\nsummary: >-\n  一段介绍。\n追加一句。\ntags: [a]\n",
        "f.md:5: summary: 这一行没有缩进，落在了这段文字外面 — "
        "在行首加 2 个空格，和上面这段文字的各行对齐；这段文字的每一行，包括新的段落，都要这样缩进",
    ),
    (
        "a field with a full-width colon below the body is still that slip",
        "title: x\nbody: |\n  第一段。\nzone：wujiang\n",
        "f.md:5: zone: 字段名后面用了全角冒号“：” — 改成半角冒号加一个空格：zone: wujiang",
    ),
    (
        "a colon in the value of the field below the body: named there, not at the body's last line",
        "title: x\nbody: |\n  第一段。\nsummary: 注意: 先断电\n",
        'f.md:5: summary: 值里有半角冒号“:”，会被当成又一个字段 — 给整段文字加上半角引号：summary: "注意: 先断电"',
    ),
    (
        "a Tab below the body is named as a Tab",
        "title: x\nbody: |\n  第一段。\n\t第二段。\n",
        "f.md:5: 这一行用 Tab 键缩进了 — 缩进只能用空格：把行首的 Tab 换成两个空格",
    ),
]


@pytest.mark.parametrize(("text", "expected"), [(t, e) for _, t, e in SLIPS], ids=[w for w, _, _ in SLIPS])
def test_a_slip_is_named_at_its_line(text: str, expected: str) -> None:
    data, _, problems = parse_yaml(text, "f.md", line_offset=1)
    assert data is None
    assert [p.format() for p in problems] == [expected]


WARNINGS = [
    (
        "tags: [织机，断经自停]\n",
        "f.md:2: tags: 警告：方括号里用了中文逗号“，”，“织机，断经自停”成了一项 — 要分成几项，就用半角逗号加空格分开：[织机, 断经自停]",
    ),
    (
        "tags: [织机、断经自停]\n",
        "f.md:2: tags: 警告：方括号里用了中文顿号“、”，“织机、断经自停”成了一项 — 要分成几项，就用半角逗号加空格分开：[织机, 断经自停]",
    ),
    (
        "tags:\n  -航天\n  -织机\n",
        "f.md:3: tags: 警告：列表的“-”后面少了一个空格，几项连成了一段文字 — 每项写成“- ”加内容，例如：- 航天",
    ),
    (
        "tags: 【织机, 断经】\n",
        "f.md:2: tags: 警告：列表的方括号是全角的“【】”，整段成了一项 — 改成半角方括号，用半角逗号加空格分开：[织机, 断经]",
    ),
]


@pytest.mark.parametrize(("text", "expected"), WARNINGS)
def test_a_list_that_became_one_item_is_a_warning(text: str, expected: str) -> None:
    data, _, problems = parse_yaml(text, "f.md", line_offset=1)
    assert data is not None
    assert [p.format() for p in problems] == [expected]


DROPPED = "警告：这一行以“#”开头又缩进得不够，被当成了注释，不会出现在正文里 — 在行首加 2 个空格，和上面正文的各行对齐"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("title: x\nbody: |\n  第一段。\n## 新的小节\n", f"f.md:5: 正文: {DROPPED}"),
        ("title: x\nbody: |\n  第一段。\n\n## 新的小节\ntags: [a]\n", f"f.md:6: 正文: {DROPPED}"),
    ],
    ids=["at the end of the file", "before the next field"],
)
def test_a_heading_below_the_body_read_as_a_comment_is_a_warning(text: str, expected: str) -> None:
    """Nothing fails when a field or the end of the file follows: without the warning the heading is lost."""
    data, _, problems = parse_yaml(text, "f.md", line_offset=1)
    assert data is not None and "新的小节" not in data["body"]
    assert [p.format() for p in problems] == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "tags: [织机, 断经自停]\n",
        'tags: ["织机，断经自停"]\n',
        "summary: “他说：好”\n",
        "website: https://example.org/a\n",
        "title: 【重磅】新品\n",
        "order: -5\n",
        "body: |\n  注意：先断电。\n  - 第一步\n",
        "body: |\n  第一段。\n备注: 补充一句\n",
        "body: |\n  第一段。\n\n# 以下是图片\ngallery:\n  - src: a.jpg\n",
        "gallery:\n  - src: a.jpg\n    caption: |\n      说明\n  - src: b.jpg\n",
        "body: |\n  ## 小节\n  正文。\n",
        "note: |\n  一段说明。\n## 以下是字段\nsummary: 好\n",
    ],
)
def test_what_is_meant_is_left_alone(text: str) -> None:
    assert parse_yaml(text, "f.md")[2] == []


def test_an_unknown_mistake_keeps_the_parsers_words_last() -> None:
    _, _, (problem,) = parse_yaml("title: x\n- y\n", "f.yaml")
    assert problem.format() == (
        "f.yaml:2: 这里的格式有误，无法读取 — 检查这一行和上一行：缩进是否对齐、冒号后是否有空格、引号是否成对"
        "（原始信息：did not find expected key）"
    )


def test_lines_after_a_pasted_line_break_keep_their_numbers() -> None:
    _, lines, problems = parse_yaml('title: "a\u2028b\u2029c"\nzone: x\ndate: y\n', "f.md", line_offset=1)
    assert problems == []
    assert lines == {"title": 2, "zone": 3, "date": 4}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "——\ntitle: x\n——\n正文\n",
            [
                "f.md:1: 这一行应当是三个半角减号 ---，现在是“——” — 切换到英文输入法，把这一行改成 ---",
                "f.md:3: 这一行应当是三个半角减号 ---，现在是“——” — 切换到英文输入法，把这一行改成 ---",
            ],
        ),
        (
            "---\ntitle: x\nzone: y\n\n正文\n",
            ["f.md:3: 字段写完后少了一行 --- — 在第 3 行后面加一行 ---，把字段和正文分开"],
        ),
        (
            "title: x\n---\n正文\n",
            ["f.md:1: 文件开头少了一行 --- — 在第一行前面加一行 ---，字段写完后再加一行 ---，下面写正文"],
        ),
    ],
)
def test_front_matter_lines_typed_wrong(text: str, expected: list[str]) -> None:
    front, body, body_line, problems = split_front_matter(text, "f.md")
    assert [p.format() for p in problems] == expected
    if front:
        assert (front, body, body_line) == ("title: x", "正文\n", 4)
