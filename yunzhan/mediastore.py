"""The media store (``.yunzhan-cache/media/``): what it holds of a video or audio file, by the hash of its
bytes, and the files it lacks made in a forked child (``mediafiles``: PyAV and FFmpeg load there only)."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from yunzhan import portable, workers
from yunzhan.imagecache import hash_file

VERSION = 1  # of what ``mediafiles.prepare`` makes: bump when the same source must give different bytes


@dataclasses.dataclass(frozen=True)
class Stored:
    digest: str  # the file's sha256, marked when the site transcodes videos (the same file then publishes other bytes)
    meta: dict[str, Any] | None  # None: not in the store, to be made


def stored(
    path: str,
    st: os.stat_result,
    kind: str,
    content: str,
    root: Path,
    manifest: dict[str, Any],
    transcode: bool,
) -> Stored | tuple[str, str]:
    """What the store holds of the file (``check_source``'s ``st``); (message, hint) when it cannot be read."""
    key = "content/" + path[len(content) + 1 :].replace(os.sep, "/")
    known = manifest["sources"].get(key)
    try:
        fresh = known and known[:2] == [st.st_size, st.st_mtime_ns]
        digest = known[2] if fresh else hash_file(path)
    except OSError:
        return "文件无法读取", "检查文件权限"
    manifest["sources"][key] = [st.st_size, st.st_mtime_ns, digest]
    if transcode and kind == "video":
        digest += "-h264"
    meta = read_meta(folder(root, digest))
    return Stored(digest, meta if meta is not None and meta.get("kind") == kind else None)


def make_all(
    jobs: list[tuple[str, str, str, bool]], progress: bool
) -> list[dict[str, Any] | tuple[str, str]]:
    """Each job's meta or (message, hint), made in a forked child: this process never loads PyAV and FFmpeg
    (~16 MB it would hold to the end). A child that dies (FFmpeg crashed on a damaged file, out of memory) is
    the problem of the file it was making and of those after it, never a traceback."""
    fresh: Iterable[dict[str, Any] | tuple[str, str]] = workers.apart_each(_make, jobs, len(jobs), chunk=1)
    if progress and len(jobs) > 1 and sys.stderr.isatty():
        from tqdm import tqdm

        fresh = tqdm(fresh, total=len(jobs), desc="视频", unit="个", file=sys.stderr)
    made: list[dict[str, Any] | tuple[str, str]] = []
    try:
        made.extend(fresh)
    except Exception as exc:  # the child's death, as the pool reports it
        hint = "文件可能已损坏，或电脑内存不足：用手机或剪映重新导出为 MP4 再试"
        made.append(("处理这个文件时出错", f"{hint}（{type(exc).__name__}）"))
        made += [("前一个视频或音频处理失败，这个文件没有处理", "先解决前一个文件的问题，再运行一次")] * (
            len(jobs) - len(made)
        )
    return made


def _make(jobs: list[tuple[str, str, str, bool]], i: int) -> dict[str, Any] | tuple[str, str]:
    """One file made into its store folder: its meta, or (message, hint) (module level: ``apart_each`` runs it)."""
    path, kind, where, transcode = jobs[i]
    folder = Path(where)
    scratch = folder / f".published-{os.getpid()}.tmp"
    from yunzhan import mediafiles  # PyAV and FFmpeg load here, when a file must be made

    try:
        folder.mkdir(parents=True, exist_ok=True)
        meta, poster = mediafiles.prepare(path, kind, str(scratch), transcode)
        meta["version"] = VERSION
        if poster is not None:
            portable.atomic_write(folder / "poster.png", poster)
        portable.rename(scratch, folder / f"published.{meta['ext']}")
        portable.atomic_write(folder / "meta.json", json.dumps(meta, sort_keys=True).encode())
    except mediafiles.BadMedia as exc:
        return exc.args[0], exc.args[1]
    except OSError as exc:
        return "无法写入视频缓存", f"{folder}: {exc}"
    finally:
        with contextlib.suppress(OSError):
            scratch.unlink()
    return meta


def read_meta(folder: Path) -> dict[str, Any] | None:
    """The stored meta when the published file beside it is there too (a half-cleared store is remade)."""
    try:
        meta = json.loads((folder / "meta.json").read_text("utf-8"))
        published = (folder / f"published.{meta['ext']}").is_file()
        poster = meta["kind"] == "audio" or (folder / "poster.png").is_file()
        if meta["version"] == VERSION and published and poster:
            return meta
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass
    return None


def url_hash(digest: str) -> str:
    return hashlib.sha256(f"{digest}:m{VERSION}".encode()).hexdigest()[:10]


def folder(root: Path, digest: str) -> Path:
    return root / "content" / digest[:2] / digest


def load_manifest(path: Path) -> tuple[dict[str, Any], str]:
    try:
        text = path.read_text("utf-8")
        raw = json.loads(text)
        if raw.get("version") == VERSION:
            return {"sources": dict(raw["sources"])}, text
    except (OSError, ValueError, AttributeError, KeyError, TypeError):
        pass
    return {"sources": {}}, ""


def save_manifest(path: Path, manifest: dict[str, Any], old_text: str) -> None:
    text = json.dumps({"version": VERSION, **manifest}, sort_keys=True, separators=(",", ":"))
    if text != old_text:
        with contextlib.suppress(OSError):
            portable.atomic_write(path, text.encode())
