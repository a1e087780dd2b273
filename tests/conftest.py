"""Shared fixtures: small sites built in tmp_path from inline files."""

from __future__ import annotations

import io
import shutil
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
DEMO_PARTS = (
    "site.toml",
    "data.toml",
    "content",
    "themes",
    "templates",
    "static",
)  # the demo site's own files

SITE_TOML = """\
title = "测试展"
subtitle = "云观展"
description = "测试用的小网站"
language = "zh-CN"
base_url = "https://example.org/"

[[menu]]
title = "展区"
url = "/zones/"

[images]
widths = [320, 640]
formats = ["webp"]

[taxonomies.tags]
title = "标签"

[collections.zones]
title = "展区"
url = "/zones/{slug}/"
template = "zone.html"
sort = "order"
title_field = "name"

[collections.zones.fields]
name = { type = "string", required = true }
order = { type = "int", required = true }
cover = { type = "image" }
intro = { type = "text" }

[collections.projects]
title = "创新成果"
url = "/projects/{slug}/"
template = "project.html"
paginate = 2
sort = "-date"
neighbours_by = "zone"
related_by = ["zone"]

[collections.projects.fields]
title = { type = "string", required = true }
category = { type = "enum", values = ["创新项目", "创新产品", "非遗绝技"], required = true }
zone = { type = "ref", collection = "zones", required = true }
craftsmen = { type = "ref", collection = "craftsmen", multiple = true }
date = { type = "date" }
tags = { type = "list", taxonomy = "tags" }
summary = { type = "text" }
cover = { type = "image" }
gallery = { type = "gallery" }
featured = { type = "bool" }
website = { type = "url" }

[collections.craftsmen]
title = "劳模工匠"
url = "/craftsmen/{slug}/"
template = "craftsman.html"
title_field = "name"

[collections.craftsmen.fields]
name = { type = "string", required = true }
specialties = { type = "list" }
portrait = { type = "image" }

[collections.activities]
title = "品牌活动"
url = "/activities/{slug}/"
template = "activity.html"
sort = "-start"

[collections.activities.fields]
title = { type = "string", required = true }
start = { type = "date", required = true }
end = { type = "date" }
venue = { type = "string" }
summary = { type = "text" }
cover = { type = "image" }
gallery = { type = "gallery" }

[collections.pages]
title = "页面"
url = "/{slug}/"
template = "page.html"
list_url = ""

[collections.pages.fields]
title = { type = "string", required = true }
summary = { type = "text" }
"""

BASE_FILES = {
    "content/zones/gusu.md": """\
        ---
        name: 姑苏展区
        order: 1
        intro: 非遗绝技
        ---
        姑苏展区介绍。
        """,
    "content/projects/rocket.md": """\
        ---
        title: 火箭模型
        category: 创新产品
        zone: gusu
        craftsmen: [li-qijie]
        date: 2024-05-01
        tags: [航天]
        ---
        ## 技术攻关

        见 [李奇杰](../craftsmen/li-qijie.md)。
        """,
    "content/craftsmen/li-qijie.md": """\
        ---
        name: 李奇杰
        specialties: [热处理]
        ---
        感应热处理。
        """,
    "content/pages/about.md": """\
        ---
        title: 关于
        ---
        关于本展。
        """,
}


def jpeg_bytes(size: tuple[int, int] = (800, 600), color: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "JPEG")
    return buffer.getvalue()


def incremental_build(site: Path) -> Path:
    """Build ``site`` into its ``output/`` with the cache beside the site (kept from build to build); the output."""
    from yunzhan.pipeline import BuildOptions, build  # not at the top: most tests never build

    build(BuildOptions(site_dir=site, cache_dir=site.parent / "cache"))
    return site / "output"


def edit_file(path: Path, old: str, new: str) -> None:
    """An editor's edit: ``old`` (which must be there) replaced by ``new``."""
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new), encoding="utf-8")


def file_mtimes(folder: Path) -> dict[str, int]:
    """Each file under ``folder`` (by relative path) with its modification time: which ones a build touched."""
    return {p.relative_to(folder).as_posix(): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


MakeSite = Callable[..., Path]


def write_site(
    site: Path, files: dict[str, str | bytes] | None = None, *, base: bool = True, toml: str = SITE_TOML
) -> Path:
    """Write a small site into ``site``: site.toml plus files (text is dedented; bytes are written as they are)."""
    site.mkdir(parents=True, exist_ok=True)
    (site / "site.toml").write_text(toml, encoding="utf-8")
    merged: dict[str, str | bytes | None] = {**(BASE_FILES if base else {}), **(files or {})}
    for rel, body in merged.items():
        path = site / rel
        if body is None:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(body, bytes):
            path.write_bytes(body)
        else:
            path.write_text(textwrap.dedent(body), encoding="utf-8")
    return site


@pytest.fixture
def make_site(tmp_path: Path) -> MakeSite:
    """Write a small site in ``tmp_path / "site"`` (``write_site``)."""

    def make(
        files: dict[str, str | bytes] | None = None, *, base: bool = True, toml: str = SITE_TOML
    ) -> Path:
        return write_site(tmp_path / "site", files, base=base, toml=toml)

    return make


@pytest.fixture(scope="session")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the demo site in a temporary folder. Tests that build the demo build this copy: nothing is
    written into the repository, no run depends on an earlier one, and they share the copy's cache (each image of
    the demo is processed once a session)."""
    site = tmp_path_factory.mktemp("demo") / "site"
    site.mkdir()
    for name in DEMO_PARTS:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, site / name)
        elif source.is_file():
            shutil.copy2(source, site / name)
    return site


# Written by the tools, not by the tests: Python's bytecode and the test runner's and linter's caches.
TOOL_LITTER = {"__pycache__", ".pytest_cache", ".ruff_cache", ".mypy_cache", ".hypothesis"}


def _repo_entries() -> set[str]:
    return {p.name for p in REPO.iterdir()} | {f"content/{p.name}" for p in (REPO / "content").iterdir()}


@pytest.fixture(scope="session", autouse=True)
def tests_never_write_into_the_repository() -> Iterator[None]:
    """A test that builds, checks or audits the demo in place (``.yunzhan-cache/``, ``output/``,
    ``audit-report/``…) fails the session: it must use ``demo_site`` or ``tmp_path``."""
    before = _repo_entries()
    yield
    added = sorted(_repo_entries() - before - TOOL_LITTER)
    assert not added, f"the tests wrote into the repository: {added}"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite tests/golden/*/expected from what the build makes now (then review `git diff tests/golden`)",
    )
