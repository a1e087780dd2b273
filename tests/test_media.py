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

from yunzhan import mediafiles
from yunzhan.errors import YunzhanError
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
    extra = "gallery:\n  - src: walk.mov\n    alt: 机器人在巡检\n    caption: 现场\n    credit: 王工"
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
    assert tree.xpath("string(//span[@class='shot-credit'])") == "视频：王工"
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
    assert poster.is_file() and poster.name.endswith("-320.jpg")  # a gallery loads its smallest posters
    (track,) = video.xpath(".//track")
    assert track.get("kind") == "captions" and track.get("default") is not None
    assert published(site, track.get("src")).read_text("utf-8").startswith("WEBVTT")
    assert result.image_stats["media_processed"] == 1
    assert (
        f'"video": "https://example.org{source.get("src")}"'
        in (site / "output/data/records.json").read_text()
    )
    again = run(site, use_cache=False)
    assert again.image_stats["media_processed"] == 0 and again.image_stats["media_cached"] == 1


def test_moov_at_the_end_is_moved_to_the_front_packet_for_packet(make_site, clips):
    site = bundle(make_site, "cover: clip.mp4", {"clip.mp4": clips["plain"]})
    run(site)
    (video,) = page(site).xpath("//figure[@class='cover']/video")
    data = published(site, video.xpath(".//source")[0].get("src")).read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")

    def packets(path: Path) -> list[bytes]:
        with av.open(str(path)) as c:
            return [bytes(p) for p in c.demux() if p.size]

    assert packets(clips["plain"]) == packets(published(site, video.xpath(".//source")[0].get("src")))
    listing = lxml_html.fromstring((site / "output/projects/index.html").read_text("utf-8"))
    assert not listing.xpath("//video")  # a listing shows the poster, inside its link
    assert listing.xpath("//a[contains(@href, '/projects/robot/')]/ancestor::article//picture")


def test_apple_location_keys_and_device_are_gone_from_the_published_bytes(make_site, clips):
    site = bundle(make_site, "cover: clip.mov", {"clip.mov": clips["apple"]})
    run(site)
    src = page(site).xpath("//figure[@class='cover']//source")[0].get("src")
    data = published(site, src).read_bytes()
    assert src.endswith(".mp4") and mediafiles.leaks(data) == []
    assert b"+31.2989" not in data and b"iPhone" not in data


def test_body_video_becomes_a_video_element_in_place(make_site, clips):
    extra = ""
    site = bundle(make_site, extra, {"clip.mp4": clips["plain"]})
    index = site / "content/projects/robot/index.md"
    index.write_text(
        index.read_text("utf-8") + "\n看演示：\n\n![机器人巡检演示](clip.mp4)\n", encoding="utf-8"
    )
    run(site)
    (video,) = page(site).xpath("//video")
    assert video.get("aria-label") == "机器人巡检演示" and video.get("poster")
    assert not page(site).xpath("//img[contains(@src, 'clip.mp4')]")


def test_named_poster_goes_through_the_image_pipeline(make_site, clips):
    from conftest import jpeg_bytes

    extra = "cover:\n  src: clip.mp4\n  alt: 演示\n  poster: still.jpg\n  captions: none（只有机器声）"
    site = bundle(
        make_site, extra, {"clip.mp4": clips["plain"], "still.jpg": jpeg_bytes((640, 360), (10, 200, 10))}
    )
    run(site)
    (video,) = page(site).xpath("//figure[@class='cover']/video")
    assert "--ph:#0" in video.get("style")  # the still's green, not a frame's colour
    assert published(site, video.get("poster")).is_file()
    assert list((site / "output").glob("media/*/still-*.webp"))  # sizes and formats like any photo
    assert not video.xpath(".//track")


def test_srt_beside_the_video_is_published_as_webvtt(make_site, clips):
    srt = "1\r\n00:00:00,000 --> 00:00:01,500\r\n开机\r\n\r\n2\r\n00:00:01,500 --> 00:00:02,000\r\n巡检\r\n"
    site = bundle(make_site, "cover: clip.mp4", {"clip.mp4": clips["plain"], "clip.srt": srt})
    run(site)
    (track,) = page(site).xpath("//video//track")
    vtt = published(site, track.get("src")).read_text("utf-8")
    assert (
        vtt.startswith("WEBVTT\n\n")
        and "00:00:00.000 --> 00:00:01.500" in vtt
        and "," not in vtt.split("\n")[3]
    )


def test_hevc_is_published_with_a_warning_that_names_the_fix(make_site, clips):
    site = bundle(make_site, "cover: clip.mp4", {"clip.mp4": clips["hevc"]})
    result = run(site)
    (warning,) = [p for p in result.problems if "HEVC" in p.message]
    assert warning.severity == "warning" and warning.field == "cover" and warning.line == 5
    assert "H.264" in warning.hint
    src = page(site).xpath("//video//source")[0].get("src")
    with av.open(str(published(site, src))) as c:
        assert c.streams.video[0].codec_context.name == "hevc"  # nothing re-encoded


@pytest.mark.parametrize(
    ("name", "words"),
    [("truncated", "不完整"), ("text", "这个文件是文本，不是视频")],
)
def test_damaged_or_false_video_is_an_error_at_file_line_field(make_site, clips, name, words):
    site = bundle(make_site, "gallery:\n  - src: clip.mp4\n    alt: 演示", {"clip.mp4": clips[name]})
    with pytest.raises(YunzhanError) as caught:
        run(site)
    (problem,) = [p for p in caught.value.problems if p.is_error]
    assert problem.path == "content/projects/robot/index.md" and problem.field == "gallery[0]"
    assert problem.line == 6 and words in problem.message and problem.hint
    assert "Traceback" not in problem.format() and not (site / "output").exists()


def test_moov_missing_truncated_file_is_an_error_too(make_site, clips):
    cut = clips["plain"].read_bytes()[:4000]  # moov was at the end: cut off
    site = bundle(make_site, "cover: clip.mp4", {"clip.mp4": cut})
    with pytest.raises(YunzhanError) as caught:
        run(site)
    (problem,) = [p for p in caught.value.problems if p.is_error]
    assert problem.field == "cover" and "没复制完整" in problem.message


def test_large_or_fast_video_warns_with_its_cost_on_4g(make_site, clips):
    toml = MEDIA_TOML.replace("[images]", "[media]\nwarn_mb = 0\nwarn_mbps = 0\n\n[images]")
    site = bundle(make_site, "cover: clip.mp4", {"clip.mp4": clips["plain"]}, toml=toml)
    result = run(site)
    words = [p.message for p in result.problems if p.field == "cover" and p.severity == "warning"]
    assert any("4G" in w and "MB 流量" in w for w in words) and any("码率" in w for w in words)


def test_audio_guide_with_transcript_beside_and_guide_page(make_site, clips):
    extra = "audio: 讲解.mp3\nguide: 7"
    transcript = "这台机器人每天巡检三次。\n\n它发现过 12 处隐患。"
    site = bundle(make_site, extra, {"讲解.mp3": clips["guide"], "讲解.txt": transcript})
    run(site)
    tree = page(site)
    (audio,) = tree.xpath("//section[contains(@class, 'audio-guide')]//audio")
    assert audio.get("preload") == "none" and audio.get("controls") is not None
    data = published(site, audio.get("src")).read_bytes()
    assert audio.get("src").endswith(".mp3") and not data.startswith(b"ID3")  # no tags: no name, no comment
    assert "示例讲解员".encode() not in data
    with av.open(str(published(site, audio.get("src")))) as c:
        assert c.streams.audio[0].codec_context.codec.canonical_name == "mp3"
    paragraphs = tree.xpath("//details[@class='transcript']/p/text()")
    assert paragraphs == ["这台机器人每天巡检三次。", "它发现过 12 处隐患。"]
    assert "第 7 号" in tree.xpath("string(//h2[@id='guide-title'])")
    assert tree.xpath("string(//p[@class='guide-length'])") == "时长 3 秒"
    stops = page(site, "guide/index.html").xpath("//li[@class='guide-stop']")
    assert [s.get("id") for s in stops] == ["stop-7"]
    assert stops[0].xpath("string(.//a)") == "巡检机器人"
    records = (site / "output/data/records.json").read_text("utf-8")
    assert (
        '"transcript": "这台机器人每天巡检三次。' in records and '.mp3"' in records
    )  # open data: URL and text


def test_audio_without_transcript_is_an_error(make_site, clips):
    site = bundle(make_site, "audio: 讲解.mp3", {"讲解.mp3": clips["guide"]})
    with pytest.raises(YunzhanError) as caught:
        run(site)
    (problem,) = [p for p in caught.value.problems if p.is_error]
    assert problem.field == "audio" and "讲解词" in problem.message and "讲解.txt" in problem.hint


def test_transcript_written_in_the_record(make_site, clips):
    extra = "audio:\n  src: guide.mp3\n  transcript: 欢迎来到姑苏展区。"
    site = bundle(make_site, extra, {"guide.mp3": clips["guide"]})
    run(site)
    assert page(site).xpath("//details[@class='transcript']/p/text()") == ["欢迎来到姑苏展区。"]


def test_guide_numbers_are_unique_and_well_formed(make_site, clips):
    files = {
        "content/projects/a.md": PROJECT.format(extra="guide: 3").replace("巡检机器人", "甲"),
        "content/projects/b.md": PROJECT.format(extra="guide: 3").replace("巡检机器人", "乙"),
        "content/projects/c.md": PROJECT.format(extra="guide: 三").replace("巡检机器人", "丙"),
    }
    site = make_site(files, toml=MEDIA_TOML)
    with pytest.raises(YunzhanError) as caught:
        run(site)
    errors = {p.path: p for p in caught.value.problems if p.is_error}
    assert set(errors) == {"content/projects/b.md", "content/projects/c.md"}
    assert "content/projects/a.md" in errors["content/projects/b.md"].message
    assert (
        "最小编号是 1" in errors["content/projects/b.md"].hint and errors["content/projects/b.md"].line == 5
    )
    assert "1 到 9999" in errors["content/projects/c.md"].message


def test_placard_prints_the_guide_number_beside_its_qr_code(make_site, clips):
    toml = MEDIA_TOML.replace("[images]", '[publish]\nplacards = "projects"\n\n[images]')
    site = bundle(make_site, "guide: 12", toml=toml)
    run(site)
    placards = lxml_html.fromstring((site / "output/placards/gusu/index.html").read_text("utf-8"))
    (number,) = placards.xpath(
        "//h2[.='巡检机器人']/following-sibling::div[@class='placard-qr']//p[@class='placard-guide']"
    )
    assert number.xpath("string(strong)") == "12"


def test_check_warns_about_a_video_without_captions_unless_declined_with_a_reason(make_site, clips):
    from yunzhan.check import check_site

    site = make_site(
        {
            "content/projects/a/index.md": PROJECT.format(extra="cover: clip.mp4"),
            "content/projects/b/index.md": PROJECT.format(
                extra="cover:\n  src: clip.mp4\n  captions: none（只有机器声）"
            ),
            "content/projects/c/index.md": PROJECT.format(extra="cover:\n  src: clip.mp4\n  captions: none"),
            "content/projects/d/index.md": PROJECT.format(extra="cover: clip.mp4"),
            "content/projects/e/index.md": PROJECT.format(extra="") + "\n![演示](gone.mp4)\n",
            "content/projects/f/index.md": PROJECT.format(
                extra="cover:\n  src: clip.mp4\n  captions: 字幕.vtt"
            ),
        },
        toml=MEDIA_TOML,
    )
    for name in "abcdf":
        (site / f"content/projects/{name}/clip.mp4").write_bytes(clips["plain"].read_bytes())
    (site / "content/projects/d/clip.vtt").write_text(
        "WEBVTT\n\n00:00.000 --> 00:01.000\n开机\n", encoding="utf-8"
    )
    found = {
        (p.path.split("/")[2], p.field): p for p in check_site(site).problems if p.field in ("cover", "body")
    }
    assert set(found) == {("a", "cover"), ("c", "cover"), ("e", "body"), ("f", "cover")}
    assert found[("f", "cover")].is_error and "字幕.vtt" in found[("f", "cover")].message
    assert "字幕" in found[("a", "cover")].message and found[("a", "cover")].severity == "warning"
    assert "为什么" in found[("c", "cover")].message
    assert "找不到视频文件 gone.mp4" in found[("e", "body")].message and found[("e", "body")].line == 9


@pytest.mark.parametrize(
    ("codec", "fmt", "suffix", "words", "published"),
    [
        ("libvpx-vp9", "webm", ".webm", "VP9", "video/webm"),
        ("prores", "mov", ".mov", "ProRes", "video/quicktime"),
    ],
)
def test_other_codecs_are_published_as_they_are_with_a_warning(
    tmp_path, codec, fmt, suffix, words, published
):
    source = write_clip(tmp_path / f"clip{suffix}", codec=codec, fmt=fmt, audio=False, metadata=LOCATION)
    meta, poster = mediafiles.prepare(str(source), "video", str(tmp_path / "out"))
    assert meta["type"] == published and poster is not None
    (warning,) = meta["warnings"]
    assert words in warning[0] and "H.264" in warning[1]
    data = (tmp_path / "out").read_bytes()
    assert b"+31.2989" not in data and b"iPhone" not in data
    with av.open(str(tmp_path / "out")) as c:  # nothing re-encoded
        assert c.streams.video[0].codec_context.codec.canonical_name == {"libvpx-vp9": "vp9"}.get(
            codec, codec
        )


@pytest.mark.parametrize("suffix", [".m4a", ".aac"])
def test_audio_guides_in_m4a_and_aac_lose_their_tags(tmp_path, suffix):
    source = write_audio(tmp_path / f"guide{suffix}")
    assert "示例讲解员".encode() in source.read_bytes() or suffix == ".aac"  # ADTS has no tags to begin with
    meta, poster = mediafiles.prepare(str(source), "audio", str(tmp_path / "out"))
    assert poster is None and meta["codecs"] == ["aac"] and meta["warnings"] == []
    assert "示例讲解员".encode() not in (tmp_path / "out").read_bytes()


@pytest.mark.parametrize(
    ("name", "codec", "fmt", "audio_codec"),
    [("hevc.mp4", "libx265", None, "aac"), ("master.mov", "prores", "mov", "pcm_s16le")],
)
def test_transcode_when_the_site_asks_gives_h264_aac_without_a_warning(
    make_site, name, codec, fmt, audio_codec
):
    toml = MEDIA_TOML.replace("[images]", "[media]\ntranscode = true\n\n[images]")
    site = bundle(make_site, f"cover: {name}", toml=toml)
    source = site / "content/projects/robot" / name
    write_clip(source, codec=codec, fmt=fmt, audio_codec=audio_codec, metadata=LOCATION, size=(320, 180))
    result = run(site)
    assert not [p for p in result.problems if p.field == "cover"]
    src = page(site).xpath("//video//source")[0].get("src")
    data = published(site, src).read_bytes()
    assert src.endswith(".mp4") and data.index(b"moov") < data.index(b"mdat") and mediafiles.leaks(data) == []
    with av.open(str(published(site, src))) as c:
        assert [s.codec_context.codec.canonical_name for s in c.streams] == ["h264", "aac"]
        assert c.streams.video[0].frames == 20 and c.streams.audio[0].frames > 0


def test_captions_named_in_the_record_and_a_broken_caption_file(make_site, clips):
    extra = "cover:\n  src: clip.mp4\n  captions: 字幕/英文.vtt"
    good = "WEBVTT\n\n00:00.000 --> 00:01.000\nPower on\n"
    site = bundle(
        make_site,
        extra,
        {"clip.mp4": clips["plain"], "clip.vtt": "WEBVTT\n\n00:00.000 --> 00:01.000\n开机\n"},
    )
    (site / "content/projects/robot/字幕").mkdir()
    (site / "content/projects/robot/字幕/英文.vtt").write_text(good, encoding="utf-8")
    run(site)
    (track,) = page(site).xpath("//video//track")
    assert "Power on" in published(site, track.get("src")).read_text("utf-8")
    (site / "content/projects/robot/字幕/英文.vtt").write_text("00:00.000 --> 00:01.000\nPower on\n", "utf-8")
    with pytest.raises(YunzhanError) as caught:
        run(site)
    (problem,) = [p for p in caught.value.problems if p.is_error]
    assert problem.field == "cover" and "WEBVTT" in problem.message and problem.line == 5
