"""Videos and audio guides: each trap of issue #17 on media the tests make themselves, asserted on the bytes
the build publishes (media.py, mediafiles.py, captions.py, guide.py)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import av
import pytest
from conftest import REPO, SITE_TOML
from lxml import html as lxml_html

from yunzhan.pipeline import BuildOptions, build

_spec = importlib.util.spec_from_file_location("make_demo_videos", REPO / "scripts" / "make_demo_videos.py")
demo_videos = importlib.util.module_from_spec(_spec)
sys.modules["make_demo_videos"] = demo_videos
_spec.loader.exec_module(demo_videos)
write_clip, write_audio = demo_videos.write_clip, demo_videos.write_audio

MEDIA_TOML = SITE_TOML.replace(
    'website = { type = "url" }',
    'website = { type = "url" }\naudio = { type = "audio" }\nguide = { type = "guide" }',
)
PROJECT = """\
---
title: 巡检机器人
category: 创新产品
zone: gusu
{extra}
---
正文。
"""
LOCATION = {"location": "+31.2989+120.5853/", "make": "Apple", "model": "iPhone 15 Pro"}


def bundle(make_site, extra: str, media: dict[str, Path | bytes | str] | None = None, toml: str = MEDIA_TOML):
    """A site with one project bundle ``content/projects/robot/`` holding ``media`` (name → generated file)."""
    site = make_site({"content/projects/robot/index.md": PROJECT.format(extra=extra)}, toml=toml)
    folder = site / "content/projects/robot"
    for name, made in (media or {}).items():
        target = folder / name
        if isinstance(made, Path):
            target.write_bytes(made.read_bytes())
        elif isinstance(made, bytes):
            target.write_bytes(made)
        else:
            target.write_text(made, encoding="utf-8")
    return site


def run(site: Path, **kw):
    return build(BuildOptions(site_dir=site, **kw))


def page(site: Path, rel: str = "projects/robot/index.html"):
    return lxml_html.fromstring((site / "output" / rel).read_text("utf-8"))


def published(site: Path, src: str) -> Path:
    return site / "output" / src.lstrip("/")


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> dict[str, Path]:
    """The test media, made once: plain (moov after mdat), with a location, HEVC, truncated, text, audio."""
    folder = tmp_path_factory.mktemp("clips")
    made = {
        "plain": write_clip(folder / "plain.mp4"),
        "located": write_clip(folder / "located.mov", fmt="mov", metadata=LOCATION),
        "apple": write_clip(
            folder / "apple.mov",
            fmt="mov",
            metadata={
                "com.apple.quicktime.location.ISO6709": "+31.2989+120.5853+010.000/",
                "com.apple.quicktime.model": "iPhone 15 Pro",
            },
        ),
        "guide": write_audio(folder / "guide.mp3"),
    }
    made["hevc"] = write_clip(folder / "hevc.mp4", codec="libx265")
    fast = write_clip(folder / "fast.mp4", faststart=True)
    (folder / "truncated.mp4").write_bytes(fast.read_bytes()[: fast.stat().st_size * 2 // 3])
    made["truncated"] = folder / "truncated.mp4"
    (folder / "text.mp4").write_text("这不是视频，是一段文字。\n", encoding="utf-8")
    made["text"] = folder / "text.mp4"
    return made


def test_the_test_media_are_what_they_claim(clips):
    plain = clips["plain"].read_bytes()
    assert plain.index(b"mdat") < plain.index(b"moov")  # the trap: an index at the end
    assert b"\xa9xyz" in clips["located"].read_bytes() and b"iPhone" in clips["located"].read_bytes()
    assert b"ISO6709" in clips["apple"].read_bytes()
    with av.open(str(clips["hevc"])) as c:
        assert c.streams.video[0].codec_context.name == "hevc"


def test_gallery_video_is_published_fast_start_without_location(make_site, clips):
    extra = "gallery:\n  - src: walk.mov\n    alt: 机器人在巡检\n    caption: 现场"
    site = bundle(
        make_site,
        extra,
        {"walk.mov": clips["located"], "walk.vtt": "WEBVTT\n\n00:00.000 --> 00:01.000\n你好\n"},
    )
    result = run(site)
    tree = page(site)
    (video,) = tree.xpath("//ul[@class='gallery']//video")
    for attr in ("controls", "playsinline", "webkit-playsinline", "x5-playsinline"):
        assert attr in video.attrib
    assert video.get("preload") == "none" and video.get("x5-video-player-type") == "h5-page"
    assert (video.get("width"), video.get("height")) == ("320", "180")
    assert video.get("aria-label") == "机器人在巡检"
    (source,) = video.xpath(".//source")
    assert source.get("type") == "video/mp4" and source.get("src").endswith(".mp4")
    data = published(site, source.get("src")).read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")  # fast start
    for private in (b"\xa9xyz", b"+31.2989", b"iPhone", b"Apple", b"loci", b"Lavf"):
        assert private not in data
    with av.open(str(published(site, source.get("src")))) as c:  # still the same, playable streams
        assert [s.codec_context.name for s in c.streams] == ["h264", "aac"]
        assert c.streams.video[0].frames == 20
    poster = published(site, video.get("poster"))
    assert poster.is_file() and poster.suffix == ".jpg"
    (track,) = video.xpath(".//track")
    assert track.get("kind") == "captions" and track.get("default") is not None
    assert published(site, track.get("src")).read_text("utf-8").startswith("WEBVTT")
    assert result.image_stats["media_processed"] == 1
    again = run(site, use_cache=False)
    assert again.image_stats["media_processed"] == 0 and again.image_stats["media_cached"] == 1
