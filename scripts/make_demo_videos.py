"""Demo videos and audio guides (all marked 示例), made from generated frames with PyAV: nothing downloaded.

    .venv/bin/python scripts/make_demo_videos.py [site folder]   # default: the repository's demo site

Writes into the demo's bundles (see ``DEMO``): short H.264/AAC clips with WebVTT captions beside them, and
MP3 audio guides with their transcripts. The same writers make the test media (tests/test_media.py loads this
file): ``write_clip`` can add a location and device model, leave ``moov`` at the end or use another codec.
"""

from __future__ import annotations

import math
import struct
import sys
from collections.abc import Callable
from pathlib import Path

import av
from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[1]
Draw = Callable[[ImageDraw.ImageDraw, int, int, int], None]  # (canvas, frame number, width, height)


def write_clip(
    path: Path,
    *,
    seconds: float = 2.0,
    size: tuple[int, int] = (320, 180),
    fps: int = 10,
    codec: str = "libx264",
    fmt: str | None = None,
    metadata: dict[str, str] | None = None,
    faststart: bool = False,
    audio: bool = True,
    draw: Draw | None = None,
    bit_rate: int = 0,
    audio_codec: str = "aac",
) -> Path:
    """A clip from generated frames (a moving bar and the frame number) and a quiet tone. Without
    ``faststart`` the ``moov`` atom comes after ``mdat``, as phones and most editors write it. ``bit_rate``
    (bit/s, H.264 only) pads the stream to a constant rate, so a generated clip weighs what a camera's does."""
    options = {"movflags": "+faststart"} if faststart else {}
    if metadata and any(k.startswith("com.apple.") for k in metadata):
        options["movflags"] = options.get("movflags", "") + "+use_metadata_tags"
    path.parent.mkdir(parents=True, exist_ok=True)
    width, height = size
    with av.open(str(path), "w", format=fmt, options=options) as out:
        out.metadata.update(metadata or {})
        settings = {"x265-params": "log-level=error"} if codec == "libx265" else {}
        if bit_rate:
            kbps = bit_rate // 1000
            settings = {
                "preset": "ultrafast",
                "x264-params": f"nal-hrd=cbr:vbv-maxrate={kbps}:vbv-bufsize={kbps}",
            }
            settings["b"] = str(bit_rate)
        video = out.add_stream(codec, rate=fps, options=settings)
        video.width, video.height = width, height
        video.pix_fmt = "yuv422p10le" if codec.startswith("prores") else "yuv420p"
        tone = out.add_stream(audio_codec, rate=22050, layout="mono") if audio else None
        for i in range(round(seconds * fps)):
            frame = Image.new("RGB", size, (40 + i * 7 % 160, 70, 120))
            canvas = ImageDraw.Draw(frame)
            x = (i * 9) % width
            canvas.rectangle((x, height // 3, x + width // 8, 2 * height // 3), fill=(240, 200, 80))
            (draw or _frame_number)(canvas, i, width, height)
            for packet in video.encode(av.VideoFrame.from_image(frame)):
                out.mux(packet)
        for packet in video.encode():
            out.mux(packet)
        if tone is not None:
            _write_tone(out, tone, seconds, 22050)
    return path


def write_audio(path: Path, *, seconds: float = 3.0, rate: int = 22050) -> Path:
    """An MP3 (or, by suffix, M4A/AAC) tone standing in for a recorded guide."""
    codec, fmt = {".mp3": ("mp3", "mp3"), ".m4a": ("aac", "ipod"), ".aac": ("aac", "adts")}[path.suffix]
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w", format=fmt) as out:
        out.metadata.update({"artist": "示例讲解员", "comment": "示例"})
        stream = out.add_stream(codec, rate=rate, layout="mono")
        _write_tone(out, stream, seconds, rate)
    return path


def _write_tone(
    out: av.container.OutputContainer, stream: av.stream.Stream, seconds: float, rate: int
) -> None:
    size = stream.codec_context.frame_size or 1152
    total, done = int(seconds * rate), 0
    fmt = stream.codec_context.format.name
    while done < total:
        frame = av.AudioFrame(format=fmt, layout="mono", samples=size)
        frame.sample_rate, frame.pts = rate, done
        samples = (0.1 * math.sin(2 * math.pi * 330 * (done + k) / rate) for k in range(size))
        packed = "<h" if fmt.startswith("s16") else "<f"
        scale = 32767 if packed == "<h" else 1
        frame.planes[0].update(
            b"".join(struct.pack(packed, int(v * scale) if scale > 1 else v) for v in samples)
        )
        for packet in stream.encode(frame):
            out.mux(packet)
        done += size
    for packet in stream.encode():
        out.mux(packet)


def _frame_number(canvas: ImageDraw.ImageDraw, i: int, width: int, height: int) -> None:
    canvas.text((6, 6), f"{i}", fill="white")


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    for name in ("NotoSansCJK-Regular.ttc", "wqy-zenhei.ttc", "DroidSansFallbackFull.ttf"):
        for folder in Path("/usr/share/fonts").rglob(name):
            return ImageFont.truetype(str(folder), size)
    return ImageFont.load_default()


def _titled(title: str) -> Draw:
    font = _font(22)

    def draw(canvas: ImageDraw.ImageDraw, i: int, width: int, height: int) -> None:
        canvas.rectangle((0, height - 44, width, height), fill=(20, 20, 20))
        canvas.text((12, height - 38), f"示例视频 · {title}", fill="white", font=font)
        canvas.text((width - 70, 10), f"{i // 10:02d} 秒", fill="white", font=font)

    return draw


CAPTIONS = """WEBVTT

00:00:00.000 --> 00:00:02.000
（示例字幕）{title}

00:00:02.000 --> 00:00:04.000
这是演示用的视频，由程序生成，不是现场拍摄。
"""
TRANSCRIPT = """（示例讲解词）欢迎来到{title}。

本段讲解是演示用的示例内容，声音由程序生成，只有一段提示音；真实展览请换成讲解员的录音和逐字稿。
"""

# Where the demo's media go (under content/), with the title drawn on the frames or read in the transcript.
VIDEOS = {
    "projects/marine-welding-fixture/welding-demo.mp4": "焊接工装定位演示",
    "videos/warp-break-demo.mp4": "断经报警装置演示",
}
GUIDES = {
    "projects/marine-welding-fixture/guide.mp3": "海工装备管节点焊接工装",
    "audio/suxiu-stitches.mp3": "苏绣针法图谱",
}


def make_demo(site: Path) -> list[Path]:
    """The demo's clips (with WebVTT captions) and audio guides (with transcripts), made only when missing."""
    made = []
    for rel, title in VIDEOS.items():
        clip = site / "content" / rel
        if not clip.exists():
            write_clip(clip, seconds=4, size=(640, 360), fps=10, draw=_titled(title))
            clip.with_suffix(".vtt").write_text(CAPTIONS.format(title=title), encoding="utf-8")
            made.append(clip)
    for rel, title in GUIDES.items():
        audio = site / "content" / rel
        if not audio.exists():
            write_audio(audio, seconds=4)
            audio.with_suffix(".txt").write_text(TRANSCRIPT.format(title=title), encoding="utf-8")
            made.append(audio)
    return made


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT
    for path in make_demo(target):
        print(path.relative_to(target))
