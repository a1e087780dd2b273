"""The image stage: what a photographer and a visitor on a slow phone expect from the derivatives."""

from __future__ import annotations

import hashlib
import io
import random
import sys
from pathlib import Path

from PIL import Image as PILImage

from tests import photos
from tests.photos import RED, SMALL, cornered, near, outputs, photo, req, run
from yunzhan import images as images_mod
from yunzhan.config import ImageSettings
from yunzhan.images import ascii_stem, process_images

site = photos.site  # the fixture (assigned, not imported, so that linters see it used)


# ---------------------------------------------------------------- sizes and URLs


def test_small_original_is_published_at_its_own_size(site):
    src = photo(site, "tiny.jpg", cornered((45, 30)))
    result = run(site, [src], ImageSettings(widths=(480, 960), workers=1))
    image = result.images[src]
    assert (image.width, image.height) == (45, 30)
    assert image.fallback_srcset.count("w") == 1 and image.src == image.large
    assert all(im.size == (45, 30) for im in outputs(result).values())


def test_urls_carry_the_prefix_and_are_content_addressed(site):
    src = photo(site, "火箭 模型.jpg", cornered())
    result = run(site, [src], prefix="/expo/2024/")
    image = result.images[src]
    assert image.src.startswith("/expo/2024/media/") and image.src.endswith("/huo-jian-mo-xing-60.jpg")
    assert image.large.endswith("-90.jpg") and image.alt == ""
    assert image.fallback_srcset.endswith("huo-jian-mo-xing-90.jpg 90w")
    assert image.sources[0].srcset.split(", ")[0].endswith("-30.avif 30w")
    assert near(bytes.fromhex(image.placeholder[1:]), (43, 38, 198), 20)  # 1/9 red, 8/9 blue
    urls = {image.src, image.large} | {
        part.split(" ")[0]
        for srcset in [image.fallback_srcset, *(s.srcset for s in image.sources)]
        for part in srcset.split(", ")
    }
    assert urls == {"/expo/2024/" + rel for rel in result.files}
    # Every file sits in the one folder named from the source's bytes (sha256) and the settings shaping its pixels.
    folder_of_source = images_mod.url_hash(hashlib.sha256(Path(src).read_bytes()).hexdigest(), SMALL)
    assert {tuple(rel.split("/")[:2]) for rel in result.files} == {("media", folder_of_source)}
    assert all(rel.split("/")[2].isascii() for rel in result.files)
    sharper = run(site, [src], ImageSettings(widths=SMALL.widths, quality=SMALL.quality + 5, workers=1))
    assert sharper.images[src].src.split("/")[2] != folder_of_source  # another quality: another URL
    # Same bytes under another name share the hash folder; different bytes never do.
    twin = str(site / "content" / "projects" / "twin.jpg")
    Path(twin).write_bytes(Path(src).read_bytes())
    other = photo(site, "other.jpg", cornered((90, 61)))
    again = run(site, [src, twin, other], prefix="/")
    folder = lambda s: again.images[s].src.split("/")[2]  # noqa: E731
    assert folder(src) == folder(twin) != folder(other)
    assert ascii_stem("IMG_0042.JPG") == "img-0042" and ascii_stem("展品.png") == "zhan-pin"


def test_same_source_is_processed_once(site):
    src = photo(site, "shared.jpg", cornered())
    result = run(site, [req(src, "content/a.md", 3, "cover"), req(src, "content/b.md", 9, "gallery[0].src")])
    assert result.stats["sources"] == 1 and result.stats["decoded"] == 1
    assert result.images[src].src


def test_identical_copies_are_decoded_once(site):
    first = photo(site, "cover.jpg", cornered())
    copy = site / "content" / "craftsmen"
    copy.mkdir()
    (copy / "cover.jpg").write_bytes(Path(first).read_bytes())
    result = run(site, [first, str(copy / "cover.jpg")])
    assert result.stats["decoded"] == 1 and result.stats["cached"] == 1
    assert result.images[first] == result.images[str(copy / "cover.jpg")]


def test_progress_bar_only_on_a_terminal(site, monkeypatch):
    sources = [photo(site, f"bar{i}.jpg", cornered((90 + i, 60))) for i in range(2)]

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stderr", Terminal())
    process_images([req(s) for s in sources], SMALL, site_dir=site, cache_dir=site / "c1", url_prefix="/")
    assert sys.stderr.getvalue() == ""  # progress not asked for
    process_images(
        [req(s) for s in sources], SMALL, site_dir=site, cache_dir=site / "c2", url_prefix="/", progress=True
    )
    assert "图片" in sys.stderr.getvalue() and "2/2" in sys.stderr.getvalue()


def test_one_pixel_image(site):
    src = photo(site, "dot.png", PILImage.new("RGB", (1, 1), RED), "PNG")
    result = run(site, [src])
    assert not result.problems and result.images[src].width == 1 and len(result.files) == 3


# ---------------------------------------------------------------- bad input


def test_each_bad_input_is_a_problem_naming_its_record_and_the_rest_still_works(site):
    content = site / "content" / "projects"
    good = photo(site, "good.jpg", cornered())
    (content / "text.jpg").write_text("hello, this is not a photo\n")
    data = io.BytesIO()
    cornered((400, 300)).save(data, "JPEG")
    (content / "truncated.jpg").write_bytes(data.getvalue()[:600])
    # the same garbage every run: some random bytes read as a chunk's header make a damaged PNG, not garbage
    (content / "garbage.png").write_bytes(b"\x89PNG\r\n\x1a\n" + random.Random(7).randbytes(300))
    (content / "empty.jpg").write_bytes(b"")
    (content / "vector.svg").write_text("<svg/>")
    photo(site, "bomb.png", PILImage.new("L", (300, 300)), "PNG")  # 90,000 px > 1.5 x the limit below
    photo(site, "big.png", PILImage.new("L", (130, 100)), "PNG")  # 13,000 px: Pillow only warns
    outside = site.parent / "outside.jpg"
    cornered().save(outside)
    (content / "link.jpg").symlink_to(outside)
    cases = {
        "missing.jpg": "找不到图片文件 missing.jpg",
        "text.jpg": "这个文件是文本，不是图片",
        "truncated.jpg": "图片文件已损坏或不完整",
        "garbage.png": "文件内容不是可识别的图片格式",
        "empty.jpg": "图片文件是空的",
        "vector.svg": "不支持的图片格式 .svg",
        "bomb.png": "图片像素过多",
        "big.png": "图片像素过多",
        "link.jpg": "图片路径超出了网站的 content 文件夹",
        "../../../outside.jpg": "图片路径超出了网站的 content 文件夹",
    }
    requests = [req(good, "content/projects/ok.md", 1, "cover")]
    for i, name in enumerate(cases):
        requests.append(req(str(content / name), f"content/projects/r{i}.md", i + 10, f"gallery[{i}].src"))
    result = run(site, requests, ImageSettings(widths=(30, 60), max_pixels=10_000, workers=1))

    assert result.images[good].width == 60  # the good one is unharmed
    assert len(result.problems) == len(cases)
    for i, (name, message) in enumerate(cases.items()):
        [problem] = [p for p in result.problems if p.line == i + 10]
        assert problem.message.startswith(message), (name, problem.message)
        assert (problem.path, problem.field, problem.severity) == (
            f"content/projects/r{i}.md",
            f"gallery[{i}].src",
            "error",
        )
        assert problem.hint
    assert not any(p.name.endswith(".tmp") for p in (site.parent / "cache").rglob("*"))
    assert result.stats["failed"] == 6  # the four checked before decoding never reach a worker


def test_bad_source_used_twice_gives_a_problem_per_use(site):
    missing = str(site / "content" / "projects" / "gone.jpg")
    result = run(
        site, [req(missing, "content/a.md", 2, "cover"), req(missing, "content/b.md", 5, "gallery[1].src")]
    )
    assert sorted((p.path, p.line, p.field) for p in result.problems) == [
        ("content/a.md", 2, "cover"),
        ("content/b.md", 5, "gallery[1].src"),
    ]


def test_huge_original_is_a_warning_only(site):
    src = photo(site, "huge.jpg", cornered())
    result = run(site, [src], ImageSettings(widths=(30,), warn_bytes=100, workers=1))
    [problem] = result.problems
    assert problem.severity == "warning" and problem.message.startswith("原图过大（0.0 MB）")
    assert result.images[src].width == 30


def test_unknown_format_setting_is_skipped_with_a_warning(site):
    src = photo(site, "a.jpg", cornered())
    result = run(site, [src], ImageSettings(widths=(30,), formats=("webp", "jxl"), workers=1))
    [problem] = result.problems
    assert problem.field == "images.formats" and problem.severity == "warning"
    assert [s.type for s in result.images[src].sources] == ["image/webp"]
