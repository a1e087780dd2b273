"""scripts/audit.py's static server types files with yunzhan.serve.content_type, the preview's own table."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

import pytest
from browser import serve_directory

from yunzhan.serve import content_type

NAMES = [
    "index.html",
    "site.webmanifest",
    "x.avif",
    "font.woff2",
    "captions.vtt",
    "data.json",
    "blob.unknown-suffix",
]


def test_audit_server_uses_the_serve_content_types(tmp_path: Path) -> None:
    (tmp_path / "404.html").write_text("<!doctype html><title>找不到页面</title>", encoding="utf-8")
    for name in NAMES:
        (tmp_path / name).write_bytes(b"x")
    url, stop = serve_directory(tmp_path, "/expo/")
    try:
        for name in NAMES:
            with urllib.request.urlopen(url + name, timeout=5) as response:
                assert response.headers["Content-Type"] == content_type(Path(name)), name
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(url + "missing/", timeout=5)
        assert err.value.code == 404 and err.value.headers["Content-Type"] == content_type(Path("404.html"))
        err.value.close()
    finally:
        stop()
