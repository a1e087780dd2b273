"""The ``references`` step's order and short links kept from the last build (``incremental/keptorder.py``):
taken after an edit of bodies alone, made again after any other; the output, and the short-link file the site
keeps, then as a build without a store makes them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import MakeSite, edit_file, incremental_build
from test_incremental import _cold, _tree  # the output as a cold build makes it

from yunzhan import references, shortlinks
from yunzhan.pipeline import BuildOptions, build

ROCKET = "content/projects/rocket.md"
MORE = {
    "content/zones/wujiang.md": "---\nname: 吴江展区\norder: 2\n---\n吴江。\n",
    "content/projects/embroidery.md": "---\ntitle: 苏绣\ncategory: 非遗绝技\nzone: gusu\ndate: 2024-06-01\n---\n针法。\n",
}


@pytest.fixture
def sorted_now(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each build sorted the records (``order_records``) rather than take the last build's order."""
    seen: list[bool] = []
    real = references.order_records

    def spy(records: list[references.Record], config: references.SiteConfig) -> dict[str, list]:  # type: ignore[type-arg]
        seen.append(True)
        return real(records, config)

    monkeypatch.setattr(references, "order_records", spy)
    return seen


def _file_without_store(site: Path, tmp_path: Path) -> str:
    """The short-link file a build of ``site`` as it is now writes without a store (a copy, built into its own
    output: a build elsewhere never writes the file)."""
    copy = tmp_path / "copy"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(site, copy, ignore=shutil.ignore_patterns("output", ".yunzhan-cache"))
    build(BuildOptions(site_dir=copy, cache_dir=tmp_path / "copy-cache", use_cache=False))
    return (copy / shortlinks.FILE).read_text(encoding="utf-8")


def test_a_body_edit_takes_the_order_and_short_links_and_builds_what_a_cold_build_does(
    make_site: MakeSite, tmp_path: Path, sorted_now: list[bool]
) -> None:
    site = make_site(MORE)
    incremental_build(site)
    edit_file(site / ROCKET, "## 技术攻关", "## 技术攻关\n\n新的一段。")
    expected = _file_without_store(site, tmp_path)
    before = (site / shortlinks.FILE).read_text(encoding="utf-8")
    sorted_now.clear()
    out = incremental_build(site)
    assert sorted_now == []
    after = (site / shortlinks.FILE).read_text(encoding="utf-8")
    assert after == expected and after != before  # the edited record's digest
    assert _tree(out) == _cold(site, tmp_path)
    edit_file(site / ROCKET, "新的一段。", "新的一段，又改了。")
    expected = _file_without_store(site, tmp_path)
    sorted_now.clear()
    out = incremental_build(site)
    assert sorted_now == []
    assert (site / shortlinks.FILE).read_text(encoding="utf-8") == expected
    assert _tree(out) == _cold(site, tmp_path)


@pytest.mark.parametrize(
    ("path", "old", "new"),
    [
        (ROCKET, "title: 火箭模型", "title: 火箭"),  # a title: the short-link entry, the order by title
        ("content/zones/gusu.md", "order: 1", "order: 9"),  # the sort field
        (ROCKET, "date: 2024-05-01", "date: 2024-07-01"),
        ("content/projects/rocket.md", "zone: gusu", "zone: wujiang"),  # a ref: back-references, neighbours
    ],
)
def test_an_edit_of_more_than_a_body_sorts_again(
    make_site: MakeSite, tmp_path: Path, sorted_now: list[bool], path: str, old: str, new: str
) -> None:
    site = make_site(MORE)
    incremental_build(site)
    edit_file(site / path, old, new)
    edit_file(site / ROCKET, "## 技术攻关", "## 技术攻关\n\n新的一段。")
    expected = _file_without_store(site, tmp_path)
    sorted_now.clear()
    out = incremental_build(site)
    assert sorted_now == [True]
    assert (site / shortlinks.FILE).read_text(encoding="utf-8") == expected
    assert _tree(out) == _cold(site, tmp_path)


def test_a_record_added_renamed_or_a_hand_edited_file_sorts_again(
    make_site: MakeSite, tmp_path: Path, sorted_now: list[bool]
) -> None:
    site = make_site(MORE)
    incremental_build(site)
    (site / ROCKET).rename(site / "content/projects/rocket-2.md")  # keeps its code: found by title
    incremental_build(site)
    file = site / shortlinks.FILE
    file.write_text(
        file.read_text(encoding="utf-8").replace("title: 火箭模型", "title: 别的"), encoding="utf-8"
    )
    edit_file(site / "content/projects/rocket-2.md", "## 技术攻关", "## 技术攻关\n\n新的一段。")
    expected = _file_without_store(site, tmp_path)
    sorted_now.clear()
    out = incremental_build(site)
    assert sorted_now == [True]
    assert file.read_text(encoding="utf-8") == expected
    assert _tree(out) == _cold(site, tmp_path)
