"""serve/http.py: the files under the base path, their content types, and nothing outside the preview."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests import livepreview
from tests.livepreview import BASE, Live
from yunzhan.serve import content_type

# fixtures from tests/livepreview.py (assigned, not imported, so that linters see them used)
site, serve = livepreview.site, livepreview.serve


def test_refuses_paths_outside_the_preview(serve: Callable[..., Live]) -> None:
    live = serve()
    for path in (
        "/../site.toml",
        "/expo/2024/../../site.toml",
        "/%2e%2e/site.toml",
        "/expo/2024/%2e%2e/%2e%2e/site.toml",
        "/expo/2024/..%2f..%2fsite.toml",
        "/expo/2024/%2E%2E%5Csite.toml",
    ):
        response = live.get(path)
        assert response.status in (400, 403), path
        assert "title =" not in response.text
    # a loopback preview answers only to loopback host names (no DNS rebinding from another web site)
    assert live.get(BASE, headers={"Host": "evil.example:80"}).status == 403
    assert live.get(BASE, headers={"Host": "localhost"}).status == 200
    assert live.get(BASE, headers={"Host": "[::1]:8000"}).status == 200
    preview = live.site / ".yunzhan-cache" / "preview"
    (preview / "leak.toml").symlink_to(live.site / "site.toml")
    response = live.get(BASE + "leak.toml")
    assert response.status == 403 and "title =" not in response.text


def test_content_types_404_and_head(serve: Callable[..., Live]) -> None:
    live = serve()
    expected = {
        "media/x.avif": "image/avif",
        "media/x.webp": "image/webp",
        "media/x.wasm": "application/wasm",
        "media/x.svg": "image/svg+xml; charset=utf-8",
        "media/feed.xml": "application/xml; charset=utf-8",
        "media/data.json": "application/json; charset=utf-8",
        "media/app.js": "text/javascript; charset=utf-8",
        "css/site.css": "text/css; charset=utf-8",
    }
    for rel, ctype in expected.items():
        response = live.get(live.asset(rel))
        assert response.status == 200, rel
        assert response.headers["Content-Type"] == ctype, rel
        assert "yunzhan-live" not in response.text
    film = live.get(live.asset("media/film.mp4"))
    assert film.headers["Content-Type"] == "video/mp4" and film.body == bytes(range(256)) * 6000
    missing = live.get(BASE + "no/such/page/")
    assert missing.status == 404 and "页面不存在" in missing.text and 'id="yunzhan-live"' in missing.text
    assert live.get("/elsewhere/").status == 404
    head = live.get(BASE, method="HEAD")
    assert head.status == 200 and head.body == b"" and int(head.headers["Content-Length"]) > 1000
    assert live.get(BASE, method="POST").status == 501


def test_content_type_table() -> None:
    """One table for the preview and for scripts/audit.py's static server (tests/test_audit.py)."""
    expected = {
        "index.html": "text/html; charset=utf-8",
        "PAGE.HTM": "text/html; charset=utf-8",
        "site.webmanifest": "application/manifest+json; charset=utf-8",
        "x.avif": "image/avif",
        "font.woff2": "font/woff2",
        "captions.vtt": "text/vtt; charset=utf-8",
        "favicon.ico": "image/x-icon",
        "blob.unknown-suffix": "application/octet-stream",
        "no-suffix": "application/octet-stream",
    }
    assert {name: content_type(Path(name)) for name in expected} == expected
