"""The hints ``new`` writes into a record's body for the editor to replace, and the check that they were.

Each hint starts with ``MARK`` (the default body here, the theme's archetypes, and any site archetype that uses
it). ``build`` and ``check`` both load records through ``content.load_record``, which reports a body still
holding the mark as an error, as it does an empty required field that ``new`` left: a hint is never published.
"""

from __future__ import annotations

from yunzhan.errors import Problem

MARK = "【待填写】"
DEFAULT_BODY = f"## 简介\n\n{MARK}在这里写正文，可以用 Markdown：## 小标题、**加粗**、- 列表。\n"
SHOWN_CHARS = 24


def unreplaced(body: str, first_line: int, rel: str) -> list[Problem]:
    """One error at the first hint left in ``body`` (whose first line is ``first_line`` of the file)."""
    found = [
        (n, text[text.index(MARK) :]) for n, text in enumerate(body.split("\n"), first_line) if MARK in text
    ]
    if not found:
        return []
    line, text = found[0]  # from the mark on: "- 【待填写】亮点一" shows as "【待填写】亮点一"
    text = text.strip()
    shown = text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "……"
    more = f"（一共 {len(found)} 处，第一处在这一行）" if len(found) > 1 else ""
    return [
        Problem(
            rel,
            line,
            None,
            f"正文里还留着新建时的提示文字“{shown}”{more}",
            f"把每处{MARK}和它后面的提示换成自己写的正文；用不上的小节连同小标题一起删掉",
        )
    ]
