"""One original's bytes → its derivatives' bytes (Pillow): decoded once, made upright, in sRGB, without metadata,
each width encoded in each format. Pure: nothing is read or written here.

The rules a photographer expects, and the choices made:

* Orientation: the EXIF (or XMP) Orientation tag is applied, all 8 values; derivatives carry no tag.
* Metadata: nothing is published — no EXIF, GPS, XMP, comments or ICC profile (a phone photo's location
  must not leak).
* Colour: an embedded ICC profile (RGB or CMYK) is converted to sRGB with LittleCMS and *not* embedded:
  untagged web images are sRGB, and 3 KB of profile on every 480 px thumbnail costs more than it brings.
  A broken profile is ignored (pixels taken as sRGB); CMYK without a profile gets Pillow's plain conversion.
* Transparency: kept when real (some alpha < 255): alpha in AVIF/WebP, and PNG instead of JPEG as fallback.
* Animation (GIF, WebP, APNG): first frame only; derivatives are static.
* Sizes: never upscaled — each configured width w becomes min(w, original width), so a 1200 px original with
  widths 480/960/1600 gives 480, 960, 1200. Heights are capped at 16383 px (WebP's limit) for tall scrolls.
* AVIF is encoded at ``quality - 25``, speed 8: at the same number AVIF looks better and weighs more than
  JPEG (sharp pairs JPEG 80 with AVIF 50); speed 8 is 4-5x faster than 6 for ~8% more bytes.
"""

from __future__ import annotations

import functools
import io
import re
import warnings
from typing import Any

from PIL import Image as PILImage
from PIL import ImageCms, UnidentifiedImageError

from yunzhan.config import ImageSettings
from yunzhan.imageplan import SUPPORTED_HINT, BadImage, derivative_names, plan_widths, scaled_height

WEBP_METHOD = 2  # libwebp effort: 2 encodes 2.1-2.4x faster than the default 4 for 4-6 % more bytes
AVIF_QUALITY_OFFSET = 25
AVIF_SPEED = 8
# Only these decoders may run: no EPS (Ghostscript), no exotic plugins on editor-supplied files.
# (JPEG's opener also yields MPO, the multi-picture JPEG of some cameras; HEIF exists once registered.)
DECODERS = ("JPEG", "PNG", "WEBP", "GIF", "AVIF", "HEIF", "TIFF", "BMP")
_T = PILImage.Transpose  # EXIF Orientation → the transpose that makes the picture upright (as exif_transpose)
_UPRIGHT = dict(zip(range(2, 9), (_T.FLIP_LEFT_RIGHT, _T.ROTATE_180, _T.FLIP_TOP_BOTTOM, _T.TRANSPOSE,
                                  _T.ROTATE_270, _T.TRANSVERSE, _T.ROTATE_90), strict=True))  # fmt: skip
_heif_registered = False


def make_derivatives(
    data: bytes, settings: ImageSettings, *, skip: frozenset[str] = frozenset(), threads: int = 0
) -> tuple[dict[str, Any], dict[str, bytes]]:
    """Decode once and encode every derivative not named in ``skip``: (meta, {cache name: bytes}).

    Raises BadImage for anything an editor supplied wrongly; nothing is written here, so a failure
    can never leave half a set of files behind.
    """
    if not data:
        raise BadImage("图片文件是空的（0 字节）", "重新复制或上传原图")
    if data[4:8] == b"ftyp":
        _register_heif()
    old_limit = PILImage.MAX_IMAGE_PIXELS
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Pillow's chatter about odd files is not the editor's concern
        warnings.simplefilter("error", PILImage.DecompressionBombWarning)
        PILImage.MAX_IMAGE_PIXELS = settings.max_pixels
        try:
            return _make(data, settings, skip, threads)
        except BadImage:
            raise
        except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning) as exc:
            found = re.search(r"\((\d+) pixels\)", str(exc))
            raise _too_big(int(found[1]) if found else 0, settings) from exc
        except UnidentifiedImageError as exc:
            if _is_text(data[:1024]):
                raise BadImage("这个文件是文本，不是图片", SUPPORTED_HINT) from exc
            raise BadImage("文件内容不是可识别的图片格式", SUPPORTED_HINT) from exc
        except MemoryError as exc:
            raise BadImage("图片太大，内存不足以处理", "请先缩小原图（长边不超过 6000 像素）") from exc
        except Exception as exc:  # Pillow's decoders raise OSError, SyntaxError, ValueError, struct.error...
            detail = f"{type(exc).__name__}: {exc}"[:120]
            raise BadImage(
                f"图片文件已损坏或不完整（{detail}）", "用看图软件打开检查，重新导出或上传原图"
            ) from exc
        finally:
            PILImage.MAX_IMAGE_PIXELS = old_limit


def _make(
    data: bytes, settings: ImageSettings, skip: frozenset[str], threads: int
) -> tuple[dict[str, Any], dict[str, bytes]]:
    PILImage.init()
    im = PILImage.open(io.BytesIO(data), formats=[f for f in DECODERS if f in PILImage.OPEN])
    if im.width * im.height > settings.max_pixels:
        raise _too_big(im.width * im.height, settings)
    icc = im.info.get("icc_profile")
    try:
        orientation = int(im.getexif().get(0x0112, 1))
    except Exception:  # a corrupt EXIF block should not cost the photo
        orientation = 1
    swap = orientation in (5, 6, 7, 8)
    width, height = (im.height, im.width) if swap else im.size  # as displayed
    targets = plan_widths(width, height, settings.widths)[::-1]  # largest first, each made from the previous
    largest = (targets[0], scaled_height(targets[0], width, height))
    stored = largest[::-1] if swap else largest
    if im.format in ("JPEG", "MPO"):
        im.draft(None, stored)  # DCT scaling at decode: 1/2, 1/4, 1/8 while still >= the largest target
    im.load()
    im = _plain_mode(im)
    chain: dict[int, PILImage.Image] = {}
    for w in targets:
        if not chain:
            im = im if im.size == stored else im.resize(stored, PILImage.Resampling.LANCZOS, reducing_gap=3.0)
            im = im.transpose(_UPRIGHT[orientation]) if orientation in _UPRIGHT else im
            im = _to_srgb(im, icc)  # colour managed after the first shrink: a fraction of the pixels
        else:
            im = im.resize((w, scaled_height(w, width, height)), PILImage.Resampling.LANCZOS)
        im.info = {}  # encoders read ICC/comments from info: publish nothing
        chain[w] = im
    meta = {"width": width, "height": height, "alpha": im.mode == "RGBA", "placeholder": _dominant(im)}
    blobs = {}
    for w, ext, name in derivative_names(meta, settings):
        if name not in skip:
            blobs[name] = _encode(chain[w], ext, settings.quality, threads)
    return meta, blobs


def _plain_mode(im: PILImage.Image) -> PILImage.Image:
    """Palette, bilevel, 16-bit and float images → L, LA, RGB, RGBA or CMYK, which resize well."""
    if im.mode.startswith("I;16") or im.mode in ("I", "F"):
        hi = im.getextrema()[1]
        scale = 255 / 65535 if im.mode.startswith("I;16") or hi > 255 else 255.0 if hi <= 1 else 1.0
        return im.convert("F").point(lambda v: v * scale).convert("L")
    if im.mode in ("P", "PA"):
        return im.convert("RGBA" if im.mode == "PA" or "transparency" in im.info else "RGB")
    if im.mode in ("L", "RGB") and "transparency" in im.info:  # a tRNS colour key
        return im.convert("LA" if im.mode == "L" else "RGBA")
    if im.mode in ("L", "LA", "RGB", "RGBA", "CMYK"):
        return im
    return im.convert("RGBA" if im.has_transparency_data else "RGB")  # LAB, YCbCr, HSV, RGBa...


def _to_srgb(im: PILImage.Image, icc: bytes | None) -> PILImage.Image:
    """RGB or RGBA in sRGB; alpha kept only when some pixel is actually see-through."""
    if icc and im.mode in ("RGB", "RGBA", "CMYK"):
        try:
            profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            out = "RGBA" if im.mode == "RGBA" else "RGB"
            im = ImageCms.profileToProfile(im, profile, _srgb(), outputMode=out)
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            pass  # unusable profile: the pixels are taken as sRGB
    if im.mode in ("LA", "RGBA"):
        if im.getchannel("A").getextrema()[0] == 255:
            return im.convert("RGB")
        return im.convert("RGBA")
    return im if im.mode == "RGB" else im.convert("RGB")


@functools.cache
def _srgb() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _dominant(im: PILImage.Image) -> str:
    """The average colour (over white where transparent), shown while the image loads."""
    small = im.resize((64, max(1, 64 * im.height // im.width)), PILImage.Resampling.BOX)
    if small.mode == "RGBA":
        small = PILImage.alpha_composite(PILImage.new("RGBA", small.size, "white"), small).convert("RGB")
    r, g, b = small.resize((1, 1), PILImage.Resampling.BOX).getpixel((0, 0))
    return f"#{r:02x}{g:02x}{b:02x}"


def _encode(im: PILImage.Image, ext: str, quality: int, threads: int) -> bytes:
    buf = io.BytesIO()
    if ext == "avif":
        extra = {"max_threads": threads} if threads else {}
        q = max(1, quality - AVIF_QUALITY_OFFSET)
        im.save(buf, "AVIF", quality=q, speed=AVIF_SPEED, **extra)
    elif ext == "webp":
        im.save(buf, "WEBP", quality=quality, method=WEBP_METHOD)
    elif ext == "jpg":
        im.save(buf, "JPEG", quality=quality, optimize=True, progressive=True)  # progressive: slow networks
    else:
        im.save(buf, "PNG", compress_level=9)
    return buf.getvalue()


def _too_big(pixels: int, settings: ImageSettings) -> BadImage:
    found = f"约 {pixels / 1e4:,.0f} 万像素，" if pixels else ""
    return BadImage(
        f"图片像素过多（{found}上限 {settings.max_pixels / 1e4:,.0f} 万像素）",
        "请先缩小原图（例如长边不超过 6000 像素）再上传",
    )


def _is_text(head: bytes) -> bool:
    """A text file named .jpg deserves its own message (UTF-8 cut mid-character at 1 KB is still text)."""
    return b"\0" not in head and "\ufffd" not in head.decode("utf-8", "replace")[:-1]


def _register_heif() -> None:
    """HEIC support costs an import, so it is registered on the first HEIF-looking file only."""
    global _heif_registered
    if not _heif_registered:
        import pillow_heif

        pillow_heif.register_heif_opener()
        _heif_registered = True
