"""Related records on a record page (``related_by`` in site.toml): same zone first, then same industry, at most
four, never the record itself; chosen once per build in Python, so a big zone costs no more per page than a small
one."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import jinja2
import pytest

from tests.conftest import SITE_TOML, MakeSite
from yunzhan import processes
from yunzhan.config import load_config
from yunzhan.errors import ConfigError
from yunzhan.pipeline import BuildOptions, build

TOML = (
    SITE_TOML.replace('related_by = ["zone"]\n', 'related_by = ["zone", "industry"]\n')
    .replace('website = { type = "url" }\n', 'website = { type = "url" }\nindustry = { type = "string" }\n')
    .replace("paginate = 2\n", "paginate = 0\n")
    + "\n[publish]\nshare_cards = false\nshare_posters = false\n"
)


def _project(slug: str, zone: str, date: str, industry: str = "") -> tuple[str, str]:
    extra = f"industry: {industry}\n" if industry else ""
    text = f"---\ntitle: 成果{slug}\ncategory: 创新项目\nzone: {zone}\ndate: {date}\n{extra}---\n正文。\n"
    return f"content/projects/{slug}.md", text


class _Related(HTMLParser):
    """The links of the 相关成果 section, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "section" and found.get("aria-labelledby") == "related-title":
            self.depth = 1
        elif tag == "section" and self.depth:
            self.depth += 1
        elif tag == "a" and self.depth and (href := found.get("href") or "").startswith("/projects/"):
            self.links += [] if href in self.links else [href]

    def handle_endtag(self, tag: str) -> None:
        if tag == "section" and self.depth:
            self.depth -= 1


def _related(out: Path, slug: str) -> list[str]:
    parser = _Related()
    parser.feed((out / "projects" / slug / "index.html").read_text("utf-8"))
    return [href.split("/")[2] for href in parser.links]


def _zone(slug: str, order: int) -> tuple[str, str]:
    return f"content/zones/{slug}.md", f"---\nname: {slug}展区\norder: {order}\n---\n"


def test_same_zone_first_then_same_industry_at_most_four(make_site: MakeSite) -> None:
    files = dict([_zone("wuzhong", 2), _zone("kunshan", 3)])
    files.update(
        [
            _project("a1", "wuzhong", "2024-05-09", "机械"),
            _project("a2", "wuzhong", "2024-05-08", "纺织"),
            _project("b1", "kunshan", "2024-05-07", "机械"),
            _project("b2", "kunshan", "2024-05-06", "机械"),
            _project("b3", "kunshan", "2024-05-05", "化工"),
            _project("b4", "kunshan", "2024-05-04", "机械"),
            _project("b5", "kunshan", "2024-05-03"),
        ]
    )
    site = make_site(files, toml=TOML)
    out = site / "output"
    build(BuildOptions(site_dir=site, cache_dir=site.parent / "cache"))
    # newest first (sort = "-date"): the zone's other project, then the industry's others in that order
    assert _related(out, "a1") == ["a2", "b1", "b2", "b4"]
    assert _related(out, "a2") == ["a1"]  # nobody else weaves
    assert _related(out, "b1") == ["b2", "b3", "b4", "b5"]  # the zone alone fills four
    assert _related(out, "b5") == ["b1", "b2", "b3", "b4"]  # no industry: the zone only
    assert _related(out, "rocket") == []  # alone in gusu, no industry


def _template_operations(make_site: MakeSite, monkeypatch: pytest.MonkeyPatch, projects: int) -> int:
    """Attribute and item lookups of every template during a build of ``projects`` projects in one zone."""
    files = dict(
        _project(f"p{i:04d}", "gusu", f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}") for i in range(projects)
    )
    site = make_site(files, toml=TOML)
    count = 0
    real_getattr, real_getitem = jinja2.Environment.getattr, jinja2.Environment.getitem

    def getattr_counted(self: jinja2.Environment, obj: object, attribute: str) -> object:
        nonlocal count
        count += 1
        return real_getattr(self, obj, attribute)

    def getitem_counted(self: jinja2.Environment, obj: object, argument: object) -> object:
        nonlocal count
        count += 1
        return real_getitem(self, obj, argument)

    with monkeypatch.context() as patch:
        patch.setattr(jinja2.Environment, "getattr", getattr_counted)
        patch.setattr(jinja2.Environment, "getitem", getitem_counted)
        patch.setattr(processes, "can_fork", lambda: False)  # every page rendered here, where it is counted
        build(
            BuildOptions(
                site_dir=site, output_dir=site.parent / f"out{projects}", cache_dir=site.parent / "c"
            )
        )
    return count


def test_a_big_zone_costs_no_more_per_page_than_a_small_one(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    small = _template_operations(make_site, monkeypatch, 500) / 500
    big = _template_operations(make_site, monkeypatch, 2000) / 2000
    # Linear: each project page does the same work whatever the zone's size (listings that show every project,
    # the zone's page and the index, grow with it, once). A per-page loop over the zone would make it 4 times.
    assert big < small * 1.15, (small, big)


@pytest.mark.parametrize("name", ["gallery", "craftsmen", "nothing"])
def test_related_by_names_a_declared_single_field(make_site: MakeSite, name: str) -> None:
    site = make_site(
        toml=TOML.replace('related_by = ["zone", "industry"]', f'related_by = ["zone", "{name}"]')
    )
    with pytest.raises(ConfigError) as info:
        load_config(site)
    [problem] = info.value.problems
    assert (problem.path, problem.field) == ("site.toml", "collections.projects.related_by")
    assert f'字段 "{name}"' in problem.message and "zone" in problem.hint
