"""Lock, swap and system files are passed over by every command, from one list."""

from __future__ import annotations

import pytest

from tests.conftest import MakeSite
from yunzhan import folders, ignored, scaffoldlines, serve
from yunzhan.config import load_config


@pytest.mark.parametrize(
    "name",
    [
        "~$index.md",
        "~$cket.md",
        ".~lock.index.md#",
        ".DS_Store",
        "Thumbs.db",
        "thumbs.db",
        "desktop.ini",
        "a.md~",
    ],
)
def test_litter_is_ignored(name: str) -> None:
    assert ignored.is_ignored_name(name)


@pytest.mark.parametrize("name", ["index.md", "rocket.md", "照片1.jpg", "gusu"])
def test_real_files_are_not(name: str) -> None:
    assert not ignored.is_ignored_name(name)


def test_serve_new_and_the_build_share_the_list(make_site: MakeSite) -> None:
    assert serve.watch.is_ignored_name is ignored.is_ignored_name
    site = make_site(
        {
            "content/zones/~$su.md": b"\x02zs" + b"\x00" * 60,
            "content/zones/.~lock.gusu.md#": ",zs,PC,02.12.2026 10:15,file:///C:/zs;",
        }
    )
    config = load_config(site)
    zones = next(c for c in config.collections if c.name == "zones")
    assert folders.record_files(site / "content/zones") == [site / "content/zones/gusu.md"]
    assert scaffoldlines.record_slugs(site, config, zones.name) == ["gusu"]


def test_litter_in_static_is_not_published(make_site: MakeSite) -> None:
    from yunzhan.pipeline import BuildOptions, build

    site = make_site(
        {
            "static/logo.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
            "static/Thumbs.db": b"\xd0\xcf\x11\xe0" + b"\x00" * 60,
            "static/~$说明.docx": b"\x02zs" + b"\x00" * 60,
            "static/icons/desktop.ini": "[.ShellClassInfo]\r\n",
        }
    )
    build(BuildOptions(site_dir=site))
    published = {p.name.split(".")[0] for p in (site / "output/assets").rglob("*")}  # names fingerprinted
    assert "logo" in published
    assert not published & {"Thumbs", "~$说明", "desktop"}
