"""The obvious baseline: a plain single-process Python-Markdown + Jinja loop over the same site.

What a competent developer writes in an afternoon, with no caching, no parallelism, no incremental anything:

1. for every record file under ``content/<collection>/`` (``*.md`` and ``<slug>/index.md``; the synthetic corpus
   has no ``.yaml`` records): read, split the front matter, ``yaml.safe_load``, ``markdown.markdown(body,
   extensions=["tables", "fenced_code", "toc"])`` (``text`` fields too), rewrite links to record files into URLs;
2. render one Jinja template per page — record pages, collection lists (paginated as in site.toml), the home
   page, one index page per taxonomy and one page per term, a 404 — all sharing a base layout with header, menu,
   breadcrumbs and footer, and write ``<url>/index.html``;
3. with ``images=True``: every cover/portrait/gallery photo: open, ``exif_transpose``, resize each width from the
   original, save each ``[images] formats`` plus a JPEG fallback (the derivatives yunzhan makes).

It makes no share cards, search index, feed, sitemap or open data: those are yunzhan extras, compare with
``[publish] share_cards = false`` or read the stage timings.

    python bench/baseline.py SITE OUT [--images]      # prints the elapsed seconds and the page count
"""

from __future__ import annotations

import argparse
import io
import math
import re
import sys
import time
import tomllib
import zlib
from pathlib import Path

import jinja2
import markdown
import yaml
from trash import discard

BASE = """<!doctype html>
<html lang="{{ site.language }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} · {{ site.title }}</title>
<meta name="description" content="{{ description or site.description }}">
<link rel="stylesheet" href="/assets/site.css">
</head>
<body>
<header class="site-header"><a class="brand" href="/">{{ site.title }}</a>
<p class="subtitle">{{ site.subtitle }}</p>
<nav><ul>{% for item in site.menu %}<li><a href="{{ item.url }}">{{ item.title }}</a></li>{% endfor %}</ul></nav>
</header>
<nav class="crumbs"><a href="/">首页</a>{% for c in crumbs %} › {% if c.url %}<a href="{{ c.url }}">{{ c.title }}</a>{% else %}{{ c.title }}{% endif %}{% endfor %}</nav>
<main>{% block content %}{% endblock %}</main>
<footer><p>{{ site.footer }}</p></footer>
</body>
</html>
"""

RECORD = """{% extends "base.html" %}{% block content %}
<article class="record {{ r.collection }}">
<h1>{{ r.title }}</h1>
{% if r.html_fields.summary %}<div class="lead">{{ r.html_fields.summary }}</div>{% endif %}
{% if r.cover %}<figure><picture>{% for fmt in formats %}<source type="image/{{ fmt }}" srcset="{% for w in widths %}{{ r.cover.base }}-{{ w }}.{{ fmt }} {{ w }}w{% if not loop.last %}, {% endif %}{% endfor %}">{% endfor %}<img src="{{ r.cover.base }}-{{ widths[0] }}.jpg" alt="{{ r.cover.alt }}" loading="lazy"></picture></figure>{% endif %}
<dl class="facts">
{% for name, value in r.facts %}<div><dt>{{ name }}</dt><dd>{% if value is mapping %}<a href="{{ value.url }}">{{ value.title }}</a>{% elif value is iterable and value is not string %}{% for v in value %}{% if v is mapping %}<a href="{{ v.url }}">{{ v.title }}</a>{% else %}{{ v }}{% endif %}{% if not loop.last %}、{% endif %}{% endfor %}{% else %}{{ value }}{% endif %}</dd></div>{% endfor %}
</dl>
{% if r.terms %}<ul class="chips">{% for t in r.terms %}<li><a href="{{ t.url }}">{{ t.name }}</a></li>{% endfor %}</ul>{% endif %}
<div class="prose">{{ r.html }}</div>
{% if r.backrefs %}<section><h2>相关条目</h2><ul>{% for b in r.backrefs %}<li><a href="{{ b.url }}">{{ b.title }}</a></li>{% endfor %}</ul></section>{% endif %}
<nav class="prevnext">{% if prev %}<a rel="prev" href="{{ prev.url }}">{{ prev.title }}</a>{% endif %}{% if next %}<a rel="next" href="{{ next.url }}">{{ next.title }}</a>{% endif %}</nav>
</article>
{% endblock %}"""

LIST = """{% extends "base.html" %}{% block content %}
<h1>{{ title }}</h1>
<ul class="cards">{% for r in records %}<li class="card"><a href="{{ r.url }}"><h2>{{ r.title }}</h2>{% if r.date %}<time>{{ r.date }}</time>{% endif %}{% if r.html_fields.summary %}<div class="summary">{{ r.html_fields.summary }}</div>{% endif %}</a></li>{% endfor %}</ul>
{% if pages > 1 %}<nav class="pager">{% for n in range(1, pages + 1) %}<a href="{{ page_url(n) }}"{% if n == number %} aria-current="page"{% endif %}>{{ n }}</a>{% endfor %}</nav>{% endif %}
{% endblock %}"""

HOME = """{% extends "base.html" %}{% block content %}
<h1>{{ site.title }}</h1><p>{{ site.description }}</p>
{% for c in collections %}<section><h2><a href="{{ c.url }}">{{ c.title }}</a></h2><ul>{% for r in c.records[:8] %}<li><a href="{{ r.url }}">{{ r.title }}</a></li>{% endfor %}</ul></section>{% endfor %}
{% endblock %}"""

TAXONOMY = """{% extends "base.html" %}{% block content %}
<h1>{{ title }}</h1><ul class="terms">{% for t in terms %}<li><a href="{{ t.url }}">{{ t.name }}</a> <span>{{ t.records|length }}</span></li>{% endfor %}</ul>
{% endblock %}"""

TEMPLATES = {
    "base.html": BASE,
    "record.html": RECORD,
    "list.html": LIST,
    "home.html": HOME,
    "taxonomy.html": TAXONOMY,
}
LINK = re.compile(r'href="([^"#:]+\.(?:md|yaml))(#[^"]*)?"')
MD_EXTENSIONS = ["tables", "fenced_code", "toc"]


def _slugify(term: str) -> str:
    return (
        f"t{zlib.crc32(term.encode()):08x}"
        if not term.isascii()
        else re.sub(r"[^a-z0-9]+", "-", term.lower())
    )


def build_plain(site: Path, out: Path, images: bool = False) -> dict[str, float]:
    """Build ``site`` into ``out`` (replaced). Returns {"elapsed", "pages", "images", and per-step seconds}."""
    started = time.perf_counter()
    steps: dict[str, float] = {}
    mark = time.perf_counter()
    config = tomllib.loads((site / "site.toml").read_text(encoding="utf-8"))
    collections = config["collections"]
    taxonomies = config.get("taxonomies", {})
    widths = config.get("images", {}).get("widths", [480, 960, 1600])
    formats = config.get("images", {}).get("formats", ["webp"])
    quality = config.get("images", {}).get("quality", 78)

    # 1. read, parse, convert
    records: list[dict] = []
    by_source: dict[str, dict] = {}
    for name, coll in collections.items():
        folder = site / "content" / coll.get("folder", name)
        if not folder.is_dir():
            continue
        files = sorted(list(folder.glob("*.md")) + list(folder.glob("*/index.md")))
        text_fields = [f for f, spec in coll.get("fields", {}).items() if spec.get("type") == "text"]
        for file in files:
            text = file.read_text(encoding="utf-8")
            front, body = {}, text
            if text.startswith("---\n"):
                end = text.index("\n---\n", 4)
                front = yaml.safe_load(text[4:end]) or {}
                body = text[end + 5 :]
            slug = front.get("slug") or (file.parent.name if file.name == "index.md" else file.stem)
            record = {
                "collection": name,
                "slug": slug,
                "source": file,
                "fields": front,
                "title": str(front.get(coll.get("title_field", "title"), slug)),
                "url": coll["url"].replace("{slug}", slug),
                "date": front.get("date") or front.get("start"),
                "html": markdown.markdown(body, extensions=MD_EXTENSIONS),
                "html_fields": {f: markdown.markdown(str(front[f])) for f in text_fields if f in front},
            }
            records.append(record)
            by_source[str(file.resolve())] = record
    steps["load+markdown"] = time.perf_counter() - mark

    # links between records, references, taxonomies
    mark = time.perf_counter()
    by_key = {(r["collection"], r["slug"]): r for r in records}
    backrefs: dict[int, list[dict]] = {}
    terms: dict[str, dict[str, list[dict]]] = {t: {} for t in taxonomies}
    for r in records:
        folder = r["source"].parent

        def link(m: re.Match, folder: Path = folder) -> str:
            target = by_source.get(str((folder / m[1]).resolve()))
            return f'href="{target["url"]}{m[2] or ""}"' if target else m[0]

        r["html"] = LINK.sub(link, r["html"])
        specs = collections[r["collection"]].get("fields", {})
        facts = []
        r["terms"] = []
        for fname, spec in specs.items():
            value = r["fields"].get(fname)
            if value is None or spec.get("type") in ("text", "image", "gallery"):
                continue
            if spec.get("type") == "ref":
                targets = [
                    by_key.get((spec["collection"], v))
                    for v in (value if isinstance(value, list) else [value])
                ]
                targets = [t for t in targets if t]
                for t in targets:
                    backrefs.setdefault(id(t), []).append(r)
                value = targets if spec.get("multiple") else (targets[0] if targets else None)
            if spec.get("taxonomy"):
                for v in value if isinstance(value, list) else [value]:
                    terms[spec["taxonomy"]].setdefault(str(v), []).append(r)
                    r["terms"].append({"name": v, "url": f"/{spec['taxonomy']}/{_slugify(str(v))}/"})
            facts.append((fname, value))
        r["facts"] = facts
        cover = r["fields"].get("cover") or r["fields"].get("portrait")
        r["cover"] = None
        if isinstance(cover, dict) and images:
            r["cover"] = {"base": "/media/" + Path(cover["src"]).stem, "alt": cover.get("alt", "")}
    for r in records:
        r["backrefs"] = backrefs.get(id(r), [])
    steps["links"] = time.perf_counter() - mark

    # 2. render and write
    mark = time.perf_counter()
    env = jinja2.Environment(loader=jinja2.DictLoader(TEMPLATES), autoescape=True)
    for r in records:
        r["html"] = jinja2.utils.markupsafe.Markup(r["html"])
        r["html_fields"] = {k: jinja2.utils.markupsafe.Markup(v) for k, v in r["html_fields"].items()}
    site_ctx = {
        "title": config["title"],
        "subtitle": config.get("subtitle", ""),
        "description": config.get("description", ""),
        "language": config.get("language", "zh-CN"),
        "footer": config.get("footer", ""),
        "menu": config.get("menu", []),
    }
    discard(out)
    pages = 0

    def write(url: str, html: str) -> None:
        nonlocal pages
        path = out / url.strip("/") / "index.html" if url.endswith("/") else out / url.strip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(html, encoding="utf-8")
        pages += 1

    record_t, list_t = env.get_template("record.html"), env.get_template("list.html")
    ordered: dict[str, list[dict]] = {}
    for name, coll in collections.items():
        sort = coll.get("sort", "slug")
        key = sort.lstrip("-")
        group = [r for r in records if r["collection"] == name]
        group.sort(key=lambda r: r["slug"])
        group.sort(
            key=lambda r: str(r["fields"].get(key, r["slug"] if key == "slug" else "")),
            reverse=sort.startswith("-"),
        )
        ordered[name] = group
        for i, r in enumerate(group):
            prev = group[i - 1] if i else None
            nxt = group[i + 1] if i + 1 < len(group) else None
            crumbs = [
                {"title": coll["title"], "url": coll.get("list_url") or None},
                {"title": r["title"], "url": None},
            ]
            write(
                r["url"],
                record_t.render(
                    site=site_ctx,
                    title=r["title"],
                    crumbs=crumbs,
                    r=r,
                    prev=prev,
                    next=nxt,
                    formats=formats,
                    widths=widths,
                ),
            )
        list_url = coll.get("list_url", f"/{name}/")
        if list_url:
            per = coll.get("paginate", 0) or len(group) or 1
            count = max(1, math.ceil(len(group) / per))

            def page_url(n: int, list_url: str = list_url) -> str:
                return list_url if n == 1 else f"{list_url}page/{n}/"

            for n in range(1, count + 1):
                chunk = group[(n - 1) * per : n * per]
                write(
                    page_url(n),
                    list_t.render(
                        site=site_ctx,
                        title=coll["title"],
                        crumbs=[{"title": coll["title"], "url": None}],
                        records=chunk,
                        pages=count,
                        number=n,
                        page_url=page_url,
                    ),
                )
    home_colls = [
        {"title": c["title"], "url": c.get("list_url"), "records": ordered[n]} for n, c in collections.items()
    ]
    write(
        "/",
        env.get_template("home.html").render(site=site_ctx, title="首页", crumbs=[], collections=home_colls),
    )
    tax_t = env.get_template("taxonomy.html")
    for tname, tax in taxonomies.items():
        listed = [
            {"name": t, "url": f"/{tname}/{_slugify(t)}/", "records": rs}
            for t, rs in sorted(terms[tname].items())
        ]
        write(
            f"/{tname}/",
            tax_t.render(
                site=site_ctx, title=tax["title"], crumbs=[{"title": tax["title"], "url": None}], terms=listed
            ),
        )
        for t in listed:
            write(
                t["url"],
                list_t.render(
                    site=site_ctx,
                    title=t["name"],
                    crumbs=[{"title": tax["title"], "url": f"/{tname}/"}, {"title": t["name"], "url": None}],
                    records=t["records"],
                    pages=1,
                    number=1,
                    page_url=lambda n: "",
                ),
            )
    write(
        "/404.html",
        list_t.render(
            site=site_ctx, title="找不到页面", crumbs=[], records=[], pages=1, number=1, page_url=lambda n: ""
        ),
    )
    steps["render+write"] = time.perf_counter() - mark

    # 3. images
    done = 0
    if images:
        from PIL import Image, ImageOps

        mark = time.perf_counter()
        media = out / "media"
        media.mkdir(parents=True, exist_ok=True)
        seen: set[Path] = set()
        for r in records:
            f = r["fields"]
            srcs = [v["src"] for v in (f.get("cover"), f.get("portrait")) if isinstance(v, dict)]
            srcs += [g["src"] for g in f.get("gallery") or [] if isinstance(g, dict)]
            for src in srcs:
                path = (r["source"].parent / src).resolve()
                if path in seen:
                    continue
                seen.add(path)
                with Image.open(path) as original:
                    im = ImageOps.exif_transpose(original).convert("RGB")
                for w in widths:
                    if w > im.width:
                        continue
                    small = im.resize((w, round(im.height * w / im.width)), Image.Resampling.LANCZOS)
                    for fmt in [*formats, "jpg"]:
                        buf = io.BytesIO()
                        if fmt == "avif":
                            small.save(buf, "AVIF", quality=max(1, quality - 25), speed=8)
                        elif fmt == "webp":
                            small.save(buf, "WEBP", quality=quality, method=4)
                        else:
                            small.save(buf, "JPEG", quality=quality, optimize=True, progressive=True)
                        (media / f"{path.stem}-{w}.{fmt}").write_bytes(buf.getvalue())
                done += 1
        steps["images"] = time.perf_counter() - mark
    return {"elapsed": time.perf_counter() - started, "pages": pages, "images": done, **steps}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Plain single-process Markdown + Jinja build (the baseline)."
    )
    parser.add_argument("site", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--images", action="store_true", help="also make the image derivatives")
    args = parser.parse_args(argv)
    result = build_plain(args.site, args.out, images=args.images)
    print(" ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in result.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
