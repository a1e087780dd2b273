"""Generate every image of the demo site in ``content/`` — deterministic drawings, no downloads.

Run from anywhere::

    python scripts/make_demo_images.py            # writes the images into <repo>/content/
    python scripts/make_demo_images.py --check    # only lists what would be written, with sizes

All pictures are illustrative compositions (rockets, knit textures, furnaces, coils, embroidery patterns,
flat avatars). None of them is a photograph, and the avatars do not depict anyone. The same Pillow version
produces the same bytes on every run: every random choice comes from a ``random.Random`` seeded with the
file name.

Two files deliberately carry things the build pipeline must handle:

- ``content/projects/marine-welding-fixture/cover.jpg`` is stored rotated, with EXIF Orientation = 6 and
  a GPS block, so the demo shows that derivatives come out upright and without location data;
- ``content/images/projects/induction-manual.png`` and ``content/craftsmen/liu-mou/portrait.png`` are PNGs
  with transparency.
"""

from __future__ import annotations

import argparse
import math
import random
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content"
SUPERSAMPLE = 2  # draw at 2x, then downscale, for smooth edges
JPEG_QUALITY = 85

RGB = tuple[int, int, int]
Painter = Callable[[Image.Image, random.Random], None]

# -------------------------------------------------------------------------------------- colour helpers


def hex_rgb(value: str) -> RGB:
    value = value.lstrip("#")
    return (int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16))


def rgb_hex(value: RGB) -> str:
    return "#{:02x}{:02x}{:02x}".format(*value)


def mix(a: RGB, b: RGB, t: float) -> RGB:
    return (round(a[0] + (b[0] - a[0]) * t), round(a[1] + (b[1] - a[1]) * t), round(a[2] + (b[2] - a[2]) * t))


def vertical_gradient(size: tuple[int, int], top: str, bottom: str) -> Image.Image:
    ramp = Image.linear_gradient("L").resize(size)
    return Image.composite(
        Image.new("RGB", size, hex_rgb(bottom)), Image.new("RGB", size, hex_rgb(top)), ramp
    )


def paste_glow(
    img: Image.Image, centre: tuple[float, float], radius: float, colour: str, strength: float
) -> None:
    """Lighten a round area softly, like a spotlight or the glow of hot metal."""
    r = int(radius)
    mask = Image.radial_gradient("L").resize((2 * r, 2 * r))
    # radial_gradient reaches 181 at the middle of each edge (255 only in the corners): rescale so the glow
    # fades to nothing at the circle's rim instead of showing the square's outline.
    mask = mask.point(lambda v: int(max(0.0, 255 - v * 255 / 181) * strength))
    layer = Image.new("RGB", (2 * r, 2 * r), hex_rgb(colour))
    img.paste(layer, (int(centre[0]) - r, int(centre[1]) - r), mask)


def rotated_points(
    points: list[tuple[float, float]], angle: float, cx: float, cy: float
) -> list[tuple[float, float]]:
    c, s = math.cos(angle), math.sin(angle)
    return [(cx + x * c - y * s, cy + x * s + y * c) for x, y in points]


def ellipse_points(rx: float, ry: float, n: int = 48) -> list[tuple[float, float]]:
    return [(rx * math.cos(2 * math.pi * i / n), ry * math.sin(2 * math.pi * i / n)) for i in range(n)]


def gear_points(cx: float, cy: float, r: float, teeth: int, phase: float = 0.0) -> list[tuple[float, float]]:
    pts = []
    depth = r * 0.14
    for i in range(teeth * 4):
        a = phase + 2 * math.pi * i / (teeth * 4)
        rr = r if (i % 4) in (1, 2) else r - depth
        pts.append((cx + rr * math.cos(a), cy + rr * math.sin(a)))
    return pts


def bezier(p0, p1, p2, p3, n: int = 60) -> list[tuple[float, float]]:
    out = []
    for i in range(n + 1):
        t = i / n
        u = 1 - t
        out.append(
            (
                u**3 * p0[0] + 3 * u * u * t * p1[0] + 3 * u * t * t * p2[0] + t**3 * p3[0],
                u**3 * p0[1] + 3 * u * u * t * p1[1] + 3 * u * t * t * p2[1] + t**3 * p3[1],
            )
        )
    return out


# -------------------------------------------------------------------------------------------- painters
# Every painter draws on an RGB (or RGBA) image of the final size multiplied by SUPERSAMPLE.


def paint_rocket_launch(img: Image.Image, rng: random.Random) -> None:
    w, h = img.size
    img.paste(vertical_gradient(img.size, "#0b1d3a", "#e9834a"))
    d = ImageDraw.Draw(img)
    for _ in range(140):
        x, y, r = rng.uniform(0, w), rng.uniform(0, h * 0.55), rng.uniform(1, 3.2) * SUPERSAMPLE
        d.ellipse((x - r, y - r, x + r, y + r), fill=(255, 255, 240))
    cx = w * 0.55
    # launch tower
    tower_x = cx - w * 0.12
    d.rectangle(
        (tower_x - w * 0.02, h * 0.28, tower_x + w * 0.02, h * 0.9), outline="#1a1a2a", width=6 * SUPERSAMPLE
    )
    for i in range(12):
        y = h * 0.28 + i * (h * 0.62 / 12)
        d.line(
            (tower_x - w * 0.02, y, tower_x + w * 0.02, y + h * 0.05), fill="#1a1a2a", width=3 * SUPERSAMPLE
        )
    paste_glow(img, (cx, h * 0.86), h * 0.28, "#ffd27a", 0.9)
    d = ImageDraw.Draw(img)
    draw_rocket(d, cx, h * 0.2, w * 0.06, h * 0.62, "#f4f4f2", "#23252b")
    d.rectangle((0, h * 0.9, w, h), fill="#1c1c24")


def draw_rocket(
    d: ImageDraw.ImageDraw, cx: float, top: float, half: float, length: float, body: str, trim: str
):
    nose = length * 0.16
    d.polygon([(cx, top), (cx - half, top + nose), (cx + half, top + nose)], fill=trim)
    d.rectangle((cx - half, top + nose, cx + half, top + length), fill=body)
    for frac in (0.42, 0.7):
        y = top + length * frac
        d.rectangle((cx - half, y, cx + half, y + length * 0.02), fill=trim)
    fin = length * 0.14
    base = top + length
    d.polygon([(cx - half, base - fin), (cx - half * 2.1, base + fin * 0.25), (cx - half, base)], fill=trim)
    d.polygon([(cx + half, base - fin), (cx + half * 2.1, base + fin * 0.25), (cx + half, base)], fill=trim)
    d.rectangle((cx - half * 0.5, base, cx + half * 0.5, base + length * 0.03), fill=trim)


def paint_rocket_blueprint(img: Image.Image, rng: random.Random) -> None:
    w, h = img.size
    img.paste(vertical_gradient(img.size, "#123a6b", "#0d2b52"))
    d = ImageDraw.Draw(img)
    step = h // 24
    for x in range(0, w, step):
        d.line((x, 0, x, h), fill="#285a8f", width=SUPERSAMPLE)
    for y in range(0, h, step):
        d.line((0, y, w, y), fill="#285a8f", width=SUPERSAMPLE)
    cx, top, half, length = w * 0.5, h * 0.12, h * 0.055, h * 0.76
    line = "#dbe9ff"
    lw = 3 * SUPERSAMPLE
    nose = length * 0.16
    d.line([(cx, top), (cx - half, top + nose), (cx + half, top + nose), (cx, top)], fill=line, width=lw)
    d.rectangle((cx - half, top + nose, cx + half, top + length), outline=line, width=lw)
    for frac in (0.42, 0.7):
        d.line((cx - half, top + length * frac, cx + half, top + length * frac), fill=line, width=lw)
    # dimension lines
    dx = cx + half * 4
    d.line((dx, top, dx, top + length), fill="#ffcf5c", width=lw)
    for y in (top, top + length):
        d.line((dx - 20 * SUPERSAMPLE, y, dx + 20 * SUPERSAMPLE, y), fill="#ffcf5c", width=lw)
    for frac in (0.25, 0.55, 0.85):
        y = top + length * frac
        d.line((cx + half, y, cx + half * 2.6, y - h * 0.04), fill=line, width=SUPERSAMPLE * 2)
        d.ellipse((cx + half * 2.6 - 8, y - h * 0.04 - 8, cx + half * 2.6 + 8, y - h * 0.04 + 8), fill=line)
    d.rectangle((w * 0.06, h * 0.08, w * 0.3, h * 0.26), outline=line, width=lw)
    for i in range(4):
        y = h * 0.11 + i * h * 0.035
        d.line((w * 0.08, y, w * (0.16 + 0.03 * ((i * 7) % 4)), y), fill=line, width=lw)


def paint_rocket_stages(img: Image.Image, rng: random.Random) -> None:
    w, h = img.size
    img.paste(vertical_gradient(img.size, "#eef1f5", "#c9d2de"))
    d = ImageDraw.Draw(img)
    colours = ["#e0533d", "#2f5d8c", "#f2b134"]
    lengths = [0.4, 0.25, 0.14]
    x = w * 0.08
    half = h * 0.09
    for i, (frac, colour) in enumerate(zip(lengths, colours, strict=True)):
        seg = w * frac * 0.9
        y = h * 0.5
        d.rounded_rectangle((x, y - half, x + seg, y + half), radius=half * 0.3, fill=colour)
        d.rectangle(
            (x + seg * 0.1, y - half * 0.15, x + seg * 0.9, y + half * 0.15),
            fill=mix(hex_rgb(colour), (255, 255, 255), 0.35),
        )
        if i == len(lengths) - 1:
            d.polygon([(x + seg, y - half), (x + seg + half * 1.6, y), (x + seg, y + half)], fill=colour)
        x += seg + w * 0.035
    for i in range(3):
        gx = w * 0.12 + i * w * 0.28
        d.line((gx, h * 0.78, gx + w * 0.18, h * 0.78), fill="#7a8799", width=6 * SUPERSAMPLE)


def paint_rocket_stand(img: Image.Image, rng: random.Random) -> None:
    w, h = img.size
    img.paste(vertical_gradient(img.size, "#1d2330", "#3a4354"))
    paste_glow(img, (w * 0.5, h * 0.45), h * 0.55, "#8fa6c9", 0.45)
    d = ImageDraw.Draw(img)
    # display pedestal
    d.polygon(
        [(w * 0.36, h * 0.82), (w * 0.64, h * 0.82), (w * 0.6, h * 0.96), (w * 0.4, h * 0.96)], fill="#c7ccd6"
    )
    d.rectangle((w * 0.34, h * 0.79, w * 0.66, h * 0.82), fill="#e9ecf1")
    draw_rocket(d, w * 0.5, h * 0.1, h * 0.04, h * 0.6, "#f5f5f3", "#2b2f38")
    # light cone lines
    for dx in (-0.2, 0.2):
        d.line((w * 0.5, 0, w * (0.5 + dx), h * 0.8), fill="#5d6a80", width=2 * SUPERSAMPLE)


def knit_background(img: Image.Image, base: str, stitch: str, rows: int) -> None:
    w, h = img.size
    d = ImageDraw.Draw(img)
    d.rectangle((0, 0, w, h), fill=base)
    rh = h / rows
    cw = rh * 0.9
    col = hex_rgb(stitch)
    for r in range(rows + 1):
        y = r * rh
        shade = mix(col, hex_rgb(base), 0.15 * (r % 2))
        x = -cw / 2 if r % 2 else 0
        while x < w + cw:
            d.line((x, y, x + cw / 2, y + rh), fill=shade, width=int(rh * 0.38))
            d.line((x + cw, y, x + cw / 2, y + rh), fill=shade, width=int(rh * 0.38))
            x += cw


def paint_knit(img: Image.Image, rng: random.Random) -> None:
    knit_background(img, "#d9c3a5", "#efe0c9", 22)


def paint_sweater(img: Image.Image, rng: random.Random) -> None:
    w, h = img.size
    img.paste(vertical_gradient(img.size, "#f5efe6", "#e6dccd"))
    knit = Image.new("RGB", img.size)
    knit_background(knit, "#8c2f39", "#b0464f", 40)
    mask = Image.new("L", img.size, 0)
    m = ImageDraw.Draw(mask)
    cx = w / 2
    body = [
        (cx - w * 0.16, h * 0.2),
        (cx - w * 0.05, h * 0.16),
        (cx, h * 0.22),
        (cx + w * 0.05, h * 0.16),
        (cx + w * 0.16, h * 0.2),
        (cx + w * 0.3, h * 0.52),
        (cx + w * 0.24, h * 0.56),
        (cx + w * 0.15, h * 0.38),
        (cx + w * 0.15, h * 0.86),
        (cx - w * 0.15, h * 0.86),
        (cx - w * 0.15, h * 0.38),
        (cx - w * 0.24, h * 0.56),
        (cx - w * 0.3, h * 0.52),
    ]
    m.polygon(body, fill=255)
    img.paste(knit, (0, 0), mask)
    d = ImageDraw.Draw(img)
    d.rectangle((cx - w * 0.15, h * 0.82, cx + w * 0.15, h * 0.86), fill="#6e222b")


def paint_yarn(img: Image.Image, rng: random.Random) -> None:
    w, h = img.size
    img.paste(vertical_gradient(img.size, "#f3ede4", "#ddd2c2"))
    d = ImageDraw.Draw(img)
    palette = ["#c9a27e", "#8c2f39", "#e8dccb", "#5b6b7a", "#b7794f"]
    for i, colour in enumerate(palette):
        cx = w * (0.16 + 0.17 * i)
        cy = h * (0.55 + 0.08 * math.sin(i * 1.7))
        r = h * (0.15 + 0.02 * (i % 2))
        d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=colour)
        dark = mix(hex_rgb(colour), (0, 0, 0), 0.25)
        for k in range(7):
            a0 = rng.uniform(0, 360)
            inset = r * (0.15 + 0.1 * k)
            d.arc(
                (cx - r + inset * 0.4, cy - r + inset, cx + r - inset * 0.4, cy + r - inset),
                a0,
                a0 + 160,
                fill=dark,
                width=4 * SUPERSAMPLE,
            )
        d.line(
            bezier(
                (cx + r * 0.7, cy + r * 0.7),
                (cx + r * 1.4, cy + r * 1.6),
                (cx + r * 2, cy + r * 0.2),
                (cx + r * 2.2, h),
            ),
            fill=colour,
            width=5 * SUPERSAMPLE,
        )


def paint_swatches(img: Image.Image, rng: random.Random) -> None:
    w, h = img.size
    d = ImageDraw.Draw(img)
    d.rectangle((0, 0, w, h), fill="#efe9df")
    colours = ["#e8dccb", "#c9a27e", "#b7794f", "#8c2f39", "#5b6b7a", "#2f3a4a", "#9aa58c", "#d7b9b0"]
    cols, rows = 4, 2
    mx, my = w * 0.07, h * 0.12
    cw, ch = (w - 2 * mx) / cols, (h - 2 * my) / rows
    for i, colour in enumerate(colours):
        x, y = mx + (i % cols) * cw, my + (i // cols) * ch
        tile = Image.new("RGB", (int(cw * 0.86), int(ch * 0.8)))
        knit_background(tile, colour, rgb_hex(mix(hex_rgb(colour), (255, 255, 255), 0.22)), 9)
        img.paste(tile, (int(x), int(y)))


def paint_cockpit(img: Image.Image, rng: random.Random) -> None:
    w, h = img.size
    img.paste(vertical_gradient(img.size, "#11151c", "#252c38"))
    d = ImageDraw.Draw(img)
    d.polygon(
        [(w * 0.1, h * 0.95), (w * 0.3, h * 0.22), (w * 0.7, h * 0.22), (w * 0.9, h * 0.95)], fill="#3a4250"
    )
    d.polygon(
        [(w * 0.14, h * 0.92), (w * 0.32, h * 0.26), (w * 0.68, h * 0.26), (w * 0.86, h * 0.92)],
        fill="#2b313c",
    )
    scr = (w * 0.36, h * 0.3, w * 0.64, h * 0.5)
    screen = vertical_gradient((int(scr[2] - scr[0]), int(scr[3] - scr[1])), "#1f6fb2", "#53c0d8")
    img.paste(screen, (int(scr[0]), int(scr[1])))
    d = ImageDraw.Draw(img)
    d.rectangle(scr, outline="#9fb3c8", width=3 * SUPERSAMPLE)
    for i in range(4):
        y = scr[1] + (i + 1) * (scr[3] - scr[1]) / 5
        d.line(
            (scr[0] + 30, y, scr[0] + (scr[2] - scr[0]) * (0.35 + 0.15 * (i % 3)), y),
            fill="#e2f4ff",
            width=4 * SUPERSAMPLE,
        )
    for i in range(3):
        cx, cy, r = w * (0.4 + 0.1 * i), h * 0.64, h * 0.045
        d.ellipse((cx - r, cy - r, cx + r, cy + r), fill="#151a22", outline="#8da2b8", width=3 * SUPERSAMPLE)
        a = -math.pi / 2 + i * 0.9
        d.line(
            (cx, cy, cx + r * 0.8 * math.cos(a), cy + r * 0.8 * math.sin(a)),
            fill="#53c0d8",
            width=4 * SUPERSAMPLE,
        )
    for i in range(6):
        x = w * (0.34 + 0.055 * i)
        d.rounded_rectangle(
            (x, h * 0.76, x + w * 0.04, h * 0.82),
            radius=8 * SUPERSAMPLE,
            fill="#1b2029",
            outline="#6b7d92",
            width=2 * SUPERSAMPLE,
        )
        if i in (1, 4):
            d.rectangle((x + w * 0.012, h * 0.775, x + w * 0.028, h * 0.782), fill="#ffb347")


def paint_furnace(img: Image.Image, rng: random.Random) -> None:
    w, h = img.size
    img.paste(vertical_gradient(img.size, "#1a1614", "#3b2a22"))
    paste_glow(img, (w * 0.5, h * 0.55), h * 0.45, "#ff7b22", 0.55)
    d = ImageDraw.Draw(img)
    # vessel
    d.polygon(
        [(w * 0.3, h * 0.55), (w * 0.7, h * 0.55), (w * 0.65, h * 0.92), (w * 0.35, h * 0.92)], fill="#4b4f57"
    )
    d.ellipse((w * 0.3, h * 0.5, w * 0.7, h * 0.6), fill="#ff9a3c")
    d.ellipse((w * 0.34, h * 0.52, w * 0.66, h * 0.58), fill="#ffd36b")
    # roof and electrodes
    d.polygon(
        [(w * 0.32, h * 0.48), (w * 0.68, h * 0.48), (w * 0.6, h * 0.4), (w * 0.4, h * 0.4)], fill="#5d636d"
    )
    for i in range(3):
        x = w * (0.44 + 0.06 * i)
        d.rectangle((x - w * 0.012, h * 0.1, x + w * 0.012, h * 0.47), fill="#8b9099")
    d.rectangle((w * 0.38, h * 0.14, w * 0.62, h * 0.18), fill="#6f757f")
    # water-cooled cables hanging to the right
    for i in range(3):
        x0 = w * (0.44 + 0.06 * i)
        pts = bezier(
            (x0, h * 0.16),
            (w * (0.7 + 0.03 * i), h * (0.05 + 0.02 * i)),
            (w * 0.86, h * 0.45),
            (w * 0.95, h * (0.3 + 0.05 * i)),
        )
        d.line(pts, fill="#202226", width=16 * SUPERSAMPLE, joint="curve")
        d.line(pts, fill="#3d7fb5", width=6 * SUPERSAMPLE, joint="curve")


def paint_cable_twist(img: Image.Image, rng: random.Random, fixed: bool = False) -> None:
    w, h = img.size
    d = ImageDraw.Draw(img)
    d.rectangle((0, 0, w, h), fill="#f4f1ea")
    step = h // 20
    for x in range(0, w, step):
        d.line((x, 0, x, h), fill="#e4dfd3", width=SUPERSAMPLE)
    for y in range(0, h, step):
        d.line((0, y, w, y), fill="#e4dfd3", width=SUPERSAMPLE)
    x0, x1 = w * 0.1, w * 0.9
    for k, colour in enumerate(("#2b2d33", "#3d7fb5")):
        pts = []
        for i in range(200):
            t = i / 199
            x = x0 + (x1 - x0) * t
            if fixed:
                y = h * (0.42 + 0.16 * k)
            else:
                y = h * 0.5 + math.sin(t * math.pi * 5 + k * math.pi) * h * 0.12 * math.sin(t * math.pi)
            pts.append((x, y))
        d.line(pts, fill=colour, width=14 * SUPERSAMPLE, joint="curve")
    if fixed:
        for i in range(5):
            x = x0 + (x1 - x0) * (i + 0.5) / 5
            d.rounded_rectangle(
                (x - w * 0.015, h * 0.36, x + w * 0.015, h * 0.64),
                radius=10 * SUPERSAMPLE,
                outline="#d2691e",
                width=6 * SUPERSAMPLE,
            )
    else:
        for i in range(3):
            cx = x0 + (x1 - x0) * (0.3 + 0.2 * i)
            d.arc(
                (cx - h * 0.1, h * 0.22, cx + h * 0.1, h * 0.42),
                200,
                340,
                fill="#d2691e",
                width=6 * SUPERSAMPLE,
            )
            d.polygon(
                [(cx + h * 0.09, h * 0.27), (cx + h * 0.11, h * 0.33), (cx + h * 0.05, h * 0.31)],
                fill="#d2691e",
            )


def paint_cable_fixed(img: Image.Image, rng: random.Random) -> None:
    paint_cable_twist(img, rng, fixed=True)


def paint_coil(img: Image.Image, rng: random.Random) -> None:
    w, h = img.size
    img.paste(vertical_gradient(img.size, "#1b1f27", "#2c3340"))
    d = ImageDraw.Draw(img)
    # shaft with a heat gradient: uneven on the left, even on the right
    y0, y1 = h * 0.42, h * 0.58
    for i in range(int(w * 0.8)):
        x = w * 0.1 + i
        t = i / (w * 0.8)
        heat = 0.5 + 0.5 * math.sin(t * math.pi * 6) if t < 0.5 else 0.85  # uneven | even
        colour = mix(hex_rgb("#6d737d"), hex_rgb("#ff8c2a"), heat)
        d.line((x, y0, x, y1), fill=colour)
    d.line((w * 0.5, h * 0.2, w * 0.5, h * 0.8), fill="#9aa6b8", width=3 * SUPERSAMPLE)
    for k in range(12):
        cx = w * (0.16 + 0.062 * k)
        d.ellipse(
            (cx - w * 0.018, h * 0.32, cx + w * 0.018, h * 0.68), outline="#d08b3e", width=9 * SUPERSAMPLE
        )
    d.rectangle((w * 0.12, h * 0.74, w * 0.88, h * 0.79), fill="#b87333")


def paint_coil_sim(img: Image.Image, rng: random.Random) -> None:
    w, h = img.size
    d = ImageDraw.Draw(img)
    d.rectangle((0, 0, w, h), fill="#0f1720")
    ramp = ["#1d3f8f", "#2b83ba", "#abdda4", "#fdae61", "#d7191c"]
    cols = 48
    cw = w * 0.8 / cols
    for row in range(2):
        for c in range(cols):
            t = c / cols
            v = (0.5 + 0.45 * math.sin(t * math.pi * 6)) if row == 0 else 0.72 + 0.04 * math.sin(t * 20)
            idx = min(len(ramp) - 2, int(v * (len(ramp) - 1)))
            colour = mix(hex_rgb(ramp[idx]), hex_rgb(ramp[idx + 1]), v * (len(ramp) - 1) - idx)
            y = h * (0.18 + 0.4 * row)
            d.rectangle((w * 0.1 + c * cw, y, w * 0.1 + (c + 1) * cw, y + h * 0.25), fill=colour)
    for i, colour in enumerate(ramp):
        d.rectangle((w * (0.1 + 0.08 * i), h * 0.9, w * (0.18 + 0.08 * i), h * 0.94), fill=colour)


def paint_manual(img: Image.Image, rng: random.Random) -> None:
    """A book with a coil diagram on its cover, on a transparent background (RGBA)."""
    w, h = img.size
    d = ImageDraw.Draw(img)
    shadow = Image.new("RGBA", img.size, (0, 0, 0, 0))
    ImageDraw.Draw(shadow).rounded_rectangle(
        (w * 0.33, h * 0.12, w * 0.71, h * 0.93), radius=30, fill=(0, 0, 0, 90)
    )
    img.alpha_composite(shadow.filter(ImageFilter.GaussianBlur(20 * SUPERSAMPLE)))
    d = ImageDraw.Draw(img)
    d.rounded_rectangle((w * 0.3, h * 0.08, w * 0.68, h * 0.9), radius=20 * SUPERSAMPLE, fill="#1f4e79")
    d.rectangle((w * 0.3, h * 0.08, w * 0.34, h * 0.9), fill="#173b5c")
    d.rectangle((w * 0.38, h * 0.16, w * 0.64, h * 0.2), fill="#f2c14e")
    for i in range(2):
        d.rectangle(
            (w * 0.38, h * (0.24 + 0.04 * i), w * (0.6 - 0.08 * i), h * (0.26 + 0.04 * i)), fill="#c9d8e8"
        )
    for k in range(6):
        cx = w * (0.41 + 0.04 * k)
        d.ellipse(
            (cx - w * 0.014, h * 0.48, cx + w * 0.014, h * 0.7), outline="#f2994a", width=6 * SUPERSAMPLE
        )
    d.line((w * 0.37, h * 0.59, w * 0.65, h * 0.59), fill="#e0e6ee", width=10 * SUPERSAMPLE)


def paint_gears(img: Image.Image, rng: random.Random) -> None:
    w, h = img.size
    img.paste(vertical_gradient(img.size, "#e7ebf0", "#c3cbd6"))
    d = ImageDraw.Draw(img)
    specs = [
        (0.36, 0.5, 0.3, 24, "#44546a"),
        (0.66, 0.36, 0.18, 14, "#c0504d"),
        (0.7, 0.74, 0.14, 11, "#7f8c9d"),
    ]
    for fx, fy, fr, teeth, colour in specs:
        cx, cy, r = w * fx, h * fy, h * fr
        d.polygon(gear_points(cx, cy, r, teeth, rng.uniform(0, 1)), fill=colour)
        d.ellipse(
            (cx - r * 0.55, cy - r * 0.55, cx + r * 0.55, cy + r * 0.55),
            fill=mix(hex_rgb(colour), (255, 255, 255), 0.25),
        )
        d.ellipse((cx - r * 0.16, cy - r * 0.16, cx + r * 0.16, cy + r * 0.16), fill="#e7ebf0")
    for i in range(5):  # "quieter" sound waves
        r = h * (0.08 + 0.05 * i)
        d.arc(
            (w * 0.9 - r, h * 0.15 - r, w * 0.9 + r, h * 0.15 + r),
            120,
            200,
            fill="#8ea0b5",
            width=(5 - i) * SUPERSAMPLE + 2,
        )


def embroidery_flower(
    d: ImageDraw.ImageDraw, cx: float, cy: float, r: float, petals: int, colours: list[str], angle0: float
) -> None:
    for layer, colour in enumerate(colours):
        rr = r * (1 - 0.28 * layer)
        for i in range(petals):
            a = angle0 + 2 * math.pi * i / petals + layer * 0.3
            pts = rotated_points(
                [(x + rr * 0.55, y) for x, y in ellipse_points(rr * 0.5, rr * 0.2, 32)], a, cx, cy
            )
            d.polygon(pts, fill=colour)
            # satin-stitch lines across the petal
            for k in range(6):
                t = (k + 1) / 7
                px, py = cx + math.cos(a) * rr * (0.1 + 0.9 * t), cy + math.sin(a) * rr * (0.1 + 0.9 * t)
                nx, ny = -math.sin(a), math.cos(a)
                span = rr * 0.18 * math.sin(t * math.pi)
                d.line(
                    (px - nx * span, py - ny * span, px + nx * span, py + ny * span),
                    fill=mix(hex_rgb(colour), (255, 255, 255), 0.3),
                    width=2 * SUPERSAMPLE,
                )
    d.ellipse((cx - r * 0.14, cy - r * 0.14, cx + r * 0.14, cy + r * 0.14), fill="#f2c14e")


def paint_embroidery(
    img: Image.Image,
    rng: random.Random,
    palette: tuple[str, ...] = ("#c0392b", "#e57373", "#f8bbd0"),
    ground: str = "#f4ecdc",
) -> None:
    w, h = img.size
    d = ImageDraw.Draw(img)
    d.rectangle((0, 0, w, h), fill=ground)
    for _ in range(5):
        cx, cy = rng.uniform(w * 0.12, w * 0.88), rng.uniform(h * 0.15, h * 0.85)
        stem = bezier(
            (cx, cy),
            (cx + rng.uniform(-200, 200), cy + h * 0.2),
            (cx + rng.uniform(-300, 300), cy + h * 0.3),
            (cx + rng.uniform(-300, 300), h),
        )
        d.line(stem, fill="#5b8c5a", width=5 * SUPERSAMPLE)
    for _ in range(5):
        cx, cy = rng.uniform(w * 0.12, w * 0.88), rng.uniform(h * 0.15, h * 0.8)
        embroidery_flower(
            d,
            cx,
            cy,
            h * rng.uniform(0.1, 0.17),
            rng.choice([5, 6, 8]),
            list(palette),
            rng.uniform(0, math.pi),
        )


def paint_embroidery_blue(img: Image.Image, rng: random.Random) -> None:
    paint_embroidery(img, rng, ("#1f5f8b", "#5fa8d3", "#cae9ff"), "#f6f1e7")


def paint_embroidery_hoop(img: Image.Image, rng: random.Random) -> None:
    w, h = img.size
    img.paste(vertical_gradient(img.size, "#d8c8ae", "#b89f7e"))
    d = ImageDraw.Draw(img)
    cx, cy, r = w / 2, h / 2, h * 0.4
    d.ellipse((cx - r, cy - r, cx + r, cy + r), fill="#faf5ea")
    embroidery_flower(d, cx, cy, r * 0.55, 8, ["#8e44ad", "#c39bd3", "#f5eef8"], 0.2)
    d.ellipse((cx - r, cy - r, cx + r, cy + r), outline="#a0703c", width=22 * SUPERSAMPLE)
    d.rectangle((cx - w * 0.02, cy - r - h * 0.06, cx + w * 0.02, cy - r + 6), fill="#a0703c")


def paint_fish(img: Image.Image, rng: random.Random) -> None:
    w, h = img.size
    d = ImageDraw.Draw(img)
    d.rectangle((0, 0, w, h), fill="#eef3f1")
    for i in range(14):
        y = h * (0.1 + 0.065 * i)
        pts = [(x, y + math.sin(x / w * 8 + i) * h * 0.012) for x in range(0, w, 8)]
        d.line(pts, fill="#cfe0dc", width=3 * SUPERSAMPLE)
    for fx, fy, colour, flip in [(0.38, 0.42, "#e8743b", 1), (0.64, 0.62, "#f2b134", -1)]:
        cx, cy = w * fx, h * fy
        body = rotated_points(ellipse_points(h * 0.2, h * 0.085), -0.25 * flip, cx, cy)
        tail_x = cx - flip * h * 0.2
        d.polygon(
            [
                (tail_x, cy),
                (tail_x - flip * h * 0.12, cy - h * 0.08),
                (tail_x - flip * h * 0.1, cy + h * 0.09),
            ],
            fill=colour,
        )
        d.polygon(body, fill=colour)
        for s in range(9):  # scale stitches
            sx = cx - flip * h * 0.1 + flip * s * h * 0.025
            d.arc(
                (sx - h * 0.03, cy - h * 0.04, sx + h * 0.03, cy + h * 0.04),
                60 if flip > 0 else 240,
                300 if flip > 0 else 120,
                fill=mix(hex_rgb(colour), (255, 255, 255), 0.4),
                width=3 * SUPERSAMPLE,
            )
        ex = cx + flip * h * 0.12
        d.ellipse(
            (
                ex - 10 * SUPERSAMPLE,
                cy - h * 0.03 - 10 * SUPERSAMPLE,
                ex + 10 * SUPERSAMPLE,
                cy - h * 0.03 + 10 * SUPERSAMPLE,
            ),
            fill="#2b2b2b",
        )


def paint_stitch_sampler(img: Image.Image, rng: random.Random) -> None:
    w, h = img.size
    d = ImageDraw.Draw(img)
    d.rectangle((0, 0, w, h), fill="#f7f0e1")
    colours = ["#c0392b", "#1f5f8b", "#5b8c5a", "#8e44ad", "#d4a017", "#2c3e50"]
    cols = 3
    for i in range(6):
        x0 = w * 0.06 + (i % cols) * w * 0.31
        y0 = h * 0.08 + (i // cols) * h * 0.45
        cw, ch = w * 0.26, h * 0.38
        d.rectangle((x0, y0, x0 + cw, y0 + ch), outline="#cbb994", width=3 * SUPERSAMPLE)
        c = colours[i]
        for k in range(26):
            t = k / 25
            if i % 3 == 0:  # satin: parallel diagonals
                d.line(
                    (x0 + cw * t, y0 + ch * 0.1, x0 + cw * t * 0.8 + cw * 0.1, y0 + ch * 0.9),
                    fill=c,
                    width=3 * SUPERSAMPLE,
                )
            elif i % 3 == 1:  # chain-like loops
                if k < 12:
                    yy = y0 + ch * (0.1 + 0.07 * k)
                    d.ellipse(
                        (x0 + cw * 0.35, yy, x0 + cw * 0.65, yy + ch * 0.1), outline=c, width=3 * SUPERSAMPLE
                    )
            else:  # radiating
                a = t * math.pi * 2
                cx, cy = x0 + cw / 2, y0 + ch / 2
                d.line(
                    (cx, cy, cx + math.cos(a) * cw * 0.4, cy + math.sin(a) * ch * 0.4),
                    fill=c,
                    width=3 * SUPERSAMPLE,
                )


def paint_kesi(img: Image.Image, rng: random.Random) -> None:
    """A meander (回纹) pattern in silk colours, woven-looking with fine horizontal lines."""
    w, h = img.size
    d = ImageDraw.Draw(img)
    d.rectangle((0, 0, w, h), fill="#7a1f2b")
    u = h / 12
    gold = "#e2b659"
    lw = int(u * 0.22)
    for gy in range(-1, 7):
        for gx in range(-1, int(w / (2 * u)) + 2):
            x, y = gx * 2 * u, gy * 2 * u
            path = [
                (x, y + 2 * u),
                (x, y),
                (x + 2 * u, y),
                (x + 2 * u, y + 1.5 * u),
                (x + 0.5 * u, y + 1.5 * u),
                (x + 0.5 * u, y + 0.5 * u),
                (x + 1.5 * u, y + 0.5 * u),
                (x + 1.5 * u, y + u),
            ]
            d.line(path, fill=gold, width=lw, joint="curve")


def paint_pcb(img: Image.Image, rng: random.Random) -> None:
    w, h = img.size
    d = ImageDraw.Draw(img)
    d.rectangle((0, 0, w, h), fill="#0f5132")
    for _ in range(70):
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        pts = [(x, y)]
        for _ in range(3):
            if rng.random() < 0.5:
                x += rng.uniform(-w * 0.2, w * 0.2)
            else:
                y += rng.uniform(-h * 0.2, h * 0.2)
            pts.append((x, y))
        d.line(pts, fill="#c9a227", width=4 * SUPERSAMPLE)
        d.ellipse(
            (x - 9 * SUPERSAMPLE, y - 9 * SUPERSAMPLE, x + 9 * SUPERSAMPLE, y + 9 * SUPERSAMPLE),
            fill="#e8d27a",
        )
    for _ in range(9):
        cw, ch = rng.uniform(w * 0.06, w * 0.16), rng.uniform(h * 0.08, h * 0.2)
        x, y = rng.uniform(0, w - cw), rng.uniform(0, h - ch)
        d.rectangle((x, y, x + cw, y + ch), fill="#1c1c1c")
        for k in range(int(cw // (14 * SUPERSAMPLE))):
            px = x + 7 * SUPERSAMPLE + k * 14 * SUPERSAMPLE
            d.rectangle((px, y - 10 * SUPERSAMPLE, px + 6 * SUPERSAMPLE, y), fill="#d9d9d9")
            d.rectangle((px, y + ch, px + 6 * SUPERSAMPLE, y + ch + 10 * SUPERSAMPLE), fill="#d9d9d9")


def paint_loom(img: Image.Image, rng: random.Random) -> None:
    w, h = img.size
    img.paste(vertical_gradient(img.size, "#f5f0e6", "#e1d6c3"))
    d = ImageDraw.Draw(img)
    for i in range(60):
        x = w * (0.1 + 0.8 * i / 59)
        if i == 37:
            d.line((x, h * 0.1, x, h * 0.45), fill="#b0464f", width=4 * SUPERSAMPLE)
            d.line((x, h * 0.55, x + 30, h * 0.62), fill="#b0464f", width=4 * SUPERSAMPLE)
            cx, cy = x, h * 0.5
            d.ellipse(
                (cx - h * 0.09, cy - h * 0.09, cx + h * 0.09, cy + h * 0.09),
                outline="#d62828",
                width=6 * SUPERSAMPLE,
            )
        else:
            d.line((x, h * 0.1, x, h * 0.9), fill="#8a7f70", width=3 * SUPERSAMPLE)
    d.rectangle((w * 0.08, h * 0.66, w * 0.92, h * 0.72), fill="#6b4f3a")
    d.rounded_rectangle((w * 0.4, h * 0.76, w * 0.6, h * 0.84), radius=20 * SUPERSAMPLE, fill="#324a5f")
    d.ellipse((w * 0.57, h * 0.78, w * 0.59, h * 0.81), fill="#7bd389")


def paint_welding(img: Image.Image, rng: random.Random) -> None:
    w, h = img.size
    img.paste(vertical_gradient(img.size, "#1e2a38", "#45586e"))
    d = ImageDraw.Draw(img)
    # big tubular node of an offshore structure
    d.polygon(
        [(w * 0.05, h * 0.7), (w * 0.55, h * 0.45), (w * 0.6, h * 0.55), (w * 0.1, h * 0.8)], fill="#8d99a6"
    )
    d.polygon(
        [(w * 0.5, h * 0.1), (w * 0.62, h * 0.1), (w * 0.66, h * 0.6), (w * 0.54, h * 0.6)], fill="#a7b2bd"
    )
    d.polygon(
        [(w * 0.62, h * 0.52), (w * 0.98, h * 0.78), (w * 0.94, h * 0.88), (w * 0.6, h * 0.62)],
        fill="#7b8794",
    )
    # fixture: yellow clamps and a frame
    d.rectangle((w * 0.04, h * 0.88, w * 0.96, h * 0.93), fill="#f2b134")
    for fx in (0.15, 0.35, 0.75, 0.9):
        d.rectangle((w * fx - 20 * SUPERSAMPLE, h * 0.7, w * fx + 20 * SUPERSAMPLE, h * 0.88), fill="#f2b134")
    paste_glow(img, (w * 0.58, h * 0.55), h * 0.18, "#fff2c2", 0.95)
    d = ImageDraw.Draw(img)
    for _ in range(40):
        a = rng.uniform(0, math.pi * 2)
        r = rng.uniform(h * 0.05, h * 0.22)
        d.line(
            (w * 0.58, h * 0.55, w * 0.58 + math.cos(a) * r, h * 0.55 + math.sin(a) * r),
            fill="#ffd27a",
            width=2 * SUPERSAMPLE,
        )


def paint_cfrp(img: Image.Image, rng: random.Random) -> None:
    w, h = img.size
    d = ImageDraw.Draw(img)
    u = h // 16
    for gy in range(0, h // u + 1):
        for gx in range(0, w // u + 1):
            x, y = gx * u, gy * u
            if (gx + gy) % 2:
                top, bottom = "#3a3d42", "#1b1d20"
                tile = vertical_gradient((u, u), top, bottom)
            else:
                tile = vertical_gradient((u, u), "#2a2c30", "#45484e").rotate(90)
            img.paste(tile, (x, y))
    d = ImageDraw.Draw(img)
    cx, cy, r = w * 0.62, h * 0.48, h * 0.22
    d.ellipse((cx - r, cy - r, cx + r, cy + r), outline="#f2b134", width=8 * SUPERSAMPLE)
    d.ellipse((cx - r * 0.8, cy - r * 0.8, cx + r * 0.8, cy + r * 0.8), fill="#5c6068")
    d.line((cx - r * 0.5, cy, cx + r * 0.5, cy), fill="#f2b134", width=5 * SUPERSAMPLE)
    d.line((cx, cy - r * 0.5, cx, cy + r * 0.5), fill="#f2b134", width=5 * SUPERSAMPLE)


def paint_harness(img: Image.Image, rng: random.Random) -> None:
    w, h = img.size
    img.paste(vertical_gradient(img.size, "#eceff3", "#cfd6df"))
    d = ImageDraw.Draw(img)
    d.rounded_rectangle((w * 0.05, h * 0.1, w * 0.95, h * 0.9), radius=30 * SUPERSAMPLE, fill="#2f3a4a")
    colours = ["#e63946", "#f1faee", "#a8dadc", "#457b9d", "#f4a261", "#2a9d8f", "#e9c46a"]
    for i, c in enumerate(colours):
        y0, y1 = h * (0.3 + 0.06 * i), h * (0.25 + 0.08 * i)
        d.line(
            bezier((w * 0.18, y0), (w * 0.4, y0 - h * 0.15), (w * 0.6, y1 + h * 0.2), (w * 0.82, y1)),
            fill=c,
            width=9 * SUPERSAMPLE,
        )
    d.rounded_rectangle((w * 0.1, h * 0.22, w * 0.2, h * 0.78), radius=12 * SUPERSAMPLE, fill="#d9d9d9")
    d.rounded_rectangle((w * 0.8, h * 0.18, w * 0.9, h * 0.84), radius=12 * SUPERSAMPLE, fill="#d9d9d9")
    for i in range(7):
        d.ellipse(
            (w * 0.86 - 12, h * (0.25 + 0.08 * i) - 12, w * 0.86 + 12, h * (0.25 + 0.08 * i) + 12),
            fill="#7bd389",
        )


def paint_vials(img: Image.Image, rng: random.Random) -> None:
    w, h = img.size
    img.paste(vertical_gradient(img.size, "#f2f7fb", "#d6e4ef"))
    d = ImageDraw.Draw(img)
    d.rectangle((0, h * 0.7, w, h * 0.76), fill="#8fa3b5")
    for i in range(9):
        x = w * (0.06 + 0.105 * i)
        d.rounded_rectangle(
            (x, h * 0.4, x + w * 0.06, h * 0.7),
            radius=14 * SUPERSAMPLE,
            fill="#ffffff",
            outline="#9db4c8",
            width=3 * SUPERSAMPLE,
        )
        d.rectangle((x + w * 0.008, h * 0.55, x + w * 0.052, h * 0.69), fill="#bfe3f5")
        d.rectangle((x + w * 0.01, h * 0.34, x + w * 0.05, h * 0.4), fill="#4f7cac")
    d.rectangle((w * 0.3, h * 0.08, w * 0.7, h * 0.22), fill="#c8d6e2")
    for k in range(4):
        x = w * (0.36 + 0.09 * k)
        d.polygon([(x, h * 0.22), (x + w * 0.03, h * 0.22), (x + w * 0.015, h * 0.3)], fill="#8fa3b5")


# ---- zone covers: abstract Suzhou scenes


def water(d: ImageDraw.ImageDraw, w: int, h: int, y0: float, colour: str, rows: int = 10) -> None:
    for i in range(rows):
        y = y0 + i * (h - y0) / rows
        pts = [(x, y + math.sin(x / w * 12 + i) * h * 0.006) for x in range(0, w + 8, 8)]
        d.line(pts, fill=colour, width=3 * SUPERSAMPLE)


def paint_zone_port(img: Image.Image, rng: random.Random) -> None:
    w, h = img.size
    img.paste(vertical_gradient(img.size, "#9fc5e8", "#f6e7cf"))
    d = ImageDraw.Draw(img)
    d.rectangle((0, h * 0.68, w, h), fill="#3f6e8c")
    water(d, w, h, h * 0.7, "#5f8fab")
    for i in range(4):  # gantry cranes
        x = w * (0.12 + 0.2 * i)
        d.line((x, h * 0.68, x, h * 0.25), fill="#c0392b", width=10 * SUPERSAMPLE)
        d.line((x + w * 0.06, h * 0.68, x + w * 0.06, h * 0.25), fill="#c0392b", width=10 * SUPERSAMPLE)
        d.line((x - w * 0.05, h * 0.28, x + w * 0.12, h * 0.28), fill="#c0392b", width=12 * SUPERSAMPLE)
    for i in range(6):
        colour = ["#2f5d8c", "#e0533d", "#f2b134"][i % 3]
        d.rectangle((w * (0.08 + 0.14 * i), h * 0.6, w * (0.19 + 0.14 * i), h * 0.68), fill=colour)


def paint_zone_hills(img: Image.Image, rng: random.Random) -> None:
    w, h = img.size
    img.paste(vertical_gradient(img.size, "#f3efe4", "#dfe8e1"))
    d = ImageDraw.Draw(img)
    for k, colour in enumerate(("#a9c1b3", "#7fa393", "#587f70")):
        pts = [(0, h)]
        for x in range(0, w + 20, 20):
            pts.append(
                (x, h * (0.45 + 0.12 * k) - h * 0.12 * math.sin(x / w * math.pi * (1.2 + k * 0.4) + k))
            )
        pts.append((w, h))
        d.polygon(pts, fill=colour)
    d.ellipse((w * 0.75, h * 0.1, w * 0.83, h * 0.1 + w * 0.08), fill="#e9a86a")


def paint_zone_garden(img: Image.Image, rng: random.Random) -> None:
    """A moon gate in a white wall, dark tiles on top — the 姑苏 garden look."""
    w, h = img.size
    img.paste(vertical_gradient(img.size, "#dfe9ef", "#f4f1ea"))
    d = ImageDraw.Draw(img)
    d.rectangle((0, h * 0.22, w, h * 0.95), fill="#f7f6f2")
    d.polygon(
        [(-w * 0.02, h * 0.24), (w * 1.02, h * 0.24), (w * 0.98, h * 0.16), (w * 0.02, h * 0.16)],
        fill="#3c4148",
    )
    for x in range(0, w, 30 * SUPERSAMPLE):
        d.line((x, h * 0.16, x, h * 0.24), fill="#2a2e33", width=2 * SUPERSAMPLE)
    cx, cy, r = w * 0.5, h * 0.58, h * 0.3
    inner = vertical_gradient((int(2 * r), int(2 * r)), "#b9d6c4", "#6f9d86")
    mask = Image.new("L", inner.size, 0)
    ImageDraw.Draw(mask).ellipse((0, 0, inner.size[0], inner.size[1]), fill=255)
    img.paste(inner, (int(cx - r), int(cy - r)), mask)
    d = ImageDraw.Draw(img)
    d.ellipse((cx - r, cy - r, cx + r, cy + r), outline="#8a8f96", width=10 * SUPERSAMPLE)
    d.line(
        bezier(
            (cx - r * 0.6, cy + r * 0.5),
            (cx - r * 0.2, cy - r * 0.6),
            (cx + r * 0.1, cy - r * 0.2),
            (cx + r * 0.5, cy - r * 0.7),
        ),
        fill="#3d5a47",
        width=6 * SUPERSAMPLE,
    )
    d.rectangle((0, h * 0.95, w, h), fill="#9aa3ad")


def paint_zone_skyline(img: Image.Image, rng: random.Random) -> None:
    w, h = img.size
    img.paste(vertical_gradient(img.size, "#213a5c", "#7aa6c2"))
    d = ImageDraw.Draw(img)
    x = 0.0
    while x < w:
        bw = rng.uniform(w * 0.04, w * 0.09)
        bh = rng.uniform(h * 0.2, h * 0.6)
        d.rectangle((x, h * 0.85 - bh, x + bw, h * 0.85), fill="#1b2b40")
        for wy in range(int(h * 0.85 - bh + 20), int(h * 0.85 - 10), 26 * SUPERSAMPLE):
            for wx in range(int(x + 10), int(x + bw - 10), 22 * SUPERSAMPLE):
                if rng.random() < 0.35:
                    d.rectangle((wx, wy, wx + 8 * SUPERSAMPLE, wy + 10 * SUPERSAMPLE), fill="#f6d67a")
        x += bw + rng.uniform(4, 20)
    d.rectangle((0, h * 0.85, w, h), fill="#2f4f6b")
    water(d, w, h, h * 0.86, "#4b7190", 6)


def paint_zone_silk(img: Image.Image, rng: random.Random) -> None:
    w, h = img.size
    img.paste(vertical_gradient(img.size, "#f8efe7", "#f0dccd"))
    d = ImageDraw.Draw(img)
    colours = ["#d98695", "#c05c7e", "#8c2f5a", "#f0b8a8"]
    for k in range(18):
        colour = colours[k % len(colours)]
        y0 = h * (0.15 + 0.04 * k)
        pts = [(x, y0 + math.sin(x / w * math.pi * 2 + k * 0.3) * h * 0.12) for x in range(0, w + 10, 10)]
        d.line(pts, fill=colour, width=(10 + (k % 3) * 6) * SUPERSAMPLE)


def paint_zone_marine(img: Image.Image, rng: random.Random) -> None:
    w, h = img.size
    img.paste(vertical_gradient(img.size, "#bcd4e6", "#e9f1f7"))
    d = ImageDraw.Draw(img)
    d.rectangle((0, h * 0.62, w, h), fill="#2c5d7c")
    water(d, w, h, h * 0.64, "#4d81a3")
    # an offshore platform
    px = w * 0.58
    for lx in (-0.1, -0.03, 0.04, 0.11):
        d.line((px + w * lx, h * 0.45, px + w * lx * 1.3, h * 0.92), fill="#e0533d", width=12 * SUPERSAMPLE)
    d.rectangle((px - w * 0.16, h * 0.38, px + w * 0.16, h * 0.46), fill="#f2b134")
    d.rectangle((px - w * 0.1, h * 0.26, px + w * 0.02, h * 0.38), fill="#dfe6ec")
    d.line((px + w * 0.08, h * 0.38, px + w * 0.08, h * 0.08), fill="#55606b", width=10 * SUPERSAMPLE)
    d.line((px + w * 0.08, h * 0.1, px - w * 0.08, h * 0.22), fill="#55606b", width=6 * SUPERSAMPLE)
    # a ship
    d.polygon(
        [(w * 0.06, h * 0.62), (w * 0.3, h * 0.62), (w * 0.27, h * 0.7), (w * 0.09, h * 0.7)], fill="#24313d"
    )
    d.rectangle((w * 0.12, h * 0.55, w * 0.2, h * 0.62), fill="#f7f7f7")


def paint_network(img: Image.Image, rng: random.Random) -> None:
    """1 + 10 + N: one centre, a ring of ten, many outer dots — the programme's team structure."""
    w, h = img.size
    img.paste(vertical_gradient(img.size, "#0e2a47", "#163d63"))
    d = ImageDraw.Draw(img)
    cx, cy = w / 2, h / 2
    ring = [
        (cx + h * 0.25 * math.cos(2 * math.pi * i / 10), cy + h * 0.25 * math.sin(2 * math.pi * i / 10))
        for i in range(10)
    ]
    outer = []
    for i, (x, y) in enumerate(ring):
        for k in range(4):
            a = 2 * math.pi * i / 10 + (k - 1.5) * 0.12
            rr = h * rng.uniform(0.36, 0.46)
            outer.append((cx + rr * math.cos(a) * 1.5, cy + rr * math.sin(a), x, y))
    for ox, oy, x, y in outer:
        d.line((x, y, ox, oy), fill="#3a6e99", width=2 * SUPERSAMPLE)
    for x, y in ring:
        d.line((cx, cy, x, y), fill="#6fa8d6", width=4 * SUPERSAMPLE)
    for ox, oy, _, _ in outer:
        r = 9 * SUPERSAMPLE
        d.ellipse((ox - r, oy - r, ox + r, oy + r), fill="#9cc9ea")
    for x, y in ring:
        r = 20 * SUPERSAMPLE
        d.ellipse((x - r, y - r, x + r, y + r), fill="#f2b134")
    r = 40 * SUPERSAMPLE
    d.ellipse((cx - r, cy - r, cx + r, cy + r), fill="#e0533d")


# ---- activities


def person(
    d: ImageDraw.ImageDraw, x: float, y: float, s: float, colour: str, helmet: str | None = None
) -> None:
    d.ellipse((x - s * 0.5, y + s * 0.55, x + s * 0.5, y + s * 1.6), fill=colour)
    d.ellipse((x - s * 0.28, y, x + s * 0.28, y + s * 0.56), fill="#f1c9a5")
    if helmet:
        d.pieslice((x - s * 0.32, y - s * 0.06, x + s * 0.32, y + s * 0.5), 180, 360, fill=helmet)


def paint_workshop(img: Image.Image, rng: random.Random) -> None:
    w, h = img.size
    img.paste(vertical_gradient(img.size, "#f7f4ee", "#e4ddd0"))
    d = ImageDraw.Draw(img)
    d.rectangle((w * 0.1, h * 0.12, w * 0.9, h * 0.38), fill="#2f5d8c")
    for i in range(3):
        d.rectangle((w * (0.14 + 0.25 * i), h * 0.16, w * (0.34 + 0.25 * i), h * 0.34), fill="#e9eef5")
    for t in range(3):
        tx = w * (0.2 + 0.3 * t)
        d.rounded_rectangle(
            (tx - w * 0.1, h * 0.66, tx + w * 0.1, h * 0.74), radius=10 * SUPERSAMPLE, fill="#8b6b4a"
        )
        gear = gear_points(tx, h * 0.62, h * 0.05, 10, t)
        d.polygon(gear, fill="#7f8c9d")
        for k, dx in enumerate((-0.08, 0.0, 0.08)):
            colour = ["#e0533d", "#2a9d8f", "#457b9d", "#f4a261"][(t + k) % 4]
            person(d, tx + w * dx, h * 0.42, h * 0.12, colour, "#f2b134" if k == 1 else None)


def paint_exhibition_hall(img: Image.Image, rng: random.Random) -> None:
    w, h = img.size
    img.paste(vertical_gradient(img.size, "#e9edf2", "#cfd6de"))
    d = ImageDraw.Draw(img)
    d.polygon([(0, h), (w * 0.3, h * 0.62), (w * 0.7, h * 0.62), (w, h)], fill="#b8c1cc")
    for i in range(5):
        x = w * (0.04 + 0.2 * i)
        colour = ["#c0392b", "#2f5d8c", "#f2b134", "#2a9d8f", "#8c2f39"][i]
        d.rectangle(
            (x, h * 0.18, x + w * 0.15, h * 0.58), fill="#ffffff", outline="#9aa6b2", width=3 * SUPERSAMPLE
        )
        d.rectangle((x + w * 0.015, h * 0.22, x + w * 0.135, h * 0.38), fill=colour)
        for k in range(3):
            d.line(
                (x + w * 0.015, h * (0.42 + 0.04 * k), x + w * (0.1 + 0.01 * k), h * (0.42 + 0.04 * k)),
                fill="#7d8894",
                width=4 * SUPERSAMPLE,
            )
    for _ in range(10):
        person(
            d,
            rng.uniform(w * 0.1, w * 0.9),
            rng.uniform(h * 0.62, h * 0.72),
            h * 0.1,
            rng.choice(["#457b9d", "#e0533d", "#2a9d8f", "#6d597a"]),
        )


def paint_roundtable(img: Image.Image, rng: random.Random) -> None:
    w, h = img.size
    img.paste(vertical_gradient(img.size, "#f3ece0", "#e2d5bf"))
    d = ImageDraw.Draw(img)
    cx, cy = w / 2, h / 2
    seats = 10
    for i in range(seats):
        a = 2 * math.pi * i / seats
        x, y = cx + h * 0.36 * math.cos(a), cy + h * 0.36 * math.sin(a)
        d.ellipse(
            (x - h * 0.06, y - h * 0.06, x + h * 0.06, y + h * 0.06), fill=["#2f5d8c", "#c0392b"][i % 2]
        )
        d.ellipse((x - h * 0.03, y - h * 0.03, x + h * 0.03, y + h * 0.03), fill="#f1c9a5")
    d.ellipse((cx - h * 0.26, cy - h * 0.26, cx + h * 0.26, cy + h * 0.26), fill="#8b6b4a")
    d.ellipse((cx - h * 0.22, cy - h * 0.22, cx + h * 0.22, cy + h * 0.22), fill="#a07c57")
    for i in range(seats):
        a = 2 * math.pi * i / seats
        x, y = cx + h * 0.19 * math.cos(a), cy + h * 0.19 * math.sin(a)
        d.rectangle((x - h * 0.02, y - h * 0.015, x + h * 0.02, y + h * 0.015), fill="#f7f7f2")


def paint_matching(img: Image.Image, rng: random.Random) -> None:
    w, h = img.size
    img.paste(vertical_gradient(img.size, "#eef4f8", "#d3e2ec"))
    d = ImageDraw.Draw(img)
    left = [(w * 0.2, h * (0.15 + 0.14 * i)) for i in range(6)]
    right = [(w * 0.8, h * (0.2 + 0.15 * i)) for i in range(5)]
    for i, (x, y) in enumerate(left):
        rx, ry = right[(i * 3) % len(right)]
        d.line(bezier((x, y), (w * 0.45, y), (w * 0.55, ry), (rx, ry)), fill="#7fa7c6", width=4 * SUPERSAMPLE)
    for x, y in left:
        d.rounded_rectangle(
            (x - w * 0.09, y - h * 0.04, x + w * 0.09, y + h * 0.04), radius=14 * SUPERSAMPLE, fill="#2f5d8c"
        )
        d.polygon(gear_points(x - w * 0.06, y, h * 0.025, 8), fill="#f2b134")
    for x, y in right:
        person(d, x - w * 0.05, y - h * 0.05, h * 0.07, "#c0392b", "#f2b134")
        d.rounded_rectangle(
            (x - w * 0.01, y - h * 0.03, x + w * 0.1, y + h * 0.03),
            radius=10 * SUPERSAMPLE,
            fill="#ffffff",
            outline="#c0392b",
            width=3 * SUPERSAMPLE,
        )


def paint_route(img: Image.Image, rng: random.Random, stops: int = 2) -> None:
    """An abstract route between dots (not a map): a trip from Suzhou to a plant far away."""
    w, h = img.size
    img.paste(vertical_gradient(img.size, "#f4efe6", "#e7dfd1"))
    d = ImageDraw.Draw(img)
    for _ in range(30):
        x, y, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(h * 0.05, h * 0.2)
        d.ellipse((x - r * 1.6, y - r, x + r * 1.6, y + r), fill="#ece4d6")
    if stops == 2:
        pts = [(w * 0.82, h * 0.4), (w * 0.18, h * 0.62)]
    else:
        pts = [(w * 0.75, h * 0.55), (w * 0.86, h * 0.42), (w * 0.5, h * 0.3)]
    for (x0, y0), (x1, y1) in zip(pts, pts[1:] + ([pts[0]] if stops > 2 else []), strict=False):
        mid = ((x0 + x1) / 2, min(y0, y1) - h * 0.2)
        curve = bezier((x0, y0), mid, mid, (x1, y1), 80)
        for i in range(0, len(curve) - 1, 2):
            d.line((curve[i], curve[i + 1]), fill="#c0392b", width=5 * SUPERSAMPLE)
    for i, (x, y) in enumerate(pts):
        r = (26 if i == 0 else 18) * SUPERSAMPLE
        d.ellipse(
            (x - r, y - r, x + r, y + r),
            fill="#2f5d8c" if i == 0 else "#e0533d",
            outline="#ffffff",
            width=4 * SUPERSAMPLE,
        )


def paint_route3(img: Image.Image, rng: random.Random) -> None:
    paint_route(img, rng, stops=3)


# ---- avatars: flat illustrations, not portraits of anyone


@dataclass(frozen=True)
class Look:
    """What tells one avatar from another: what the person wears for their trade, hair, glasses."""

    headwear: str = "short"  # "short" | "long" | "bun" | "helmet" | "lab-cap" | "cap"
    hair: str = "#2b2b2b"
    cloth: str = "#2f5d8c"
    glasses: bool = False
    badge: str = "gear"  # "gear" | "needle" | "flask" | "chip"


def _face(d: ImageDraw.ImageDraw, cx: float, w: float, h: float, look: Look) -> None:
    """Simple features (eyes, brows, a smile), so that the avatars read as people, not mannequins."""
    ink = "#3a2a22"
    for side in (-1, 1):
        ex = cx + side * w * 0.075
        d.ellipse((ex - w * 0.017, h * 0.42, ex + w * 0.017, h * 0.445), fill=ink)
        d.arc(
            (ex - w * 0.045, h * 0.385, ex + w * 0.045, h * 0.43),
            200,
            340,
            fill=look.hair,
            width=round(w * 0.012),
        )
        if look.glasses:
            d.rounded_rectangle(
                (ex - w * 0.055, h * 0.405, ex + w * 0.055, h * 0.46),
                radius=w * 0.015,
                outline="#333",
                width=round(w * 0.008),
            )
    if look.glasses:
        d.line((cx - w * 0.02, h * 0.425, cx + w * 0.02, h * 0.425), fill="#333", width=round(w * 0.008))
    d.arc(
        (cx - w * 0.06, h * 0.47, cx + w * 0.06, h * 0.535), 20, 160, fill="#9c4a3c", width=round(w * 0.012)
    )


def _headwear(d: ImageDraw.ImageDraw, cx: float, w: float, h: float, look: Look) -> None:
    if look.headwear == "helmet":  # a safety helmet: for the shop floor and the shipyard only
        d.pieslice((cx - w * 0.23, h * 0.2, cx + w * 0.23, h * 0.5), 180, 360, fill="#f2b134")
        d.rectangle((cx - w * 0.26, h * 0.345, cx + w * 0.26, h * 0.37), fill="#e09b1a")
    elif look.headwear == "lab-cap":
        d.pieslice((cx - w * 0.22, h * 0.22, cx + w * 0.22, h * 0.48), 180, 360, fill="#eef2f5")
    elif look.headwear == "cap":
        d.pieslice((cx - w * 0.21, h * 0.23, cx + w * 0.21, h * 0.48), 180, 360, fill=look.cloth)
        d.rectangle((cx - w * 0.05, h * 0.335, cx + w * 0.27, h * 0.355), fill=look.cloth)
    else:
        d.pieslice((cx - w * 0.21, h * 0.24, cx + w * 0.21, h * 0.5), 180, 360, fill=look.hair)
        if look.headwear == "long":
            d.rectangle((cx - w * 0.22, h * 0.37, cx - w * 0.15, h * 0.66), fill=look.hair)
            d.rectangle((cx + w * 0.15, h * 0.37, cx + w * 0.22, h * 0.66), fill=look.hair)
        elif look.headwear == "bun":
            d.ellipse((cx - w * 0.08, h * 0.16, cx + w * 0.08, h * 0.27), fill=look.hair)


def _badge(d: ImageDraw.ImageDraw, cx: float, w: float, h: float, look: Look) -> None:
    """A small sign of the trade on the chest: a gear, an embroidery needle and thread, a flask, a chip."""
    bx, by, r = cx + w * 0.17, h * 0.84 + w * 0.05, w * 0.05
    d.ellipse((bx - r, by - r, bx + r, by + r), fill="#f2b134")
    if look.badge == "needle":
        d.line(
            (bx - r * 0.6, by + r * 0.6, bx + r * 0.6, by - r * 0.6), fill="#5a3e2b", width=round(w * 0.01)
        )
        d.arc(
            (bx - r * 0.7, by - r * 0.2, bx + r * 0.3, by + r * 0.8),
            90,
            300,
            fill="#a4262c",
            width=round(w * 0.008),
        )
    elif look.badge == "flask":
        d.polygon([(bx - r * 0.15, by - r * 0.6), (bx + r * 0.15, by - r * 0.6), (bx + r * 0.55, by + r * 0.55),
                   (bx - r * 0.55, by + r * 0.55)], fill="#1f5f8b")  # fmt: skip
    elif look.badge == "chip":
        d.rectangle((bx - r * 0.45, by - r * 0.45, bx + r * 0.45, by + r * 0.45), fill="#2d3748")
    else:
        d.polygon(gear_points(bx, by, w * 0.035, 8), fill="#8c5a12")


def paint_avatar(img: Image.Image, rng: random.Random, look: Look = Look()) -> None:
    """A flat illustration of a worker (not a portrait of anyone), dressed for their trade."""
    w, h = img.size
    transparent = img.mode == "RGBA"
    bg = rng.choice(["#dbe7f0", "#f1e3d3", "#e2eedc", "#eadcf0", "#f5e1e1", "#dde3ea"])
    if not transparent:
        img.paste(vertical_gradient(img.size, bg, rgb_hex(mix(hex_rgb(bg), (0, 0, 0), 0.12))))
    d = ImageDraw.Draw(img)
    if not transparent:
        d.ellipse((w * 0.1, h * 0.12, w * 0.9, h * 0.72), fill=mix(hex_rgb(bg), (255, 255, 255), 0.5))
    skin = rng.choice(["#f1c9a5", "#e8b48f", "#d9a27c", "#f3d2b4"])
    cx = w / 2
    d.ellipse((cx - w * 0.42, h * 0.68, cx + w * 0.42, h * 1.25), fill=look.cloth)  # shoulders
    d.polygon([(cx - w * 0.1, h * 0.69), (cx + w * 0.1, h * 0.69), (cx, h * 0.8)], fill="#f4f4f2")  # collar
    d.rectangle((cx - w * 0.07, h * 0.56, cx + w * 0.07, h * 0.7), fill=skin)  # neck
    d.ellipse((cx - w * 0.2, h * 0.26, cx + w * 0.2, h * 0.62), fill=skin)  # head
    _headwear(d, cx, w, h, look)
    _face(d, cx, w, h, look)
    _badge(d, cx, w, h, look)


def avatar(look: Look) -> Painter:
    return lambda img, rng: paint_avatar(img, rng, look)


# -------------------------------------------------------------------------------------------- the list


@dataclass(frozen=True)
class Spec:
    path: str  # relative to content/
    size: tuple[int, int]
    painter: Painter
    exif_rotated: bool = False  # store rotated, with EXIF Orientation 6 and a GPS block


SPECS: list[Spec] = [
    # zones
    Spec("images/zones/zhangjiagang.jpg", (1920, 1280), paint_zone_port),
    Spec("zones/changshu/cover.jpg", (1920, 1280), paint_zone_hills),
    Spec("zones/gusu/cover.jpg", (2400, 1600), paint_zone_garden),
    Spec("images/zones/kunshan.jpg", (1600, 1200), paint_zone_skyline),
    Spec("images/zones/wujiang.jpg", (1600, 1200), paint_zone_silk),
    Spec("images/zones/taicang.jpg", (1920, 1280), paint_zone_marine),
    Spec("images/zones/zhuqixing.jpg", (1920, 1280), paint_network),
    # projects — bundles
    Spec("projects/tianlong-2/stand.jpg", (1600, 1200), paint_rocket_stand),
    Spec("projects/tianlong-2/blueprint.jpg", (1600, 1200), paint_rocket_blueprint),
    Spec("projects/tianlong-2/stages.jpg", (2400, 1600), paint_rocket_stages),
    Spec("projects/tianlong-2/launch.jpg", (1600, 1200), paint_rocket_launch),
    Spec("projects/jinkaishun-cashmere/sweater.jpg", (1600, 1200), paint_sweater),
    Spec("projects/jinkaishun-cashmere/knit.jpg", (1600, 1200), paint_knit),
    Spec("projects/jinkaishun-cashmere/yarn.jpg", (1920, 1280), paint_yarn),
    Spec("projects/jinkaishun-cashmere/swatches.jpg", (1600, 1200), paint_swatches),
    Spec("projects/lf-furnace-cable/furnace.jpg", (1920, 1280), paint_furnace),
    Spec("projects/lf-furnace-cable/cable-twist.jpg", (1600, 1200), paint_cable_twist),
    Spec("projects/lf-furnace-cable/cable-fixed.jpg", (1600, 1200), paint_cable_fixed),
    Spec("projects/marine-welding-fixture/cover.jpg", (1920, 1280), paint_welding, exif_rotated=True),
    # projects — shared image folder
    Spec("images/projects/feiyi.jpg", (1920, 1280), paint_kesi),
    Spec("images/projects/suxiu-flowers.jpg", (1600, 1200), paint_embroidery),
    Spec("images/projects/suxiu-blue.jpg", (1600, 1200), paint_embroidery_blue),
    Spec("images/projects/suxiu-hoop.jpg", (1600, 1200), paint_embroidery_hoop),
    Spec("images/projects/suxiu-fish.jpg", (1600, 1200), paint_fish),
    Spec("images/projects/suxiu-sampler.jpg", (1600, 1200), paint_stitch_sampler),
    Spec("images/projects/cockpit-console.jpg", (1920, 1280), paint_cockpit),
    Spec("images/projects/induction-coil.jpg", (1920, 1280), paint_coil),
    Spec("images/projects/induction-sim.jpg", (1600, 1200), paint_coil_sim),
    Spec("images/projects/induction-manual.png", (1600, 1200), paint_manual),
    Spec("images/projects/smt.jpg", (1600, 1200), paint_pcb),
    Spec("images/projects/loom.jpg", (1600, 1200), paint_loom),
    Spec("images/projects/cfrp.jpg", (1600, 1200), paint_cfrp),
    Spec("images/projects/harness.jpg", (1600, 1200), paint_harness),
    Spec("images/projects/gears.jpg", (1600, 1200), paint_gears),
    Spec("images/projects/vials.jpg", (1600, 1200), paint_vials),
    # craftsmen — illustrated avatars
    Spec("images/craftsmen/lei-yutian.jpg", (1200, 1600), avatar(Look("helmet", cloth="#1f4e79"))),
    Spec(
        "images/craftsmen/li-qijie.jpg",
        (1200, 1600),
        avatar(Look("short", "#3b2a22", "#4b4f57", glasses=True)),
    ),
    Spec(
        "images/craftsmen/wang-mou.jpg",
        (1200, 1600),
        avatar(Look("short", "#2b2b2b", "#2f5d8c", True, "chip")),
    ),
    Spec(
        "images/craftsmen/chen-mou.jpg",
        (1200, 1600),
        avatar(Look("long", "#3b2a22", "#6d597a", badge="needle")),
    ),
    Spec("images/craftsmen/zhang-mou.jpg", (1200, 1600), avatar(Look("helmet", cloth="#3d5a47"))),
    Spec(
        "craftsmen/liu-mou/portrait.png",
        (1200, 1600),
        avatar(Look("bun", "#2b2b2b", "#8c2f39", badge="needle")),
    ),
    Spec(
        "images/craftsmen/zhou-mou.jpg",
        (1200, 1600),
        avatar(Look("lab-cap", cloth="#e9eef2", glasses=True, badge="flask")),
    ),
    Spec(
        "images/craftsmen/wu-mou.jpg", (1200, 1600), avatar(Look("short", "#4a4a4a", "#5a3e2b", glasses=True))
    ),
    Spec(
        "images/craftsmen/zheng-mou.jpg",
        (1200, 1600),
        avatar(Look("cap", "#2b2b2b", "#1f4e79", badge="chip")),
    ),
    # activities
    Spec("activities/learn-with-craftsmen/workshop.jpg", (1920, 1280), paint_workshop),
    Spec("activities/learn-with-craftsmen/coil-demo.jpg", (1600, 1200), paint_coil),
    Spec("activities/learn-with-craftsmen/gears-demo.jpg", (1600, 1200), paint_gears),
    Spec("activities/learn-with-craftsmen/stitch-demo.jpg", (1600, 1200), paint_stitch_sampler),
    Spec("images/activities/hall.jpg", (1920, 1280), paint_exhibition_hall),
    Spec("images/activities/roundtable.jpg", (1600, 1200), paint_roundtable),
    Spec("images/activities/matching.jpg", (1600, 1200), paint_matching),
    Spec("images/activities/route-xichang.jpg", (1600, 1200), paint_route),
    Spec("images/activities/route-nanjing.jpg", (1600, 1200), paint_route3),
]


# --------------------------------------------------------------------------------------------- writing


def render(spec: Spec) -> Image.Image:
    rng = random.Random(zlib.crc32(spec.path.encode()))
    big = (spec.size[0] * SUPERSAMPLE, spec.size[1] * SUPERSAMPLE)
    mode = "RGBA" if spec.path.endswith(".png") else "RGB"
    img = Image.new(mode, big, (0, 0, 0, 0) if mode == "RGBA" else (255, 255, 255))
    spec.painter(img, rng)
    return img.resize(spec.size, Image.Resampling.LANCZOS)  # no watermark: captions and alt say what it is


def exif_for_rotated() -> Image.Exif:
    """Orientation 6 (rotate 90° clockwise to view) plus a GPS block the pipeline must strip."""
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation
    exif[0x010F] = "yunzhan demo"  # Make
    exif[0x0110] = "make_demo_images.py"  # Model
    exif[0x0131] = "yunzhan make_demo_images.py"  # Software
    gps = exif.get_ifd(0x8825)
    gps[0x0000] = b"\x02\x03\x00\x00"  # GPSVersionID
    gps[0x0001] = "N"
    gps[0x0002] = (31.0, 18.0, 0.0)  # roughly Suzhou: a placeholder location, to be stripped
    gps[0x0003] = "E"
    gps[0x0004] = (120.0, 35.0, 0.0)
    return exif


def save(spec: Spec, img: Image.Image, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if spec.path.endswith(".png"):
        img.save(target, "PNG", optimize=True)
    elif spec.exif_rotated:
        # The upright picture, stored turned 90° counter-clockwise: a viewer that honours Orientation 6
        # shows it upright again; one that ignores it shows it lying on its side.
        stored = img.transpose(Image.Transpose.ROTATE_90)
        stored.save(target, "JPEG", quality=JPEG_QUALITY, exif=exif_for_rotated().tobytes())
    else:
        img.save(target, "JPEG", quality=JPEG_QUALITY)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="list the images without writing them")
    parser.add_argument("--content", type=Path, default=CONTENT, help="content folder (default: %(default)s)")
    args = parser.parse_args(argv)
    total = 0
    for spec in SPECS:
        target = args.content / spec.path
        if args.check:
            print(f"{spec.path}  {spec.size[0]}x{spec.size[1]}")
            continue
        save(spec, render(spec), target)
        size = target.stat().st_size
        total += size
        print(f"{spec.path:52} {spec.size[0]}x{spec.size[1]}  {size / 1024:7.1f} KB")
    if not args.check:
        print(f"{len(SPECS)} images, {total / 1024 / 1024:.2f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
