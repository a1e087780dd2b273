"""Python-Markdown as ``mdtuned`` tunes it gives Python-Markdown's own output, byte for byte."""

from __future__ import annotations

import random
from pathlib import Path

import markdown

from yunzhan import markup, mdtuned

REPO = Path(__file__).resolve().parent.parent

# Pieces of Markdown heavy in every inline pattern's marks, and in what comes near them.
PIECES = [
    "*",
    "**",
    "***",
    "_",
    "__",
    "`",
    "``",
    "\\",
    "\\*",
    "\\[",
    "[",
    "]",
    "(",
    ")",
    "![",
    "!",
    "[^1]",
    "[^x]",
    "<",
    ">",
    "&",
    "&amp;",
    "&#38;",
    "&#x26;",
    "&copy;",
    "&nope",
    "  \n",
    "\n",
    "\n\n",
    " ",
    "  ",
    "中文",
    "展品",
    "word",
    "a_b_c",
    "http://example.org/a",
    "<b>",
    "</b>",
    '<span class="x">',
    "<a@b.cn>",
    "<http://a.b/c>",
    "<!-- c -->",
    "# ",
    "## 标题",
    "- ",
    "1. ",
    "> ",
    "|",
    "| a | b |\n|---|:-:|\n",
    "---",
    "```\n",
    "~~~",
    "{: #anchor }",
    "{: .cls }",
    "\n[^1]: 注释\n",
    '\n[ref]: /url "t"\n',
    "[ref]",
    "[ref][]",
    "[文字](../a.md)",
    "![图](images/a.jpg)",
    '[链接](https://example.org "标题")',
    "    code",
    "\t",
    ":",
    '"',
    "'",
    "<br>",
    "<br/>",
    "\n## 同名\n",
    "\n### 标题  两个空格 \n",
    "\n标题\n===\n",
    "\n#### `代码` 标题\n",
    '{: data-toc-label="目录" }',
    "\n##### a &lt; b\n",
    "\n===\n",
    "+ ",
    "___\n",
    "\n- - -\n",
    "\n * * *\n",
    "3. ",
    "   > ",
]


def _pair() -> tuple[markdown.Markdown, markdown.Markdown]:
    return markup.plain_markdown(), mdtuned.install(markup.plain_markdown())


def _same(plain: markdown.Markdown, skipping: markdown.Markdown, text: str) -> None:
    expected = plain.reset().convert(text)
    assert skipping.reset().convert(text) == expected, text
    assert skipping.toc_tokens == plain.toc_tokens, text  # type: ignore[attr-defined]


def test_random_markdown_converts_as_python_markdown_does() -> None:
    rng = random.Random(15)
    plain, skipping = _pair()
    for _ in range(3000):
        _same(plain, skipping, "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 40))))


def test_the_repositorys_markdown_converts_as_python_markdown_does() -> None:
    plain, skipping = _pair()
    found = sorted(
        p for p in REPO.glob("**/*.md") if ".venv" not in p.parts and "node_modules" not in p.parts
    )
    assert found
    for path in found:
        _same(plain, skipping, path.read_text("utf-8", errors="replace"))


def test_every_pattern_has_its_marks_or_is_always_tried() -> None:
    """A pattern Python-Markdown or an extension adds later is tried on every text, as before."""
    skipping = mdtuned.install(markup.plain_markdown())
    inline = skipping.treeprocessors["inline"]
    assert isinstance(inline, mdtuned.SkippingInline)
    names = [item.name for item in skipping.inlinePatterns._priority]
    assert set(names) - {"em_strong"} <= set(mdtuned.MARKS)
    assert inline.marks[names.index("em_strong")] == ("*", "_")
    unknown = markup.plain_markdown()
    unknown.inlinePatterns.register(markdown.inlinepatterns.SimpleTextInlineProcessor("(x)"), "mine", 5)
    assert mdtuned.SkippingInline(unknown).marks[-1] is None


def test_a_registry_changed_after_install_is_iterated_as_changed() -> None:
    md = mdtuned.install(markup.plain_markdown())
    before = list(md.postprocessors)
    md.postprocessors.deregister("amp_substitute")
    assert len(list(md.postprocessors)) == len(before) - 1
    md.postprocessors.register(before[0], "again", 1)
    assert list(md.postprocessors)[-1] is before[0]
