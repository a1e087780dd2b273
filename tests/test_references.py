"""References by name: a ``ref`` field may name a record by slug, file name (Chinese too) or unique title."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import MakeSite
from yunzhan.config import load_config
from yunzhan.content import load_content
from yunzhan.errors import YunzhanError
from yunzhan.model import Record
from yunzhan.pipeline import BuildOptions, build
from yunzhan.references import resolve_references

ZONE = "---\nname: 吴江（东太湖）展区\norder: 2\n---\n吴江。\n"
CRAFTSMAN = "---\nname: 顾建华\n---\n纺织机械。\n"


def _project(zone: str, craftsmen: str = "[li-qijie]") -> str:
    return (
        f"---\ntitle: 断经自停装置\ncategory: 创新项目\nzone: {zone}\ncraftsmen: {craftsmen}\n---\n正文。\n"
    )


def _resolve(site: Path) -> tuple[dict[str, Record], list[str]]:
    config = load_config(site)
    loaded = load_content(site, config)
    assert [p.format() for p in loaded.problems] == []
    problems = resolve_references(loaded.records, config)
    return {r.source: r for r in loaded.records}, [p.format() for p in problems]


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


@pytest.mark.parametrize(
    "typed",
    ["吴江展区", "吴江展区.md", "吴江（东太湖）展区", "wu-jiang-zhan-qu"],
    ids=["file name", "file name with .md", "title", "slug"],
)
def test_a_zone_is_found_by_file_name_title_or_slug(make_site: MakeSite, typed: str) -> None:
    site = make_site(
        {
            "content/zones/吴江展区.md": ZONE,
            "content/craftsmen/gu.md": CRAFTSMAN,
            "content/projects/loom.md": _project(typed, "[顾建华, li-qijie]"),
        }
    )
    records, problems = _resolve(site)
    assert problems == []
    loom, zone = records["content/projects/loom.md"], records["content/zones/吴江展区.md"]
    assert zone.slug == "wu-jiang-zhan-qu"  # the slug is pinyin, yet the Chinese file name is accepted
    assert loom.fields["zone"] is zone
    assert loom.fields["craftsmen"] == [
        records["content/craftsmen/gu.md"],
        records["content/craftsmen/li-qijie.md"],
    ]
    assert zone.backrefs == {"projects": [loom]}


def test_a_name_builds_the_same_site_as_the_slug(make_site: MakeSite, tmp_path: Path) -> None:
    """Pages, back-references, search and open data: typing the name is typing the slug."""
    outputs = []
    for number, (zone, craftsmen) in enumerate([("wu-jiang-zhan-qu", "[gu]"), ("吴江展区", "[顾建华]")]):
        site = make_site(
            {
                "content/zones/吴江展区.md": ZONE,
                "content/craftsmen/gu.md": CRAFTSMAN,
                "content/projects/loom.md": _project(zone, craftsmen),
            }
        )
        out = tmp_path / f"out-{number}"
        build(BuildOptions(site_dir=site, output_dir=out, use_cache=False, cache_dir=tmp_path / f"c{number}"))
        outputs.append(_tree(out))
    assert outputs[0] == outputs[1]
    assert "/projects/loom/" in outputs[1]["craftsmen/gu/index.html"].decode()


def test_a_slug_wins_over_another_records_title(make_site: MakeSite) -> None:
    site = make_site(
        {
            "content/zones/wujiang.md": "---\nname: gusu\norder: 2\n---\n",
            "content/projects/loom.md": _project("gusu"),
        }
    )
    records, problems = _resolve(site)
    assert problems == []
    assert records["content/projects/loom.md"].fields["zone"].source == "content/zones/gusu.md"


def test_a_title_two_records_share_lists_both_files(make_site: MakeSite) -> None:
    site = make_site(
        {
            "content/zones/a.md": "---\nname: 吴江展区\norder: 2\n---\n",
            "content/zones/b.md": "---\nname: 吴江展区\norder: 3\n---\n",
            "content/projects/loom.md": _project("吴江展区"),
        }
    )
    assert _resolve(site)[1] == [
        'content/projects/loom.md:4: zone: 有 2 个展区都叫 "吴江展区"，不知道是哪一个 — '
        "改写成其中一个网址里的名字：a（content/zones/a.md）、b（content/zones/b.md）"
    ]


def test_a_file_name_that_is_another_records_title_is_ambiguous(make_site: MakeSite) -> None:
    site = make_site(
        {
            "content/zones/吴江展区.md": ZONE,
            "content/zones/wj.md": "---\nname: 吴江展区\norder: 3\n---\n",
            "content/projects/loom.md": _project("吴江展区"),
        }
    )
    assert _resolve(site)[1] == [
        'content/projects/loom.md:4: zone: 有 2 个展区都叫 "吴江展区"，不知道是哪一个 — '
        "改写成其中一个网址里的名字：wj（content/zones/wj.md）、wu-jiang-zhan-qu（content/zones/吴江展区.md）"
    ]


def test_a_close_title_suggests_the_file(make_site: MakeSite) -> None:
    site = make_site(
        {
            "content/zones/wujiang.md": "---\nname: 吴江展区\norder: 2\n---\n",
            "content/projects/loom.md": _project("吴江区展区", "[顾建华]"),
        }
    )
    assert _resolve(site)[1] == [
        'content/projects/loom.md:4: zone: 找不到展区 "吴江区展区" — 是不是 "吴江展区"（content/zones/wujiang.md）？',
        'content/projects/loom.md:5: craftsmen 第 1 项: 找不到劳模工匠 "顾建华" — '
        "写劳模工匠的文件名（不含 .md）或它的名称都可以，例如 li-qijie（李奇杰）",
    ]


def test_part_of_a_title_is_suggested_not_taken(make_site: MakeSite) -> None:
    site = make_site(
        {
            "content/zones/wujiang.md": ZONE,
            "content/zones/wujiang-kfq.md": "---\nname: 吴江开发区展区\norder: 3\n---\n",
            "content/craftsmen/gu.md": CRAFTSMAN,
            "content/projects/loom.md": _project("东太湖", "[顾]"),
            "content/projects/silk.md": _project("吴江", "[li-qijie]"),
        }
    )
    assert _resolve(site)[1] == [
        'content/projects/loom.md:4: zone: 找不到展区 "东太湖" — 是不是 "吴江（东太湖）展区"（content/zones/wujiang.md）？',
        'content/projects/loom.md:5: craftsmen 第 1 项: 找不到劳模工匠 "顾" — 是不是 "顾建华"（content/craftsmen/gu.md）？',
        'content/projects/silk.md:4: zone: 找不到展区 "吴江" — 是不是其中一个："吴江开发区展区"'
        '（content/zones/wujiang-kfq.md）、"吴江（东太湖）展区"（content/zones/wujiang.md）？',
    ]


def test_several_names_in_one_line_are_shown_as_a_list(make_site: MakeSite) -> None:
    site = make_site(
        {
            "content/craftsmen/gu.md": CRAFTSMAN,
            "content/projects/loom.md": _project("gusu", "顾建华、王建国，李奇杰"),
            "content/projects/silk.md": _project("gusu, 姑苏展区", "顾建华, 李奇杰"),
        }
    )
    assert _resolve(site)[1] == [
        "content/projects/loom.md:5: craftsmen: “顾建华、王建国，李奇杰” 是几个劳模工匠，几个名字要写成列表 — "
        "改成 craftsmen: [顾建华, 王建国, 李奇杰]；其中找不到：王建国",
        "content/projects/silk.md:4: zone: 这里只能写一个展区，现在写了几个：“gusu, 姑苏展区” — 留下其中一个",
        "content/projects/silk.md:5: craftsmen: “顾建华, 李奇杰” 是几个劳模工匠，几个名字要写成列表 — "
        "改成 craftsmen: [顾建华, 李奇杰]",
    ]


def test_a_failed_reference_fails_the_build(make_site: MakeSite) -> None:
    site = make_site({"content/projects/loom.md": _project("吴江展区")})
    with pytest.raises(YunzhanError) as info:
        build(BuildOptions(site_dir=site))
    assert [p.format() for p in info.value.problems] == [
        'content/projects/loom.md:4: zone: 找不到展区 "吴江展区" — 写展区的文件名（不含 .md）或它的名称都可以，例如 gusu（姑苏展区）'
    ]
