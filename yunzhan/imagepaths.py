"""Image paths as editors write them, read the same on every computer (fields and body images alike).

Below every stage (it imports nothing of yunzhan), so ``fields`` and ``markup`` ask the same question here.
"""

from __future__ import annotations

import re

_FULL_PATH = re.compile(r"[A-Za-z]:|[/\\~]|file:", re.IGNORECASE)  # C:, D:/, /home, \\server, ~/, file:///


def local_source(src: str, example: str = "{}") -> str | tuple[str, str]:
    """The image path as the site reads it, or (message, hint) for a full path on the editor's computer.

    Windows writes ``images\\photo.jpg``: the backslash is read as ``/``, so it finds the same file on every
    computer. A path from the root of a disk (``C:\\Users\\…``, ``D:/照片/a.jpg``, ``/home/…``) names a file
    the published site cannot reach. ``example`` shows how the file name is written where the path was
    (``cover: {}``, ``![描述]({})``). Fields and body images both ask here: one rule for image paths."""
    text = src.strip()
    if not _FULL_PATH.match(text):
        return text.replace("\\", "/")
    name = re.split(r"[/\\]", text.rstrip("/\\"))[-1] or "photo.jpg"
    return (
        f"这是电脑上的完整路径，网站找不到它：{text}",
        f"把照片复制到条目文件旁边，只写文件名，例如 {example.format(name)}",
    )


VIDEO_EXTENSIONS = (".mp4", ".mov", ".webm", ".m4v")
AUDIO_EXTENSIONS = (".mp3", ".m4a", ".aac")
VIDEO_KEYS = frozenset({"poster", "captions"})  # what a gallery item or cover may add when it is a video


def is_video(src: str) -> bool:
    """A gallery item, cover or body ``![…](x)`` naming a video file (shown as ``<video>``, not a picture)."""
    return src.lower().rstrip().endswith(VIDEO_EXTENSIONS)
