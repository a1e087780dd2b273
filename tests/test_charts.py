"""charts.py: build-time SVG bar charts and the hall map — deterministic, escaped, with text alternatives."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from markupsafe import Markup

from yunzhan import charts

FIGURES = [
    {"label": "服务企业", "value": 305, "unit": "家", "note": "截至2024年上半年"},
    {"label": "培训职工", "value": 11629, "unit": "人", "note": "截至2024年上半年"},
    {"label": "带动技能提升", "value": 10457, "unit": "人次", "note": ""},
    {"label": "劳模工匠参与", "value": 873, "unit": "人次"},
    {"label": "创造或节约经济效益", "value": 6.6, "unit": "亿元", "note": "估算"},
]


def _tree(markup: str) -> ET.Element:
    """The chart as XML (it is well-formed on its own): lets tests read attributes without regexes."""
    return ET.fromstring(str(markup))


def _bars(fig: ET.Element) -> list[tuple[float, float]]:
    return [
        (float(r.get("x", "0").rstrip("%")), float(r.get("width", "0").rstrip("%")))
        for r in fig.iter("rect")
        if "chart-bar" in (r.get("class") or "")
    ]


def test_bar_chart_is_deterministic_markup() -> None:
    one = charts.bar_chart(FIGURES, "成果")
    two = charts.bar_chart([dict(f) for f in FIGURES], "成果")
    assert isinstance(one, Markup)
    assert one == two
    assert charts.bar_chart(FIGURES, "另一个标题") != one  # the id follows the content, so two charts differ
    ids = re.findall(r'id="([^"]+)"', str(one))
    assert ids and ids[0].startswith("chart-")


def test_bar_chart_has_text_alternative_and_data_table() -> None:
    people = [f for f in FIGURES if f["unit"] in ("人", "人次")]
    fig = _tree(charts.bar_chart(people, "培训与参与"))
    assert fig.tag == "figure"
    svg = fig.find("svg")
    assert svg is not None and svg.get("role") == "img"
    assert "培训与参与" in svg.get("aria-label", "")
    assert "培训与参与" in "".join(fig.find("figcaption").itertext())
    hidden = fig.find("div")
    assert hidden is not None and hidden.get("class") == "vh"  # hidden from view, not from screen readers
    table = hidden.find("table")
    assert table is not None and "培训与参与" in "".join(table.find("caption").itertext())
    rows = [["".join(c.itertext()) for c in tr] for tr in table.iter("tr")][1:]
    assert rows == [
        ["培训职工", "11629", "人", "截至2024年上半年"],
        ["带动技能提升", "10457", "人次", ""],
        ["劳模工匠参与", "873", "人次", ""],
    ]
    visible = charts.bar_chart(people, "x", hide_table=False)
    assert '<div class="vh">' not in visible and 'class="chart-table"' in visible


def test_comparable_units_share_a_scale() -> None:
    visits = [f for f in FIGURES if f["unit"] == "人次"] + [{"label": "参观", "value": 2, "unit": "万人次"}]
    bars = _bars(_tree(charts.bar_chart(visits, "人次")))
    assert bars[2] == (0, 100)  # 2 万人次 = 20000 人次
    assert bars[0][1] == pytest.approx(10457 / 20000 * 100, abs=0.01)
    assert bars[1][1] == pytest.approx(873 / 20000 * 100, abs=0.01)


def test_mixed_units_are_scaled_per_unit_and_say_so() -> None:
    out = charts.bar_chart(FIGURES, "全部")
    bars = _bars(_tree(out))
    assert bars[0][1] == 100  # 服务企业 alone in its unit: full width
    assert bars[4][1] == 100  # 亿元 alone in its unit
    assert (
        bars[1][1] == 100 and bars[2][1] == 100
    )  # 人 and 人次 each on a scale of its own (人次 counts visits)
    assert bars[3][1] == pytest.approx(873 / 10457 * 100, abs=0.01)
    assert "分别按各自的比例绘制" in out
    for value in ("305 家", "11629 人", "6.6 亿元"):  # every bar prints its value and unit
        assert value in out


def test_unit_groups_keep_comparable_items_together() -> None:
    groups = charts.unit_groups(FIGURES)
    assert [[f["label"] for f in g] for g in groups] == [
        ["带动技能提升", "劳模工匠参与"]
    ]  # 人次, never with 人
    assert len(charts.unit_groups(FIGURES, minimum=1)) == 4
    assert charts.unit_groups([{"label": "x", "value": "200+"}, {"label": "y", "value": None}]) == []


def test_labels_and_units_are_escaped() -> None:
    hostile = [
        {"label": '<script>alert(1)</script>"', "value": 3, "unit": "<b>个</b>", "note": "a & b"},
        {"label": "正常", "value": 1, "unit": "<b>个</b>"},
    ]
    out = str(charts.bar_chart(hostile, '<img src=x onerror="x">'))
    assert "<script" not in out and "<b>" not in out and "<img" not in out
    assert "&lt;script&gt;" in out and "a &amp; b" in out
    _tree(out)  # still well-formed


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([0, 0], [0, 0]),  # all zero: no bar, no division by zero
        ([5, 0], [100, 0]),
        ([10**30, 1], [100, 0.5]),  # huge: the smallest bar keeps a visible sliver
        ([1e308, 1e-300], [100, 0.5]),
    ],
)
def test_zero_and_huge_values(values: list[float], expected: list[float]) -> None:
    items = [{"label": f"项{i}", "value": v, "unit": "项"} for i, v in enumerate(values)]
    out = charts.bar_chart(items, "t")
    widths = [w for _, w in _bars(_tree(out))]
    assert widths == [w for w in expected if w > 0]
    assert "inf" not in out and "nan" not in out
    assert len(charts.format_number(float(values[0]))) < 16  # printed short, never a 300-digit number


def test_negative_values_draw_left_of_zero() -> None:
    items = [{"label": "增加", "value": 30, "unit": "项"}, {"label": "减少", "value": -10, "unit": "项"}]
    fig = _tree(charts.bar_chart(items, "变化"))
    (x_pos, w_pos), (x_neg, w_neg) = _bars(fig)
    zero = 10 / 40 * 100
    assert x_pos == pytest.approx(zero, abs=0.01) and w_pos == pytest.approx(75, abs=0.01)
    assert x_neg == 0 and w_neg == pytest.approx(zero, abs=0.01)
    assert any("chart-zero" in (r.get("class") or "") for r in fig.iter("rect"))
    assert "-10 项" in "".join(fig.itertext())


def test_values_that_are_not_numbers_are_left_out() -> None:
    items = [
        {"label": "文字", "value": "200+"},
        {"label": "布尔", "value": True},
        {"label": "无穷", "value": float("inf")},
        {"label": "非数", "value": float("nan")},
        {"label": "数字文本", "value": "1,200", "unit": "件"},
    ]
    out = charts.bar_chart(items, "t")
    assert "数字文本" in out and "1200 件" in out
    for label in ("文字", "布尔", "无穷", "非数"):
        assert label not in out
    assert charts.bar_chart([], "空") == "" and charts.bar_chart(None, "空") == ""


# ------------------------------------------------------------------------------------------------ hall map

ZONES = [
    {
        "key": 1,
        "title": "张家港展区",
        "url": "/zones/zjg/",
        "n": "01",
        "tone": 1,
        "x": 2,
        "y": 2,
        "w": 31,
        "h": 18,
    },
    {
        "key": 2,
        "title": "昆山展区（示例）",
        "url": "/zones/ks/",
        "n": "02",
        "tone": 2,
        "x": 35,
        "y": 2,
        "w": 30,
        "h": 18,
    },
    {"key": 3, "title": "没有位置", "url": "/zones/none/", "n": "03", "x": None, "y": 2, "w": 10, "h": 10},
    {"key": 4, "title": "助企行服务成果区", "url": "/zones/z/", "x": 90, "y": 50, "w": 40, "h": 30},
]


def test_hall_svg_draws_zones_with_positions_as_links() -> None:
    out = charts.hall_svg(ZONES)
    assert out == charts.hall_svg([dict(z) for z in ZONES])
    svg = _tree(out)
    assert svg.get("viewBox") == "0 0 100 60"
    assert svg.get("aria-hidden") == "true"  # the list beside it is the text alternative
    links = [a for a in svg.iter("a")]
    assert [a.get("href") for a in links] == ["/zones/zjg/", "/zones/ks/", "/zones/z/"]
    assert all(a.get("tabindex") == "-1" for a in links)  # keyboards use the list, not the drawing
    texts = ["".join(a.itertext()) for a in links]
    assert "张家港展区" in texts[0] and "昆山展区" in texts[1] and "（示例）" in texts[1]
    # clipped to the grid: a zone hanging over the edge ends at 100 × 60
    last = links[2].find("rect")
    assert float(last.get("x")) + float(last.get("width")) <= 100
    assert float(last.get("y")) + float(last.get("height")) <= 60


def test_hall_labels_fit_their_boxes_and_stay_readable() -> None:
    narrow = [{"title": "助企行服务成果区", "url": "/z/", "x": 0, "y": 0, "w": 20, "h": 20}]
    text = _tree(charts.hall_svg(narrow)).find("a/text[@class='hm-name']")
    spans = list(text)
    assert len(spans) == 2  # wrapped onto two lines rather than shrunk below reading size
    size = float(text.get("font-size"))
    assert size >= 3.8
    widest = max(len("".join(s.itertext())) for s in spans)
    assert widest * size <= 20


def test_hall_svg_escapes_and_handles_nothing() -> None:
    assert charts.hall_svg([]) == "" and charts.hall_svg(None) == ""
    assert charts.hall_svg([{"title": "x", "url": "/x/", "x": 1, "y": 1, "w": None, "h": 2}]) == ""
    bad = [{"title": "<b>展区</b>", "url": '/x/"onclick="y', "x": 1, "y": 1, "w": 20, "h": 10, "n": "<i>"}]
    out = str(charts.hall_svg(bad))
    assert "<b>" not in out and "<i>" not in out and '"onclick' not in out
    _tree(out)


def test_template_globals() -> None:
    names = charts.template_globals()
    assert {"bar_chart", "unit_groups", "hall_svg"} <= set(names)
