"""Originals → published derivatives: responsive widths × (AVIF, WebP) plus a JPEG/PNG fallback, cached.

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
* URLs are content-addressed, ``media/<hash>/<stem>-<w>.<ext>`` (hash of the source bytes, quality and
  ``PIPELINE_VERSION``), so hosting may cache them for ever.
* AVIF is encoded at ``quality - 25``, speed 8: at the same number AVIF looks better and weighs more than
  JPEG (sharp pairs JPEG 80 with AVIF 50); speed 8 is 4-5x faster than 6 for ~8% more bytes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import io
import json
import os
import re
import stat
import sys
import unicodedata
import warnings
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from PIL import Image as PILImage
from PIL import ImageCms, UnidentifiedImageError, features

from yunzhan import portable
from yunzhan.config import ImageSettings
from yunzhan.errors import ERROR, WARNING, Problem, did_you_mean
from yunzhan.model import Image, ImageRequest, ImageSource

PIPELINE_VERSION = 2  # bump when the same source and settings must give different bytes
WEBP_METHOD = 2  # libwebp effort: 2 encodes 2.1-2.4x faster than the default 4 for 4-6 % more bytes
MAX_SIDE = 16383  # WebP's limit on either side
AVIF_QUALITY_OFFSET = 25
AVIF_SPEED = 8
MODERN = {"avif": ("AVIF", "image/avif"), "webp": ("WEBP", "image/webp")}
EXTENSIONS = {".jpg", ".jpeg", ".png", ".webp", ".gif", ".avif", ".heic", ".heif", ".tif", ".tiff", ".bmp"}
# Only these decoders may run: no EPS (Ghostscript), no exotic plugins on editor-supplied files.
# (JPEG's opener also yields MPO, the multi-picture JPEG of some cameras; HEIF exists once registered.)
DECODERS = ("JPEG", "PNG", "WEBP", "GIF", "AVIF", "HEIF", "TIFF", "BMP")
SUPPORTED_HINT = "支持 JPEG、PNG、WebP、AVIF、HEIC、GIF、TIFF、BMP；可用看图软件另存为 JPEG"
_T = PILImage.Transpose  # EXIF Orientation → the transpose that makes the picture upright (as exif_transpose)
_UPRIGHT = dict(zip(range(2, 9), (_T.FLIP_LEFT_RIGHT, _T.ROTATE_180, _T.FLIP_TOP_BOTTOM, _T.TRANSPOSE,
                                  _T.ROTATE_270, _T.TRANSVERSE, _T.ROTATE_90), strict=True))  # fmt: skip
_heif_registered = False


@dataclasses.dataclass(frozen=True)
class ImageResult:
    images: dict[str, Image]  # key: ImageRequest.source; alt is "" (set per use with dataclasses.replace)
    files: dict[str, Path]  # output-relative path -> cache file to copy or hard-link into the output
    problems: list[Problem]
    stats: dict[str, int]  # sources, cached (nothing to do), decoded, written (files), failed


class BadImage(Exception):
    """The file is not an image we can publish; args are the editor-facing (message, hint)."""


# ---------------------------------------------------------------- pure planning


def plan_widths(width: int, height: int, widths: Sequence[int]) -> list[int]:
    """Target widths, ascending: never wider than the original, never taller than MAX_SIDE."""
    cap = max(1, min(width, width * MAX_SIDE // height, MAX_SIDE))
    return sorted({max(1, min(w, cap)) for w in widths} or {cap})


def scaled_height(target: int, width: int, height: int) -> int:
    return max(1, round(height * target / width))


def derivative_names(meta: dict[str, Any], settings: ImageSettings) -> list[tuple[int, str, str]]:
    """(width, extension, cache file name) of every file a source needs; cache names carry the quality and
    the pipeline version, so a cache made by an older encoder is never taken for a new one."""
    fallback = "png" if meta["alpha"] else "jpg"
    out = []
    for w in plan_widths(meta["width"], meta["height"], settings.widths):
        for ext in (*settings.formats, fallback):
            quality = "" if ext == "png" else f".q{settings.quality}"
            out.append((w, ext, f"{w}{quality}.v{PIPELINE_VERSION}.{ext}"))
    return out


def url_hash(digest: str, settings: ImageSettings) -> str:
    """The published folder name: changes when the source bytes or anything shaping its pixels change."""
    return hashlib.sha256(f"{digest}:q{settings.quality}:v{PIPELINE_VERSION}".encode()).hexdigest()[:10]


def ascii_stem(path: str) -> str:
    """An ASCII file stem for URLs: 火箭模型.jpg → huo-jian-mo-xing; nothing usable → "image"."""
    stem = Path(path).stem
    if not stem.isascii():
        from pypinyin import lazy_pinyin  # imported only when needed: loading its dictionary is slow

        stem = "-".join(lazy_pinyin(stem))
    stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")[:48].strip("-") or "image"


# ---------------------------------------------------------------- decoding and encoding (pure: bytes in, bytes out)


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


# ---------------------------------------------------------------- worker (top level, so "spawn" can pickle it)


def _work(path: str, settings: ImageSettings, cache_root: str, threads: int) -> dict[str, Any]:
    """Read, hash, make what the cache lacks, write it atomically. Returns a picklable summary."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        return {"error": ("图片文件无法读取", str(exc))}
    digest = hashlib.sha256(data).hexdigest()  # of the bytes actually decoded, even if the file just changed
    folder = Path(cache_root, digest[:2], digest)
    try:
        existing = frozenset(os.listdir(folder))
    except OSError:
        existing = frozenset()
    try:
        meta, blobs = make_derivatives(data, settings, skip=existing, threads=threads)
    except BadImage as exc:
        return {"error": exc.args}
    try:
        for name, blob in blobs.items():
            portable.atomic_write(folder / name, blob)
    except OSError as exc:
        return {"error": ("无法写入图片缓存", f"{cache_root}: {exc}")}
    return {"digest": digest, "meta": meta, "written": len(blobs)}


def _run(jobs: list[str], settings: ImageSettings, root: str, progress: bool) -> Iterator[tuple[str, dict]]:
    """Inline for one job (no pool start-up cost), else a spawn-based process pool; results as they come."""
    cpus = os.cpu_count() or 1
    workers = min(settings.workers or cpus, len(jobs))
    with contextlib.ExitStack() as stack:
        if workers <= 1:
            results: Iterable[tuple[str, dict]] = ((p, _work(p, settings, root, 0)) for p in jobs)
        else:
            # Spawned (fork is unsafe in a threaded parent: serve, watchdog); each worker ends with this
            # process however it ends, so an interrupted preview leaves no idle worker holding its memory.
            pool = stack.enter_context(
                ProcessPoolExecutor(
                    workers,
                    mp_context=portable.spawn_pool_context(),
                    initializer=portable.exit_with_parent,
                    initargs=(os.getpid(),),
                )
            )
            threads = max(1, cpus // workers)  # AVIF's encoder threads: no oversubscription
            futures = {pool.submit(_work, p, settings, root, threads): p for p in jobs}
            results = ((futures[f], _outcome(f)) for f in as_completed(futures))
        if progress and jobs and sys.stderr.isatty():
            from tqdm import tqdm

            results = stack.enter_context(
                tqdm(results, total=len(jobs), desc="图片", unit="张", file=sys.stderr)
            )
        yield from results


def _outcome(future: Future) -> dict[str, Any]:
    try:
        return future.result()
    except Exception as exc:  # a crashed worker (out of memory?) must not end the build
        return {"error": ("处理图片时出错", f"{type(exc).__name__}: {exc}"[:200])}


# ---------------------------------------------------------------- the stage


def process_images(
    requests: Sequence[ImageRequest],
    settings: ImageSettings,
    *,
    site_dir: Path,
    cache_dir: Path,
    url_prefix: str,
    progress: bool = False,
) -> ImageResult:
    """Every requested image as a template-ready ``Image``, plus the cache files the output needs.

    Each distinct file is decoded at most once, and not at all when the cache holds all its derivatives:
    an unchanged file is recognised by size + mtime without being read; a touched one is re-hashed.
    """
    problems: list[Problem] = []
    settings = _usable_formats(settings, problems)
    content = os.path.realpath(site_dir / "content")
    root = cache_dir / "images"
    manifest, old_text = _load_manifest(root / "manifest.json")
    groups: dict[str, list[ImageRequest]] = {}  # resolved path → the requests naming it
    for req in requests:
        groups.setdefault(os.path.realpath(req.source), []).append(req)  # strings: pathlib is slow here

    def report(reqs: list[ImageRequest], message: str, hint: str, severity: str = ERROR) -> None:
        problems.extend(Problem(r.record_path, r.line, r.field, message, hint, severity) for r in reqs)

    ready: dict[str, tuple[str, dict[str, Any]]] = {}  # path → (sha256, meta)
    leaders: dict[str, str] = {}  # sha256 → the path decoded for it
    twins: dict[str, str] = {}  # path to decode → its leader (itself, or a file with the same bytes)
    stamps: dict[str, list] = {}  # path → [size, mtime_ns, sha256] for the manifest
    for path, reqs in groups.items():
        st = check_source(path, content)
        if not isinstance(st, os.stat_result):
            report(reqs, *st)
            continue
        if st.st_size > settings.warn_bytes:
            mb = f"{st.st_size / 1024 / 1024:.1f} MB"
            report(reqs, f"原图过大（{mb}），会拖慢构建", "建议导出为长边 4000 像素左右的 JPEG", WARNING)
        known = manifest["sources"].get(_key(path, content))
        try:
            fresh = known and known[:2] == [st.st_size, st.st_mtime_ns]
            digest = known[2] if fresh else _hash_file(path)
        except OSError:
            report(reqs, "图片文件无法读取", "检查文件权限")
            continue
        stamps[path] = [st.st_size, st.st_mtime_ns, digest]
        meta = manifest["hashes"].get(digest)
        if meta and {n for *_, n in derivative_names(meta, settings)} <= _listdir(root, digest):
            ready[path] = (digest, meta)
        else:  # the same photo copied into two bundles is decoded once
            twins[path] = leaders.setdefault(digest, path)

    jobs = sorted(leaders.values(), key=lambda p: -stamps[p][0])  # largest first: a shorter tail
    stats = {"sources": len(groups), "cached": len(ready), "decoded": 0, "written": 0, "failed": 0}
    results = dict(_run(jobs, settings, str(root), progress))
    for path, leader in twins.items():
        result = results[leader]
        if "error" in result:
            stats["failed"] += 1
            report(groups[path], *result["error"])
            del stamps[path]
            continue
        if path == leader:
            stats["decoded"] += 1
            stats["written"] += result["written"]
            stamps[path][2] = result["digest"]  # what was decoded, should the file have changed meanwhile
        else:
            stats["cached"] += 1
            if stamps[path][2] != result["digest"]:  # the leader changed while we ran: re-hash next time
                del stamps[path]
        ready[path] = (result["digest"], result["meta"])

    images: dict[str, Image] = {}
    files: dict[str, Path] = {}
    for path, (digest, meta) in ready.items():
        image, produced = _image(groups[path][0].source, digest, meta, settings, root, url_prefix)
        files.update(produced)
        images.update((req.source, image) for req in groups[path])
        manifest["hashes"][digest] = meta
    manifest["sources"].update((_key(path, content), stamp) for path, stamp in stamps.items())
    _save_manifest(root / "manifest.json", manifest, old_text)
    return ImageResult(images, files, problems, stats)


def _usable_formats(settings: ImageSettings, problems: list[Problem]) -> ImageSettings:
    """Drop modern formats this Pillow cannot write (with a warning) rather than fail the build."""
    usable = tuple(f for f in settings.formats if f in MODERN and features.check(f))
    if usable == settings.formats:
        return settings
    skipped = "、".join(f for f in settings.formats if f not in usable)
    hint = "可选 avif、webp（JPEG/PNG 备用图总会生成）"
    problems.append(
        Problem("site.toml", None, "images.formats", f"无法生成 {skipped} 格式，已跳过", hint, WARNING)
    )
    return dataclasses.replace(settings, formats=usable)


def check_source(path: str, content: str) -> os.stat_result | tuple[str, str]:
    """The file's stat, or (message, hint) when it must not or cannot be used; nothing is read. ``check`` asks
    it too, so both commands say the same."""
    if not path.startswith(content + os.sep):  # path is resolved: a symlink out of content/ is caught too
        return "图片路径超出了网站的 content 文件夹", "把图片放进 content 文件夹，并使用相对路径"
    suffix = os.path.splitext(path)[1]
    if suffix.lower() not in EXTENSIONS:
        return f"不支持的图片格式 {suffix or '（无扩展名）'}", SUPPORTED_HINT
    try:
        st = os.stat(path)
    except OSError:
        st = None
    if st is None or not stat.S_ISREG(st.st_mode):
        return missing_image(path)
    return st


def missing_image(path: str) -> tuple[str, str]:
    """Message and hint for an image file that is not there: ``build`` and ``check`` say the same."""
    folder, name = os.path.split(path)
    try:
        names = sorted(n for n in os.listdir(folder) if os.path.isfile(os.path.join(folder, n)))
    except OSError:
        names = []
    same_case = [n for n in names if n.lower() == name.lower()]
    if same_case:
        return f"找不到图片文件 {name}", f"文件名大小写不一致：文件夹里是 {same_case[0]}，请改成完全一样"
    hint = did_you_mean(name, names)
    return (
        f"找不到图片文件 {name}",
        hint or "检查文件名和扩展名（.jpg/.png）是否写对，图片路径是相对于本条目文件的",
    )


def _listdir(root: Path, digest: str) -> set[str]:
    try:
        return set(os.listdir(os.path.join(root, digest[:2], digest)))
    except OSError:
        return set()


def _image(
    source: str, digest: str, meta: dict[str, Any], settings: ImageSettings, root: Path, url_prefix: str
) -> tuple[Image, dict[str, Path]]:
    """The template-facing Image and its files: srcsets per format, fallback src at the middle width."""
    prefix = url_prefix if url_prefix.endswith("/") else url_prefix + "/"
    stem = f"media/{url_hash(digest, settings)}/{ascii_stem(source)}"
    by_ext: dict[str, list[tuple[int, str]]] = {}
    files: dict[str, Path] = {}
    folder = root / digest[:2] / digest
    for w, ext, cache_name in derivative_names(meta, settings):
        rel = f"{stem}-{w}.{ext}"
        files[rel] = folder / cache_name
        by_ext.setdefault(ext, []).append((w, prefix + rel))

    def srcset(ext: str) -> str:
        return ", ".join(f"{url} {w}w" for w, url in by_ext[ext])

    fallback = "png" if meta["alpha"] else "jpg"
    middle_w, middle_url = by_ext[fallback][len(by_ext[fallback]) // 2]
    image = Image(
        src=middle_url,
        width=middle_w,
        height=scaled_height(middle_w, meta["width"], meta["height"]),
        alt="",
        sources=tuple(ImageSource(MODERN[f][1], srcset(f)) for f in settings.formats),
        fallback_srcset=srcset(fallback),
        placeholder=meta["placeholder"],
        large=by_ext[fallback][-1][1],
    )
    return image, files


# ---------------------------------------------------------------- manifest


def _hash_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _key(path: str, content: str) -> str:
    """Manifest key, relative to content/: stays valid when the site folder is cloned elsewhere."""
    return "content/" + path[len(content) + 1 :].replace(os.sep, "/")


def _load_manifest(path: Path) -> tuple[dict[str, Any], str]:
    """{"sources": key → [size, mtime_ns, sha256], "hashes": sha256 → meta}; unreadable means empty."""
    try:
        text = path.read_text("utf-8")
        raw = json.loads(text)
        if raw.get("version") == PIPELINE_VERSION:
            return {"sources": dict(raw["sources"]), "hashes": dict(raw["hashes"])}, text
    except (OSError, ValueError, AttributeError, KeyError, TypeError):
        pass
    return {"sources": {}, "hashes": {}}, ""


def _save_manifest(path: Path, manifest: dict[str, Any], old_text: str) -> None:
    text = json.dumps({"version": PIPELINE_VERSION, **manifest}, sort_keys=True, separators=(",", ":"))
    if text != old_text:  # a no-change rebuild writes nothing
        with contextlib.suppress(OSError):  # only speed is lost: the next build re-hashes
            portable.atomic_write(path, text.encode())
