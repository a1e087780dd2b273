"""Camera-sized synthetic photos for the benchmarks: noise and gradients, JPEG quality 85, EXIF and comment saying
"synthetic". Deterministic in (number, seed, size); made once into bench/.work/photo-cache/ and hard-linked into
sites."""

from __future__ import annotations

import io
import os
import random
import shutil
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

PHOTO_CACHE = Path(__file__).resolve().parent / ".work" / "photo-cache"


def photo_path(n: int) -> str:
    return f"content/images/photos/photo-{n:05d}.jpg"


def _photo_bytes(args: tuple[int, int, tuple[int, int]]) -> bytes:
    """A deterministic camera-sized JPEG: smooth blobs + gradient + fine grain, from random.Random only."""
    from PIL import Image, ImageChops

    n, seed, (w, h) = args
    rng = random.Random(f"photo:{seed}:{n}")
    channels = []
    grain = Image.frombytes("L", (w, h), rng.randbytes(w * h)).point(lambda v: 128 + (v - 128) // 10)
    for c in range(3):
        bw, bh = max(2, w // 64), max(2, h // 64)
        base = Image.frombytes("L", (bw, bh), rng.randbytes(bw * bh)).resize((w, h), Image.Resampling.BICUBIC)
        mw, mh = max(2, w // 8), max(2, h // 8)
        mid = Image.frombytes("L", (mw, mh), rng.randbytes(mw * mh)).resize((w, h), Image.Resampling.BILINEAR)
        ramp = Image.linear_gradient("L").rotate(rng.randrange(360)).resize((w, h))
        channel = Image.blend(Image.blend(base, ramp, 0.5), mid, 0.25)
        channels.append(
            ImageChops.add(
                channel, grain if c != 1 else grain.transpose(Image.Transpose.ROTATE_180), offset=-128
            )
        )
    im = Image.merge("RGB", channels)
    exif = Image.Exif()
    exif[0x010E] = f"SYNTHETIC benchmark photo {n} (yunzhan bench/generate.py)"  # ImageDescription
    exif[0x010F] = "SyntheticCam"
    exif[0x0112] = 1
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=85, exif=exif.tobytes(), comment=b"synthetic test image, not a photograph")
    return buf.getvalue()


def _cached_photo(args: tuple[int, int, tuple[int, int], str]) -> str:
    n, seed, (w, h), cache = args
    path = Path(cache) / f"{w}x{h}-s{seed}" / f"photo-{n:05d}.jpg"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(_photo_bytes((n, seed, (w, h))))
        os.replace(tmp, path)
    return str(path)


def place_photos(dest: Path, photos: int, seed: int, size: tuple[int, int], jobs: int, cache: Path) -> None:
    """Make the missing photos (in parallel), then hard-link them all into the site."""
    todo = [(n, seed, size, str(cache)) for n in range(photos)]
    folder = Path(cache) / f"{size[0]}x{size[1]}-s{seed}"
    missing = [job for job in todo if not (folder / f"photo-{job[0]:05d}.jpg").exists()]
    if len(missing) > 4:
        with ProcessPoolExecutor(jobs or None) as pool:
            list(pool.map(_cached_photo, missing, chunksize=4))
    (dest / "content" / "images" / "photos").mkdir(parents=True, exist_ok=True)
    for job in todo:
        cached = Path(_cached_photo(job))
        target = dest / photo_path(job[0])
        try:
            os.link(cached, target)
        except OSError:
            shutil.copyfile(cached, target)
