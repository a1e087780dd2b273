"""The publish run: plan, upload phase by phase, remember each finished file, save the manifest, delete last.

Order keeps the live site whole at every moment of an upload: new immutable files (images, hashed CSS and JS,
search shards) first, then other files, then pages, then the home page, 404, sitemap and feed; deletions, only
when asked, after everything else, so no page ever points at a file that is not there yet or any more.

Resuming: each finished upload is appended to a journal in ``.yunzhan-cache/`` (key, signature, ETag) at once.
A run that stops halfway (Ctrl+C, a dropped network, a closed laptop) leaves the journal; the next run adds
its lines to the manifest wherever the bucket still holds the object with that ETag, and sends only the rest.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor, as_completed, wait
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from yunzhan.deploy.bucket import Bucket
from yunzhan.deploy.plan import LocalFile, Plan, make_plan, scan_output
from yunzhan.deploy.target import Credentials, PublishError, Target, fail

WORKERS = 8


@dataclass(frozen=True)
class PublishResult:
    target: Target
    uploaded: int
    uploaded_bytes: int
    unchanged: int
    deleted: int
    left: list[str]  # removed by the build but still in the bucket (no --delete)
    foreign: int  # objects yunzhan did not upload: never touched
    resumed: int  # files an interrupted run had already sent


def journal_path(cache_dir: Path, target: Target) -> Path:
    return cache_dir / f"publish-{target.ident}.journal"


def read_journal(path: Path, listing: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """Uploads an unfinished run completed that the bucket still holds as they were sent."""
    found: dict[str, dict[str, str]] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return found
    for line in lines:
        try:
            entry = json.loads(line)
            key, signature, etag = entry["key"], entry["signature"], entry["etag"]
        except (ValueError, KeyError, TypeError):
            continue  # the last line of a run killed mid-write
        if listing.get(key) == etag:
            found[key] = {"signature": signature, "etag": etag}
    return found


def publish(
    output_dir: Path,
    cache_dir: Path,
    target: Target,
    credentials: Credentials,
    *,
    delete: bool = False,
    dry_run: bool = False,
    progress: bool = False,
    bucket: Bucket | None = None,
    report: Callable[[str], None] = lambda line: None,
) -> PublishResult:
    if not (output_dir / "index.html").is_file():
        raise fail(str(output_dir), "还没有生成网站（找不到 index.html）", "先运行 yunzhan build，再发布")
    bucket = bucket or Bucket(target, credentials)
    local = scan_output(output_dir, target.prefix, gzip=target.gzip)
    listing = bucket.listing()
    manifest = bucket.manifest()
    journal = journal_path(cache_dir, target)
    resumed = read_journal(journal, listing)
    manifest.update(resumed)
    plan = make_plan(local, listing, manifest, target.prefix)
    resumed_count = sum(1 for f in plan.unchanged if f.key in resumed)
    if resumed_count:
        report(f"接着上次中断的发布：{resumed_count} 个文件上次已经传完，不再重传")
    if dry_run:
        return _result(target, plan, [], plan.upload_bytes, resumed_count)
    journal.parent.mkdir(parents=True, exist_ok=True)
    with journal.open("a", encoding="utf-8") as log:
        _upload(bucket, plan.uploads, Journal(log, manifest), progress)
    sent = {f.key for f in plan.uploads}
    stale = [k for k in manifest if k not in listing and k not in sent]
    for key in stale:
        manifest.pop(key)  # neither in the bucket nor sent now: someone removed it
    if sent or stale or resumed:  # a publish with nothing to send sends nothing, not even the manifest
        bucket.save_manifest(manifest)
    journal.unlink(missing_ok=True)
    deleted = plan.deletes if delete else []
    if deleted:  # last, and forgotten only once gone: a failed delete is tried again next time
        bucket.delete(deleted)
        for key in deleted:
            manifest.pop(key, None)
        bucket.save_manifest(manifest)
    return _result(target, plan, deleted, plan.upload_bytes, resumed_count)


def _result(target: Target, plan: Plan, deleted: list[str], sent: int, resumed: int) -> PublishResult:
    return PublishResult(
        target=target,
        uploaded=len(plan.uploads),
        uploaded_bytes=sent,
        unchanged=len(plan.unchanged),
        deleted=len(deleted),
        left=[] if deleted else plan.deletes,
        foreign=len(plan.foreign),
        resumed=resumed,
    )


class Journal:
    """The lines of finished uploads, written through at once, and the manifest they update."""

    def __init__(self, stream: TextIO, manifest: dict[str, dict[str, str]]) -> None:
        self.stream = stream
        self.manifest = manifest

    def add(self, item: LocalFile, etag: str) -> None:
        if self.manifest.get(item.key) == {"signature": item.signature, "etag": etag}:
            return  # already journalled
        self.manifest[item.key] = {"signature": item.signature, "etag": etag}
        self.stream.write(json.dumps({"key": item.key, **self.manifest[item.key]}) + "\n")
        self.stream.flush()


def _upload(bucket: Bucket, uploads: list[LocalFile], journal: Journal, progress: bool) -> None:
    """Each phase in parallel, phases one after the other; every finished file journalled at once."""
    from tqdm import tqdm

    total = sum(f.size for f in uploads)
    bar = tqdm(
        total=total,
        unit="B",
        unit_scale=True,
        desc="上传",
        disable=not progress or not total,
        file=sys.stderr,
    )
    with bar, ThreadPoolExecutor(WORKERS) as pool:
        for phase in sorted({f.phase for f in uploads}):
            futures: dict[Future[str], LocalFile] = {}
            try:  # Ctrl+C may come while files are still being handed out: those already sent are kept
                for item in uploads:
                    if item.phase == phase:
                        futures[pool.submit(bucket.put, item)] = item
                _collect(futures, journal, bar.update)
            except BaseException:  # Ctrl+C too: what has not started never starts; what ran is kept
                for future in futures:
                    future.cancel()
                wait(futures)
                for future, item in futures.items():
                    if not future.cancelled() and future.exception() is None:
                        journal.add(item, future.result())
                raise


def _collect(
    futures: dict[Future[str], LocalFile], journal: Journal, advance: Callable[[int], object]
) -> None:
    """Journal each upload as it finishes; after a failure start no more, keep what finished, then raise."""
    failure: BaseException | None = None
    for future in as_completed(futures):
        item = futures[future]
        try:
            etag = future.result()
        except CancelledError:
            continue
        except BaseException as exc:
            if failure is None:
                failure = exc
                for other in futures:
                    other.cancel()
            continue
        journal.add(item, etag)
        advance(item.size)
    if failure is not None:
        raise failure if isinstance(failure, PublishError) else fail("上传", f"上传出错：{failure}")
