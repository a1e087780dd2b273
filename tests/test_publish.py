"""publish.py: sitemap, robots, Atom, open data, fingerprints, compression — deterministic and sub-path aware."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
import re
import warnings
from pathlib import Path

import brotli
import pytest
from lxml import etree
from markupsafe import Markup

from tests.conftest import MakeSite
from yunzhan import opendata, publish
from yunzhan.config import CollectionSettings, SiteConfig, load_config
from yunzhan.model import GalleryItem, Image, Record
from yunzhan.pages import SitePlan, assign_urls, plan_site

DATA = Path(__file__).parent / "data"
BASE_URL = "https://example.org/expo/2024/"


def _site(
    make_site: MakeSite, base_url: str = BASE_URL
) -> tuple[SiteConfig, dict[str, list[Record]], SitePlan]:
    config = load_config(make_site(), base_url)
    zone = Record(
        "zones", "gusu", "content/zones/gusu.md", title="姑苏展区", fields={"name": "姑苏展区", "order": 1}
    )
    craftsman = Record(
        "craftsmen", "li-qijie", "content/craftsmen/li-qijie.md", title="李奇杰",
        fields={"name": "李奇杰", "specialties": ["热处理", "传动"], "_phone": "13800000000"},
    )  # fmt: skip
    cover = Image(
        "/expo/2024/media/ab12/rocket-640.jpg",
        640,
        480,
        "火箭模型",
        large="/expo/2024/media/ab12/rocket-1600.jpg",
    )
    rocket = Record(
        "projects", "rocket", "content/projects/rocket.md", title="火箭模型 <天龙二号>",
        body=Markup("<h2>技术攻关</h2><p>第一段 &amp; 说明。</p><p>第二段</p>"),
        fields={
            "title": "火箭模型 <天龙二号>", "category": "创新产品", "zone": zone, "craftsmen": [craftsman],
            "date": dt.date(2024, 5, 1), "tags": ["航天"], "summary": Markup("<p>液氧煤油<strong>火箭</strong>模型</p>"),
            "cover": cover, "gallery": [GalleryItem(cover, "展台", "示例")], "featured": True, "website": None,
        },
    )  # fmt: skip
    loom = Record(
        "projects", "loom", "content/projects/loom.md", title="=SUM(1,2) 织机",
        fields={"title": "=SUM(1,2) 织机", "category": "创新项目", "zone": zone, "date": dt.date(2024, 6, 3)},
    )  # fmt: skip
    undated = Record(
        "projects", "undated", "content/projects/undated.md", title="无日期", fields={"title": "无日期"}
    )
    activity = Record(
        "activities", "roundtable", "content/activities/roundtable.md", title="劳模工匠圆桌会",
        fields={"title": "劳模工匠圆桌会", "start": dt.date(2024, 5, 20), "summary": Markup("<p>圆桌</p>")},
    )  # fmt: skip
    about = Record("pages", "about", "content/pages/about.md", title="关于", fields={"title": "关于"})
    grouped = {
        "zones": [zone],
        "projects": [loom, rocket, undated],
        "craftsmen": [craftsman],
        "activities": [activity],
        "pages": [about],
    }
    assign_urls([r for rs in grouped.values() for r in rs], config)
    return config, grouped, plan_site(grouped, config)


def _all(grouped: dict[str, list[Record]]) -> list[Record]:
    return [r for rs in grouped.values() for r in rs]


# ---------------------------------------------------------------------------------------------- sitemap


def test_sitemap_is_valid_against_the_sitemaps_org_schema(make_site: MakeSite) -> None:
    config, _grouped, plan = _site(make_site)
    files = publish.sitemap(plan.pages, config)
    assert list(files) == ["sitemap.xml"]
    schema = etree.XMLSchema(etree.parse(str(DATA / "sitemap.xsd")))
    doc = etree.fromstring(files["sitemap.xml"])
    assert schema.validate(doc), schema.error_log
    ns = {"s": publish.SITEMAP_NS}
    locs = doc.xpath("//s:loc/text()", namespaces=ns)
    assert all(loc.startswith(BASE_URL) for loc in locs)
    assert BASE_URL in locs and f"{BASE_URL}projects/rocket/" in locs
    assert not any("404" in loc for loc in locs)
    assert len(locs) == len(set(locs))


def test_sitemap_lastmod_comes_from_record_dates_never_the_clock(make_site: MakeSite) -> None:
    config, _grouped, plan = _site(make_site)
    doc = etree.fromstring(publish.sitemap(plan.pages, config)["sitemap.xml"])
    ns = {"s": publish.SITEMAP_NS}
    lastmod = {
        u.findtext("s:loc", namespaces=ns): u.findtext("s:lastmod", namespaces=ns)
        for u in doc.findall("s:url", ns)
    }
    assert lastmod[f"{BASE_URL}projects/rocket/"] == "2024-05-01"
    assert lastmod[f"{BASE_URL}activities/roundtable/"] == "2024-05-20"  # an activity's `start`
    assert lastmod[f"{BASE_URL}projects/"] == "2024-06-03"  # the newest record on the index page
    assert lastmod[BASE_URL] == "2024-06-03"
    assert lastmod[f"{BASE_URL}projects/undated/"] is None  # no date: no lastmod rather than a made-up one
    assert lastmod[f"{BASE_URL}craftsmen/li-qijie/"] is None
    # a taxonomy overview and a term page: the newest of their own records (the loom, newer, has no tag)
    assert lastmod[f"{BASE_URL}tags/"] == lastmod[f"{BASE_URL}tags/hang-tian/"] == "2024-05-01"


def test_sitemap_splits_into_an_index_past_50000_urls(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, _grouped, plan = _site(make_site)
    monkeypatch.setattr(publish, "MAX_SITEMAP_URLS", 4)
    files = publish.sitemap(plan.pages, config)
    assert len(files) > 2 and "sitemap-1.xml" in files
    index = etree.fromstring(files["sitemap.xml"])
    assert etree.XMLSchema(etree.parse(str(DATA / "siteindex.xsd"))).validate(index)
    assert (
        index.findtext(f"{{{publish.SITEMAP_NS}}}sitemap/{{{publish.SITEMAP_NS}}}loc")
        == f"{BASE_URL}sitemap-1.xml"
    )
    schema = etree.XMLSchema(etree.parse(str(DATA / "sitemap.xsd")))
    assert all(schema.validate(etree.fromstring(files[n])) for n in files if n != "sitemap.xml")


def test_robots_names_the_sitemap_under_the_sub_path(make_site: MakeSite) -> None:
    config, _grouped, _plan = _site(make_site)
    text = publish.robots(config)["robots.txt"].decode()
    assert "User-agent: *" in text
    assert f"Sitemap: {BASE_URL}sitemap.xml" in text


# ---------------------------------------------------------------------------------------------- Atom


def test_atom_feed_parses_and_lists_dated_records_newest_first(make_site: MakeSite) -> None:
    import feedparser  # a declared dependency: missing is a failure, not a skip

    config, grouped, _plan = _site(make_site)
    data = publish.atom_feed(_all(grouped), config)["feed.xml"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # feedparser's own use of deprecated APIs
        feed = feedparser.parse(data)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.title == config.title
    assert [e.link for e in feed.entries] == [
        f"{BASE_URL}projects/loom/",
        f"{BASE_URL}activities/roundtable/",
        f"{BASE_URL}projects/rocket/",
    ]
    rocket = feed.entries[2]
    assert rocket.title == "火箭模型 <天龙二号>"
    assert rocket.summary == "液氧煤油火箭模型"
    assert rocket.updated == "2024-05-01T00:00:00+08:00"
    assert feed.feed.updated == "2024-06-03T00:00:00+08:00"


def test_atom_feed_has_every_element_atom_requires(make_site: MakeSite) -> None:
    config, grouped, _plan = _site(make_site)
    root = etree.fromstring(publish.atom_feed(_all(grouped), config)["feed.xml"])
    a = f"{{{publish.ATOM_NS}}}"
    assert root.tag == f"{a}feed"
    for name in ("id", "title", "updated", "author"):
        assert root.find(a + name) is not None, name
    assert root.find(f"{a}author/{a}name").text == config.title
    assert root.find(f"{a}link[@rel='self']").get("href") == f"{BASE_URL}feed.xml"
    date = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")
    for entry in root.findall(f"{a}entry"):
        for name in ("id", "title", "updated"):
            assert entry.find(a + name) is not None, name
        assert entry.find(f"{a}link[@rel='alternate']") is not None
        assert date.match(entry.findtext(f"{a}updated"))
        assert entry.findtext(f"{a}id").startswith(BASE_URL)


def test_outputs_are_deterministic(make_site: MakeSite) -> None:
    config, grouped, plan = _site(make_site)
    first = {
        **publish.sitemap(plan.pages, config),
        **publish.atom_feed(_all(grouped), config),
        **opendata.open_data(grouped, config),
        **publish.robots(config),
    }
    config2, grouped2, plan2 = _site(make_site)
    second = {
        **publish.sitemap(plan2.pages, config2),
        **publish.atom_feed(_all(grouped2), config2),
        **opendata.open_data(grouped2, config2),
        **publish.robots(config2),
    }
    assert first == second
    assert publish.compress(first) == publish.compress(second)


# ---------------------------------------------------------------------------------------------- open data


_COLLECTIONS = (("projects", "项目"), ("pages", "页面"))


def test_open_data_json_has_one_record_a_line_and_empty_collections() -> None:
    site = {"title": "展", "url": "https://example.org/", "description": ""}
    rows = [{"slug": "a", "body": "第一行\n第二行"}, {"slug": "b", "tags": ["甲", "乙"]}]
    settings = [
        CollectionSettings(n, t, n, "/{slug}/", "", "", "", 0, "", "", "", ()) for n, t in _COLLECTIONS
    ]
    config = SiteConfig(title="展", base_url="https://example.org/", collections=tuple(settings))
    lines = [(json.dumps(row, ensure_ascii=False).encode(), b"") for row in rows]
    data = opendata.open_data_files(config, {"projects": lines})[opendata.OPEN_DATA_JSON]
    text = data.decode()
    assert json.loads(text) == {
        "site": site,
        "collections": {
            "projects": {"title": "项目", "records": rows},
            "pages": {"title": "页面", "records": []},
        },
    }
    lines = text.splitlines()
    assert [line.strip().rstrip(",") for line in lines if line.strip().startswith('{"slug"')] == [
        json.dumps(row, ensure_ascii=False) for row in rows
    ]


def test_open_data_json_serialises_refs_images_and_text(make_site: MakeSite) -> None:
    config, grouped, _plan = _site(make_site)
    files = opendata.open_data(grouped, config)
    assert set(files) == {
        "data/records.json",
        "data/zones.csv",
        "data/projects.csv",
        "data/craftsmen.csv",
        "data/activities.csv",
        "data/pages.csv",
    }
    data = json.loads(files["data/records.json"])
    assert data["site"]["url"] == BASE_URL
    rocket = next(r for r in data["collections"]["projects"]["records"] if r["slug"] == "rocket")
    assert rocket["url"] == f"{BASE_URL}projects/rocket/"
    assert rocket["zone"] == "gusu" and rocket["craftsmen"] == ["li-qijie"]
    assert rocket["cover"] == {
        "url": "https://example.org/expo/2024/media/ab12/rocket-1600.jpg",
        "alt": "火箭模型",
        "width": 640,
        "height": 480,
    }
    assert rocket["gallery"][0]["caption"] == "展台"
    assert rocket["summary"] == "液氧煤油火箭模型"
    assert rocket["body"] == "技术攻关\n第一段 & 说明。\n第二段"
    assert rocket["date"] == "2024-05-01" and rocket["featured"] is True
    craftsman = data["collections"]["craftsmen"]["records"][0]
    assert craftsman["title"] == "李奇杰"  # title_field = name: the title is given too
    assert "_phone" not in craftsman and "13800000000" not in files["data/records.json"].decode()


def test_open_data_csv_opens_in_excel_and_defuses_formulas(make_site: MakeSite) -> None:
    config, grouped, _plan = _site(make_site)
    raw = opendata.open_data(grouped, config)["data/projects.csv"]
    assert raw.startswith("\ufeff".encode())  # BOM: Excel reads the Chinese as UTF-8
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["slug"] for r in rows] == ["loom", "rocket", "undated"]
    assert rows[1]["craftsmen"] == "li-qijie"
    assert rows[1]["tags"] == "航天"
    assert rows[1]["cover"].startswith("https://example.org/expo/2024/media/")
    assert rows[0]["title"] == "'=SUM(1,2) 织机"
    assert not any(name.startswith("_") for name in rows[0])
    links = opendata.open_data_links(config)
    assert links[0]["url"] == "/expo/2024/data/records.json"


# ---------------------------------------------------------------------------------------------- assets


def _theme(tmp_path: Path) -> dict[str, Path]:
    files = {
        "assets/css/site.css": (
            '@import "parts/base.css";\n'
            ".a{background:url(../icons/star.svg)}\n"
            ".b{background:url('../icons/star.svg#x')}\n"
            '.c{background:url("data:image/svg+xml,%3Csvg%3E")}\n'
            ".d{background:url(https://cdn.example.com/x.png)}\n"
            ".e{background:url(/absolute.png)}\n"
        ),
        "assets/css/parts/base.css": "body{background:url(../../fonts/x.woff2)}\n",
        "assets/icons/star.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
        "assets/fonts/x.woff2": "font",
        "assets/js/site.js": "console.log(1)\n",
        "media/ab12/photo.jpg": "jpeg",
    }
    out = {}
    for rel, text in files.items():
        path = tmp_path / "src" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        out[rel] = path
    return out


def test_fingerprint_renames_assets_and_rewrites_css_references(tmp_path: Path) -> None:
    files, mapping = publish.fingerprint_assets(_theme(tmp_path))
    assert set(mapping) == {
        "css/site.css",
        "css/parts/base.css",
        "icons/star.svg",
        "fonts/x.woff2",
        "js/site.js",
    }
    for original, new in mapping.items():
        assert publish.FINGERPRINT_RE.search(new), new
        assert new.rsplit(".", 2)[0] == original.rsplit(".", 1)[0]
        assert "assets/" + new in files
    assert not any(rel.startswith("media/") for rel in files)  # not under the prefix: left to the caller
    css = files["assets/" + mapping["css/site.css"]].decode()
    star = mapping["icons/star.svg"].split("/")[-1]
    assert f"url(../icons/{star})" in css and f"url('../icons/{star}#x')" in css
    assert f'@import "{mapping["css/parts/base.css"].split("/", 1)[1]}"' in css
    assert (
        "data:image/svg+xml" in css and "https://cdn.example.com/x.png" in css and "url(/absolute.png)" in css
    )
    base = files["assets/" + mapping["css/parts/base.css"]].decode()
    assert f"url(../../{mapping['fonts/x.woff2']})" in base
    # the hash covers the rewritten text: a changed icon changes the CSS file's name too
    theme = _theme(tmp_path)
    theme["assets/icons/star.svg"].write_text("<svg xmlns='http://www.w3.org/2000/svg'><g/></svg>")
    _files2, mapping2 = publish.fingerprint_assets(theme)
    assert mapping2["css/site.css"] != mapping["css/site.css"]
    assert mapping2["js/site.js"] == mapping["js/site.js"]


def test_fingerprinted_names_work_with_the_renderer(make_site: MakeSite, tmp_path: Path) -> None:
    from yunzhan.render import make_environment

    config, _grouped, _plan = _site(make_site)
    _files, mapping = publish.fingerprint_assets(_theme(tmp_path))
    env = make_environment(tmp_path, config, mapping)
    url = env.from_string("{{ asset('css/site.css') }}").render()
    assert url == "/expo/2024/assets/" + mapping["css/site.css"]


# ---------------------------------------------------------------------------------------------- compression


def test_compress_round_trips_and_skips_binary_and_tiny_files() -> None:
    html = ("<!doctype html><title>展览</title>" + "<p>劳动创造幸福，匠心成就梦想。</p>" * 200).encode()
    files = {"index.html": html, "a/b.css": b"body{}" * 100, "x.jpg": b"\xff" * 5000, "tiny.txt": b"hi"}
    out = publish.compress(files)
    assert set(out) == {"index.html.gz", "index.html.br", "a/b.css.gz", "a/b.css.br"}
    assert gzip.decompress(out["index.html.gz"]) == html
    assert brotli.decompress(out["index.html.br"]) == html
    assert out["index.html.gz"][4:8] == b"\0\0\0\0"  # mtime 0: same bytes every build
    assert len(out["index.html.br"]) < len(out["index.html.gz"]) < len(html)


def test_compress_reuses_the_previous_builds_twins_only_when_they_match(tmp_path: Path) -> None:
    html = b"<p>" + "展品".encode() * 500 + b"</p>"
    out = publish.compress({"index.html": html})
    (tmp_path / "index.html").write_bytes(html)
    (tmp_path / "index.html.br").write_bytes(out["index.html.br"])
    (tmp_path / "index.html.gz").write_bytes(out["index.html.gz"])
    assert publish.compress({"index.html": html}, previous=tmp_path) == out
    (tmp_path / "index.html.br").write_bytes(b"garbage")
    assert publish.compress({"index.html": html}, previous=tmp_path) == out


def test_filing_links_point_to_the_official_registers() -> None:
    links = publish.filing_links("苏ICP备12345678号-1", "苏公网安备 32050802012345号")
    assert links == [
        {"title": "苏ICP备12345678号-1", "url": "https://beian.miit.gov.cn/"},
        {
            "title": "苏公网安备 32050802012345号",
            "url": "https://beian.mps.gov.cn/#/query/webSearch?code=32050802012345",
        },
    ]
    assert publish.filing_links("", "") == []


@pytest.mark.parametrize("text", ['a&b<c>"d', "it's", "x\"y'z\n\t\r", "", "苏州 & 吴江 <展区>", "&amp;"])
def test_xml_escaping_is_the_standard_librarys(text: str) -> None:
    """The feed and sitemap escape as ``xml.sax.saxutils`` does (not imported: it pulls urllib and email)."""
    from xml.sax import saxutils

    assert publish.escape(text) == saxutils.escape(text)
    assert publish.quoteattr(text) == saxutils.quoteattr(text)
