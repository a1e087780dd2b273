"""Addresses in editors' text read as a browser reads them: the scheme, whether a page leaves the site, Windows
paths copied into links (``..\\craftsmen\\chen.md``) read with slashes.

Below the Markdown stages (stdlib only), so the conversion and ``check`` ask the same questions here.
"""

from __future__ import annotations

import re
from urllib.parse import SplitResult, urlsplit

_CONTROLS = re.compile(r"[\x00-\x20]")  # compiled once: every link of every body is asked about (~7 a body)
_SCHEME = re.compile(r"([a-z][a-z0-9+.-]*):")


def scheme(url: str) -> str | None:
    """The scheme as a browser sees it (whitespace and control characters inside it are ignored)."""
    m = _SCHEME.match(_CONTROLS.sub("", url).lower())
    return m.group(1) if m else None


def is_external(url: str) -> bool:
    """http(s) and protocol-relative URLs (browsers read "\\\\host" and "/\\host" as "//host")."""
    squeezed = _CONTROLS.sub("", url).replace("\\", "/")
    return squeezed.startswith("//") or scheme(url) in ("http", "https")


def split_url(url: str) -> SplitResult:
    """``urlsplit`` that never raises (it does for a malformed "[IPv6]" host)."""
    try:
        return urlsplit(url.strip())
    except ValueError:
        return urlsplit("")


def slashed(target: str) -> str:
    """A relative path copied on Windows (``..\\craftsmen\\chen.md``) as the web writes it, with ``/``; other
    addresses (``D:\\照片``, ``\\\\server``, ``https://…``) as they are, for their own messages."""
    if "\\" not in target or target.startswith(("\\\\", "/")) or scheme(target):
        return target
    return target.replace("\\", "/")
