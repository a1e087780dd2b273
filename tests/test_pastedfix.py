"""``check --fix`` (pastedfix.py): repairing only what the scan reports, every other character kept in order."""

from __future__ import annotations

from pathlib import Path

import pytest

from yunzhan import pasted, pastedfix

PATH = "content/projects/x.md"

PASTED = (
    "---\ntitle: 粘\u00a0贴\ncategory: 创新项目\n---\n介绍：\n\uf0b7 第一条\n\uf0b7\t第二条\n• 三\n"
    "零\u200b宽\u00ad软\u00a0空\u2028行\n\u3000\u3000首行缩进。\n阿卜杜·热合曼\n对\uf0fc勾\n控\x08制\n"
)
FIXED = (
    "---\ntitle: 粘 贴\ncategory: 创新项目\n---\n介绍：\n\n- 第一条\n- 第二条\n- 三\n"
    "零宽软 空\n行\n首行缩进。\n阿卜杜·热合曼\n对\uf0fc勾\n控制\n"
)


def test_fix_repairs_what_scan_reports_and_shows_each_line() -> None:
    fixed, changes = pastedfix.fix_text(PASTED, PATH)
    assert fixed == FIXED
    assert [c.line for c in changes] == [2, 6, 7, 8, 9, 10, 13]
    assert changes[1].format() == f"{PATH}:6: “<U+F0B7> 第一条” → “⏎- 第一条”"
    left = pasted.scan_text(fixed, PATH, 5)
    assert [p.message[:16] for p in left] == ["这一行第 2 个字符是 Word"]  # the box in mid-line stays


def test_fix_keeps_every_other_character_in_order() -> None:
    fixed, _ = pastedfix.fix_text(PASTED, PATH)
    repaired = set("\u00a0\uf0b7\t•\u200b\u00ad\u2028\u3000\x08")
    kept = [c for c in PASTED if c not in repaired and c != "\n"]
    it = iter(fixed)
    assert all(c in it for c in kept)  # a subsequence: nothing else lost or reordered
    assert "\uf0fc" in fixed  # a box in mid-line is reported, not guessed at


def test_fix_file_keeps_crlf_and_bom_and_writes_atomically(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = tmp_path / "x.md"
    file.write_bytes(pastedfix.BOM + PASTED.replace("\n", "\r\n").encode("utf-8"))
    written: list[Path] = []
    real = pastedfix.portable.atomic_write

    def spy(path: Path, data: bytes) -> None:
        written.append(path)
        real(path, data)

    monkeypatch.setattr(pastedfix.portable, "atomic_write", spy)
    changes = pastedfix.fix_file(file, PATH)
    assert written == [file] and len(changes) == 7
    assert file.read_bytes() == pastedfix.BOM + FIXED.replace("\n", "\r\n").encode("utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["x.md"]  # no temporary file left behind
    assert pastedfix.fix_file(file, PATH) == []  # nothing more to do: not written again
    assert written == [file]


def test_fix_keeps_mixed_line_endings_line_by_line() -> None:
    text = "---\r\ntitle: 甲\n---\r\n一\u2028二\r\n三\u00a0四\n"
    fixed, _ = pastedfix.fix_text(text, PATH)
    assert fixed == "---\r\ntitle: 甲\n---\r\n一\r\n二\r\n三 四\n"


def test_a_line_separator_in_a_field_becomes_a_space() -> None:
    fixed, _ = pastedfix.fix_text("---\ntitle: 第一\u2028第二\n---\n", PATH)
    assert fixed == "---\ntitle: 第一 第二\n---\n"


def test_fix_turns_a_gbk_file_into_utf8_keeping_its_line_endings(tmp_path: Path) -> None:
    text = "---\r\ntitle: 断经自停装置\r\n---\r\n用记事本保存的正文。\r\n"
    file = tmp_path / "loom.md"
    file.write_bytes(text.encode("gbk"))
    changes = pastedfix.fix_file(file, "loom.md")
    assert [c.format() for c in changes] == ["loom.md:1: “整个文件按 GBK 编码保存” → “改存为 UTF-8 编码”"]
    assert file.read_bytes() == text.encode("utf-8")


def test_fix_leaves_a_file_that_is_not_text_alone(tmp_path: Path) -> None:
    file = tmp_path / "loom.md"
    file.write_bytes(b"---\ntitle: x\n---\n\x00\x01\xff\xfe")
    assert pastedfix.fix_file(file, "loom.md") == []
    assert file.read_bytes() == b"---\ntitle: x\n---\n\x00\x01\xff\xfe"
