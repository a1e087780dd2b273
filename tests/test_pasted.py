"""Pasted characters (pasted.py): each kind found at its line and column, and ``--fix`` repairing only those."""

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


# ---------------------------------------------------------------------------------------------------- fixing

PASTED = (
    "---\ntitle: 粘\u00a0贴\ncategory: 创新项目\n---\n介绍：\n\uf0b7 第一条\n\uf0b7\t第二条\n• 三\n"
    "零\u200b宽\u00ad软\u00a0空\u2028行\n\u3000\u3000首行缩进。\n阿卜杜·热合曼\n对\uf0fc勾\n控\x08制\n"
)
FIXED = (
    "---\ntitle: 粘 贴\ncategory: 创新项目\n---\n介绍：\n\n- 第一条\n- 第二条\n- 三\n"
    "零宽软 空\n行\n首行缩进。\n阿卜杜·热合曼\n对\uf0fc勾\n控制\n"
)


def test_fix_repairs_what_scan_reports_and_shows_each_line() -> None:
    fixed, changes = pasted.fix_text(PASTED, PATH)
    assert fixed == FIXED
    assert [c.line for c in changes] == [2, 6, 7, 8, 9, 10, 13]
    assert changes[1].format() == f"{PATH}:6: “<U+F0B7> 第一条” → “⏎- 第一条”"
    left = pasted.scan_text(fixed, PATH, 5)
    assert [p.message[:16] for p in left] == ["这一行第 2 个字符是 Word"]  # the box in mid-line stays


def test_fix_keeps_every_other_character_in_order() -> None:
    fixed, _ = pasted.fix_text(PASTED, PATH)
    repaired = set("\u00a0\uf0b7\t•\u200b\u00ad\u2028\u3000\x08")
    kept = [c for c in PASTED if c not in repaired and c != "\n"]
    it = iter(fixed)
    assert all(c in it for c in kept)  # a subsequence: nothing else lost or reordered
    assert "\uf0fc" in fixed  # a box in mid-line is reported, not guessed at


def test_fix_file_keeps_crlf_and_bom_and_writes_atomically(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = tmp_path / "x.md"
    file.write_bytes(pasted.BOM + PASTED.replace("\n", "\r\n").encode("utf-8"))
    written: list[Path] = []
    real = pasted.portable.atomic_write

    def spy(path: Path, data: bytes) -> None:
        written.append(path)
        real(path, data)

    monkeypatch.setattr(pasted.portable, "atomic_write", spy)
    changes = pasted.fix_file(file, PATH)
    assert written == [file] and len(changes) == 7
    assert file.read_bytes() == pasted.BOM + FIXED.replace("\n", "\r\n").encode("utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["x.md"]  # no temporary file left behind
    assert pasted.fix_file(file, PATH) == []  # nothing more to do: not written again
    assert written == [file]


def test_fix_keeps_mixed_line_endings_line_by_line() -> None:
    text = "---\r\ntitle: 甲\n---\r\n一\u2028二\r\n三\u00a0四\n"
    fixed, _ = pasted.fix_text(text, PATH)
    assert fixed == "---\r\ntitle: 甲\n---\r\n一\r\n二\r\n三 四\n"


def test_a_line_separator_in_a_field_becomes_a_space() -> None:
    fixed, _ = pasted.fix_text("---\ntitle: 第一\u2028第二\n---\n", PATH)
    assert fixed == "---\ntitle: 第一 第二\n---\n"


def test_fix_turns_a_gbk_file_into_utf8_keeping_its_line_endings(tmp_path: Path) -> None:
    text = "---\r\ntitle: 断经自停装置\r\n---\r\n用记事本保存的正文。\r\n"
    file = tmp_path / "loom.md"
    file.write_bytes(text.encode("gbk"))
    changes = pasted.fix_file(file, "loom.md")
    assert [c.format() for c in changes] == ["loom.md:1: “整个文件按 GBK 编码保存” → “改存为 UTF-8 编码”"]
    assert file.read_bytes() == text.encode("utf-8")


def test_fix_leaves_a_file_that_is_not_text_alone(tmp_path: Path) -> None:
    file = tmp_path / "loom.md"
    file.write_bytes(b"---\ntitle: x\n---\n\x00\x01\xff\xfe")
    assert pasted.fix_file(file, "loom.md") == []
    assert file.read_bytes() == b"---\ntitle: x\n---\n\x00\x01\xff\xfe"
