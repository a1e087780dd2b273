"""Captions of videos and transcripts of audio guides: the text files beside the media, as published.

A video's captions are ``<name>.vtt`` beside it (or ``<name>.srt``, converted to WebVTT, the only format
``<track>`` takes), or the file ``captions:`` names; ``captions: none（理由）`` says there is nothing to caption
(``check`` warns about a video without either). An audio guide's transcript is ``transcript:`` text, or
``<name>.txt`` / ``<name>.vtt`` beside it, and is required: a visitor who cannot hear gets the same tour.
"""

from __future__ import annotations

import hashlib
import os
import re
from html import escape
from pathlib import Path

from markupsafe import Markup

from yunzhan import portable
from yunzhan.errors import WARNING, Problem
from yunzhan.model import MediaRequest, Track

CAPTION_HINT = (
    "把同名的 .vtt 或 .srt 字幕文件放在视频旁边；确实不需要字幕时写 captions: none（没有对白，只有机器声）"
)
_TIMING = re.compile(r"(\d{1,2}:)?\d{1,2}:\d{2}[,.]\d{3}\s*-->\s*(\d{1,2}:)?\d{1,2}:\d{2}[,.]\d{3}")


def declined(request: MediaRequest) -> str | None:
    """The reason written after ``captions: none``, "" for none without a reason, None when not declined."""
    text = (request.captions or "").strip()
    if not text.lower().startswith("none"):
        return None
    return text[4:].strip(" :：,，-—（()）")


def caption_file(video: str, request: MediaRequest) -> str | None:
    """The caption file of a video: the one ``captions:`` names, or a .vtt/.srt with its name beside it."""
    if declined(request) is not None:
        return None
    folder = os.path.dirname(video)
    if request.captions:
        return os.path.join(folder, request.captions.replace("\\", "/"))
    return _beside(video, (".vtt", ".srt"))


def _beside(path: str, suffixes: tuple[str, ...]) -> str | None:
    folder, name = os.path.split(path)
    stem = os.path.splitext(name)[0].lower()
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return None
    for suffix in suffixes:
        for n in names:
            if n.lower() == stem + suffix:
                return os.path.join(folder, n)
    return None


def missing_captions(video: str, request: MediaRequest) -> Problem | None:
    """``check``'s warning for a video without captions (or a ``none`` without its reason); the error for a
    caption file named but not there."""
    reason = declined(request)
    if reason == "":
        message = "写了 captions: none，但没写为什么不需要字幕"
        return _problem(request, message, "例如 captions: none（只有机器运转声，没有对白）", WARNING)
    path = caption_file(video, request)
    if reason is None and not request.captions and path is None:
        return _problem(request, "视频没有字幕：听不见声音的观众看不懂讲解", CAPTION_HINT, WARNING)
    if path is not None and not os.path.isfile(path):
        return _problem(
            request, f"找不到字幕文件 {request.captions}", "字幕文件的路径是相对于视频文件的，检查文件名"
        )
    return None


def tracks(
    video: str,
    request: MediaRequest,
    root: Path,
    url_prefix: str,
    files: dict[str, Path],
    problems: list[Problem],
) -> tuple[Track, ...]:
    """The video's ``<track>``: its caption file as WebVTT in the store, published beside the video's files."""
    path = caption_file(video, request)
    if path is None:
        return ()
    text = _read(path, request, problems, "字幕")
    if text is None:
        return ()
    if path.lower().endswith(".srt"):
        text = srt_to_vtt(text)
    elif not text.lstrip().startswith("WEBVTT"):
        problems.append(_problem(request, "字幕文件开头缺少 WEBVTT", "第一行写 WEBVTT，空一行，再写字幕"))
        return ()
    if not _TIMING.search(text):
        problems.append(
            _problem(request, "字幕文件里没有时间轴", "每条字幕前写 00:00:01.000 --> 00:00:04.000")
        )
        return ()
    data = text.encode("utf-8")
    digest = hashlib.sha256(data).hexdigest()
    stored = root / "captions" / f"{digest}.vtt"
    if not stored.is_file():
        portable.atomic_write(stored, data)
    stem = Path(video).stem
    from yunzhan.images import ascii_stem

    rel = f"media/{digest[:10]}/{ascii_stem(stem + '.vtt')}.vtt"
    files[rel] = stored
    return (Track(url_prefix.rstrip("/") + "/" + rel),)


def srt_to_vtt(text: str) -> str:
    """SubRip → WebVTT: a header, and full stops for the commas of the times; cue numbers may stay."""
    body = re.sub(r"(\d{2}:\d{2}:\d{2}),(\d{3})", r"\1.\2", text.replace("\r\n", "\n").strip())
    return "WEBVTT\n\n" + body + "\n"


def transcript(audio: str, request: MediaRequest, problems: list[Problem]) -> Markup:
    """The transcript as HTML paragraphs: ``transcript:`` text, else the .txt/.vtt beside; missing is an error."""
    text = request.transcript
    if not text:
        path = _beside(audio, (".txt", ".vtt"))
        if path is None:
            hint = (
                f"把讲解词写进 {Path(audio).stem}.txt 放在音频旁边，或在 audio: 下写 transcript: 讲解词全文"
            )
            problems.append(_problem(request, "语音导览缺少讲解词（文字稿）", hint))
            return Markup()
        text = _read(path, request, problems, "讲解词") or ""
        if path.lower().endswith(".vtt"):
            text = cue_text(text)
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text.replace("\r\n", "\n")) if p.strip()]
    return Markup("".join(f"<p>{escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs))


def cue_text(vtt: str) -> str:
    """The words of a WebVTT file, cue by cue, one paragraph each (header, numbers and times left out)."""
    blocks = re.split(r"\n\s*\n", vtt.replace("\r\n", "\n"))
    words = []
    for block in blocks:
        lines = [line for line in block.strip().split("\n") if line.strip()]
        if not lines or lines[0].startswith(("WEBVTT", "NOTE", "STYLE")):
            continue
        timed = [i for i, line in enumerate(lines) if "-->" in line]
        if timed:
            words.append(re.sub(r"<[^>]+>", "", "\n".join(lines[timed[0] + 1 :])))
    return "\n\n".join(w for w in words if w.strip())


def _read(path: str, request: MediaRequest, problems: list[Problem], noun: str) -> str | None:
    try:
        data = Path(path).read_bytes()
    except OSError:
        problems.append(
            _problem(
                request,
                f"找不到{noun}文件 {os.path.basename(path)}",
                "检查文件名是否写对（相对于视频或音频文件）",
            )
        )
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError:
            problems.append(_problem(request, f"{noun}文件不是 UTF-8 文字", "用记事本另存为，编码选 UTF-8"))
            return None


def _problem(request: MediaRequest, message: str, hint: str, severity: str = "error") -> Problem:
    return Problem(request.record_path, request.line, request.field, message, hint, severity)
