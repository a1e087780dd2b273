"""pages.py: pagination of lists and terms, with a pager that stays short at any size."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import SITE_TOML, MakeSite
from yunzhan.model import Link
from yunzhan.pages import GAP, pager_window
from yunzhan.pipeline import BuildOptions, build


def _numbers(window: tuple[Link, ...]) -> list[str]:
    return [link.title for link in window]


def test_pager_window_shows_ends_and_neighbours_with_gaps() -> None:
    links = tuple(Link(str(n), f"/p/{n}/") for n in range(1, 501))
    assert _numbers(pager_window(links, 1)) == ["1", "2", "3", "…", "500"]
    assert _numbers(pager_window(links, 250)) == ["1", "…", "248", "249", "250", "251", "252", "…", "500"]
    assert _numbers(pager_window(links, 500)) == ["1", "…", "498", "499", "500"]
    assert _numbers(pager_window(links, 4)) == [
        "1",
        "2",
        "3",
        "4",
        "5",
        "6",
        "…",
        "500",
    ]  # no gap for one page
    assert GAP.url is None
    few = links[:3]
    assert pager_window(few, 2) == few


def _tag_site(make_site: MakeSite, count: int, paginate: str) -> Path:
    toml = SITE_TOML.replace(
        '[taxonomies.tags]\ntitle = "标签"\n', f'[taxonomies.tags]\ntitle = "标签"\n{paginate}'
    )
    files = {
        f"content/projects/p{i:02d}.md": (
            f"---\ntitle: 成果{i:02d}\ncategory: 创新项目\nzone: gusu\ndate: 2024-01-{i + 1:02d}\ntags: [航天]\n---\n正文\n"
        )
        for i in range(count)
    }
    return make_site(files, toml=toml)


def test_terms_are_paginated_and_count_every_record(make_site: MakeSite) -> None:
    site = _tag_site(make_site, 7, "paginate = 3\n")
    build(BuildOptions(site_dir=site))
    out = site / "output/tags/hang-tian"
    pages = [out / "index.html", out / "page/2/index.html", out / "page/3/index.html"]
    assert all(p.is_file() for p in pages)
    assert not (out / "page/4").exists()
    texts = [p.read_text(encoding="utf-8") for p in pages]
    total = 7 + 1  # the seven above and the site's own rocket project
    assert all(f"共 {total} 项" in t for t in texts)
    shown = [len(re.findall(r'href="/projects/p\d\d/"', t.split('class="pager"')[0])) for t in texts]
    assert sum(shown) == 7 and max(shown) <= 3
    assert 'rel="next"' in texts[0] and 'rel="prev"' in texts[2]
    assert "第 2 页" in texts[1]


def test_a_term_with_paginate_0_stays_on_one_page(make_site: MakeSite) -> None:
    site = _tag_site(make_site, 4, "paginate = 0\n")
    build(BuildOptions(site_dir=site))
    assert not (site / "output/tags/hang-tian/page").exists()
    assert 'class="pager"' not in (site / "output/tags/hang-tian/index.html").read_text(encoding="utf-8")
