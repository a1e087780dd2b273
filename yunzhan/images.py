"""Originals → published derivatives: responsive widths × (AVIF, WebP) plus a JPEG/PNG fallback, cached.

The stage: each requested file checked (``check_source``, which ``check`` asks too), known by its stamp or
hash, decoded only when the cache (``imagecache``) lacks a derivative (``imagecodec`` says how pixels are
treated), and described for templates as an ``Image``. URLs are content-addressed,
``media/<hash>/<stem>-<w>.<ext>`` (hash of the source bytes, quality and ``PIPELINE_VERSION``), so hosting may
cache them for ever.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import stat
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from yunzhan.config import ImageSettings
from yunzhan.errors import ERROR, WARNING, Problem, did_you_mean
from yunzhan.imagecache import cached_names, hash_file, load_manifest, manifest_key, run_jobs, save_manifest
from yunzhan.imageplan import PIPELINE_VERSION, SUPPORTED_HINT, derivative_names, scaled_height
from yunzhan.model import Image, ImageRequest, ImageSource

MODERN = {"avif": ("AVIF", "image/avif"), "webp": ("WEBP", "image/webp")}
EXTENSIONS = {".jpg", ".jpeg", ".png", ".webp", ".gif", ".avif", ".heic", ".heif", ".tif", ".tiff", ".bmp"}


@dataclasses.dataclass(frozen=True)
class ImageResult:
    images: dict[str, Image]  # key: ImageRequest.source; alt is "" (set per use with dataclasses.replace)
    files: dict[str, Path]  # output-relative path -> cache file to copy or hard-link into the output
    problems: list[Problem]
    stats: dict[str, int]  # sources, cached (nothing to do), decoded, written (files), failed


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


@dataclasses.dataclass
class _Survey:
    """What the cache already holds for each file, and what must be decoded."""

    ready: dict[str, tuple[str, dict[str, Any]]] = dataclasses.field(
        default_factory=dict
    )  # path → (sha256, meta)
    leaders: dict[str, str] = dataclasses.field(default_factory=dict)  # sha256 → the path decoded for it
    # path to decode → its leader (itself, or a file with the same bytes)
    twins: dict[str, str] = dataclasses.field(default_factory=dict)
    stamps: dict[str, list] = dataclasses.field(
        default_factory=dict
    )  # path → [size, mtime_ns, sha256] (manifest)


# Reports a message (and hint, and severity) on every request naming one file.
_Report = Callable[..., None]


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
    if requests:  # the formats this Pillow can write name the derivatives; no image, no Pillow to ask
        settings = _usable_formats(settings, problems)
    content = os.path.realpath(site_dir / "content")
    root = cache_dir / "images"
    manifest, old_text = load_manifest(root / "manifest.json")
    groups: dict[str, list[ImageRequest]] = {}  # resolved path → the requests naming it
    for req in requests:
        groups.setdefault(os.path.realpath(req.source), []).append(req)  # strings: pathlib is slow here

    def report(reqs: list[ImageRequest], message: str, hint: str, severity: str = ERROR) -> None:
        problems.extend(Problem(r.record_path, r.line, r.field, message, hint, severity) for r in reqs)

    survey = _survey(groups, manifest, settings, content, root, report)
    jobs = sorted(
        survey.leaders.values(), key=lambda p: -survey.stamps[p][0]
    )  # largest first: a shorter tail
    stats = {"sources": len(groups), "cached": len(survey.ready), "decoded": 0, "written": 0, "failed": 0}
    _gather(dict(run_jobs(jobs, settings, str(root), progress)), survey, groups, stats, report)

    images: dict[str, Image] = {}
    files: dict[str, Path] = {}
    for path, (digest, meta) in survey.ready.items():
        image, produced = _image(groups[path][0].source, digest, meta, settings, root, url_prefix)
        files.update(produced)
        images.update((req.source, image) for req in groups[path])
        manifest["hashes"][digest] = meta
    manifest["sources"].update((manifest_key(path, content), stamp) for path, stamp in survey.stamps.items())
    save_manifest(root / "manifest.json", manifest, old_text)
    return ImageResult(images, files, problems, stats)


def _survey(
    groups: dict[str, list[ImageRequest]],
    manifest: dict[str, Any],
    settings: ImageSettings,
    content: str,
    root: Path,
    report: _Report,
) -> _Survey:
    """Each file checked and known by its stamp (else hashed): ready when the cache holds all it needs."""
    survey = _Survey()
    for path, reqs in groups.items():
        st = check_source(path, content)
        if not isinstance(st, os.stat_result):
            report(reqs, *st)
            continue
        if st.st_size > settings.warn_bytes:
            mb = f"{st.st_size / 1024 / 1024:.1f} MB"
            report(reqs, f"原图过大（{mb}），会拖慢构建", "建议导出为长边 4000 像素左右的 JPEG", WARNING)
        known = manifest["sources"].get(manifest_key(path, content))
        try:
            fresh = known and known[:2] == [st.st_size, st.st_mtime_ns]
            digest = known[2] if fresh else hash_file(path)
        except OSError:
            report(reqs, "图片文件无法读取", "检查文件权限")
            continue
        survey.stamps[path] = [st.st_size, st.st_mtime_ns, digest]
        meta = manifest["hashes"].get(digest)
        if meta and {n for *_, n in derivative_names(meta, settings)} <= cached_names(root, digest):
            survey.ready[path] = (digest, meta)
        else:  # the same photo copied into two bundles is decoded once
            survey.twins[path] = survey.leaders.setdefault(digest, path)
    return survey


def _gather(
    results: dict[str, dict[str, Any]],
    survey: _Survey,
    groups: dict[str, list[ImageRequest]],
    stats: dict[str, int],
    report: _Report,
) -> None:
    """The workers' results into ``survey.ready`` (or a problem each), counted in ``stats``."""
    stamps = survey.stamps
    for path, leader in survey.twins.items():
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
        survey.ready[path] = (result["digest"], result["meta"])


def _usable_formats(settings: ImageSettings, problems: list[Problem]) -> ImageSettings:
    """Drop modern formats this Pillow cannot write (with a warning) rather than fail the build."""
    from PIL import features  # Pillow loads here: a build without images never needs it

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
