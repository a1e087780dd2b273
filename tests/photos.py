"""Photos for the tests of the image stage: drawn with Pillow, written into a small site's content folder and
run through ``process_images``."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image as PILImage

from yunzhan.config import ImageSettings
from yunzhan.images import process_images
from yunzhan.model import ImageRequest

RED, BLUE = (230, 20, 20), (20, 40, 220)
SMALL = ImageSettings(widths=(30, 60, 90), workers=1)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "site" / "content" / "projects").mkdir(parents=True)
    return tmp_path / "site"


def photo(site: Path, name: str, im: PILImage.Image, fmt: str = "JPEG", **save) -> str:
    path = site / "content" / "projects" / name
    im.save(path, fmt, **save)
    return str(path)


def req(source: str, record: str = "content/projects/rocket.md", line: int | None = 4, field: str = "cover"):
    return ImageRequest(source=source, alt="", record_path=record, line=line, field=field)


def run(site: Path, sources, settings: ImageSettings = SMALL, prefix: str = "/"):
    requests = [s if isinstance(s, ImageRequest) else req(s) for s in sources]
    return process_images(
        requests, settings, site_dir=site, cache_dir=site.parent / "cache", url_prefix=prefix
    )


def outputs(result) -> dict[str, PILImage.Image]:
    """Every published file, opened (and loaded) with Pillow."""
    opened = {}
    for rel, path in result.files.items():
        im = PILImage.open(path)
        im.load()
        opened[rel] = im
    return opened


def cornered(size=(90, 60)) -> PILImage.Image:
    """Landscape, blue, with a red top-left corner: orientation mistakes show."""
    im = PILImage.new("RGB", size, BLUE)
    im.paste(RED, (0, 0, size[0] // 3, size[1] // 3))
    return im


def near(pixel, colour, tolerance=40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel[:3], colour, strict=True))
