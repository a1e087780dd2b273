"""Benchmark the image stage on camera-sized photos.

Prints: cold images/second with the process pool (WebP + JPEG) against a plain single-process Pillow loop doing
the same formats (open, exif_transpose, resize each width from the original, save), the no-change rebuild time
(also for --rebuild-count small images, default 1,000), and AVIF on its own lines.

    python bench/images.py                 # 200 photos of 4000x3000
    python bench/images.py --count 20      # a quick check

Targets: >= 2x the plain loop cold on 2 cores; no-change rebuild of 1,000 images < 1 s.
Photos are generated once into bench/.work/ (gitignored) and reused; caches are rebuilt on every run.
"""

from __future__ import annotations

import argparse
import functools
import io
import os
import random
import resource
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from PIL import Image, ImageChops, ImageOps

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from yunzhan.config import ImageSettings
from yunzhan.images import process_images
from yunzhan.model import ImageRequest

WORK = Path(__file__).resolve().parent / ".work"


@functools.cache  # per process: a handful of textures, recombined into every photo
def _texture(size: tuple[int, int], seed: int) -> Image.Image:
    """Smooth blobs + mid-scale mottling + fine grain per channel: compresses like a photo, not like noise."""
    random.seed(seed)
    w, h = size
    channels = []
    for _ in range(3):
        base = Image.effect_noise((w // 64 + 2, h // 64 + 2), 60).resize(size, Image.Resampling.BICUBIC)
        mid = Image.effect_noise((w // 8, h // 8), 40).resize(size, Image.Resampling.BILINEAR)
        ramp = Image.linear_gradient("L").rotate(random.randint(0, 359)).resize(size)
        channel = Image.blend(Image.blend(base, ramp, 0.5), mid, 0.3)
        channels.append(ImageChops.add(channel, Image.effect_noise(size, 10), offset=-128))
    return Image.merge("RGB", channels)


def _make_photo(args: tuple[str, tuple[int, int], int]) -> None:
    path, size, i = args
    textures = [_texture(size, seed) for seed in (i % 3, i % 2 + 10)]
    rng = random.Random(i)
    im = ImageChops.offset(textures[0], rng.randrange(size[0]), rng.randrange(size[1]))
    im = Image.blend(im, textures[1], rng.uniform(0.2, 0.6))
    exif = Image.Exif()
    if i % 4 == 3:  # every 4th photo was taken upright: stored sideways, Orientation 6
        im = im.transpose(Image.Transpose.ROTATE_90)
        exif[0x0112] = 6
    exif[0x010F] = "BenchCam"
    im.save(path, "JPEG", quality=90, exif=exif.tobytes())


def make_photos(folder: Path, count: int, size: tuple[int, int]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"photo-{i:04d}.jpg" for i in range(count)]
    missing = [(str(p), size, i) for i, p in enumerate(paths) if not p.exists()]
    if missing:
        started = time.perf_counter()
        print(f"generating {len(missing)} photos of {size[0]}x{size[1]} in {folder} ...", flush=True)
        if size[0] * size[1] <= 200_000:
            for job in missing:
                _make_photo(job)
        else:
            with ProcessPoolExecutor() as pool:
                list(pool.map(_make_photo, missing, chunksize=4))
        print(f"  done in {time.perf_counter() - started:.1f} s", flush=True)
    return paths


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (the pool's workers): robust on a busy machine."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def run_stage(site: Path, paths: list[Path], settings: ImageSettings, cache: Path, fresh: bool = True):
    if fresh:
        shutil.rmtree(cache, ignore_errors=True)
    requests = [ImageRequest(str(p), "", "content/bench.md", i + 1, "gallery") for i, p in enumerate(paths)]
    started, cpu = time.perf_counter(), cpu_seconds()
    result = process_images(requests, settings, site_dir=site, cache_dir=cache, url_prefix="/")
    elapsed, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    errors = [p for p in result.problems if p.is_error]
    assert not errors, errors[:3]
    return elapsed, cpu, result


def plain_loop(paths: list[Path], settings: ImageSettings, out: Path) -> tuple[float, float]:
    """What a straightforward script does: one process, every width resized from the full original."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    q = settings.quality
    started, cpu = time.perf_counter(), cpu_seconds()
    for n, path in enumerate(paths):
        with Image.open(path) as original:
            im = ImageOps.exif_transpose(original)
        for w in settings.widths:
            if w > im.width:
                continue
            small = im.resize((w, round(im.height * w / im.width)), Image.Resampling.LANCZOS)
            for fmt in settings.formats:
                buf = io.BytesIO()
                if fmt == "avif":
                    small.save(buf, "AVIF", quality=q - 25, speed=8)
                else:
                    small.save(buf, "WEBP", quality=q, method=4)
                (out / f"{n}-{w}.{fmt}").write_bytes(buf.getvalue())
            buf = io.BytesIO()
            small.save(buf, "JPEG", quality=q, optimize=True, progressive=True)
            (out / f"{n}-{w}.jpg").write_bytes(buf.getvalue())
    return time.perf_counter() - started, cpu_seconds() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=200, help="photos for the cold runs (default 200)")
    parser.add_argument("--size", default="4000x3000", help="photo size, WxH (default 4000x3000)")
    parser.add_argument("--plain-count", type=int, default=40, help="photos for the slow plain loop")
    parser.add_argument("--avif-count", type=int, default=40, help="photos for the AVIF runs")
    parser.add_argument("--rebuild-count", type=int, default=1000, help="small images for the rebuild check")
    parser.add_argument("--workers", type=int, default=0, help="pool size (0 = one per core)")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.lower().split("x"))
    assert len(size) == 2

    site = WORK / f"site-{size[0]}x{size[1]}"
    paths = make_photos(site / "content" / "photos", args.count, size)
    mb = sum(p.stat().st_size for p in paths) / len(paths) / 1e6
    cpus = os.cpu_count()
    webp = ImageSettings(formats=("webp",), workers=args.workers)
    print(
        f"{len(paths)} photos {size[0]}x{size[1]} (avg {mb:.1f} MB JPEG), {cpus} CPUs, widths {webp.widths}"
    )

    print(f"load average before: {os.getloadavg()[0]:.1f} (wall-clock figures need an idle machine)")

    cold, cpu, result = run_stage(site, paths, webp, WORK / "cache-webp")
    assert result.stats["decoded"] == len(paths), result.stats
    ours, ours_cpu = len(paths) / cold, cpu / len(paths)
    print(
        f"cold, WebP+JPEG, yunzhan pool        {ours:6.2f} images/s  ({cold:.1f} s; CPU {ours_cpu:.2f} s/image)"
    )

    sample = paths[: max(1, min(args.plain_count, len(paths)))]
    wall, cpu = plain_loop(sample, webp, WORK / "plain-out")
    plain, plain_cpu = len(sample) / wall, cpu / len(sample)
    print(
        f"cold, WebP+JPEG, plain Pillow loop   {plain:6.2f} images/s  ({len(sample)} photos; CPU {plain_cpu:.2f} s/image)"
    )
    print(f"  -> yunzhan is {ours / plain:.2f}x the plain loop in wall time (target >= 2x on 2 cores),")
    print(f"     using {plain_cpu / ours_cpu:.2f}x less CPU per image (draft decode, chained resizes)")

    again, _, result = run_stage(site, paths, webp, WORK / "cache-webp", fresh=False)
    assert result.stats["decoded"] == 0 and result.stats["written"] == 0, result.stats
    print(f"no-change rebuild, {len(paths)} photos        {again:7.3f} s")

    if args.rebuild_count:
        small_site = WORK / "site-rebuild"
        small = make_photos(small_site / "content" / "photos", args.rebuild_count, (400, 300))
        tiny = ImageSettings(widths=(80, 160, 320), workers=args.workers)  # 9 files each, like real photos
        first, _, _ = run_stage(small_site, small, tiny, WORK / "cache-rebuild")
        again, _, result = run_stage(small_site, small, tiny, WORK / "cache-rebuild", fresh=False)
        assert result.stats["decoded"] == 0, result.stats
        print(
            f"no-change rebuild, {len(small)} images        {again:7.3f} s  (target < 1 s; cold {first:.1f} s)"
        )

    sample = paths[: max(1, min(args.avif_count, len(paths)))]
    for label, formats in (("AVIF+JPEG", ("avif",)), ("AVIF+WebP+JPEG (default)", ("avif", "webp"))):
        settings = ImageSettings(formats=formats, workers=args.workers)
        cold, cpu, _ = run_stage(site, sample, settings, WORK / "cache-avif")
        rate = len(sample) / cold
        print(
            f"cold, {label:<30} {rate:6.2f} images/s  ({len(sample)} photos; CPU {cpu / len(sample):.2f} s/image)"
        )
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
