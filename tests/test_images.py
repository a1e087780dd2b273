"""The image stage: what a photographer and a visitor on a slow phone expect from the derivatives."""

from __future__ import annotations

import hashlib
import io
import os
import struct
import sys
from pathlib import Path

import pytest
from PIL import Image as PILImage
from PIL import ImageCms, ImageOps

from yunzhan import imagecache
from yunzhan import images as images_mod
from yunzhan.config import ImageSettings
from yunzhan.imagecodec import plan_widths
from yunzhan.images import ascii_stem, process_images
from yunzhan.model import ImageRequest

RED, BLUE = (230, 20, 20), (20, 40, 220)
SMALL = ImageSettings(widths=(30, 60, 90), workers=1)


# ---------------------------------------------------------------- helpers


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "site" / "content" / "projects").mkdir(parents=True)
    return tmp_path / "site"


def photo(site: Path, name: str, im: PILImage.Image, fmt: str = "JPEG", **save) -> str:
    path = site / "content" / "projects" / name
    im.save(path, fmt, **save)
    return str(path)


def req(source: str, record: str = "content/projects/rocket.md", line: int | None = 4, field: str = "cover"):
    return ImageRequest(source=source, alt="", record_path=record, line=line, field=field)


def run(site: Path, sources, settings: ImageSettings = SMALL, prefix: str = "/"):
    requests = [s if isinstance(s, ImageRequest) else req(s) for s in sources]
    return process_images(
        requests, settings, site_dir=site, cache_dir=site.parent / "cache", url_prefix=prefix
    )


def outputs(result) -> dict[str, PILImage.Image]:
    """Every published file, opened (and loaded) with Pillow."""
    opened = {}
    for rel, path in result.files.items():
        im = PILImage.open(path)
        im.load()
        opened[rel] = im
    return opened


def cornered(size=(90, 60)) -> PILImage.Image:
    """Landscape, blue, with a red top-left corner: orientation mistakes show."""
    im = PILImage.new("RGB", size, BLUE)
    im.paste(RED, (0, 0, size[0] // 3, size[1] // 3))
    return im


def cache_files(site: Path) -> dict[str, int]:
    root = site.parent / "cache"
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}


def near(pixel, colour, tolerance=40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel[:3], colour, strict=True))


# A minimal ICC v2 writer, so the tests need no profile files.
def _icc(cls: bytes, space: bytes, pcs: bytes, tags: list[tuple[bytes, bytes]]) -> bytes:
    table, data, offset = b"", b"", 128 + 4 + 12 * len(tags)
    for sig, body in tags:
        body += b"\0" * (-len(body) % 4)
        table += sig + struct.pack(">II", offset + len(data), len(body))
        data += body
    body = struct.pack(">I", len(tags)) + table + data
    d50 = struct.pack(">3i", *(round(v * 65536) for v in (0.9642, 1.0, 0.8249)))
    header = struct.pack(">I4sI", 128 + len(body), b"none", 0x02100000) + cls + space + pcs + b"\0" * 12
    header += b"acsp" + b"\0" * 28 + d50 + b"\0" * 48
    return header + body


def _xyz(x: float, y: float, z: float) -> bytes:
    return b"XYZ \0\0\0\0" + struct.pack(">3i", *(round(v * 65536) for v in (x, y, z)))


_DESC = b"desc\0\0\0\0" + struct.pack(">I", 5) + b"test\0" + b"\0" * 79
_WTPT = _xyz(0.9642, 1.0, 0.8249)


def swapped_profile() -> bytes:
    """An RGB profile whose red primary is sRGB's green (and green is red): conversion must swap them."""
    curve = b"curv\0\0\0\0" + struct.pack(">IH", 1, 0x0233)  # gamma 2.2
    red, green, blue = (0.4361, 0.2225, 0.0139), (0.3851, 0.7169, 0.0971), (0.1431, 0.0606, 0.7141)
    tags = [(b"desc", _DESC), (b"wtpt", _WTPT), (b"rXYZ", _xyz(*green)), (b"gXYZ", _xyz(*red))]
    tags += [(b"bXYZ", _xyz(*blue)), (b"rTRC", curve), (b"gTRC", curve), (b"bTRC", curve)]
    return _icc(b"mntr", b"RGB ", b"XYZ ", tags)


def red_ink_profile() -> bytes:
    """A CMYK profile in which every ink mix prints red: proves the profile, not a naive formula, was used."""
    identity = bytes(range(256))
    matrix = struct.pack(">9i", 65536, 0, 0, 0, 65536, 0, 0, 0, 65536)
    grid = bytes((138, 208, 195)) * 16  # Lab ≈ (54, 80, 67) at all 2^4 grid points
    lut = b"mft1\0\0\0\0" + bytes((4, 3, 2, 0)) + matrix + identity * 4 + grid + identity * 3
    return _icc(b"prtr", b"CMYK", b"Lab ", [(b"desc", _DESC), (b"wtpt", _WTPT), (b"A2B0", lut)])


# ---------------------------------------------------------------- orientation, metadata, colour


_INVERSE = {  # what a camera stores so that Orientation=o displays the picture upright
    1: None,
    2: PILImage.Transpose.FLIP_LEFT_RIGHT,
    3: PILImage.Transpose.ROTATE_180,
    4: PILImage.Transpose.FLIP_TOP_BOTTOM,
    5: PILImage.Transpose.TRANSPOSE,
    6: PILImage.Transpose.ROTATE_90,
    7: PILImage.Transpose.TRANSVERSE,
    8: PILImage.Transpose.ROTATE_270,
}


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_comes_out_upright(site, orientation):
    upright = cornered()
    stored = upright if orientation == 1 else upright.transpose(_INVERSE[orientation])
    exif = PILImage.Exif()
    exif[0x0112] = orientation
    src = photo(site, f"o{orientation}.jpg", stored, exif=exif.tobytes(), quality=95)
    # The test's own construction agrees with Pillow's reading of the tag.
    with PILImage.open(src) as original:
        assert near(ImageOps.exif_transpose(original).getpixel((5, 5)), RED)

    result = run(site, [src])
    assert not result.problems
    image = result.images[src]
    assert (image.width, image.height) == (60, 40)
    for rel, im in outputs(result).items():
        w = int(rel.rsplit("-", 1)[1].split(".")[0])
        assert im.size == (w, w * 2 // 3), rel
        assert near(im.getpixel((1, 1)), RED), (rel, im.getpixel((1, 1)))
        assert near(im.getpixel((w - 2, im.height - 2)), BLUE), rel
        assert 0x0112 not in im.getexif()


@pytest.mark.parametrize("orientation", [1, 6])  # 1: the largest derivative is the decoded file itself
def test_no_metadata_survives_in_any_published_file(site, orientation):
    exif = PILImage.Exif()
    exif[0x010F] = "SecretCam"
    exif[0x0112] = orientation
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (31.0, 13.0, 30.0), 3: "E", 4: (120.0, 35.0, 0.0)})
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF>SecretXMP</rdf:RDF></x:xmpmeta>'
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    src = photo(
        site, "gps.jpg", cornered(), exif=exif.tobytes(), xmp=xmp, comment=b"SecretComment", icc_profile=icc
    )
    with PILImage.open(src) as original:  # the input really carries it all
        assert original.getexif().get_ifd(0x8825) and "xmp" in original.info

    result = run(site, [src])
    assert not result.problems
    files = outputs(result)
    assert {rel.rsplit(".", 1)[1] for rel in files} == {"avif", "webp", "jpg"}
    for rel, im in files.items():
        assert len(im.getexif()) == 0, rel
        assert not {"exif", "xmp", "XML:com.adobe.xmp", "comment", "icc_profile"} & set(im.info), (
            rel,
            im.info,
        )
        raw = result.files[rel].read_bytes()
        for secret in (b"SecretCam", b"SecretXMP", b"SecretComment", b"Exif\0", b"sRGB"):
            assert secret not in raw, (rel, secret)


def test_icc_profile_is_converted_to_srgb(site):
    src = photo(
        site, "wide.png", PILImage.new("RGB", (60, 40), (255, 0, 0)), "PNG", icc_profile=swapped_profile()
    )
    result = run(site, [src])
    assert not result.problems
    for rel, im in outputs(result).items():
        r, g, b = im.convert("RGB").getpixel((im.width // 2, im.height // 2))
        assert g > 200 and r < 80 and b < 80, (rel, (r, g, b))
        assert "icc_profile" not in im.info


def test_cmyk_jpeg_becomes_rgb_with_plausible_colours(site):
    cmyk = PILImage.new("CMYK", (90, 60), (255, 0, 0, 0))  # cyan
    cmyk.paste((0, 0, 0, 255), (45, 0, 90, 60))  # black
    src = photo(site, "print.jpg", cmyk)
    profiled = photo(
        site, "profiled.jpg", PILImage.new("CMYK", (90, 60), (20, 40, 60, 30)), icc_profile=red_ink_profile()
    )
    result = run(site, [src, profiled])
    assert not result.problems
    for rel, im in outputs(result).items():
        assert im.mode == "RGB", rel
        left, right = im.getpixel((2, 2)), im.getpixel((im.width - 3, 2))
        if "print" in rel:
            assert left[0] < 80 and left[1] > 150 and left[2] > 150, (rel, left)  # cyan
            assert max(right) < 60, (rel, right)  # black
        else:
            assert left[0] > 100 and left[1] < 60, (rel, left)  # the profile's red, not a naive pale grey


# ---------------------------------------------------------------- modes and formats


def test_transparent_png_keeps_alpha_and_falls_back_to_png(site):
    im = PILImage.new("RGBA", (90, 60), (200, 30, 30, 255))
    im.paste((0, 0, 0, 0), (0, 0, 45, 60))
    src = photo(site, "logo.png", im, "PNG")
    opaque = photo(site, "opaque.png", PILImage.new("RGBA", (90, 60), (10, 200, 10, 255)), "PNG")
    result = run(site, [src, opaque])
    assert not result.problems
    logo = result.images[src]
    assert logo.src.endswith("-60.png") and logo.large.endswith("-90.png")
    assert [s.type for s in logo.sources] == ["image/avif", "image/webp"]
    assert result.images[opaque].src.endswith(".jpg")  # an all-opaque alpha channel is not transparency
    for rel, out in outputs(result).items():
        if "logo" in rel:
            assert out.mode == "RGBA", rel
            assert out.getpixel((1, 1))[3] < 10 and out.getpixel((out.width - 2, 1))[3] > 245, rel
        else:
            assert out.mode == "RGB"


@pytest.mark.parametrize(
    "name, make, expect",
    [
        ("grey16.png", lambda: PILImage.new("I;16", (90, 60), 40000), (155, 155, 155)),
        ("grey.jpg", lambda: PILImage.new("L", (90, 60), 90), (90, 90, 90)),
        (
            "palette.png",
            lambda: PILImage.new("RGB", (90, 60), RED).convert("P", palette=PILImage.Palette.ADAPTIVE),
            RED,
        ),
        ("bilevel.png", lambda: PILImage.new("1", (90, 60), 1), (255, 255, 255)),
        ("old.bmp", lambda: PILImage.new("RGB", (90, 60), BLUE), BLUE),
        ("scan.tif", lambda: PILImage.new("RGB", (90, 60), BLUE), BLUE),
        ("lab.tif", lambda: PILImage.new("RGB", (90, 60), BLUE).convert("LAB"), BLUE),
    ],
)
def test_other_modes_and_formats_become_rgb(site, name, make, expect):
    src = photo(site, name, make(), None)
    result = run(site, [src])
    assert not result.problems
    for rel, im in outputs(result).items():
        assert im.mode == "RGB", rel
        assert near(im.getpixel((10, 10)), expect, 12), (rel, im.getpixel((10, 10)))
    assert near(bytes.fromhex(result.images[src].placeholder[1:]), expect, 12)


def test_palette_transparency_becomes_alpha(site):
    im = PILImage.new("P", (90, 60), 1)
    im.putpalette([0, 0, 0, 200, 30, 30] + [0] * 762)
    im.paste(0, (0, 0, 45, 60))
    src = photo(site, "pal.png", im, "PNG", transparency=0)
    result = run(site, [src])
    assert result.images[src].src.endswith(".png")
    fallback = outputs(result)[result.images[src].src.lstrip("/")]
    assert fallback.getpixel((1, 1))[3] == 0 and near(fallback.getpixel((58, 1)), (200, 30, 30))


@pytest.mark.parametrize("fmt, ext", [("GIF", "gif"), ("WEBP", "webp")])
def test_animation_uses_the_first_frame(site, fmt, ext):
    frames = [PILImage.new("RGB", (90, 60), RED), PILImage.new("RGB", (90, 60), BLUE)]
    src = photo(
        site, f"anim.{ext}", frames[0], fmt, save_all=True, append_images=frames[1:], duration=100, loop=0
    )
    with PILImage.open(src) as original:
        assert getattr(original, "n_frames", 1) == 2
    result = run(site, [src])
    assert not result.problems
    for rel, im in outputs(result).items():
        assert getattr(im, "n_frames", 1) == 1, rel
        assert near(im.convert("RGB").getpixel((im.width // 2, im.height // 2)), RED), rel
    assert near(bytes.fromhex(result.images[src].placeholder[1:]), RED)


def test_heic_is_accepted(site):
    import pillow_heif  # a declared dependency: missing is a failure, not a skip

    pillow_heif.register_heif_opener()
    path = site / "content" / "projects" / "phone.heic"
    try:
        cornered().save(path, "HEIF", quality=90)
    except (OSError, ValueError, KeyError) as exc:  # a build without an HEVC encoder can still decode
        pytest.skip(f"cannot write HEIC here: {exc}")
    result = run(site, [str(path)])
    assert not result.problems
    assert result.images[str(path)].width == 60
    assert near(outputs(result)[result.images[str(path)].src.lstrip("/")].getpixel((2, 2)), RED, 50)


# ---------------------------------------------------------------- sizes and URLs


def test_never_upscaled():
    assert plan_widths(4000, 3000, (480, 960, 1600)) == [480, 960, 1600]
    assert plan_widths(1200, 800, (480, 960, 1600)) == [480, 960, 1200]
    assert plan_widths(300, 200, (480, 960, 1600)) == [300]
    assert plan_widths(1000, 100_000, (480, 960)) == [163]  # a tall scroll: 16383 px high at most


def test_big_jpeg_is_shrunk_while_decoding(site, monkeypatch):
    from PIL import JpegImagePlugin

    decoded = []
    real_load = JpegImagePlugin.JpegImageFile.load

    def spy(self):
        decoded.append(self.size)
        return real_load(self)

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "load", spy)
    exif = PILImage.Exif()
    exif[0x0112] = 6  # stored sideways: the draft size must be asked for in stored orientation
    src = photo(site, "big.jpg", cornered((800, 600)).transpose(PILImage.Transpose.ROTATE_90), exif=exif)
    result = run(site, [src], ImageSettings(widths=(100, 200), formats=(), workers=1))
    assert decoded and decoded[0] == (150, 200)  # decoded at 1/4 scale (>= 200 x 150 once upright)
    assert result.images[src].large.endswith("-200.jpg") and result.images[src].width == 200


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


def test_process_pool_handles_many_sources(site):
    sources = [photo(site, f"p{i}.jpg", cornered((90 + i, 60))) for i in range(3)]
    bad = str(site / "content" / "projects" / "bad.jpg")
    Path(bad).write_text("不是图片")
    result = run(site, [*sources, bad], ImageSettings(widths=(30, 60), workers=2))
    assert result.stats["decoded"] == 3 and result.stats["failed"] == 1
    assert [p.message for p in result.problems] == ["这个文件是文本，不是图片"]
    assert all(result.images[s].width == 60 for s in sources)


# ---------------------------------------------------------------- bad input


def test_each_bad_input_is_a_problem_naming_its_record_and_the_rest_still_works(site):
    content = site / "content" / "projects"
    good = photo(site, "good.jpg", cornered())
    (content / "text.jpg").write_text("hello, this is not a photo\n")
    data = io.BytesIO()
    cornered((400, 300)).save(data, "JPEG")
    (content / "truncated.jpg").write_bytes(data.getvalue()[:600])
    (content / "garbage.png").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(300))
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


# ---------------------------------------------------------------- cache


def test_unchanged_rebuild_decodes_and_writes_nothing(site, monkeypatch):
    sources = [photo(site, f"c{i}.jpg", cornered((90, 60 + i))) for i in range(2)]
    first = run(site, sources)
    assert first.stats == {"sources": 2, "cached": 0, "decoded": 2, "written": 18, "failed": 0}
    before = cache_files(site)

    monkeypatch.setattr(imagecache, "make_derivatives", lambda *a, **k: pytest.fail("decoded"))
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
