"""Raw HTML in Markdown that looks injected: hidden text and HTML links, what spam in a copied web page looks like.

``check`` only (warnings): the sanitiser (markup.py) already removes what is unsafe; these are for a person's eye.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from yunzhan.check.text import Finding
from yunzhan.errors import WARNING
from yunzhan.htmltokens import HTML_TOKEN

_ATTR = re.compile(r"([^\s=/>\"']+)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>]+))?")
_HIDDEN_STYLE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0(?![.\d]*[1-9])|opacity\s*:\s*0(?![.\d]*[1-9])"
    r"|(?:left|top|text-indent)\s*:\s*-\d{3,}",
    re.IGNORECASE,
)
_SCRIPT_URL = re.compile(r"^\s*(?:javascript|vbscript|data\s*:\s*text/html)", re.IGNORECASE)
_PASTE = "从网页复制文字时请用“粘贴为纯文本”"


def is_script_url(url: str) -> bool:
    return bool(_SCRIPT_URL.match(url))


def injected_html(line: str) -> list[Finding]:
    """Hidden text and HTML links to other websites in one line of Markdown."""
    hidden: list[str] = []
    anchors: list[str] = []
    for match in HTML_TOKEN.finditer(line):  # the tokenizer markup.py reads raw HTML with
        closing, tag, attr_text = match.group(1), (match.group(2) or "").lower(), match.group(3) or ""
        if closing or not tag:  # an end tag, a comment, a doctype
            continue
        attrs = {k.lower(): (v or "").strip("\"'") for k, v in _ATTR.findall(attr_text)}
        if _HIDDEN_STYLE.search(attrs.get("style", "")) or "hidden" in attrs:
            hidden.append(match.group(0)[:60])
        if tag == "a" and urlsplit(attrs.get("href", "")).scheme in ("http", "https"):
            anchors.append(attrs["href"])
    found = []
    if hidden:
        found.append(
            Finding(
                "<",
                f"有被隐藏起来的文字 {hidden[0]}，可能是网页里被注入的垃圾内容",
                f"确认后删掉这段 HTML；{_PASTE}",
                WARNING,
            )
        )
    if anchors:
        found.append(
            Finding(
                "<a",
                f"HTML 写法的外部链接 {anchors[0]}，可能是复制网页时带进来的广告链接",
                "确认确实需要这个链接；需要就改用 Markdown 写法 [文字](网址)，不需要就删掉",
                WARNING,
            )
        )
    return found
