"""Benchmark the media stage (media.py): what a minute of video costs a build, and a rebuild with 20 videos.

    python bench/media.py                  # a 60 s 1280x720 clip, and a site of 20 clips of 10 s
    python bench/media.py --minutes 0.25 --count 5   # a quick check

Prints: seconds per minute of video for ``mediafiles.prepare`` alone (read, fast-start remux, poster frame) and
for the whole media stage cold (plus the poster's AVIF/WebP/JPEG sizes); the same for ``[media] transcode``
of an HEVC clip; then for the site of ``--count``
videos: a cold build, a no-change rebuild (the stamp: nothing loaded), and a rebuild after editing one record's
text (a real build: the media are found in the store by size and mtime, none is read or decoded).
Clips are made once into bench/.work/ (gitignored) with PyAV; caches are rebuilt on every run.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from yunzhan import mediafiles  # noqa: E402
from yunzhan.pipeline import BuildOptions, build  # noqa: E402

WORK = Path(__file__).resolve().parent / ".work" / "media"
SITE_TOML = """\
title = "视频基准"
base_url = "https://example.org/"

[images]
widths = [480, 960]
formats = ["avif", "webp"]

[publish]
share_cards = false
share_posters = false

[collections.projects]
title = "展品"
url = "/projects/{slug}/"
template = "project.html"

[collections.projects.fields]
title = { type = "string", required = true }
category = { type = "string" }
cover = { type = "image" }
"""


def _writer():
    spec = importlib.util.spec_from_file_location(
        "make_demo_videos", ROOT / "scripts" / "make_demo_videos.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.write_clip


def clip(seconds: float, size: tuple[int, int], name: str, bit_rate: int) -> Path:
    """A generated clip at a camera's bit rate; each name draws its own frames (so no two share bytes)."""
    path = WORK / name
    if not path.exists():

        def draw(canvas, i: int, width: int, height: int) -> None:
            canvas.text((8, 8), f"{name} {i}", fill="white")

        _writer()(path, seconds=seconds, size=size, fps=25, bit_rate=bit_rate, draw=draw)
    return path


def per_minute(minutes: float) -> None:
    source = clip(minutes * 60, (1280, 720), f"long-{minutes:g}.mp4", 8_000_000)
    mb = source.stat().st_size / 1e6
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        meta, _poster = mediafiles.prepare(str(source), "video", str(Path(tmp) / "out.mp4"))
        prepare = time.perf_counter() - started
        site = _site(Path(tmp) / "site", [source])
        started = time.perf_counter()
        result = build(BuildOptions(site_dir=site))
        stage = result.timings.get("media", 0.0)
        total = time.perf_counter() - started
    print(f"one clip: {meta['duration']:.0f} s 1280x720 H.264/AAC at 8 Mbit/s, {mb:.1f} MB, moov at the end")
    print(
        f"  prepare (remux + poster frame): {prepare:.2f} s = {prepare / minutes:.2f} s per minute of video"
    )
    print(
        f"  media stage cold (with the poster's AVIF/WebP/JPEG): {stage:.2f} s = {stage / minutes:.2f} s/min"
    )
    print(f"  whole cold build of that one-page site: {total:.2f} s")


def transcoded(seconds: float) -> None:
    """The cost of ``[media] transcode = true`` on an HEVC clip (the iPhone's default), per minute of video."""
    source = WORK / f"hevc-{seconds:g}.mp4"
    if not source.exists():
        _writer()(source, seconds=seconds, size=(1280, 720), fps=25, codec="libx265")
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        mediafiles.prepare(str(source), "video", str(Path(tmp) / "out.mp4"), transcode=True)
        took = time.perf_counter() - started
    print(f"transcode HEVC 1280x720 → H.264 (veryfast, crf 23): {took:.2f} s for {seconds:g} s "
          f"= {took * 60 / seconds:.1f} s per minute of video")  # fmt: skip


def rebuilds(count: int) -> None:
    sources = [clip(10, (640, 360), f"short-{i:02d}.mp4", 2_000_000) for i in range(count)]
    with tempfile.TemporaryDirectory() as tmp:
        site = _site(Path(tmp) / "site", sources)
        rows = []
        for label in ("cold", "no change (stamp)", "one record edited"):
            if label == "one record edited":
                page = site / "content/projects/p00.md"
                page.write_text(page.read_text("utf-8") + "\n又一段。\n", "utf-8")
            started = time.perf_counter()
            result = build(BuildOptions(site_dir=site))
            seconds = time.perf_counter() - started
            stats = result.image_stats or {}
            rows.append((label, seconds, result.timings.get("media"), stats))
    print(f"site of {count} clips (10 s, 640x360, 2 Mbit/s each):")
    for label, seconds, stage, stats in rows:
        media = "-" if stage is None else f"{stage:.3f} s"
        made = stats.get("media_processed", "-")
        print(f"  {label:<20} {seconds:6.2f} s   media stage {media:>8}   videos processed: {made}, "
              f"photos decoded: {stats.get('decoded', '-')}")  # fmt: skip


def _site(site: Path, sources: list[Path]) -> Path:
    shutil.rmtree(site, ignore_errors=True)
    (site / "content/projects").mkdir(parents=True)
    (site / "site.toml").write_text(SITE_TOML, "utf-8")
    for i, source in enumerate(sources):
        name = f"p{i:02d}"
        shutil.copyfile(source, site / f"content/projects/{name}.mp4")
        text = f"---\ntitle: 展品{i}\ncover: {name}.mp4\n---\n正文。\n"
        (site / f"content/projects/{name}.md").write_text(text, "utf-8")
    return site


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=1.0, help="length of the long clip")
    parser.add_argument("--count", type=int, default=20, help="clips in the rebuild site")
    parser.add_argument("--transcode-seconds", type=float, default=20, help="length of the HEVC clip")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    per_minute(args.minutes)
    transcoded(args.transcode_seconds)
    rebuilds(args.count)


if __name__ == "__main__":
    main()
