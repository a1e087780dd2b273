"""How a problem is printed: the field named in the editor's words."""

from __future__ import annotations

import pytest

from yunzhan.errors import WARNING, Problem, field_words


@pytest.mark.parametrize(
    ("field", "words"),
    [
        ("body", "正文"),
        ("summary", "summary"),
        ("gallery[1].alt", "gallery 第 2 项的替代文字（alt）"),
        ("cover.alt", "cover 的替代文字（alt）"),
    ],
)
def test_field_words(field: str, words: str) -> None:
    assert field_words(field) == words


def test_a_body_problem_is_printed_with_the_word_for_body() -> None:
    problem = Problem("content/projects/loom.md", 8, "body", "正文中的 <script> 已被移除", "提示", WARNING)
    assert problem.format() == "content/projects/loom.md:8: 正文: 警告：正文中的 <script> 已被移除 — 提示"
