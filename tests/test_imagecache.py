"""imagecache.py: the derivative cache: an unchanged rebuild decodes and writes nothing, a changed setting
makes only what it changes, writes are atomic, and a pool of workers fills it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests import photos
from tests.photos import cornered, photo, run
from yunzhan import imagecodec
from yunzhan.config import ImageSettings

site = photos.site  # the fixture (assigned, not imported, so that linters see it used)


def cache_files(site: Path) -> dict[str, int]:
    root = site.parent / "cache"
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}


def test_unchanged_rebuild_decodes_and_writes_nothing(site, monkeypatch):
    sources = [photo(site, f"c{i}.jpg", cornered((90, 60 + i))) for i in range(2)]
    first = run(site, sources)
    assert first.stats == {"sources": 2, "cached": 0, "decoded": 2, "written": 18, "failed": 0}
    before = cache_files(site)

    monkeypatch.setattr(imagecodec, "make_derivatives", lambda *a, **k: pytest.fail("decoded"))
    second = run(site, sources)
    assert second.stats == {"sources": 2, "cached": 2, "decoded": 0, "written": 0, "failed": 0}
    assert second.images == first.images and second.files == first.files
    assert cache_files(site) == before  # not even the manifest was rewritten

    # A fresh clone: same bytes, new mtimes. Re-hashed, still nothing decoded.
    for s in sources:
        os.utime(s, ns=(1, 1))
    assert run(site, sources).stats["decoded"] == 0


def test_changing_quality_regenerates_and_changes_urls(site):
    src = photo(site, "q.jpg", cornered())
    first = run(site, [src])
    second = run(site, [src], ImageSettings(widths=(30, 60, 90), quality=60, workers=1))
    assert second.stats["decoded"] == 1 and second.stats["written"] == 9
    assert first.images[src].src != second.images[src].src  # cache-forever URLs must change with the bytes
    assert (
        first.files[first.images[src].src.lstrip("/")].read_bytes()
        != second.files[second.images[src].src.lstrip("/")].read_bytes()
    )
    assert run(site, [src]).stats["decoded"] == 0  # the old quality is still cached


def test_adding_a_width_only_makes_that_width(site):
    src = photo(site, "w.jpg", cornered((200, 100)))
    run(site, [src], ImageSettings(widths=(50, 150), workers=1))
    before = cache_files(site)
    result = run(site, [src], ImageSettings(widths=(50, 100, 150), workers=1))
    assert result.stats["written"] == 3  # 100 px in avif, webp and jpg
    after = cache_files(site)
    new = sorted(set(after) - set(before))
    assert [Path(n).name for n in new] == ["100.q78.v2.avif", "100.q78.v2.jpg", "100.q78.v2.webp"]
    assert all(after[k] == v for k, v in before.items() if not k.endswith("manifest.json"))


def test_lost_cache_file_is_remade_alone(site):
    src = photo(site, "lost.jpg", cornered())
    first = run(site, [src])
    victim = first.files[first.images[src].large.lstrip("/")]
    victim.unlink()
    again = run(site, [src])
    assert again.stats["written"] == 1 and victim.is_file()


def test_cache_writes_are_atomic(site, monkeypatch):
    src = photo(site, "atomic.jpg", cornered())

    def crash(a, b):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    [problem] = run(site, [src]).problems
    assert problem.message == "无法写入图片缓存" and "disk full" in problem.hint
    monkeypatch.undo()
    leftovers = [p for p in (site.parent / "cache").rglob("*") if p.is_file()]
    assert leftovers == []  # neither a temp file nor a half-written derivative
    result = run(site, [src])
    assert result.stats["written"] == 9 and not result.problems
    assert not list((site.parent / "cache").rglob("*.tmp"))


def test_process_pool_handles_many_sources(site):
    sources = [photo(site, f"p{i}.jpg", cornered((90 + i, 60))) for i in range(3)]
    bad = str(site / "content" / "projects" / "bad.jpg")
    Path(bad).write_text("不是图片")
    result = run(site, [*sources, bad], ImageSettings(widths=(30, 60), workers=2))
    assert result.stats["decoded"] == 3 and result.stats["failed"] == 1
    assert [p.message for p in result.problems] == ["这个文件是文本，不是图片"]
    assert all(result.images[s].width == 60 for s in sources)
