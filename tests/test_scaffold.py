"""`python build.py new`: a new record file whose placeholders the build flags until an editor fills them in."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import SITE_TOML, MakeSite
from yunzhan import scaffold
from yunzhan.config import load_config
from yunzhan.content import load_content
from yunzhan.errors import Problem, YunzhanError
from yunzhan.placeholders import MARK
from yunzhan.references import resolve_references

ALL_TYPES_TOML = (
    SITE_TOML
    + """
[collections.everything]
title = "全类型"
url = "/everything/{slug}/"

[collections.everything.fields]
title = { type = "string", required = true }
line = { type = "string", required = true }
text = { type = "text", required = true }
count = { type = "int", required = true }
flag = { type = "bool", required = true }
day = { type = "date", required = true }
link = { type = "url", required = true }
kind = { type = "enum", values = ["甲", "乙"], required = true }
words = { type = "list", required = true }
picture = { type = "image", required = true }
photos = { type = "gallery", required = true }
zone = { type = "ref", collection = "zones", required = true }
people = { type = "ref", collection = "craftsmen", multiple = true, required = true }
optional = { type = "string" }
with_default = { type = "bool", default = false, required = true }
"""
)


def _problems_of(site: Path, path: Path, *, body: bool = False) -> list[Problem]:
    """The record's problems; its body's hints (tested on their own) left out unless ``body``."""
    config = load_config(site)
    loaded = load_content(site, config, drafts=True)
    rel = path.relative_to(site).as_posix()
    return [p for p in loaded.problems if p.path == rel and (body or MARK not in p.message)]


def _write_body(path: Path, body: str) -> None:
    """Replace the body ``new`` wrote, as the editor does."""
    text = path.read_text(encoding="utf-8")
    head, _, _ = text[4:].partition("\n---\n")
    path.write_text(f"---\n{head}\n---\n{body}", encoding="utf-8")


def _error(call: object) -> list[Problem]:
    with pytest.raises(YunzhanError) as info:
        call()  # type: ignore[operator]
    return info.value.problems


def test_new_record_gets_pinyin_slug_and_placeholders_flagged_by_the_build(make_site: MakeSite) -> None:
    site = make_site()
    path = scaffold.new_record(site, load_config(site), "projects", "感应热处理工艺调整", {})
    assert path == site / "content/projects/gan-ying-re-chu-li-gong-yi-tiao-zheng.md"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\ntitle: 感应热处理工艺调整\n")
    assert "category: 请选择：创新项目/创新产品/非遗绝技" in text
    assert "# cover: 封面.jpg" in text  # optional fields are commented-out examples
    assert "# date: 2024-04-29" in text
    problems = _problems_of(site, path)
    assert {p.field for p in problems} == {"category", "zone"}
    assert all(p.is_error and p.line is not None for p in problems)
    lines = text.split("\n")
    for problem in problems:  # each error points at the placeholder's own line
        assert lines[problem.line - 1].startswith(f"{problem.field}:")


def test_every_field_type_placeholder_is_an_error_on_its_field(make_site: MakeSite) -> None:
    site = make_site(toml=ALL_TYPES_TOML)
    path = scaffold.new_record(site, load_config(site), "everything", "全部类型", {})
    problems = _problems_of(site, path)
    assert not any("YAML" in p.message for p in problems)
    flagged = {p.field for p in problems if p.is_error}
    expected = {"line", "text", "count", "flag", "day", "link", "kind", "words", "picture", "photos"}
    assert flagged == expected | {"zone", "people"}
    text = path.read_text(encoding="utf-8")
    assert "# optional: 文字" in text
    assert "# with_default: false" in text
    assert "#   - src: 照片1.jpg" in text


def test_placeholders_filled_in_give_a_clean_record(make_site: MakeSite) -> None:
    site = make_site()
    path = scaffold.new_record(site, load_config(site), "projects", "火箭发动机", {})
    text = path.read_text(encoding="utf-8")
    text = text.replace("请选择：创新项目/创新产品/非遗绝技", "创新产品")
    text = text.replace("zone:   #", "zone: gusu   #")
    path.write_text(text, encoding="utf-8")
    assert [p.message[:12] for p in _problems_of(site, path, body=True)] == ["正文里还留着新建时的提示"]
    _write_body(path, "## 项目简介\n\n火箭发动机的模型。\n")
    assert _problems_of(site, path, body=True) == []


def test_given_fields_are_written_and_load_cleanly(make_site: MakeSite) -> None:
    site = make_site()
    config = load_config(site)
    fields = {
        "category": "创新产品",
        "zone": "gusu",
        "craftsmen": "li-qijie",
        "date": "2024-05-01",
        "tags": "航天、火箭，模型",
        "featured": "是",
        "summary": "简介: 第一句 #1",
        "website": "https://example.org/",
        "draft": "true",
    }
    path = scaffold.new_record(site, config, "projects", "“天龙”号: 模型 #2", fields)
    text = path.read_text(encoding="utf-8")
    assert "date: 2024-05-01\n" in text
    assert "tags: [航天, 火箭, 模型]\n" in text
    assert "featured: true\n" in text
    assert "draft: true\n" in text
    assert _problems_of(site, path) == []
    loaded = load_content(site, config, drafts=True)
    assert resolve_references(loaded.records, config) == []
    (record,) = [r for r in loaded.records if r.source == path.relative_to(site).as_posix()]
    assert record.title == "“天龙”号: 模型 #2"
    assert record.fields["summary"] == "简介: 第一句 #1"
    assert record.fields["tags"] == ["航天", "火箭", "模型"]
    assert record.draft is True


def test_field_values_are_validated_against_the_spec(make_site: MakeSite) -> None:
    site = make_site()
    config = load_config(site)
    fields = {
        "zon": "gusu",
        "category": "创新项木",
        "date": "2024-13-01",
        "craftsmen": "li-qijie、li-qj",
        "featured": "maybe",
        "cover": "/etc/passwd",
        "gallery": "a.jpg",
        "body": "正文",
    }
    problems = _error(lambda: scaffold.new_record(site, config, "projects", "测试", fields))
    by_path = {p.path: p for p in problems}
    assert set(by_path) == {
        "--zon",
        "--category",
        "--date",
        "--craftsmen",
        "--featured",
        "--cover",
        "--gallery",
        "--body",
    }
    assert '是不是 "zone"？' in by_path["--zon"].hint
    assert '是不是 "创新项目"？' in by_path["--category"].hint
    assert "不存在的日期" in by_path["--date"].message
    assert '找不到劳模工匠 "li-qj"' in by_path["--craftsmen"].message
    assert '是不是 "li-qijie"（content/craftsmen/li-qijie.md）？' in by_path["--craftsmen"].hint
    assert "电脑上的完整路径" in by_path["--cover"].message
    assert by_path["--zon"].format().startswith("--zon: “创新成果”没有字段")
    assert not (site / "content/projects/ce-shi.md").exists()


def test_review_is_signed_in_the_file_not_on_the_command_line(make_site: MakeSite) -> None:
    """``review`` is a reserved key (三审三校 signatures): ``new … --review 张三`` says so, not that the body
    cannot be written there; another reserved key gets its own words too."""
    site = make_site()
    config = load_config(site)
    (problem,) = _error(lambda: scaffold.new_record(site, config, "projects", "测试", {"review": "张三"}))
    assert problem.path == "--review"
    assert "审核签名不能在命令行里写" in problem.message and "正文" not in problem.message
    assert "review: {初审: 姓名 日期}" in problem.hint
    (problem,) = _error(lambda: scaffold.new_record(site, config, "projects", "测试", {"body": "正文"}))
    assert problem.message == "正文不能在命令行里写"
    assert not (site / "content/projects/ce-shi.md").exists()


def test_unknown_collection_has_did_you_mean_and_titles_work(make_site: MakeSite) -> None:
    site = make_site()
    config = load_config(site)
    (problem,) = _error(lambda: scaffold.new_record(site, config, "projets", "测试", {}))
    assert '没有名为 "projets" 的栏目' in problem.message
    assert '是不是 "projects"？' in problem.hint and "craftsmen（劳模工匠）" in problem.hint
    path = scaffold.new_record(site, config, "劳模工匠", "雷雨田", {})
    assert path == site / "content/craftsmen/lei-yu-tian.md"
    assert path.read_text(encoding="utf-8").startswith("---\nname: 雷雨田\n")


@pytest.mark.parametrize(
    ("existing", "title"),
    [
        ("content/projects/huo-jian.md", "火箭"),
        ("content/projects/huo-jian.yaml", "火箭"),
        ("content/projects/huo-jian/index.md", "火箭"),
        ("content/projects/火箭.md", "火箭"),
        ("content/projects/rocket.md", "Rocket"),
    ],
)
def test_refuses_to_overwrite_an_existing_record(make_site: MakeSite, existing: str, title: str) -> None:
    site = make_site({existing: "---\ntitle: 原来的\n---\n原文\n"})
    before = (site / existing).read_bytes()
    (problem,) = _error(lambda: scaffold.new_record(site, load_config(site), "projects", title, {}))
    assert problem.path == existing
    assert "已经存在" in problem.message
    assert (site / existing).read_bytes() == before


def test_slug_option_and_titles_without_letters(make_site: MakeSite) -> None:
    site = make_site()
    config = load_config(site)
    path = scaffold.new_record(site, config, "pages", "关于本展", {"slug": "about-expo"})
    assert path.name == "about-expo.md"
    assert "slug:" not in path.read_text(encoding="utf-8")
    (problem,) = _error(lambda: scaffold.new_record(site, config, "pages", "！！！", {}))
    assert "无法从标题" in problem.message and "--slug" in problem.hint
    (problem,) = _error(lambda: scaffold.new_record(site, config, "pages", "x", {"slug": "Bad Slug"}))
    assert problem.path == "--slug"
    (problem,) = _error(lambda: scaffold.new_record(site, config, "pages", "   ", {}))
    assert "标题不能是空的" in problem.message


def test_long_titles_get_a_bounded_slug(make_site: MakeSite) -> None:
    site = make_site()
    title = "劳模工匠助企行专项行动感应热处理工艺调整手册的编写推广与职工培训成效总结"
    path = scaffold.new_record(site, load_config(site), "pages", title, {})
    assert len(path.stem) <= scaffold.MAX_SLUG_CHARS
    assert not path.stem.endswith("-")


def test_body_comes_from_the_site_archetype_then_the_theme(make_site: MakeSite) -> None:
    site = make_site({"archetypes/craftsmen.md": "---\nname: 忽略\n---\n## 我们自己的模板\n"})
    config = load_config(site)
    own = scaffold.new_record(site, config, "craftsmen", "示例工匠", {})
    assert own.read_text(encoding="utf-8").endswith("---\n## 我们自己的模板\n")
    theme = scaffold.new_record(site, config, "projects", "示例项目", {})
    assert "## 项目简介" in theme.read_text(encoding="utf-8")  # themes/default/archetypes/projects.md
    plain = scaffold.new_record(site, load_config(site), "zones", "示例展区", {"order": "3"})
    assert "## 展区介绍" in plain.read_text(encoding="utf-8")


def test_theme_archetypes_pass_the_checks(make_site: MakeSite) -> None:
    from yunzhan import check

    site = make_site()
    config = load_config(site)
    for name in ("projects", "craftsmen", "zones", "activities", "pages"):
        scaffold.new_record(site, config, name, f"模板{name}", {})
    report = check.run_checks(load_content(site, config), config, site)
    assert report.problems == []


def test_parse_field_args() -> None:
    assert scaffold.parse_field_args(["--zone", "gusu", "--date=2024-05-01", "--summary", "a b"]) == {
        "zone": "gusu",
        "date": "2024-05-01",
        "summary": "a b",
    }
    problems = _error(
        lambda: scaffold.parse_field_args(["--zone", "--date", "2024-05-01", "多余", "--date=x"])
    )
    formatted = [p.format() for p in problems]
    assert "--zone: 后面缺少值 — 写成 --zone 值，例如 --zone gusu" in formatted
    assert any(m.startswith("命令行: 看不懂 “多余”") for m in formatted)
    assert any(m.startswith("--date: 写了两次") for m in formatted)


def test_new_record_never_writes_outside_the_collection_folder(make_site: MakeSite) -> None:
    site = make_site()
    path = scaffold.new_record(site, load_config(site), "projects", "../../逃出去", {})
    assert path.parent == site / "content/projects"


def test_the_body_hints_fail_the_build_and_check_until_replaced(make_site: MakeSite) -> None:
    from yunzhan import check
    from yunzhan.pipeline import BuildOptions, build

    site = make_site()
    config = load_config(site)
    path = scaffold.new_record(site, config, "craftsmen", "顾建华", {})
    text = path.read_text(encoding="utf-8")
    first = next(n for n, line in enumerate(text.split("\n"), 1) if MARK in line)
    (problem,) = _problems_of(site, path, body=True)
    assert problem.is_error and problem.line == first
    assert problem.format() == (
        f"content/craftsmen/gu-jian-hua.md:{first}: 正文里还留着新建时的提示文字“{MARK}工作单位、岗位、从业年限和主要荣誉。”"
        f"（一共 5 处，第一处在这一行） — 把每处{MARK}和它后面的提示换成自己写的正文；用不上的小节连同小标题一起删掉"
    )
    assert problem in check.check_site(site).problems
    with pytest.raises(YunzhanError) as info:
        build(BuildOptions(site_dir=site))
    assert problem in info.value.problems
    _write_body(path, text.split("\n---\n", 1)[1].replace(MARK, ""))  # hints kept as text: the editor's call
    assert _problems_of(site, path, body=True) == []
    assert build(BuildOptions(site_dir=site)).pages > 0


@pytest.mark.parametrize(
    "collection", ["projects", "craftsmen", "zones", "activities", "pages", "everything"]
)
def test_every_body_new_writes_is_marked(make_site: MakeSite, collection: str) -> None:
    """The theme's archetypes and the default body: every hint is flagged, none slips through unmarked."""
    site = make_site(toml=ALL_TYPES_TOML)
    path = scaffold.new_record(site, load_config(site), collection, "示例", {})
    body = path.read_text(encoding="utf-8").split("\n---\n", 1)[1]
    hints = [line for line in body.split("\n") if line.strip() and not line.startswith("#")]
    assert hints and all(MARK in line for line in hints)


def test_an_empty_required_field_gets_a_hint_that_fits(make_site: MakeSite) -> None:
    site = make_site(
        {
            "content/pages/empty.md": "---\ntitle:\n---\n正文。\n",
            "content/pages/missing.md": "---\nsummary: 简介\n---\n正文。\n",
            "content/zones/wujiang.md": "---\nname: 吴江展区\norder: ''\n---\n正文。\n",
        }
    )
    formatted = sorted(p.format() for p in load_content(site, load_config(site)).problems)
    assert formatted == [
        "content/pages/empty.md:2: title: 必填字段 title 还是空的 — 在 title: 后面空一格，写上内容",
        "content/pages/missing.md:1: title: 缺少必填字段 title — 加上 title: …",
        "content/zones/wujiang.md:3: order: 必填字段 order 还是空的 — 在 order: 后面空一格，写上内容",
    ]


def test_bundle_makes_a_folder_for_the_photos(make_site: MakeSite) -> None:
    from tests.conftest import jpeg_bytes

    site = make_site({"content/projects/tian-long/照片1.jpg": jpeg_bytes()})  # photos put there first
    config = load_config(site)
    path = scaffold.new_record(
        site, config, "projects", "天龙", {"slug": "tian-long", "zone": "gusu"}, bundle=True
    )
    assert path == site / "content/projects/tian-long/index.md"
    assert (site / "content/projects/tian-long/照片1.jpg").is_file()
    text = path.read_text(encoding="utf-8").replace("请选择：创新项目/创新产品/非遗绝技", "创新产品")
    path.write_text(text.replace("# cover: 封面.jpg", "cover: 照片1.jpg"), encoding="utf-8")
    _write_body(path, "天龙号。\n")
    assert _problems_of(site, path, body=True) == []
    (record,) = [r for r in load_content(site, config).records if r.slug == "tian-long"]
    assert record.fields["cover"].source.endswith("tian-long/照片1.jpg")
    assert scaffold.photo_fields(config, "projects") == ["cover", "gallery"]
    problems = _error(lambda: scaffold.new_record(site, config, "projects", "天龙", {"slug": "tian-long"}))
    assert problems[0].path == "content/projects/tian-long/index.md"
    problems = _error(
        lambda: scaffold.new_record(site, config, "projects", "天龙", {"slug": "tian-long"}, bundle=True)
    )
    assert "已经存在" in problems[0].message


def test_refs_may_name_a_record_by_its_title_as_in_the_build(make_site: MakeSite) -> None:
    site = make_site()
    path = scaffold.new_record(site, load_config(site), "projects", "织机改造", {"zone": "姑苏展区"})
    assert "zone: 姑苏展区" in path.read_text(encoding="utf-8")
    with pytest.raises(YunzhanError) as info:
        scaffold.new_record(site, load_config(site), "projects", "织机改造二", {"zone": "姑苏区展区"})
    assert '是不是 "姑苏展区"（content/zones/gusu.md）？' in info.value.problems[0].hint
