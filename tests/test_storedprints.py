"""Prints taken from the last build (``incremental/storedprints.py``): only after an edit of bodies alone, and
the output then is what a cold build makes, even when what the context covers changed too."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import MakeSite, edit_file, incremental_build, jpeg_bytes
from test_incremental import _cold, _tree  # the output as a cold build makes it

from yunzhan import pagesteps

COVERED = """\
    ---
    title: 苏绣
    category: 创新产品
    zone: gusu
    cover:
      src: ../images/a.jpg
      alt: 绣
    ---
    针法。
    """


@pytest.fixture
def taken(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each build took the records' prints from the last one."""
    seen: list[bool] = []
    real = pagesteps.find_stale_pages

    def spy(b: pagesteps.Build) -> None:
        real(b)
        seen.append(b.stored is not None and b.stored.known is not None)

    monkeypatch.setattr(pagesteps, "find_stale_pages", spy)
    return seen


def _site(make_site: MakeSite) -> Path:
    return make_site({"content/projects/embroidery.md": COVERED, "content/images/a.jpg": jpeg_bytes()})


def test_a_body_edit_takes_the_prints_and_builds_what_a_cold_build_does(
    make_site: MakeSite, tmp_path: Path, taken: list[bool]
) -> None:
    site = _site(make_site)
    incremental_build(site)
    edit_file(site / "content/projects/rocket.md", "## 技术攻关", "## 技术攻关\n\n新的一段。")
    out = incremental_build(site)
    assert taken == [False, True]
    assert _tree(out) == _cold(site, tmp_path)


@pytest.mark.parametrize(
    ("path", "old", "new"),
    [
        ("content/projects/rocket.md", "title: 火箭模型", "title: 火箭"),  # a shape: every print made
        ("content/zones/gusu.md", "order: 1", "order: 2"),
    ],
)
def test_an_edit_of_more_than_a_body_makes_every_print(
    make_site: MakeSite, tmp_path: Path, taken: list[bool], path: str, old: str, new: str
) -> None:
    site = _site(make_site)
    incremental_build(site)
    edit_file(site / path, old, new + "\n")
    edit_file(site / "content/projects/embroidery.md", "针法。", "针法。又一段。")
    out = incremental_build(site)
    assert taken == [False, False]
    assert _tree(out) == _cold(site, tmp_path)


def test_an_image_replaced_with_a_body_edit_makes_every_print(
    make_site: MakeSite, tmp_path: Path, taken: list[bool]
) -> None:
    site = _site(make_site)
    incremental_build(site)
    (site / "content/images/a.jpg").write_bytes(jpeg_bytes(color=(10, 200, 10)))
    edit_file(site / "content/projects/rocket.md", "## 技术攻关", "## 技术攻关\n\n新的一段。")
    out = incremental_build(site)
    assert taken == [False, False]
    assert _tree(out) == _cold(site, tmp_path)
    edit_file(site / "content/projects/rocket.md", "新的一段。", "又改了。")  # then a body edit alone
    out = incremental_build(site)
    assert taken[-1]  # (the cold build's is before it)
    assert _tree(out) == _cold(site, tmp_path)
