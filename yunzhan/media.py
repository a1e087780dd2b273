"""The media stage: every video and audio file the records name → published files, posters and problems.

Videos sit where images sit (``cover``, ``gallery``, ``![…](clip.mp4)`` in bodies): each becomes the ``Image``
of its poster carrying a ``Video`` (templates show ``<video>`` where they play, the poster where they list).
Audio guides (``audio:``) become ``Audio`` with their transcript. What one file becomes is a plain function of
its bytes (``mediafiles.prepare``); this module only finds the files, reuses what its store already holds and
turns the results into problems and template objects.

The store, ``<cache>/media/``: ``content/<sha256[:2]>/<sha256>/`` holds ``meta.json``, the published file and
``poster.png`` (the frame, sent through ``images.process_images`` with the store as its content folder, so
posters get AVIF/WebP, sizes and a dominant colour like photos); ``manifest.json`` maps each source to its
size, mtime and hash, so an unchanged file is neither read nor decoded. URLs are
``media/<hash>/<stem>.<ext>``: the hash is of the source bytes and ``mediastore.VERSION``. PyAV (``mediafiles``) is
imported only when a file must be made: a build whose media are all in the store never loads it.
"""

from __future__ import annotations

import dataclasses
import os
import re
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from markupsafe import Markup

from yunzhan import captions, images, mediastore
from yunzhan.config import SiteConfig
from yunzhan.errors import ERROR, WARNING, Problem
from yunzhan.imagepaths import AUDIO_EXTENSIONS, VIDEO_EXTENSIONS, is_video
from yunzhan.model import Audio, Image, ImageRequest, MediaRequest, Record, Video

FOUR_G_MBPS = 8  # what a visitor on 4G gets in practice (Mbit/s), for the cost of a file in words
STORE = "media"


@dataclasses.dataclass(frozen=True)
class MediaResult:
    images: dict[str, Image]  # video source → its poster, carrying the Video (alt set per use)
    audio: dict[str, Audio]  # audio source → Audio
    files: dict[str, Path]  # output-relative path → store file
    problems: list[Problem]
    stats: dict[str, int]  # sources, cached, processed, failed


def split_requests(requests: Sequence[ImageRequest]) -> tuple[list[ImageRequest], list[MediaRequest]]:
    """Images for the image stage, media for this one (a body's ``![…](clip.mp4)`` becomes a video request)."""
    pictures: list[ImageRequest] = []
    media: list[MediaRequest] = []
    for req in requests:
        if isinstance(req, MediaRequest):
            media.append(req)
        elif is_video(req.source):
            media.append(MediaRequest(**req.__dict__))
        else:
            pictures.append(req)
    return pictures, media


def check_source(path: str, content: str) -> os.stat_result | tuple[str, str]:
    """The file's stat, or (message, hint) when it must not or cannot be used; nothing is read."""
    if not path.startswith(content + os.sep):
        return "文件路径超出了网站的 content 文件夹", "把视频或音频放进 content 文件夹，并使用相对路径"
    if not path.lower().endswith(VIDEO_EXTENSIONS + AUDIO_EXTENSIONS):
        return (
            f"不支持的格式 {os.path.splitext(path)[1] or '（无扩展名）'}",
            "视频用 MP4，语音导览用 MP3 或 M4A",
        )
    try:
        st = os.stat(path)
    except OSError:
        st = None
    if st is None or not stat.S_ISREG(st.st_mode):
        message, hint = images.missing_image(path)
        return message.replace("图片", "视频" if is_video(path) else "音频"), hint.replace(
            "（.jpg/.png）", ""
        )
    return st


def process_media(
    requests: Sequence[MediaRequest],
    config: SiteConfig,
    *,
    site_dir: Path,
    cache_dir: Path,
    url_prefix: str,
    progress: bool = False,
) -> MediaResult:
    """Every requested video and audio file, published from the store (made there when missing)."""
    problems: list[Problem] = []
    if not requests:  # a site without media leaves no store behind
        return MediaResult({}, {}, {}, problems, {"sources": 0, "cached": 0, "processed": 0, "failed": 0})
    content = os.path.realpath(site_dir / "content")
    root = cache_dir / STORE
    manifest, old_text = mediastore.load_manifest(root / "manifest.json")
    groups: dict[str, list[MediaRequest]] = {}
    for req in requests:
        groups.setdefault(os.path.realpath(req.source), []).append(req)

    def report(reqs: list[MediaRequest], message: str, hint: str, severity: str = ERROR) -> None:
        problems.extend(Problem(r.record_path, r.line, r.field, message, hint, severity) for r in reqs)

    stats = {"sources": len(groups), "cached": 0, "processed": 0, "failed": 0}
    made: dict[str, tuple[str, dict[str, Any]]] = {}  # path → (sha256, meta)
    todo = sorted(groups)
    transcode = config.media.transcode
    known = {path: _known(path, groups[path][0].kind, content, root, manifest, transcode) for path in todo}
    jobs: dict[str, tuple[str, str, str, bool]] = {}  # by store folder: the same file at two paths made once
    for path, found in known.items():
        if isinstance(found, mediastore.Stored) and found.meta is None:
            folder = str(mediastore.folder(root, found.digest))
            jobs.setdefault(folder, (path, groups[path][0].kind, folder, transcode))
    made_in = dict(zip(jobs, mediastore.make_all(list(jobs.values()), progress), strict=True))
    made_now = {
        path: made_in[str(mediastore.folder(root, f.digest))]
        for path, f in known.items()
        if isinstance(f, mediastore.Stored) and f.meta is None
    }
    makers = {job[0] for job in jobs.values()}
    for path in todo:
        reqs = groups[path]
        found = known[path]
        meta = made_now.get(path, found.meta) if isinstance(found, mediastore.Stored) else found
        if not isinstance(found, mediastore.Stored) or not isinstance(meta, dict):
            stats["failed"] += 1
            report(reqs, *meta)
            continue
        stats["processed" if path in makers else "cached"] += 1  # a copy at another path: found made
        made[path] = (found.digest, meta)
        for message, hint in meta["warnings"]:
            report(reqs, message, hint, WARNING)
        for message, hint in _cost_warnings(meta, config):
            report(reqs, message, hint, WARNING)
    mediastore.save_manifest(root / "manifest.json", manifest, old_text)
    files: dict[str, Path] = {}
    published: dict[str, tuple[str, dict[str, Any]]] = {}
    for path, (digest, meta) in made.items():
        rel = f"media/{mediastore.url_hash(digest)}/{images.ascii_stem(path)}.{meta['ext']}"
        files[rel] = mediastore.folder(root, digest) / f"published.{meta['ext']}"
        published[path] = (url_prefix.rstrip("/") + "/" + rel, meta)
    posters = _posters(groups, made, config, site_dir, root, url_prefix, problems, files)
    found_images, audio = _template_objects(groups, published, posters, root, url_prefix, files, problems)
    return MediaResult(found_images, audio, files, problems, stats)


def _known(
    path: str, kind: str, content: str, root: Path, manifest: dict[str, Any], transcode: bool
) -> mediastore.Stored | tuple[str, str]:
    """What the store holds of the file; (message, hint) when it must not or cannot be used."""
    st = check_source(path, content)
    if not isinstance(st, os.stat_result):
        return st
    return mediastore.stored(path, st, kind, content, root, manifest, transcode)


def _template_objects(
    groups: dict[str, list[MediaRequest]],
    published: dict[str, tuple[str, dict[str, Any]]],
    posters: dict[str, Image],
    root: Path,
    url_prefix: str,
    files: dict[str, Path],
    problems: list[Problem],
) -> tuple[dict[str, Image], dict[str, Audio]]:
    """Each published file as templates see it, under every spelling of its path: a poster ``Image`` carrying
    its ``Video`` (with captions), or an ``Audio`` (with its transcript)."""
    found_images: dict[str, Image] = {}
    audio: dict[str, Audio] = {}
    for path, (src, meta) in published.items():
        reqs = groups[path]
        if meta["kind"] == "audio":
            transcript = captions.transcript(path, reqs[0], problems)
            audio[reqs[0].source] = Audio(src, meta["type"], meta["duration"], meta["size"], transcript)
            continue
        poster = posters.get(path)
        if poster is None:
            continue
        tracks = captions.tracks(path, reqs[0], root, url_prefix, files, problems)
        video = Video(
            src, meta["type"], meta["width"], meta["height"], meta["duration"], meta["size"], tracks
        )
        found_images[reqs[0].source] = dataclasses.replace(poster, video=video)
    for reqs in groups.values():  # every spelling of the same file gets the result
        for req in reqs[1:]:
            if reqs[0].source in found_images:
                found_images[req.source] = found_images[reqs[0].source]
            if reqs[0].source in audio:
                audio[req.source] = audio[reqs[0].source]
    return found_images, audio


def _posters(
    groups: dict[str, list[MediaRequest]],
    made: dict[str, tuple[str, dict[str, Any]]],
    config: SiteConfig,
    site_dir: Path,
    root: Path,
    url_prefix: str,
    problems: list[Problem],
    files: dict[str, Path],
) -> dict[str, Image]:
    """Each video's poster through the image stage: the frame from the store, or the image ``poster:`` names."""
    frames: dict[str, ImageRequest] = {}
    named: dict[str, ImageRequest] = {}
    for path, (digest, meta) in made.items():
        req = groups[path][0]
        if meta["kind"] != "video":
            continue
        if req.poster:
            named[path] = ImageRequest(req.poster, req.alt, req.record_path, req.line, f"{req.field}.poster")
        else:
            frame = str(mediastore.folder(root, digest) / "poster.png")
            frames[path] = ImageRequest(frame, req.alt, req.record_path, req.line, req.field)
    out: dict[str, Image] = {}
    for wanted, base, cache in ((frames, root, root), (named, site_dir, root.parent)):
        if not wanted:
            continue
        result = images.process_images(
            list(wanted.values()), config.images, site_dir=base, cache_dir=cache, url_prefix=url_prefix
        )
        problems.extend(result.problems)
        files.update(result.files)
        out.update(
            (path, result.images[req.source]) for path, req in wanted.items() if req.source in result.images
        )
    return out


def _cost_warnings(meta: dict[str, Any], config: SiteConfig) -> list[tuple[str, str]]:
    """Size, length and bit rate against the site's limits, in what they cost a visitor on 4G."""
    limits = config.media
    size_mb = meta["size"] / 1024 / 1024
    seconds = meta["duration"]
    mbps = meta["size"] * 8 / seconds / 1e6 if seconds else 0.0
    load = meta["size"] * 8 / (FOUR_G_MBPS * 1e6)
    cost = f"观众用 4G（约 {FOUR_G_MBPS} Mbit/s）看完要用 {size_mb:.0f} MB 流量，全部下载约 {_clock(load)}"
    noun = "视频" if meta["kind"] == "video" else "音频"
    shorter = "剪短到 1–2 分钟，或导出为 720p、码率 2–3 Mbit/s（约每分钟 20 MB）"
    if meta["kind"] == "audio":
        shorter = "讲解控制在 3 分钟以内，导出为 MP3 64–128 kbit/s（约每分钟 1 MB）"
    found = []
    if size_mb > limits.warn_mb:
        found.append((f"{noun}文件有 {size_mb:.0f} MB（上限 {limits.warn_mb} MB）：{cost}", shorter))
    elif seconds > limits.warn_seconds:
        found.append(
            (f"{noun}长 {_clock(seconds)}（建议 {_clock(limits.warn_seconds)} 以内）：{cost}", shorter)
        )
    if meta["kind"] == "video" and mbps > limits.warn_mbps:
        message = f"视频码率 {mbps:.1f} Mbit/s，高于 {limits.warn_mbps} Mbit/s：4G 上边下边播会卡顿"
        found.append((message, "导出时选 720p 或 1080p、码率 2–4 Mbit/s"))
    return found


def _clock(seconds: float) -> str:
    seconds = round(seconds)
    return f"{seconds // 60} 分 {seconds % 60} 秒" if seconds >= 60 else f"{seconds} 秒"


def attach_media(records: Sequence[Record], result: MediaResult, body_videos: Any, video_html: Any) -> None:
    """Audio fields become ``Audio``; videos in bodies become ``<video>`` (``video_html(image)``, the theme's
    macro). Videos in fields are swapped with the images (their poster ``Image`` carries the video)."""
    if not result.stats.get("sources"):  # no video or audio requested anywhere: nothing to swap
        return
    from yunzhan import markup

    for record in records:
        for name, value in list(record.fields.items()):
            if isinstance(value, MediaRequest) and value.kind == "audio":
                record.fields[name] = result.audio.get(value.source)
        wanted = body_videos.get(id(record)) or {}
        videos = {src: req for src, req in wanted.items() if is_video(req.source)}
        if videos:

            def replace(src: str, alt: str, videos: dict[str, ImageRequest] = videos) -> Markup | None:
                found = result.images.get(videos[src].source) if src in videos else None
                return Markup(video_html(dataclasses.replace(found, alt=alt))) if found else None

            record.body = markup.swap_images(record.body, replace)


def check_media(records: Sequence[Record], config: SiteConfig, site_dir: Path) -> list[Problem]:
    """What ``check`` says about media before any is processed: missing files (as ``build`` words them),
    videos without captions (warning), audio guides without a transcript, repeated guide numbers."""
    from yunzhan import guide
    from yunzhan.mediafields import image_request

    content = os.path.realpath(site_dir / "content")
    problems = guide.number_problems(records, config)
    for record in records:
        wanted = [v for v in record.fields.values() if isinstance(v, MediaRequest)]
        wanted += [i[0] for v in record.fields.values() if isinstance(v, list) for i in v if _is_item(i)]
        folder = (site_dir / record.source).parent
        for offset, text in enumerate(record.raw_body.split("\n")):
            for src in _BODY_VIDEO.findall(text):
                found = image_request(
                    site_dir, folder, src, "", record.source, record.body_line + offset, "body"
                )
                if isinstance(found, ImageRequest):
                    wanted.append(MediaRequest(**found.__dict__))
        for req in wanted:
            path = os.path.realpath(req.source)
            st = check_source(path, content)
            if not isinstance(st, os.stat_result):
                problems.append(Problem(req.record_path, req.line, req.field, *st))
            elif req.kind == "video":
                problems.extend(p for p in [captions.missing_captions(path, req)] if p is not None)
            else:
                captions.transcript(path, req, problems)
    return problems


_BODY_VIDEO = re.compile(r"!\[[^\]]*\]\(\s*<?([^)\s>]+\.(?:mp4|mov|webm|m4v))>?", re.IGNORECASE)


def _is_item(item: Any) -> bool:
    return isinstance(item, tuple) and len(item) == 3 and isinstance(item[0], MediaRequest)
