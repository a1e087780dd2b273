"""imagecodec.py: the pixels a photographer expects: upright, in sRGB, without metadata, whatever the mode
or format of the original, never upscaled."""

from __future__ import annotations

import struct

import pytest
from PIL import Image as PILImage
from PIL import ImageCms, ImageOps

from tests import photos
from tests.photos import BLUE, RED, cornered, near, outputs, photo, run
from yunzhan.config import ImageSettings
from yunzhan.imageplan import plan_widths

site = photos.site  # the fixture (assigned, not imported, so that linters see it used)


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


# ---------------------------------------------------------------- sizes


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
