"""content/data/*.yaml checked against the theme's data.toml (and the site's), with the records' messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REPO, MakeSite
from yunzhan import datafiles
from yunzhan.config import load_config
from yunzhan.content import load_content
from yunzhan.errors import YunzhanError
from yunzhan.fields import check_fields
from yunzhan.frontmatter import parse_yaml
from yunzhan.pipeline import BuildOptions, build

FIGURES = """\
- label: 服务企业
  value: 305
  unit: 家
- lable: 培训职工
  value: 11629
  unit: 人
"""


def _problems(site: Path) -> list[str]:
    return [p.format() for p in load_content(site, load_config(site)).problems]


def test_a_misspelt_label_is_named_at_its_line(make_site: MakeSite) -> None:
    site = make_site({"content/data/figures.yaml": FIGURES})
    assert sorted(_problems(site)) == [
        "content/data/figures.yaml:4: figures 第 2 项的 label: 缺少必填字段 label — 加上 label: …",
        'content/data/figures.yaml:4: figures 第 2 项的 lable: 警告：未知字段 "lable"（会被忽略） — 是不是 "label"？',
    ]
    with pytest.raises(YunzhanError):  # the home page would have shown "None"
        build(BuildOptions(site_dir=site))
    assert not (site / "output").exists()


def test_wrong_types_in_exhibition(make_site: MakeSite) -> None:
    text = "title: 成果展\nstart: 2024年4月29日\ncounts: 20\n"
    site = make_site({"content/data/exhibition.yaml": text})
    assert _problems(site) == [
        "content/data/exhibition.yaml:2: start: 日期格式不对：“2024年4月29日” — 日期写成 年-月-日：改成 2024-04-29",
        "content/data/exhibition.yaml:3: counts: 应当是一个列表 — 每一项另起一行，以“- ”开头",
    ]


def test_items_of_a_list_inside_a_table(make_site: MakeSite) -> None:
    text = "title: 成果展\ncounts:\n  - label: 品牌活动\n    value: 20\n  - value: [1, 2]\n    unit: 项\n"
    site = make_site({"content/data/exhibition.yaml": text})
    assert sorted(_problems(site)) == [
        "content/data/exhibition.yaml:5: counts 第 2 项的 label: 缺少必填字段 label — 加上 label: …",
        "content/data/exhibition.yaml:5: counts 第 2 项的 value: 应当是一行文字 — 例如 value: 文字内容",
    ]


def test_figures_as_a_table_with_items(make_site: MakeSite) -> None:
    text = "title: 阶段成果\nnote: 截至6月\nitems:\n  - label: 服务企业\n    value: 305\n"
    site = make_site({"content/data/figures.yaml": text})
    assert _problems(site) == []
    site = make_site({"content/data/figures.yaml": "title: 阶段成果\n"})
    assert _problems(site) == [
        "content/data/figures.yaml:1: items: 缺少必填字段 items — 加上 items: 和下面以“- ”开头的各项"
    ]


@pytest.mark.parametrize("text", ["", "# 暂时没有数字\n", "[]\n"])
def test_an_empty_data_file_shows_nothing_and_is_no_mistake(make_site: MakeSite, text: str) -> None:
    assert _problems(make_site({"content/data/figures.yaml": text})) == []


def test_a_data_file_nobody_describes_is_free(make_site: MakeSite) -> None:
    site = make_site({"content/data/sponsors.yaml": "- 名字: 苏州市总工会\n  随便: [1, {a: 2}]\n"})
    assert _problems(site) == []


def test_the_site_adds_and_replaces_descriptions(make_site: MakeSite) -> None:
    site = make_site(
        {
            "data.toml": """\
                [sponsors.each.fields]
                name = { type = "string", required = true }
                url = { type = "url" }

                [figures.each.fields]  # this site's figures call it lable
                label = { type = "string" }
                lable = { type = "string" }
                value = { type = "int" }
                unit = { type = "string" }
                """,
            "content/data/sponsors.yaml": "- name: 苏州市总工会\n  url: 苏州工会官网\n",
            "content/data/figures.yaml": FIGURES,
        }
    )
    assert _problems(site) == [
        "content/data/sponsors.yaml:2: sponsors 第 1 项的 url: 不是有效的网址：'苏州工会官网' — 网址应当以 https:// 开头"
    ]


def test_a_mistake_in_data_toml_is_named(make_site: MakeSite) -> None:
    site = make_site(
        {
            "data.toml": '[sponsors.each.fields]\nname = { type = "strnig" }\n',
            "content/data/sponsors.yaml": "- name: 工会\n",
        }
    )
    assert _problems(site) == [
        'data.toml:2: sponsors.each.fields.name: 未知的字段类型 "strnig" — 是不是 "string"？'
    ]


def test_the_demo_data_files_pass() -> None:
    shapes, problems = datafiles.load_shapes(REPO, load_config(REPO))
    assert problems == [] and {"figures", "exhibition"} <= shapes.keys()
    for path in sorted((REPO / "content/data").glob("*.yaml")):
        rel = path.relative_to(REPO).as_posix()
        value, lines, parse_problems = parse_yaml(path.read_text(encoding="utf-8"), rel)
        assert parse_problems == []
        where = datafiles.DataFile(rel, lines, path.parent, REPO, check_fields)
        assert datafiles.check_data(shapes.get(path.stem), value, where) == []


def test_a_figure_is_a_number_and_its_unit_goes_in_unit(make_site: MakeSite) -> None:
    figures = "- label: 服务企业\n  value: 305家\n- label: 参观\n  value: 1.05万\n  unit: 人次\n"
    assert _problems(make_site({"content/data/figures.yaml": figures})) == [
        "content/data/figures.yaml:2: figures 第 1 项的 value: 只写数字（可以带小数点），单位写在 unit 里 — "
        "例如 value: 305 和 unit: 家",
        "content/data/figures.yaml:4: figures 第 2 项的 value: 只写数字（可以带小数点），单位写在 unit 里 — "
        "例如 value: 1.05 和 unit: 万人次，或 value: 10500 和 unit: 人次",
    ]
    table = "title: 成果\nitems:\n  - label: 服务企业\n    value: 305 家\n"
    assert _problems(make_site({"content/data/figures.yaml": table})) == [
        "content/data/figures.yaml:4: items 第 1 项的 value: 只写数字（可以带小数点），单位写在 unit 里 — "
        "例如 value: 305 和 unit: 家",
    ]


def test_one_figure_written_without_its_dash(make_site: MakeSite) -> None:
    site = make_site({"content/data/figures.yaml": "title: 成果\nlabel: 服务企业\nvalue: 305\n"})
    assert _problems(site) == [
        "content/data/figures.yaml:2: label、value 这些是一项的字段，要写在 items: 下面的“- ”后面 — "
        "只有这一项时，也可以在 label 那一行前面加“- ”，下面几行前面加两个空格"
    ]


def test_the_exhibition_cannot_end_before_it_starts(make_site: MakeSite) -> None:
    site = make_site({"content/data/exhibition.yaml": "start: 2024-04-29\nend: 2024-03-30\n"})
    assert _problems(site) == [
        "content/data/exhibition.yaml:2: end: 结束日期 2024-03-30 早于开始日期 2024-04-29 — 检查年份和月份"
    ]
