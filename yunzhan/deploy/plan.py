"""output/ → the objects to upload, each with its headers, and the order that keeps the live site whole.

Plain functions of their inputs: the files on disk, the bucket's listing and the manifest of the last publish.

What changed is decided by content hash. The manifest (``.yunzhan-publish.json`` in the bucket) maps each key
yunzhan uploaded to the SHA-256 of its bytes *and headers* and the ETag the bucket gave it; the bucket's listing
(one request per 1,000 objects) gives today's ETags. A file is sent when its signature differs from the
manifest's, or when the object is missing or its ETag is not the one yunzhan saw (someone replaced it in the
console). ETags alone would not do: a multipart upload's ETag is not an MD5, and a changed Cache-Control
leaves the bytes, and so the ETag, as they were.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from yunzhan.publish import COMPRESSIBLE, FEED, FINGERPRINT_RE, ROBOTS, SITEMAP

MANIFEST = ".yunzhan-publish.json"
YEAR = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"  # pages, feeds, data, search index: a cheap 304 when unchanged, never stale
TYPES = {  # our own table: Windows' registry gives .js as text/plain on some machines, older ones lack .avif
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".webmanifest": "application/manifest+json; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".csv": "text/csv; charset=utf-8",
    ".svg": "image/svg+xml",
    ".avif": "image/avif",
    ".webp": "image/webp",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".wasm": "application/wasm",
    ".pdf": "application/pdf",
    ".mp4": "video/mp4",
    ".webm": "video/webm",
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".ogg": "audio/ogg",
    ".vtt": "text/vtt; charset=utf-8",
}
SPECIAL_TYPES = {FEED: "application/atom+xml; charset=utf-8"}
LAST = frozenset({"index.html", "404.html", SITEMAP, FEED, ROBOTS})  # entry points: after every page
BIG = 64 * 1024 * 1024  # larger files go up in parts (and are read from disk, not memory)


@dataclass(frozen=True)
class LocalFile:
    """One object to be: its key in the bucket, where its bytes are, its headers and its signature."""

    key: str
    rel: str  # path in output/ (the page's own name, even when the bytes come from its .gz twin)
    source: Path  # the file whose bytes are uploaded
    size: int
    headers: tuple[tuple[str, str], ...]  # S3 parameter name → value (ContentType, CacheControl, …)
    signature: str  # SHA-256 of bytes and headers
    phase: int  # upload order: 0 immutable files, 1 other files, 2 pages, 3 home, 404, sitemap, feed


@dataclass
class Plan:
    uploads: list[LocalFile] = field(default_factory=list)
    unchanged: list[LocalFile] = field(default_factory=list)
    deletes: list[str] = field(default_factory=list)  # removed by the build; deleted only when asked
    foreign: list[str] = field(default_factory=list)  # objects yunzhan never uploaded: left alone

    @property
    def upload_bytes(self) -> int:
        return sum(f.size for f in self.uploads)


def is_immutable(rel: str) -> bool:
    """Files whose name changes when their bytes do: hashed theme files, search shards, ``media/``."""
    return rel.startswith("media/") or bool(FINGERPRINT_RE.search(rel))


def headers_for(rel: str, *, gzipped: bool = False) -> dict[str, str]:
    ext = posixpath.splitext(rel)[1].lower()
    headers = {
        "ContentType": SPECIAL_TYPES.get(rel, TYPES.get(ext, "application/octet-stream")),
        "CacheControl": YEAR if is_immutable(rel) else REVALIDATE,
    }
    if gzipped:
        headers["ContentEncoding"] = "gzip"
    return headers


def phase_of(rel: str) -> int:
    if is_immutable(rel):
        return 0
    if rel in LAST:
        return 3
    return 2 if rel.endswith(".html") else 1


def _is_twin(rel: str, present: set[str]) -> bool:
    """A ``.gz``/``.br`` file written by ``build --compress`` beside a text file."""
    stem, ext = posixpath.splitext(rel)
    return ext in (".gz", ".br") and stem in present and posixpath.splitext(stem)[1].lower() in COMPRESSIBLE


def scan_output(output_dir: Path, prefix: str, *, gzip: bool) -> list[LocalFile]:
    """Every file of a build as the object it becomes. Compressed twins are never objects of their own (a
    bucket cannot choose between them by Accept-Encoding); with ``gzip`` each text file's ``.gz`` twin is
    uploaded in its place with ``Content-Encoding: gzip``, which every browser accepts."""
    paths = {p.relative_to(output_dir).as_posix(): p for p in output_dir.rglob("*") if p.is_file()}
    present = set(paths)
    files = []
    for rel in sorted(present):
        if _is_twin(rel, present):
            continue
        source = paths[rel]
        twin = paths.get(rel + ".gz") if gzip else None
        if twin is not None:
            source = twin
        headers = headers_for(rel, gzipped=twin is not None)
        digest = _sha256(source)
        digest.update(json.dumps(headers, sort_keys=True).encode())
        files.append(
            LocalFile(
                key=prefix + rel,
                rel=rel,
                source=source,
                size=source.stat().st_size,
                headers=tuple(sorted(headers.items())),
                signature=digest.hexdigest(),
                phase=phase_of(rel),
            )
        )
    return files


def _sha256(path: Path) -> hashlib._Hash:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest


def make_plan(
    local: Iterable[LocalFile],
    listing: Mapping[str, str],
    manifest: Mapping[str, Mapping[str, str]],
    prefix: str,
) -> Plan:
    """Compare the build with the bucket. ``listing``: key → ETag of every object under the prefix;
    ``manifest``: key → {"signature", "etag"} of what yunzhan uploaded there."""
    plan = Plan()
    wanted = set()
    for item in sorted(local, key=lambda f: (f.phase, f.key)):
        wanted.add(item.key)
        known = manifest.get(item.key)
        same = (
            known is not None
            and known.get("signature") == item.signature
            and listing.get(item.key) == known.get("etag")
        )
        (plan.unchanged if same else plan.uploads).append(item)
    for key in sorted(listing):
        if key in wanted or key == prefix + MANIFEST:
            continue
        (plan.deletes if key in manifest else plan.foreign).append(key)
    return plan
