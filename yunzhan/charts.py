"""Charts drawn at build time as inline SVG: no chart library reaches the browser.

- ``bar_chart(items, title)`` — horizontal bars for a list of ``{label, value, unit, note}`` (the shape of
  ``content/data/figures.yaml``), inside a ``<figure>`` with a text alternative: the SVG is ``role="img"`` with
  a name, and a visually hidden ``<table>`` holds every value. Bars whose units measure the same thing (人 and
  人次, say) share one scale; different kinds of unit are each scaled on their own, and the chart says so.
- ``unit_groups(items)`` — the items split into groups of comparable units, for one chart per group.
- ``hall_svg(zones)`` — the floor plan of an exhibition hall: one linked rectangle per zone placed on a
  100 × 60 grid. The ``hall_map`` macro of the default theme wraps it with the list of zones that is its text
  alternative (the SVG itself is hidden from screen readers and out of the tab order; the list holds the same
  links).

Everything here is a pure function of its arguments (strings, numbers, mappings): the same input gives the same
bytes, and templates do the record reading, so the build cache sees what a page depends on.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from markupsafe import Markup, escape

# Units that count the same kind of thing; bars in one family share a scale.
# 人次 counts visits (one person trained twice is 2 人次), never people: the two do not share an axis.
UNIT_FAMILIES = {"位": "人", "名": "人", "万人": "人", "万人次": "人次", "个": "项", "件": "项"}
UNIT_FACTORS = {"万人": 10_000, "万人次": 10_000, "万元": 10_000, "亿元": 100_000_000}
MONEY_UNITS = {"元": "元", "万元": "元", "亿元": "元"}

ROW = 46  # px per bar: label line, then the bar
BAR_Y, BAR_H = 24, 14
LABEL_Y = 17
GRID_W, GRID_H = 100, 60  # the hall map's grid
LABEL_MAX, LABEL_MIN = 5.0, 3.8  # zone name sizes in grid units; 3.8 is about 11 px on a 320 px screen


def _number(value: Any) -> float | None:
    """A finite number from an int, float or numeric text; None for anything else (bools, "200+", NaN)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip().replace(",", ""))
        except ValueError:
            return None
    if isinstance(value, int):
        return float(value) if abs(value) < 1e300 else None
    if isinstance(value, float) and math.isfinite(value):
        return value
    return None


def format_number(value: float) -> str:
    """``11629.0`` → ``11629``; ``6.6`` → ``6.6``; very large or very small numbers in short scientific form."""
    if value == 0:
        return "0"
    if abs(value) >= 1e15 or abs(value) < 1e-4:
        return f"{value:.4g}"
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.6g}"


def unit_family(unit: str) -> str:
    unit = (unit or "").strip()
    return MONEY_UNITS.get(unit) or UNIT_FAMILIES.get(unit, unit)


def _get(item: Any, key: str) -> Any:
    if isinstance(item, Mapping):
        return item.get(key)
    return getattr(item, key, None)


def _rows(items: Iterable[Any]) -> list[dict[str, Any]]:
    rows = []
    for item in items or ():
        value = _number(_get(item, "value"))
        if value is None:
            continue
        unit = str(_get(item, "unit") or "").strip()
        rows.append(
            {
                "label": str(_get(item, "label") or "").strip(),
                "value": value,
                "unit": unit,
                "note": str(_get(item, "note") or "").strip(),
                "family": unit_family(unit),
                "scaled": value * UNIT_FACTORS.get(unit, 1),  # in the family's base unit
            }
        )
    return rows


def unit_groups(items: Iterable[Any], minimum: int = 2) -> list[list[Any]]:
    """The items (with a numeric value) grouped by kind of unit, in order of first appearance; groups smaller
    than ``minimum`` are left out — one bar is not a chart."""
    groups: dict[str, list[Any]] = {}
    for item in items or ():
        if _number(_get(item, "value")) is None:
            continue
        groups.setdefault(unit_family(str(_get(item, "unit") or "")), []).append(item)
    return [g for g in groups.values() if len(g) >= minimum]


def _pct(x: float) -> str:
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _chart_id(title: str, rows: list[dict[str, Any]]) -> str:
    key = repr((title, [(r["label"], r["value"], r["unit"]) for r in rows]))
    return "chart-" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:8]


def bar_chart(
    items: Iterable[Any],
    title: str = "",
    *,
    caption: str = "",
    id: str | None = None,
    hide_table: bool = True,
) -> Markup:
    """A horizontal bar chart of ``items`` (mappings or objects with ``label``, ``value``, optional ``unit`` and
    ``note``) as a ``<figure>``: a caption, SVG bars (percent widths, so it is sharp and fits any screen; text
    stays at its own size), and a data table (visually hidden unless ``hide_table`` is false).

    Items without a finite numeric value are left out. Negative values draw to the left of a zero line. Each
    kind of unit gets its own scale (its largest absolute value spans the width); the caption says so when
    there is more than one. Returns an empty Markup when nothing is left to draw.
    """
    rows = _rows(items)
    if not rows:
        return Markup("")
    title = str(title or "")
    cid = id or _chart_id(title, rows)
    mixed = _place_bars(rows)
    table = _data_table(rows, title)
    return Markup(
        f'<figure class="chart" id="{cid}">'
        + _caption_html(title, caption, mixed)
        + _bars_svg(rows, title)
        + (f'<div class="vh">{table}</div>' if hide_table else table)
        + "</figure>"
    )


def _place_bars(rows: list[dict[str, Any]]) -> bool:
    """Set each row's bar start ``x``, width ``w`` and ``zero`` line in percent of the width, on the scale of its
    unit family; whether there is more than one family (the bars are then not all comparable)."""
    families: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        families.setdefault(row["family"], []).append(row)
    for members in families.values():
        biggest = max(abs(r["scaled"]) for r in members) or 1.0
        units = [r["scaled"] / biggest for r in members]  # within [-1, 1]: no overflow on huge values
        low, high = min(0.0, *units), max(0.0, *units)
        span = high - low or 1.0
        for r, u in zip(members, units, strict=True):
            zero = (0 - low) / span * 100
            end = (u - low) / span * 100
            r["x"], r["w"], r["zero"] = min(zero, end), abs(end - zero), zero
    return len(families) > 1


def _bars_svg(rows: list[dict[str, Any]], title: str) -> str:
    """The ``<svg>`` of placed rows: per row its label, value, track and bar (and the zero line when any value
    is negative)."""
    has_negative = any(r["value"] < 0 for r in rows)
    height = ROW * len(rows) + 4
    label = f"条形图：{title}（数值见下表）" if title else "条形图（数值见下表）"
    parts = [
        f'<svg class="chart-svg" width="100%" height="{height}" role="img" aria-label="{escape(label)}">',
    ]
    for i, r in enumerate(rows):
        top = i * ROW
        value_text = format_number(r["value"]) + (f" {r['unit']}" if r["unit"] else "")
        parts.append(
            f'<text class="chart-label" x="0" y="{top + LABEL_Y}" font-size="14" fill="#221c18">'
            f"{escape(r['label'])}</text>"
            f'<text class="chart-value" x="100%" y="{top + LABEL_Y}" font-size="14" font-weight="700" '
            f'text-anchor="end" fill="#7f1713">{escape(value_text)}</text>'
            f'<rect class="chart-track" x="0" y="{top + BAR_Y}" width="100%" height="{BAR_H}" rx="3" '
            f'fill="#f3e7dc"/>'
        )
        if r["value"] != 0:  # a value that is not zero always shows, however small next to the others
            fill = "#5d534b" if r["value"] < 0 else "#a8201a"
            parts.append(
                f'<rect class="chart-bar{" is-negative" if r["value"] < 0 else ""}" x="{_pct(r["x"])}%" '
                f'y="{top + BAR_Y}" width="{_pct(max(r["w"], 0.5))}%" height="{BAR_H}" rx="3" fill="{fill}"/>'
            )
        if has_negative:
            parts.append(
                f'<rect class="chart-zero" x="{_pct(r["zero"])}%" y="{top + BAR_Y - 3}" width="2" '
                f'height="{BAR_H + 6}" fill="#221c18"/>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _caption_html(title: str, caption: str, mixed: bool) -> str:
    notes = [caption] if caption else []
    if mixed:
        notes.append("单位不同的数值分别按各自的比例绘制，条形长度只在同一单位之间可比。")
    caption_html = f'<figcaption class="chart-caption"><span class="chart-title">{escape(title)}</span>'
    if notes:
        caption_html += f'<span class="chart-note">{escape(" ".join(notes))}</span>'
    return caption_html + "</figcaption>"


def _data_table(rows: list[dict[str, Any]], title: str) -> str:
    """The chart's text alternative: every value in a ``<table>``."""
    has_notes = any(r["note"] for r in rows)
    table = [
        '<table class="chart-table">',
        f"<caption>{escape(title or '数据')}</caption>",
        '<thead><tr><th scope="col">项目</th><th scope="col">数值</th><th scope="col">单位</th>'
        + ('<th scope="col">说明</th>' if has_notes else "")
        + "</tr></thead><tbody>",
    ]
    for r in rows:
        table.append(
            f'<tr><th scope="row">{escape(r["label"])}</th><td>{escape(format_number(r["value"]))}</td>'
            f"<td>{escape(r['unit'])}</td>" + (f"<td>{escape(r['note'])}</td>" if has_notes else "") + "</tr>"
        )
    table.append("</tbody></table>")
    return "".join(table)


# ----------------------------------------------------------------------------------------------- hall map


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _em(text: str) -> float:
    """Rough width of ``text`` in em: CJK and full-width characters are 1 em, the rest about half."""
    return sum(1.0 if ord(ch) > 0x2E7F else 0.56 for ch in text)


def _split_label(title: str) -> tuple[str, str]:
    """``昆山展区（示例）`` → (``昆山展区``, ``（示例）``): the aside goes on its own, smaller line."""
    for mark in ("（", "("):
        at = title.find(mark)
        if at > 0:
            return title[:at].strip(), title[at:].strip()
    return title.strip(), ""


def _block(lines: int, size: float, aside: float) -> float:
    """Height of a label: the name's lines (1 em each, 1.25 em apart), then the aside line."""
    return size + (lines - 1) * size * 1.25 + (aside * 1.4 if aside else 0)


def _fit(lines: list[str], width: float, height: float, aside: float, largest: float) -> float:
    widest = max((_em(line) for line in lines), default=1.0) or 1.0
    by_height = (height - (aside * 1.4 if aside else 0)) / (1 + (len(lines) - 1) * 1.25)
    return min(largest, width / widest, by_height)


def _label(title: str, cx: float, top: float, w: float, h: float) -> str:
    """``<text>`` lines for a zone label, as large as fits (up to LABEL_MAX grid units), wrapped to two lines when
    one line would be too small to read on a phone; an aside in brackets goes on a smaller line below."""
    main, aside = _split_label(title)
    inner_w = max(w - 3, 1)
    region_top, region_h = top + 5.5, max(h - 7, 1)  # below the zone's number, above the bottom edge
    aside_size = min(3.6, inner_w / max(_em(aside), 1)) if aside else 0.0
    lines = [main]
    size = _fit(lines, inner_w, region_h, aside_size, LABEL_MAX)
    if size < LABEL_MIN and len(main) > 3:
        half = math.ceil(len(main) / 2)
        wrapped = [main[:half], main[half:]]
        wrapped_size = _fit(wrapped, inner_w, region_h, aside_size, LABEL_MAX)
        if wrapped_size > size:
            lines, size = wrapped, wrapped_size
    size = max(size, 2.0)
    y = region_top + max(region_h - _block(len(lines), size, aside_size), 0) / 2 + size * 0.88
    out = [
        f'<text class="hm-name" x="{_pct(cx)}" y="{_pct(y)}" font-size="{_pct(size)}" text-anchor="middle">'
    ]
    for i, line in enumerate(lines):
        dy = "" if i == 0 else f' dy="{_pct(size * 1.25)}"'
        out.append(f'<tspan x="{_pct(cx)}"{dy}>{escape(line)}</tspan>')
    if aside:
        out.append(
            f'<tspan class="hm-aside" x="{_pct(cx)}" dy="{_pct(size * 0.12 + aside_size * 1.28)}" '
            f'font-size="{_pct(aside_size)}">{escape(aside)}</tspan>'
        )
    out.append("</text>")
    return "".join(out)


def hall_svg(zones: Iterable[Any], *, title: str = "") -> Markup:
    """The floor plan: one ``<a>`` per zone with a position (``x``, ``y``, ``w``, ``h`` ints on a 100 × 60
    grid, clipped to it), holding its rectangle, its number (``n``) and its name (``title``), linking to
    ``url``. ``tone`` (1–8) picks the zone's colour class. Zones without a whole position are left out; an
    empty Markup when none has one.

    The SVG is ``aria-hidden`` and its links ``tabindex="-1"``: the list of zones next to it (same links, same
    order) is what keyboards and screen readers use — an image role cannot hold links.
    """
    drawn = []
    for zone in zones or ():
        x, y, w, h = (_int(_get(zone, k)) for k in ("x", "y", "w", "h"))
        if x is None or y is None or w is None or h is None:
            continue
        x, y = min(max(x, 0), GRID_W - 1), min(max(y, 0), GRID_H - 1)
        w, h = min(max(w, 1), GRID_W - x), min(max(h, 1), GRID_H - y)
        drawn.append((zone, x, y, w, h))
    if not drawn:
        return Markup("")
    parts = [
        f'<svg class="hm-svg" viewBox="0 0 {GRID_W} {GRID_H}" aria-hidden="true" focusable="false">',
        f'<rect class="hm-hall" x="0.5" y="0.5" width="{GRID_W - 1}" height="{GRID_H - 1}" rx="2"/>',
    ]
    if title:
        parts.insert(1, f"<title>{escape(title)}</title>")
    for zone, x, y, w, h in drawn:
        tone = _int(_get(zone, "tone"))
        cls = f"hm-zone hm-{escape(str(_get(zone, 'key') or ''))}" + (f" z{tone}" if tone else "")
        number = str(_get(zone, "n") or "")
        parts.append(
            f'<a class="{cls.strip()}" href="{escape(str(_get(zone, "url") or "#"))}" tabindex="-1">'
            f'<rect x="{_pct(x + 0.6)}" y="{_pct(y + 0.6)}" width="{_pct(w - 1.2)}" height="{_pct(h - 1.2)}" rx="1.5"/>'
            + (
                f'<text class="hm-n" x="{_pct(x + 2.2)}" y="{_pct(y + 4.6)}" font-size="3">{escape(number)}</text>'
                if number
                else ""
            )
            + _label(str(_get(zone, "title") or ""), x + w / 2, y, w, h)
            + "</a>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def template_globals() -> dict[str, Callable[..., Any]]:
    """Registered by the pipeline: ``bar_chart``, ``unit_groups`` and ``hall_svg``."""
    return {"bar_chart": bar_chart, "unit_groups": unit_groups, "hall_svg": hall_svg}
