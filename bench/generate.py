"""A deterministic synthetic exhibition for the build benchmarks: N records and M camera-sized photos.

Everything written here is invented and says so: every record carries 示例 in its title or name and opens with a
note that it is 合成数据 made by bench/generate.py; people, firms and figures do not exist; the photos are noise and
gradients (their JPEG comment and EXIF say "synthetic"). The same (records, photos, seed) always gives the same
bytes, so builds can be compared across runs and machines.

The site uses the demo's site.toml (same collections, fields, enums, taxonomies and publish defaults) with a
title that says it is synthetic; only ``[images]`` may be overridden (``image_formats``). Records:

- zones: 10, one per district in site.toml (order 1..10);
- pages: 3 (about, 参观须知, 数据说明);
- the rest: 60 % projects, 25 % craftsmen, 15 % activities;
- bodies of 600–1,500 Chinese characters: ``## `` headings, paragraphs, a bullet and a numbered list, one table,
  and 2–5 links to other records written as relative source paths (``[名字](../craftsmen/c00012.md)``), all of
  which exist;
- 30 tags, industries and districts from the enums, dates spread over 2015–2024.

Photos (``photos=M``) are JPEG, quality 85, ``photo_size`` (default 3000×2000), used once each: first as the
cover/portrait of records (projects, activities, craftsmen, zones, interleaved), the rest spread over project and
activity galleries. Generated photos are kept in bench/.work/photo-cache/ (gitignored) and hard-linked into sites.

    python bench/generate.py DEST --records 1000 --photos 200
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from synthetic_photos import PHOTO_CACHE, photo_path, place_photos
from trash import discard
from vocabulary import (
    ACTIONS,
    ACTIVITY_KINDS,
    CATEGORIES,
    DISTRICTS,
    EMPLOYERS,
    GIVEN,
    HONOURS,
    INDUSTRIES,
    LIST_ITEMS,
    METHODS,
    OBJECTS,
    SENTENCES,
    SURNAMES,
    SYNTHETIC_NOTE,
    TAGS,
    VENUES,
    ZONE_SLUGS,
)

REPO = Path(__file__).resolve().parent.parent


@dataclass
class Rec:
    collection: str
    slug: str
    title: str
    fields: dict = field(default_factory=dict)
    source: str = (
        ""  # the file name in its folder when not ``<slug>.md`` (a bundle's ``x/index.md``, a ``.yaml``)
    )

    @property
    def file(self) -> str:
        return f"content/{self.collection}/{self.slug}.md"


def _cjk(text: str) -> int:
    return sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice((1, 2))))


def _date(rng: random.Random) -> dt.date:
    return dt.date(2015, 1, 1) + dt.timedelta(days=rng.randrange(3650))


def _split(records: int) -> dict[str, int]:
    rest = max(0, records - 13)
    projects = rest * 60 // 100
    craftsmen = max(1, rest * 25 // 100) if rest else 0
    activities = rest - projects - craftsmen
    return {"zones": 10, "craftsmen": craftsmen, "projects": projects, "activities": activities, "pages": 3}


def _plan(records: int, rng: random.Random) -> dict[str, list[Rec]]:
    counts = _split(records)
    plan: dict[str, list[Rec]] = {}
    plan["zones"] = [
        Rec("zones", ZONE_SLUGS[i], f"{DISTRICTS[i]}展区（示例）", {"district": DISTRICTS[i], "order": i + 1})
        for i in range(10)
    ]
    plan["craftsmen"] = []
    for i in range(counts["craftsmen"]):
        name = f"{_person(rng)}（示例）"
        plan["craftsmen"].append(Rec("craftsmen", f"c{i + 1:05d}", name))
    plan["projects"] = []
    for i in range(counts["projects"]):
        obj = rng.choice(OBJECTS)
        title = f"{obj}{rng.choice(METHODS)}（示例 {i + 1}）"
        plan["projects"].append(Rec("projects", f"p{i + 1:05d}", title, {"obj": obj}))
    plan["activities"] = []
    for i in range(counts["activities"]):
        title = f"{rng.choice(ACTIVITY_KINDS)}·第{i + 1}场（示例）"
        plan["activities"].append(Rec("activities", f"a{i + 1:05d}", title))
    plan["pages"] = [
        Rec("pages", "about", "关于本合成展（示例）"),
        Rec("pages", "visit", "参观须知（示例）"),
        Rec("pages", "data-note", "数据说明（示例）"),
    ]
    return plan


def _rel(src: Rec, dst: Rec) -> str:
    name = dst.source or f"{dst.slug}.md"
    return name if src.collection == dst.collection else f"../{dst.collection}/{name}"


def _body(rec: Rec, rng: random.Random, links: list[Rec], who: str, obj: str) -> str:
    """600–1,500 Chinese characters of Markdown: headings, paragraphs, lists, a table, links to ``links``."""
    target = rng.randint(600, 1500)
    method = rng.choice(METHODS)
    action = rng.choice(ACTIONS)

    def sentence() -> str:
        return rng.choice(SENTENCES).format(who=who, obj=obj, method=method, action=action)

    def paragraph(n: int) -> str:
        return "".join(sentence() for _ in range(n))

    parts = [SYNTHETIC_NOTE, "", "## 背景", "", paragraph(rng.randint(2, 3)), ""]
    parts += ["## 主要做法", ""]
    steps = rng.sample(LIST_ITEMS, rng.randint(3, 5))
    parts += [f"{n}. {s.format(method=method)}" for n, s in enumerate(steps, 1)] + [""]
    parts += ["## 效果对比（合成数据）", "", "| 指标 | 改进前 | 改进后 |", "| --- | --- | --- |"]
    for metric in rng.sample(
        ["单件工时（分钟）", "不良率（%）", "月度停机（小时）", "能耗（千瓦时/件）", "换型时间（分钟）"], 3
    ):
        before = rng.randint(20, 90)
        parts.append(f"| {metric} | {before} | {max(1, before - rng.randint(5, before - 1))} |")
    parts += ["", "## 相关条目", ""]
    parts += [f"- [{link.title}]({_rel(rec, link)})" for link in links] + [""]
    text = "\n".join(parts)
    extra_headings = ["## 经验与体会", "## 推广应用", "## 下一步计划", "## 专家点评", "## 观众留言摘录"]
    while _cjk(text) < target:
        heading = extra_headings.pop(0) if extra_headings else None
        chunk = (f"{heading}\n\n" if heading else "") + paragraph(rng.randint(2, 4))
        if links and rng.random() < 0.4:
            link = rng.choice(links)
            chunk += f"详见[{link.title}]({_rel(rec, link)})。"
        text += "\n" + chunk + "\n"
    return text


def _front_matter(data: dict) -> str:
    return "---\n" + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000) + "---\n"


def _image(src: str, alt: str) -> dict:
    return {"src": src, "alt": alt}


def _photo_alt(what: str) -> str:
    return f"合成示例照片：{what}（噪点与渐变生成，非实拍）"


def _assign_photos(plan: dict[str, list[Rec]], photos: int) -> dict[tuple[str, str], dict]:
    """{(collection, slug): {"cover": n} or {"gallery": [n, ...]}} — every photo used exactly once."""
    holders: list[Rec] = []
    order = ["projects", "activities", "craftsmen", "zones"]
    longest = max(len(plan[c]) for c in order)
    for i in range(longest):
        for c in order:
            if i < len(plan[c]):
                holders.append(plan[c][i])
    assigned: dict[tuple[str, str], dict] = {}
    n = 0
    for rec in holders:
        if n >= photos:
            break
        assigned[(rec.collection, rec.slug)] = {"cover": n, "gallery": []}
        n += 1
    galleried = [r for r in holders if r.collection in ("projects", "activities")] or holders[:1]
    i = 0
    while n < photos and galleried:
        rec = galleried[i % len(galleried)]
        assigned.setdefault((rec.collection, rec.slug), {"cover": None, "gallery": []})["gallery"].append(n)
        n += 1
        i += 1
    return assigned


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _site_toml(image_formats: list[str] | None, publish: dict | None, title_note: str) -> str:
    text = (REPO / "site.toml").read_text(encoding="utf-8")
    lines: list[str] = []
    for line in text.splitlines():
        if line.startswith("title = ") and not any(seen.startswith("title = ") for seen in lines):
            line = f'title = "合成数据测试展（示例）{title_note}"'
        elif line.startswith("footer = "):
            line = 'footer = "合成数据 · bench/generate.py 生成 · 仅用于性能测试"'
        elif line.startswith("formats = ") and image_formats is not None:
            line = "formats = [" + ", ".join(f'"{f}"' for f in image_formats) + "]"
        lines.append(line)
    if publish:
        lines += ["", "[publish]"] + [f"{k} = {_toml_value(v)}" for k, v in publish.items()]
    header = "# 合成数据：由 bench/generate.py 生成的性能测试站点，内容均为虚构。\n"
    return header + "\n".join(lines) + "\n"


def generate_site(
    dest: Path,
    records: int,
    photos: int = 0,
    seed: int = 1,
    *,
    photo_size: tuple[int, int] = (3000, 2000),
    image_formats: list[str] | None = None,
    publish: dict | None = None,
    jobs: int = 0,
    photo_cache: Path = PHOTO_CACHE,
) -> Path:
    """Write a synthetic site of ``records`` records (at least 13) and ``photos`` photos into ``dest``.

    ``dest`` is replaced if it exists. Returns ``dest``. Deterministic in (records, photos, seed, photo_size).
    ``image_formats`` replaces ``[images] formats``; ``publish`` (e.g. ``{"share_cards": False}``) is written as
    a ``[publish]`` table (the demo has none, so yunzhan's defaults apply otherwise).
    """
    records = max(records, 13)
    rng = random.Random(seed)
    dest = Path(dest)
    discard(dest)
    (dest / "content").mkdir(parents=True)
    (dest / "site.toml").write_text(_site_toml(image_formats, publish, f"{records} 条"), encoding="utf-8")
    shutil.copytree(REPO / "content" / "data", dest / "content" / "data")

    plan = _plan(records, rng)
    assigned = _assign_photos(plan, photos)
    zones, craftsmen, projects = plan["zones"], plan["craftsmen"], plan["projects"]
    by_zone, crafts_projects = relate(projects, craftsmen, zones, rng)

    def images_for(rec: Rec, what: str) -> dict:
        got = assigned.get((rec.collection, rec.slug))
        if not got:
            return {}
        depth = "../" * (1 + rec.file.count("/") - 2)
        out: dict = {}
        if got["cover"] is not None:
            out["cover"] = _image(depth + photo_path(got["cover"])[len("content/") :], _photo_alt(what))
        if got["gallery"]:
            out["gallery"] = [
                {
                    "src": depth + photo_path(n)[len("content/") :],
                    "alt": _photo_alt(f"{what}现场图 {k + 1}"),
                    "caption": f"{what}（合成示例照片 {k + 1}）",
                    "credit": "合成数据（bench/generate.py）",
                }
                for k, n in enumerate(got["gallery"])
            ]
        return out

    def write(rec: Rec, data: dict, body: str) -> None:
        write_record(dest, rec, data, body)

    for z in zones:
        pics = images_for(z, z.title)
        data = {"name": z.title, "district": z.fields["district"], "order": z.fields["order"]}
        if "cover" in pics:
            data["cover"] = pics["cover"]
        data["intro"] = f"本展区为合成数据示例展区，收录{z.fields['district']}的虚构展品，仅用于性能测试。"
        members = by_zone[z.slug]
        links = rng.sample(members, min(len(members), rng.randint(2, 5)))
        links.append(zones[z.fields["order"] % 10])  # the next zone: every zone links somewhere
        write(z, data, _body(z, rng, links, _person(rng) + "（示例）", rng.choice(OBJECTS)))

    write_records(dest, rng, plan, by_zone, crafts_projects, images_for)

    for pg in plan["pages"]:
        data = {"title": pg.title, "summary": "合成数据测试站点的说明页（示例）。"}
        links = [zones[0]] + ([projects[0]] if projects else [])
        write(pg, data, _body(pg, rng, links, "编辑部（示例）", rng.choice(OBJECTS)))

    if photos:
        place_photos(dest, photos, seed, photo_size, jobs, photo_cache)
    return dest


def relate(
    projects: list[Rec], craftsmen: list[Rec], zones: list[Rec], rng: random.Random
) -> tuple[dict[str, list[Rec]], dict[str, list[Rec]]]:
    """Give every project a zone (uniformly over ``zones``) and 1–3 craftsmen, before any text is written, so
    that every record can link to records written after it. Returns (projects by zone, projects by craftsman)."""
    by_zone: dict[str, list[Rec]] = {z.slug: [] for z in zones}
    crafts_projects: dict[str, list[Rec]] = {c.slug: [] for c in craftsmen}
    for p in projects:
        zone = zones[rng.randrange(len(zones))]
        p.fields["zone"] = zone
        p.fields["craftsmen"] = rng.sample(craftsmen, min(len(craftsmen), rng.randint(1, 3)))
        by_zone[zone.slug].append(p)
        for c in p.fields["craftsmen"]:
            crafts_projects[c.slug].append(p)
    return by_zone, crafts_projects


def write_record(dest: Path, rec: Rec, data: dict, body: str) -> None:
    path = dest / rec.file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_front_matter(data) + body, encoding="utf-8")


def _no_pictures(rec: Rec, what: str) -> dict:
    return {}


def write_records(
    dest: Path,
    rng: random.Random,
    plan: dict[str, list[Rec]],
    by_zone: dict[str, list[Rec]],
    crafts_projects: dict[str, list[Rec]],
    images_for: Callable[[Rec, str], dict] = _no_pictures,
) -> None:
    """Write the craftsmen, projects and activities of ``plan`` (zones and pages are the caller's)."""
    zones, craftsmen, projects = plan["zones"], plan["craftsmen"], plan["projects"]
    for c in craftsmen:
        district = rng.choice(DISTRICTS)
        pics = images_for(c, c.title)
        data = {
            "name": c.title,
            "honours": rng.sample(HONOURS, rng.randint(1, 3)),
            "employer": rng.choice(EMPLOYERS) + "（虚构）",
            "district": district,
            "industry": rng.choice(INDUSTRIES),
            "specialties": rng.sample(METHODS, rng.randint(1, 3)),
        }
        if "cover" in pics:
            data["portrait"] = pics["cover"]
        data["summary"] = (
            f"合成数据：一位虚构的工匠，擅长{data['specialties'][0]}，所在单位为{data['employer']}。"
        )
        own = crafts_projects[c.slug]
        links = rng.sample(own, min(len(own), 3)) + rng.sample(craftsmen, min(len(craftsmen), 1))
        links = [link for link in links if link is not c] or [rng.choice(zones)]
        write_record(dest, c, data, _body(c, rng, links, c.title, rng.choice(OBJECTS)))
    for p in projects:
        _write_project(dest, rng, p, by_zone, images_for(p, p.title))
    for a in plan["activities"]:
        start = _date(rng)
        pics = images_for(a, a.title)
        data = {"title": a.title, "start": start}
        if rng.random() < 0.6:
            data["end"] = start + dt.timedelta(days=rng.randint(0, 60))
        data["venue"] = rng.choice(VENUES)
        data["summary"] = "合成数据：一场虚构的品牌活动，用于性能测试。"
        data.update(pics)
        links = rng.sample(craftsmen, min(len(craftsmen), 2)) + rng.sample(projects, min(len(projects), 2))
        body = _body(a, rng, links or [zones[0]], _person(rng) + "（示例）", rng.choice(OBJECTS))
        write_record(dest, a, data, body)


def _write_project(dest: Path, rng: random.Random, p: Rec, by_zone: dict[str, list[Rec]], pics: dict) -> None:
    zone = p.fields["zone"]
    industry = rng.choice(INDUSTRIES)
    data = {
        "title": p.title,
        "category": rng.choice(CATEGORIES),
        "zone": zone.slug,
        "craftsmen": [c.slug for c in p.fields["craftsmen"]],
        "industry": industry,
        "district": zone.fields.get("district") or rng.choice(DISTRICTS),
        "summary": f"合成数据：围绕{p.fields['obj']}的一项虚构改进，用于测试网站生成器在大量条目下的表现。",
    }
    data.update(pics)
    data["date"] = _date(rng)
    data["tags"] = rng.sample(TAGS, rng.randint(2, 4))
    data["featured"] = rng.random() < 0.05
    links = [*p.fields["craftsmen"], zone]
    others = [q for q in by_zone[zone.slug] if q is not p]
    links += rng.sample(others, min(len(others), rng.randint(0, 2)))
    who = p.fields["craftsmen"][0].title if p.fields["craftsmen"] else "工匠（示例）"
    write_record(dest, p, data, _body(p, rng, links, who, p.fields["obj"]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Generate a synthetic yunzhan site (合成数据) for benchmarks."
    )
    parser.add_argument("dest", type=Path, help="folder to write (replaced if it exists)")
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--photos", type=int, default=0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--photo-size", default="3000x2000", help="WxH of the photos")
    parser.add_argument("--formats", default=None, help="override [images] formats, e.g. webp or avif,webp")
    parser.add_argument("--no-share-cards", action="store_true", help="write [publish] share_cards = false")
    args = parser.parse_args(argv)
    w, h = (int(v) for v in args.photo_size.lower().split("x"))
    formats = args.formats.split(",") if args.formats else None
    publish = {"share_cards": False} if args.no_share_cards else None
    site = generate_site(
        args.dest,
        args.records,
        args.photos,
        args.seed,
        photo_size=(w, h),
        image_formats=formats,
        publish=publish,
    )
    files = sum(1 for p in (site / "content").rglob("*.md"))
    print(f"wrote {files} records and {args.photos} photos to {site}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
