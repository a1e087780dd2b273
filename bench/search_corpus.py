"""A synthetic corpus of Chinese records for the search tests and benchmarks.

Everything here is invented: every record says 示例 (sample) in its title or text, the people and firms do not
exist. The generator is deterministic (a seeded ``random.Random``), so queries and their right answers are stable.

    python bench/search_corpus.py              # index size and a few sample records
    python bench/search_corpus.py --html DIR   # one HTML page per record, e.g. to index with Pagefind

Right answers are never computed by the search code: ``source_text(item)`` is the plain text of a record made
straight from the generator's own fields, and a record is an answer to a query when every whitespace-separated
term of the query is a substring of it (see ``expected``).
"""

from __future__ import annotations

import argparse
import html
import random
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from markupsafe import Markup, escape

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# The enum values of site.toml, kept in vocabulary.py (bench/ is sys.path[0] when run as a script; tests add it).
from vocabulary import CATEGORIES, INDUSTRIES
from vocabulary import DISTRICTS as SITE_DISTRICTS

from yunzhan.model import Image, Record
from yunzhan.slugs import pinyin_forms

DISTRICTS = SITE_DISTRICTS[:8]  # all but the two development zones
ZONES = [(f"zone-{i}", f"示例{n}展区", DISTRICTS[i]) for i, n in enumerate("甲乙丙丁戊己")]
SURNAMES = "王张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "明华建国志强海波丽娟晓东伟杰雪梅文涛春燕德福永刚栋俊峰玉兰秀英宏亮振宇立新卫红桂芳晨阳思远佳琪"
TERMS = [
    "热处理",
    "电缆",
    "数控机床",
    "齿轮箱",
    "焊接",
    "传动轴",
    "感应线圈",
    "导电板",
    "精炼炉",
    "水冷电缆",
    "碳纤维",
    "复合材料",
    "无菌灌装",
    "丝绸",
    "缂丝",
    "苏绣",
    "羊绒",
    "智能座舱",
    "火箭发动机",
    "传感器",
    "芯片封装",
    "贴片机",
    "模具",
    "注塑",
    "涂装线",
    "工业机器人",
    "激光切割",
    "轴承",
    "液压系统",
    "伺服电机",
    "变频器",
    "锂电池",
    "光伏组件",
    "逆变器",
    "医疗器械",
    "检测试剂",
    "减速机",
    "铸造",
    "锻压",
    "机加工",
    "振动分析",
    "故障诊断",
    "工艺参数",
    "质量追溯",
    "节能改造",
    "自动化产线",
    "视觉检测",
    "三坐标测量",
]
# Phrases that put the characters of a query term near each other without forming it: precision traps.
TRAPS = [
    "炉内加热后再送去表面处理",  # 热 … 处理, never 热处理
    "热水处理站每天巡检一次",  # 热 水 处理
    "供电线路与钢缆分开敷设",  # 电 … 缆
    "电源柜旁的缆绳已经更换",  # 电 … 缆
    "齿轮与箱体之间加了垫片",  # 齿轮 … 箱
    "焊缝在接下来的工序中打磨",  # 焊 … 接
    "芯片的封面印着型号",  # 芯片 … 封
]
ACTIONS = ["优化了", "改进了", "诊断了", "攻关了", "调试了", "总结了", "培训了职工掌握", "重新设计了"]
RESULTS = [
    "良品率明显提升",
    "能耗有所下降",
    "停机时间缩短",
    "返修率降低",
    "交付周期缩短",
    "培训了一批青年职工",
]
HEADINGS = ["案例经过", "解决过程", "经验总结", "示例说明"]
SYNTHETIC_NOTE = "本条为自动生成的示例内容，人物与企业均为虚构。"


@dataclass
class Item:
    """One synthetic record before it becomes a ``Record``: plain strings only."""

    collection: str
    slug: str
    title: str
    fields: dict[str, object] = field(default_factory=dict)  # strings, lists of strings, refs as slugs
    paragraphs: list[tuple[str, str]] = field(default_factory=list)  # (tag, text): ("h2", …) or ("p", …)


def _names(rng: random.Random, n: int) -> list[str]:
    names: list[str] = []
    while len(names) < n:
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        if name not in names:
            names.append(name)
    return names


def _sentence(rng: random.Random, who: str) -> str:
    a, b = rng.sample(TERMS, 2)
    return f"{who}{rng.choice(ACTIONS)}{a}，并在{b}方面{rng.choice(RESULTS)}。"


def _body(rng: random.Random, who: str, extra: list[str]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for heading in rng.sample(HEADINGS, 2):
        out.append(("h2", heading))
        sentences = [_sentence(rng, who) for _ in range(rng.randint(2, 4))]
        if rng.random() < 0.35:
            sentences.insert(rng.randrange(len(sentences) + 1), rng.choice(TRAPS) + "。")
        out.append(("p", "".join(sentences)))
    out.extend(("p", text) for text in extra)
    out.append(("p", SYNTHETIC_NOTE))
    return out


def generate(n: int = 240, seed: int = 2024) -> list[Item]:
    """``n`` records (at least 200 unless asked otherwise): zones, craftsmen, projects and activities."""
    rng = random.Random(seed)
    items = [
        Item("zones", slug, title, {"name": title, "district": district, "intro": f"{title}的介绍（示例）。"})
        for slug, title, district in ZONES
    ]
    names = _names(rng, max(20, n // 4))
    for i, name in enumerate(names):
        specialties = rng.sample(TERMS, 3)
        items.append(
            Item(
                "craftsmen",
                f"craftsman-{i:03d}",
                name,
                {
                    "name": name,
                    "employer": f"示例{rng.choice('东南西北中')}{rng.choice('星海宏安')}机械有限公司",
                    "industry": rng.choice(INDUSTRIES),
                    "district": rng.choice(DISTRICTS),
                    "specialties": specialties,
                    "summary": f"{name}（示例人物）擅长{specialties[0]}。",
                },
                _body(rng, name, []),
            )
        )
    index = 0
    while len(items) < n:
        index += 1
        kind = "activities" if index % 6 == 0 else "projects"
        term = rng.choice(TERMS)
        people = rng.sample(names, rng.choice((1, 1, 2)))
        if kind == "activities":
            title = f"跟着工匠学{term}第{index}期（示例）"
            fields: dict[str, object] = {"title": title, "venue": f"示例{rng.choice('一二三')}号厅"}
        else:
            zone = rng.choice(ZONES)
            title = f"{term}{rng.choice(['改进', '攻关', '创新', '新工艺', '提效'])}项目{index}（示例）"
            fields = {
                "title": title,
                "category": rng.choice(CATEGORIES[:2]),
                "zone": zone[0],
                "craftsmen": [f"craftsman-{names.index(p):03d}" for p in people],
                "industry": rng.choice(INDUSTRIES),
                "summary": f"{'、'.join(people)}围绕{term}开展的示例项目。",
            }
            if rng.random() < 0.5:
                fields["district"] = zone[2]
        slug = f"{'activity' if kind == 'activities' else 'project'}-{index:03d}"
        items.append(Item(kind, slug, title, fields, _body(rng, people[0], [])))
    return items


def ref_titles(items: list[Item]) -> dict[str, str]:
    return {item.slug: item.title for item in items}


def source_text(item: Item, titles: dict[str, str]) -> str:
    """Everything a visitor reads on the record's page, as plain text: title, fields, referenced titles, body."""
    parts = [item.title]
    for name, value in item.fields.items():
        if name == "zone":
            parts.append(titles[str(value)])
        elif name == "craftsmen":
            parts.extend(titles[str(v)] for v in value)  # type: ignore[union-attr]
        elif isinstance(value, list):
            parts.extend(value)
        else:
            parts.append(str(value))
    parts.extend(text for _, text in item.paragraphs)
    return "\n".join(parts)


def answer_key(items: list[Item]) -> dict[str, tuple[str, str, str]]:
    """Record path → (normalised source text, pinyin of the title, its initials), for ``answers``."""
    titles = ref_titles(items)
    return {
        f"{i.collection}/{i.slug}/": (
            unicodedata.normalize("NFKC", source_text(i, titles)).lower(),
            *pinyin_forms(i.title),
        )
        for i in items
    }


def answers(query: str, key: dict[str, tuple[str, str, str]]) -> set[str]:
    """The spec, by plain substring: the records whose text contains every whitespace-separated term of the
    query (a Latin term of two letters or more may instead be in the pinyin or initials of the title, so
    ``lyt`` finds 雷雨田)."""
    terms = unicodedata.normalize("NFKC", query).lower().split()

    def has(term: str, text: str, full: str, initials: str) -> bool:
        return term in text or (
            term.isascii() and term.isalpha() and len(term) >= 2 and term in full + " " + initials
        )

    return {path for path, row in key.items() if terms and all(has(t, *row) for t in terms)}


def to_records(items: list[Item], base_path: str = "/") -> list[Record]:
    """Turn items into ``Record`` objects as the pipeline would hand them over: URLs prefixed, bodies as safe
    HTML (with inline tags that must not split phrases), refs resolved, covers as processed ``Image`` values."""
    url_of = {"zones": "zones", "craftsmen": "craftsmen", "projects": "projects", "activities": "activities"}
    records: dict[str, Record] = {}
    for n, item in enumerate(items):
        path = f"/{url_of[item.collection]}/{item.slug}/"
        parts = []
        for tag, text in item.paragraphs:
            words = [t for t in TERMS if t in text]
            body = escape(text)
            if tag == "p" and words and n % 3 == 0:  # an inline tag in the middle of a phrase
                body = Markup(str(body).replace(words[0], f"<strong>{words[0]}</strong>", 1))
            parts.append(f"<{tag}>{body}</{tag}>")
        image = f"{base_path}assets/img/{item.slug}"
        cover = Image(
            src=f"{image}-960.jpg",
            width=960,
            height=720,
            alt=f"{item.title}的示意图",
            fallback_srcset=f"{image}-480.jpg 480w, {image}-960.jpg 960w",
        )
        fields: dict[str, object] = dict(item.fields)
        fields["portrait" if item.collection == "craftsmen" else "cover"] = cover
        for name in ("summary", "intro"):
            if name in fields:
                fields[name] = Markup("<p>") + escape(str(fields[name])) + Markup("</p>")
        records[item.slug] = Record(
            collection=item.collection,
            slug=item.slug,
            source=f"content/{item.collection}/{item.slug}.md",
            url=base_path + path.lstrip("/"),
            path=path,
            title=item.title,
            body=Markup("\n".join(parts)),
            fields=fields,
        )
    for record in records.values():
        if "zone" in record.fields:
            record.fields["zone"] = records[str(record.fields["zone"])]
        if "craftsmen" in record.fields:
            record.fields["craftsmen"] = [records[s] for s in record.fields["craftsmen"]]
    return list(records.values())


def queries(items: list[Item], seed: int = 7, samples: int = 60) -> list[str]:
    """Fixed queries (two-character words, phrases, traps, Latin, pinyin, nothing-found) plus substrings
    sampled from random records, so recall is measured on text nobody chose by hand."""
    rng = random.Random(seed)
    fixed = [
        "热处理",
        "电缆",
        "水冷电缆",
        "焊接",
        "芯片",
        "轴承",
        "苏绣",
        "缂丝",
        "齿轮箱",
        "数控",
        "模具",
        "示例",
        "感应线圈与导电板",
        "良品率明显提升",
        "热",
        "缆",
        "处理",
        "钢缆",
        "加热",
        "焊缝",
        "芯片封装",
        "量子计算",
        "热处理 焊接",
        "项目1",
        "第12期",
        "zone",
        "示例甲展区",
    ]
    craftsmen = [i for i in items if i.collection == "craftsmen"]
    for person in rng.sample(craftsmen, 4):
        full, initials = pinyin_forms(person.title)
        fixed += [person.title, full, initials]
    titles = ref_titles(items)
    sampled: list[str] = []
    while len(sampled) < samples:
        text = source_text(rng.choice(items), titles)
        length = rng.choice((2, 2, 3, 4, 6))
        start = rng.randrange(max(1, len(text) - length))
        piece = text[start : start + length]
        if all(ch.isalnum() for ch in piece) and piece not in sampled:
            sampled.append(piece)
    return fixed + sampled


def write_html(items: list[Item], folder: Path) -> None:
    """One minimal HTML page per record (title + text), e.g. as input for another search engine."""
    titles = ref_titles(items)
    for item in items:
        path = folder / item.collection / item.slug / "index.html"
        path.parent.mkdir(parents=True, exist_ok=True)
        body = "".join(f"<p>{html.escape(line)}</p>" for line in source_text(item, titles).split("\n")[1:])
        page = (
            f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(item.title)}'
            f"</title></head><body><main data-pagefind-body><h1>{html.escape(item.title)}</h1>{body}</main>"
            "</body></html>"
        )
        path.write_text(page, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=240)
    parser.add_argument("--html", type=Path, help="write one HTML page per record into this folder")
    args = parser.parse_args()
    items = generate(args.n)
    if args.html:
        write_html(items, args.html)
        print(f"{len(items)} pages written to {args.html}")
        return
    from yunzhan import search
    from yunzhan.config import load_config

    config = load_config(Path(__file__).resolve().parent.parent)
    files = search.build_index(to_records(items), config)
    total = sum(len(b) for b in files.values())
    print(
        f"{len(items)} records, {len(files)} files, {total} bytes, {total / len(items):.0f} bytes per record"
    )
    for item in items[6:9]:
        print("—", source_text(item, ref_titles(items))[:120].replace("\n", " / "))


if __name__ == "__main__":
    main()
