"""The derivative cache, ``.yunzhan-cache/images/<sha256>/``: filled by workers (inline for one file, else a
process pool), each file written atomically; and its manifest, which knows an unchanged original by size and
time without reading it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from yunzhan import portable, processes
from yunzhan.config import ImageSettings
from yunzhan.imageplan import PIPELINE_VERSION, BadImage

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
    from yunzhan.imagecodec import make_derivatives  # Pillow: loaded where an image is made, not before

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


def run_jobs(
    jobs: list[str], settings: ImageSettings, root: str, progress: bool
) -> Iterator[tuple[str, dict]]:
    """Inline for one job (no pool start-up cost), else a spawn-based process pool; results as they come."""
    cpus = os.cpu_count() or 1
    workers = min(settings.workers or cpus, len(jobs))
    with contextlib.ExitStack() as stack:
        if workers <= 1:
            results: Iterable[tuple[str, dict]] = ((p, _work(p, settings, root, 0)) for p in jobs)
        else:
            # Spawned where forking is unsafe (a threaded parent: serve, watchdog); each worker ends with this
            # process however it ends, so an interrupted preview leaves no idle worker holding its memory.
            pool = stack.enter_context(
                ProcessPoolExecutor(
                    workers,
                    mp_context=processes.pool_context(),
                    initializer=processes.exit_with_parent,
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


def cached_names(root: Path, digest: str) -> set[str]:
    try:
        return set(os.listdir(os.path.join(root, digest[:2], digest)))
    except OSError:
        return set()


# ---------------------------------------------------------------- manifest


def hash_file(path: str) -> str:
    """The sha256 of a file, read a megabyte at a time (originals, videos)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def manifest_key(path: str, content: str) -> str:
    """Manifest key, relative to content/: stays valid when the site folder is cloned elsewhere."""
    return "content/" + path[len(content) + 1 :].replace(os.sep, "/")


def load_manifest(path: Path) -> tuple[dict[str, Any], str]:
    """{"sources": key → [size, mtime_ns, sha256], "hashes": sha256 → meta}; unreadable means empty."""
    try:
        text = path.read_text("utf-8")
        raw = json.loads(text)
        if raw.get("version") == PIPELINE_VERSION:
            return {"sources": dict(raw["sources"]), "hashes": dict(raw["hashes"])}, text
    except (OSError, ValueError, AttributeError, KeyError, TypeError):
        pass
    return {"sources": {}, "hashes": {}}, ""


def save_manifest(path: Path, manifest: dict[str, Any], old_text: str) -> None:
    text = json.dumps({"version": PIPELINE_VERSION, **manifest}, sort_keys=True, separators=(",", ":"))
    if text != old_text:  # a no-change rebuild writes nothing
        with contextlib.suppress(OSError):  # only speed is lost: the next build re-hashes
            portable.atomic_write(path, text.encode())
