"""render.py: pages through templates, shared between forked processes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import jinja2

from yunzhan import render, workers
from yunzhan.incremental.tracking import TrackingEnvironment
from yunzhan.model import Page, Record


def test_what_a_page_read_is_made_into_its_note_where_it_rendered(tmp_path: Path) -> None:
    """``note(i, html, touched)`` runs in the process that rendered page ``i`` (forked children at this size), and its
    result comes back in the pages' order; a page whose template fails gets no note."""
    env = TrackingEnvironment(
        loader=jinja2.DictLoader({"p.html": "{{ page.record.title }}", "bad.html": "{{ nothing.at.all }}"}),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    records = [Record("projects", f"r{i}", f"content/projects/r{i}.md", title=f"第{i}项") for i in range(600)]
    pages = [Page("record", f"/r{i}/", f"/r{i}/", r.title, "p.html", record=r) for i, r in enumerate(records)]
    pages[7] = Page("record", "/bad/", "/bad/", "坏", "bad.html")

    def note(i: int, html: str, touched: Any) -> tuple[str, tuple[int, int, list[Any]]]:
        return html, (os.getpid(), i, sorted(touched))

    results = list(render.render_pages(env, pages, object(), tmp_path, note))
    assert [page for page, *_ in results] == pages
    assert results[7][1] is None and results[7][2] is not None and results[7][3] is None
    notes = [n for _page, html, _problem, n in results if html is not None]
    assert [i for _pid, i, _touched in notes] == [i for i in range(600) if i != 7]
    assert all(("record", "projects", f"r{i}", "title") in touched for _pid, i, touched in notes)
    if workers.workers_for(len(pages)) > 1:
        assert len({pid for pid, _i, _touched in notes}) > 1  # the notes were made where the pages rendered


def test_a_page_showing_many_records_is_shared_out_by_its_weight() -> None:
    """A zone's page shows a card for each project referring to it: rendering it is like rendering many pages,
    and ten of them in one chunk kept the other process waiting."""
    zones = [Record("zones", f"z{i}", f"content/zones/z{i}.md", title=f"展区{i}") for i in range(10)]
    projects = [
        Record("projects", f"p{i}", f"content/projects/p{i}.md", title=f"展品{i}") for i in range(3000)
    ]
    for i, zone in enumerate(zones):
        zone.backrefs["projects"] = projects[i * 300 : (i + 1) * 300]
    pages = [
        Page("record", f"/zones/{z.slug}/", f"/zones/{z.slug}/", z.title, "zone.html", record=z)
        for z in zones
    ]
    pages += [
        Page("record", f"/p/{p.slug}/", f"/p/{p.slug}/", p.title, "project.html", record=p) for p in projects
    ]
    listing = Page("list", "/projects/", "/projects/", "展品", "list.html", records=projects[:640])
    pages.append(listing)
    assert render._weight(pages, 0) == 1 + 300 // 32
    assert render._weight(pages, 10) == 1 and render._weight(pages, len(pages) - 1) == 21
    chunks = workers.split(len(pages), workers.CHUNK, lambda i: render._weight(pages, i))
    assert all(len(chunk) <= 4 for chunk in chunks[:3])  # the zones' pages are not one chunk
