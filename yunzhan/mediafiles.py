"""One video or audio file → what the site publishes: checked, remuxed, stripped, with a poster frame (PyAV).

PyAV (FFmpeg's libraries inside its wheels, Windows included) does the reading and writing; nothing here
parses boxes by hand. Pure functions of a file: ``prepare`` takes a path and returns the published bytes and
what the stage needs to know, or raises ``BadMedia`` with the editor-facing message and fix.

* Container and codecs: H.264/AAC in MP4 plays everywhere, WeChat included; HEVC, ProRes, VP9-only and the
  like are published as they are, with a warning that names the fix, or re-encoded (transcode.py) when the
  site asks for it with ``[media] transcode = true``.
* Fast start: MP4/MOV are always remuxed with ``moov`` before ``mdat`` (``movflags=+faststart``): lossless,
  packets copied as they are, so a visitor on a slow network sees the first frame without the whole file.
* Privacy: only the audio and video streams are copied, without container or stream metadata, so location
  (``©xyz``, ``loci``, ``com.apple.quicktime.location.ISO6709``), make, model, dates and cover art stay
  behind; ``fflags=+bitexact`` keeps the muxer's own version out, so the same input gives the same bytes.
  ``leaks`` checks the published bytes.
* Damage: a text file, a file FFmpeg cannot open, or fewer packets than the index promises (a file cut off
  while copying) is a ``BadMedia``.
"""

from __future__ import annotations

import io
from fractions import Fraction
from typing import Any

import av
from PIL import Image as PILImage

from yunzhan import transcode as transcoding

POSTER_AT = 1.0  # seconds: the first second is often black or a fade-in
PLAYS_EVERYWHERE = (
    "导出为 MP4（H.264 视频 + AAC 声音）：剪映、必剪、格式工厂、HandBrake 都可以，选“H.264”或“兼容性最佳”"
)
_VIDEO_CODECS = {"h264": "H.264"}
_CODEC_WORDS = {
    "hevc": ("HEVC（H.265）编码，微信和不少安卓手机、电脑浏览器放不出画面", PLAYS_EVERYWHERE
             + "；iPhone 可在 设置 › 相机 › 格式 里选“兼容性最佳”"),
    "prores": ("ProRes 是剪辑用的母版格式，浏览器放不了，文件也非常大", PLAYS_EVERYWHERE),
    "vp9": ("VP9 编码（WebM），苹果手机和微信里放不了", PLAYS_EVERYWHERE),
    "vp8": ("VP8 编码（WebM），苹果手机和微信里放不了", PLAYS_EVERYWHERE),
    "av1": ("AV1 编码，较旧的手机和微信里放不了", PLAYS_EVERYWHERE),
}  # fmt: skip
_AUDIO_OK = {"aac", "mp3"}
TRANSCODE_HINT = "；也可以请网站管理员在 site.toml 的 [media] 里写 transcode = true，由网站转码（构建会变慢）"
_PRIVATE_BYTES = (b"\xa9xyz", b"loci", b"ISO6709", b"\xa9mak", b"\xa9mod", b"com.apple.quicktime")
_MIME = {"mp4": "video/mp4", "mov": "video/quicktime", "webm": "video/webm",
         "m4a": "audio/mp4", "mp3": "audio/mpeg", "aac": "audio/aac"}  # fmt: skip
_MUXERS = {"mp4": "mp4", "mov": "mov", "webm": "webm", "m4a": "ipod", "mp3": "mp3", "aac": "adts"}
_MUXER_OPTIONS = {
    "mp4": {"movflags": "+faststart"},
    "mov": {"movflags": "+faststart"},
    "m4a": {"movflags": "+faststart"},
    "mp3": {"id3v2_version": "0", "write_id3v1": "0"},  # no ID3 tags at all: titles, comments, cover art
}


class BadMedia(Exception):
    """The file cannot be published; args are the editor-facing (message, hint)."""


def prepare(
    path: str, kind: str, target: str, transcode: bool = False
) -> tuple[dict[str, Any], bytes | None]:
    """(meta, poster PNG or None) of a ``kind`` ("video" or "audio") file, its published bytes written to
    ``target`` (a scratch file: FFmpeg's fast start reopens it by name to move ``moov`` forward).

    ``meta``: ext, type, duration, size, width, height (as displayed), codecs, private (what was removed),
    warnings (list of [message, hint]). ``transcode``: a video that would not play everywhere is re-encoded
    to H.264/AAC (transcode.py) instead of remuxed. Raises BadMedia for anything an editor supplied wrongly."""
    noun = "视频" if kind == "video" else "音频"
    try:
        with open(path, "rb") as f:
            head = f.read(1024)
    except OSError as exc:
        raise BadMedia(f"{noun}文件无法读取", str(exc)) from exc
    if not head:
        raise BadMedia(f"{noun}文件是空的（0 字节）", "重新复制或上传原文件")
    if _is_text(head):
        wanted = "MP4 文件（H.264 视频 + AAC 声音）" if kind == "video" else "MP3 或 M4A 文件"
        raise BadMedia(f"这个文件是文本，不是{noun}", f"换成真正的 {wanted}，或删掉这一项")
    try:
        with av.open(path, metadata_errors="ignore") as container:
            meta, streams = _probe(container, kind, noun)
            if transcode and kind == "video" and transcoding.needs_transcode(meta["codecs"]):
                _transcode(container, streams, meta, target)
            else:
                _remux(container, streams, meta["ext"], noun, target)
            poster = _poster(container, streams[0], meta) if kind == "video" else None
    except BadMedia:
        raise
    except av.InvalidDataError as exc:
        message = f"{noun}文件无法识别：可能没复制完整（缺少文件末尾的索引），或根本不是{noun}"
        raise BadMedia(message, _fix(kind)) from exc
    except (av.FFmpegError, ValueError, OSError, IndexError, EOFError) as exc:
        words = str(exc).split(": '")[0][:100]
        raise BadMedia(f"{noun}文件已损坏、不完整或不是{noun}（{words}）", _fix(kind)) from exc
    with open(target, "rb") as f:
        published = f.read()
    meta["size"] = len(published)
    leaked = leaks(published)
    if leaked:  # never expected: the check that the promise holds on the bytes themselves
        raise BadMedia(f"{noun}的元数据没能去除（{', '.join(leaked)}）", "请把这个文件报告给网站维护者")
    return meta, poster


def leaks(data: bytes) -> list[str]:
    """Names of private metadata still in published bytes (location, device): empty when clean."""
    return [name.decode("latin-1") for name in _PRIVATE_BYTES if name in data]


def _fix(kind: str) -> str:
    if kind == "video":
        return "用播放器打开检查；文件可能没复制完整，重新复制原视频，或" + PLAYS_EVERYWHERE
    return "用播放器打开检查；重新复制原文件，或导出为 MP3/M4A"


def _is_text(head: bytes) -> bool:
    return b"\0" not in head and "\ufffd" not in head.decode("utf-8", "replace")[:-1]


def _probe(container: Any, kind: str, noun: str) -> tuple[dict[str, Any], list[Any]]:
    videos = [s for s in container.streams.video if not s.disposition & av.stream.Disposition.attached_pic]
    audios = list(container.streams.audio)
    if kind == "video" and not videos:
        raise BadMedia("这个视频文件里没有画面", "只有声音的讲解请写在 audio: 里；视频请重新导出")
    if kind == "audio" and not audios:
        raise BadMedia("这个音频文件里没有声音", _fix(kind))
    streams = ([videos[0]] if kind == "video" else []) + audios[:1]
    duration = float(container.duration / av.time_base) if container.duration else 0.0
    codecs = [s.codec_context.codec.canonical_name for s in streams]
    meta: dict[str, Any] = {"kind": kind, "duration": round(duration, 3), "codecs": codecs, "warnings": []}
    formats = set(container.format.name.split(","))
    private = sorted(k for k in container.metadata if _is_private(k))
    private += sorted({k for s in container.streams for k in s.metadata if _is_private(k)} - set(private))
    meta["private"] = private
    if kind == "video":
        video = streams[0]
        words = _CODEC_WORDS.get(codecs[0])
        if words:
            meta["warnings"].append([words[0], words[1] + TRANSCODE_HINT])
        elif codecs[0] not in _VIDEO_CODECS:
            meta["warnings"].append([f"视频编码 {codecs[0]} 不是网页通用的 H.264", PLAYS_EVERYWHERE])
        if len(codecs) > 1 and codecs[1] not in _AUDIO_OK | {"opus", "vorbis"}:
            meta["warnings"].append([f"声音编码 {codecs[1]} 在手机上可能没有声音", PLAYS_EVERYWHERE])
        meta["ext"] = "webm" if "webm" in formats or "matroska" in formats else "mp4"
        if codecs[0] not in ("h264", "hevc", "av1", "mpeg4", "vp9") and meta["ext"] == "mp4":
            meta["ext"] = "mov"  # ProRes and the like exist in QuickTime only
        meta["width"], meta["height"] = _display_size(video)
    else:
        if codecs[0] not in _AUDIO_OK:
            meta["warnings"].append(
                [f"声音编码 {codecs[0]} 在一些手机上放不出来", "导出为 MP3 或 AAC（M4A）"]
            )
        meta["ext"] = "mp3" if "mp3" in formats else "aac" if "aac" in formats else "m4a"
    meta["type"] = _MIME[meta["ext"]]
    return meta, streams


def _is_private(key: str) -> bool:
    key = key.lower()
    return any(word in key for word in ("location", "xyz", "make", "model", "gps", "creation_time", "artist"))


def _display_size(video: Any) -> tuple[int, int]:
    ctx = video.codec_context
    width, height = ctx.width, ctx.height
    sar = video.sample_aspect_ratio
    if sar and sar.numerator and sar != 1:
        width = round(width * sar)
    return width, height


def _remux(container: Any, streams: list[Any], ext: str, noun: str, target: str) -> None:
    """Packets copied into a fresh container, nothing else; the whole file is read, so a cut-off one shows."""
    options = {**_MUXER_OPTIONS.get(ext, {}), "fflags": "+bitexact"}
    with av.open(target, "w", format=_MUXERS[ext], options=options) as out:
        mapped = {s.index: out.add_stream_from_template(s) for s in streams}
        for o in mapped.values():
            o.metadata.clear()  # handler names, languages set again by the muxer, nothing of the source
        counts = dict.fromkeys(mapped, 0)
        for packet in container.demux(streams):
            if packet.dts is None and packet.size == 0:
                continue  # the demuxer's flush packet
            counts[packet.stream.index] += 1
            packet.stream = mapped[packet.stream.index]
            out.mux(packet)
    for s in streams:
        if s.frames and counts[s.index] < s.frames:
            got = f"{counts[s.index]}/{s.frames}"
            raise BadMedia(
                f"{noun}文件不完整：只读到 {got} 帧，后面缺了", "文件可能没复制完整，请重新复制原文件"
            )
    if not any(counts.values()):
        raise BadMedia(f"{noun}文件里没有可播放的内容", _fix("video" if noun == "视频" else "audio"))


def _transcode(container: Any, streams: list[Any], meta: dict[str, Any], target: str) -> None:
    """Re-encode into H.264/AAC: the codec warnings are answered, the size is what the encoder made."""
    counts = transcoding.transcode(container, streams, target)
    frames = streams[0].frames
    if frames and counts["video"] < frames:
        raise BadMedia(
            f"视频文件不完整：只解出 {counts['video']}/{frames} 帧", "文件可能没复制完整，请重新复制原文件"
        )
    scale = min(1.0, transcoding.MAX_SIDE / max(meta["width"], meta["height"]))
    meta["width"], meta["height"] = (
        max(2, round(side * scale / 2) * 2) for side in (meta["width"], meta["height"])
    )
    meta.update(ext="mp4", type=_MIME["mp4"], transcoded=True, warnings=[])
    meta["codecs"] = ["h264", "aac"][: len(streams)]


def _poster(container: Any, video: Any, meta: dict[str, Any]) -> bytes:
    """A frame at about ``POSTER_AT`` (the middle of a shorter clip), upright, as PNG for the image stage."""
    target = min(POSTER_AT, meta["duration"] / 2) if meta["duration"] else 0.0
    frame = None
    if target > 0 and video.time_base:
        container.seek(int(Fraction(target) / video.time_base) + (video.start_time or 0), stream=video)
    for candidate in container.decode(video):
        frame = candidate
        if candidate.time is None or candidate.time >= target:
            break
    if frame is None:
        raise BadMedia("视频画面无法解码", _fix("video"))
    image = frame.to_image()
    rotation = getattr(frame, "rotation", 0) or 0
    if rotation % 360:
        image = image.rotate(rotation, expand=True)
        if rotation % 180:
            meta["width"], meta["height"] = meta["height"], meta["width"]
    if image.size != (meta["width"], meta["height"]):  # non-square pixels: shown as the player shows them
        image = image.resize((meta["width"], meta["height"]), PILImage.Resampling.LANCZOS)
    out = io.BytesIO()
    image.convert("RGB").save(out, "PNG", compress_level=1)
    return out.getvalue()
