"""Pasted characters (pasted.py): each kind found at its line and column, and legitimate text left alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from yunzhan import pasted
from yunzhan.errors import ERROR, WARNING, Problem

PATH = "content/projects/x.md"
HEAD = "---\ntitle: 标题\ncategory: 创新项目\n---\n"  # the body starts on line 5


def _scan(body: str, head: str = HEAD) -> list[Problem]:
    text = head + body
    return pasted.scan_text(text, PATH, pasted.body_start(text, PATH), {"title": 2, "category": 3})


def _one(body: str) -> Problem:
    (problem,) = _scan(body)
    return problem


@pytest.mark.parametrize(
    ("body", "severity", "words"),
    [
        ("\uf0b7 第一条\n", ERROR, "这一行开头是 Word 的项目符号（U+F0B7），网页上会显示成一个空方框"),
        ("• 第一条\n", WARNING, "这一行开头是复制来的项目符号“•”，几行会连成一段显示"),
        ("\u3000\u3000首行缩进。\n", WARNING, "这一行开头有 2 个全角空格（首行缩进）"),
        ("零\u200b宽\n", WARNING, "这一行第 2 个字符是看不见的零宽空格（U+200B）"),
        ("软\u00ad连\n", WARNING, "这一行第 2 个字符是看不见的软连字符（U+00AD）"),
        ("不\u00a0换行\n", WARNING, "这一行第 2 个字符是从网页或 Word 带来的不换行空格（U+00A0）"),
        ("一行\u2028两行\n", WARNING, "这一行第 3 个字符是 Word 的换行符（U+2028），网页上不会换行"),
        ("控\x08制\n", ERROR, "这一行第 2 个字符是看不见的控制字符（U+0008）"),
        ("对\uf0fc勾\n", ERROR, "这一行第 2 个字符是 Word 的特殊符号（U+F0FC），网页上会显示成空方框"),
    ],
)
def test_each_kind_is_found_with_line_column_and_severity(body: str, severity: str, words: str) -> None:
    problem = _one(body)
    assert (problem.path, problem.line, problem.field, problem.severity) == (PATH, 5, None, severity)
    assert problem.message.startswith(words), problem.message
    assert problem.hint


def test_several_on_one_line_are_one_finding_with_their_columns() -> None:
    problem = _one("a\u00a0b\u00a0c\u00a0d\u00a0e\n")
    assert problem.message.startswith("这一行第 2、4、6 个字符等 4 处")


def test_front_matter_findings_name_their_field() -> None:
    (problem,) = pasted.scan_text("---\ntitle: 粘\u00a0贴\n---\n正文\n", PATH, 4, {"title": 2})
    assert (problem.line, problem.field) == (2, "title")


def test_a_yaml_record_body_is_the_body_field() -> None:
    problem = pasted.scan_text(
        "name: 王\nbody: |\n  零\u200b宽\n", "content/craftsmen/w.yaml", None, {"name": 1, "body": 2}
    )
    assert [(p.line, p.field) for p in problem] == [(3, "body")]


@pytest.mark.parametrize(
    "fine",
    [
        "阿卜杜·热合曼是新疆的工匠。\n",  # 间隔号 inside a name
        "·热合曼\n",  # at line start but not followed by a space: not a bullet
        "- 已经是列表\n* 也是\n1. 编号\n",
        "中文　中间的全角空格不是缩进。\n",
        "表情 👨\u200d👩\u200d👧 里的连接符\n",
        "    缩进的代码块\n",
        "",
    ],
)
def test_legitimate_text_is_not_flagged(fine: str) -> None:
    assert _scan(fine) == []


def test_bullets_and_indents_in_fields_are_left_to_the_yaml_checks() -> None:
    assert pasted.scan_text("---\ntitle: • 标题\nsummary: |\n  \u3000\u3000缩进\n---\n", PATH, 6) == []


def test_the_demo_content_has_nothing_pasted() -> None:
    root = Path(__file__).resolve().parent.parent
    found = [
        p.format()
        for file in sorted((root / "content").rglob("*.*"))
        if file.suffix in (".md", ".yaml", ".yml")
        for p in pasted.read_problems(file, file.relative_to(root).as_posix())
    ]
    assert found == []
