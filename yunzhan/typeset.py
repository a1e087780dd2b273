"""Typesetting of converted Markdown for readers: what the writer meant, in the markup the theme can style.

Runs on HTML that ``markup`` has already sanitised (it only adds classes and moves cells), so it never opens a
hole the sanitiser closed:

- A paragraph that is one emphasised credit (``*封面图：示意插图*``) is a credit line, not emphasis: Chinese
  emphasis is drawn with dots under every character (着重号), which a credit must not get.
- A two-column table headed by generic words ("项目 | 内容") is a list of labels and values: the header row
  says nothing, so it goes, and each label heads its row (``<th scope="row">``).
- A table whose first column holds only short labels (dates, place names) is marked so that the theme keeps
  each label on one line on phones ("张家港/市" was split by the narrow column).
"""

from __future__ import annotations

import re

CREDIT_WORDS = (
    "封面图",
    "封面",
    "题图",
    "图片",
    "图",
    "插图",
    "配图",
    "摄影",
    "供图",
    "图源",
    "来源",
    "资料来源",
)
GENERIC_HEADERS = frozenset(
    {"项目", "内容", "名称", "说明", "信息", "事项", "类别", "详情", "字段", "值", "键", "数值"}
)
SHORT_LABEL = 12  # characters: longer first-column cells may wrap

_CREDIT = re.compile(
    r"<p>\s*<em>\s*((?:"
    + "|".join(sorted(CREDIT_WORDS, key=len, reverse=True))
    + r")\s*[：:][^<]*)</em>\s*</p>"
)
_TABLE = re.compile(r"<table>(.*?)</table>", re.S)
_ROW = re.compile(r"<tr>(.*?)</tr>", re.S)
_CELL = re.compile(r"<(t[hd])([^>]*)>(.*?)</\1>", re.S)
_TAG = re.compile(r"<[^>]+>")


def typeset(html: str) -> str:
    """Credit lines and label tables of one converted document (see the module docstring)."""
    if "<em>" in html:
        html = _CREDIT.sub(r'<p class="credit">\1</p>', html)
    if "<table>" in html:
        html = _TABLE.sub(_table, html)
    return html


def _text(cell: str) -> str:
    return " ".join(_TAG.sub("", cell).split())


def _table(match: re.Match[str]) -> str:
    inner = match.group(1)
    head, _, body = inner.partition("</thead>") if "</thead>" in inner else ("", "", inner)
    head_cells = [_text(c[2]) for row in _ROW.findall(head) for c in _CELL.findall(row)]
    rows = [_CELL.findall(row) for row in _ROW.findall(body)]
    if not rows or any(not cells for cells in rows):
        return match.group(0)
    short = all(len(_text(cells[0][2])) <= SHORT_LABEL for cells in rows)
    generic = (
        len(head_cells) == 2 and all(len(cells) == 2 for cells in rows) and set(head_cells) <= GENERIC_HEADERS
    )
    if not generic:
        return f'<table class="t-keys">{inner}</table>' if short else match.group(0)
    lines = []
    for (_, label_attrs, label), (_, value_attrs, value) in rows:
        lines.append(f'<tr>\n<th scope="row"{label_attrs}>{label}</th>\n<td{value_attrs}>{value}</td>\n</tr>')
    classes = "t-kv t-keys" if short else "t-kv"
    return f'<table class="{classes}">\n<tbody>\n' + "\n".join(lines) + "\n</tbody>\n</table>"
