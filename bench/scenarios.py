"""The scenarios: what is built and edited, in which order, on which site; each returns report Rows.

A records scenario runs, per run: the plain loop (synthetic site only), the Markdown floor, a cold build, Hugo
(synthetic only, if installed), then on the same output a no-change rebuild, a one-record body edit, the same
again, a title edit and a template edit, counting the output files each one touched. Three sites: ``synthetic``
(bench/generate.py), ``demo`` and ``demo-one-zone`` (bench/demo_site.py: the demo's own site.toml, theme and
content plus N synthetic records spread over its real zones, or all in one). The photo scenarios time the image
stage on sites with camera-sized photos.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from demo_site import generate_demo_site
from generate import generate_site
from hugo_site import hugo_build, make_hugo_site
from measure import (
    REPO,
    WORK,
    Run,
    baseline_build,
    clean,
    markdown_floor,
    snapshot,
    touched,
    touched_by_folder,
    yunzhan_build,
)
from report import Row, _median, _stage_medians

EDIT_SENTENCE = "\n补充说明（合成数据，第 {n} 次编辑）：这是一句为测试增量构建而追加的示例文字。\n"
TEMPLATE_EDIT = "<!-- bench: template edit {n} -->\n"
TITLE_EDIT = "（改题 {n}）"


def _setup_template_override(site: Path) -> Path:
    """A site-level copy of the theme's base.html (same bytes, same output) for the template-edit scenario."""
    theme = REPO / "themes" / "default" / "templates" / "base.html"
    target = site / "templates" / "base.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(theme, target)
    return target


def _progress(label: str, run: Run, extra: str = "") -> None:
    t = run.info.get("timings", {})
    top = ", ".join(f"{k} {v:.2f}" for k, v in sorted(t.items(), key=lambda kv: -kv[1])[:4])
    state = "ok" if run.ok else f"FAILED rc={run.rc}"
    print(
        f"  {label:<22} {run.wall:7.2f} s wall {run.cpu:7.2f} s cpu {run.peak_mib:6.0f} MiB  {state} {extra}"
        f"{'  [' + top + ']' if top else ''}",
        flush=True,
    )


@dataclass(frozen=True)
class SiteKind:
    """A site the records scenarios can run on."""

    name: str  # as given to --sites
    label: str  # the size column's prefix
    plain: bool  # also run the plain loop and Hugo (they only know the synthetic site's layout)


SITES = {
    "synthetic": SiteKind("synthetic", "", True),
    "demo": SiteKind("demo", "demo +", False),
    "demo-one-zone": SiteKind("demo-one-zone", "demo 1 zone +", False),
}


def make_site(kind: SiteKind, dest: Path, n: int, seed: int, share_cards: bool = False) -> Path:
    """Generate the site: N records in all (synthetic) or N records added to the demo's own."""
    if kind.name == "synthetic":
        return generate_site(dest, n, 0, seed, publish=None if share_cards else {"share_cards": False})
    return generate_demo_site(dest, n, seed, one_zone=kind.name == "demo-one-zone")


def retitle(path: Path, n: int) -> None:
    """Append a mark to the record's ``title:`` line: every listing that shows the title changes."""
    head, sep, rest = path.read_text(encoding="utf-8").partition("\ntitle: ")
    line, newline, tail = rest.partition("\n")
    path.write_text(head + sep + line + TITLE_EDIT.format(n=n) + newline + tail, encoding="utf-8")


def _append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as f:
        f.write(text)


def _nothing() -> None:
    """The no-change rebuild's edit."""


def _step(row: Row, label: str, site: Path, out: Path, edit: Callable[[], None]) -> None:
    """Make ``edit``, rebuild, and record the run with the output files it touched."""
    edit()
    before = snapshot(out)
    r = yunzhan_build(site, out)
    after = snapshot(out)
    r.info["files_touched"] = touched(before, after)
    r.info["touched_by_folder"] = touched_by_folder(before, after)
    row.runs.append(r)
    _progress(label, r, f"written={r.info.get('written')} files touched={r.info['files_touched']}")


@dataclass
class RecordsSite:
    """One generated site of the records scenarios and what its runs edit."""

    kind: SiteKind
    site: Path
    out: Path
    edited: Path  # the project whose body and title are edited (the middle synthetic one)
    template: Path  # the site-level base.html the template edit appends to
    hugo_site: Path | None


def _setup(kind: SiteKind, n: int, seed: int, hugo: bool, share_cards: bool, tag: str) -> RecordsSite:
    base = WORK / (f"{kind.name}-{n}" + ("-cards" if share_cards else ""))
    started = time.perf_counter()
    site = make_site(kind, base / "site", n, seed, share_cards)
    template = _setup_template_override(site)
    projects = sorted((site / "content" / "projects").glob("p[0-9]*.md"))
    edited = projects[len(projects) // 2]
    print(
        f"\n== {tag}: generated {site} in {time.perf_counter() - started:.1f} s; edits go to "
        f"{edited.relative_to(site)}",
        flush=True,
    )
    hugo_site = make_hugo_site(site, base / "hugo-site") if hugo and kind.plain else None
    # Into the site's own output/, as an editor builds: content/shortlinks.yaml is then written and read back
    # (a folder elsewhere leaves it alone, and its cost unmeasured).
    return RecordsSite(kind, site, site / "output", edited, template, hugo_site)


def _cold(s: RecordsSite, cold: Row, share_cards: bool) -> Run:
    """Plain loop and floor first, then the cold build, then Hugo: each pair back to back."""
    if s.kind.plain and not share_cards:
        b = baseline_build(s.site, s.site.parent / "baseline-out")
        cold.baseline.append(b)
        _progress("baseline (plain loop)", b)
    floor_s = markdown_floor(s.site)
    cold.extra.setdefault("floor_s", []).append(floor_s)
    print(f"  {'Markdown floor':<22} {floor_s:8.2f} s wall (Python-Markdown alone, all cores)", flush=True)
    clean(s.site, s.out)
    r = yunzhan_build(s.site, s.out)
    cold.runs.append(r)
    _progress("yunzhan cold", r, f"pages={r.info.get('pages')}")
    if s.hugo_site is not None:
        h = hugo_build(s.hugo_site, s.site.parent / "hugo-out")
        if h is not None:
            cold.hugo.append(h)
            _progress("hugo cold", h)
    return r


def records_scenarios(
    kind: SiteKind, n: int, runs: int, seed: int, hugo: bool, share_cards: bool = False
) -> list[Row]:
    tag = f"{kind.label}N={n:,}" if not kind.label else f"{kind.label}{n:,}"
    tag += " +cards" if share_cards else ""
    s = _setup(kind, n, seed, hugo, share_cards, tag)
    names = ["cold build", "no-change rebuild", "one-record edit", "one-record edit, again", "title edit"]
    rows = {name: Row(name, tag, [], n=n) for name in [*names, "template edit"]}
    for i in range(runs):
        print(f" run {i + 1}/{runs}", flush=True)
        if not _cold(s, rows["cold build"], share_cards).ok:
            continue
        sentence = EDIT_SENTENCE.format(n=i + 1)
        steps: list[tuple[str, str, Callable[[], None]]] = [
            ("no-change rebuild", "no-change", _nothing),
            ("one-record edit", "one-record edit", partial(_append, s.edited, sentence)),
            ("one-record edit, again", "edit again", partial(_append, s.edited, sentence)),
            ("title edit", "title edit", partial(retitle, s.edited, i + 1)),
            ("template edit", "template edit", partial(_append, s.template, TEMPLATE_EDIT.format(n=i + 1))),
        ]
        for name, label, edit in steps:
            _step(rows[name], label, s.site, s.out, edit)
    for name, row in rows.items():
        if name == "cold build":
            continue
        row.extra["files_touched"] = [r.info.get("files_touched") for r in row.runs]
        row.extra["written"] = [r.info.get("written") for r in row.runs]
        if name in ("one-record edit", "title edit") and row.runs:
            row.extra["touched_by_folder"] = row.runs[-1].info.get("touched_by_folder")
    return list(rows.values())


def photo_scenarios(
    photos: int, records: int, runs: int, seed: int, size: tuple[int, int], avif: bool
) -> list[Row]:
    rows = []
    for fmt in ["webp"] + (["avif"] if avif else []):
        tag = f"{photos} photos {size[0]}x{size[1]}→{fmt}"
        base = WORK / f"photos-{fmt}"
        site, out, bout = base / "site", base / "out", base / "baseline-out"
        started = time.perf_counter()
        generate_site(
            site, records, photos, seed, photo_size=size, image_formats=[fmt], publish={"share_cards": False}
        )
        print(
            f"\n== {tag} ({records} records, share cards off): generated in "
            f"{time.perf_counter() - started:.1f} s",
            flush=True,
        )
        cold = Row(f"photos cold ({fmt})", tag, [])
        again = Row(f"photos no-change ({fmt})", tag, [])
        for i in range(runs):
            print(f" run {i + 1}/{runs}", flush=True)
            b = baseline_build(site, bout, images=True)
            cold.baseline.append(b)
            _progress("baseline (plain loop)", b, f"{photos / b.wall:.2f} img/s")
            clean(site, out)
            r = yunzhan_build(site, out)
            cold.runs.append(r)
            stage = r.info.get("timings", {}).get("images")
            _progress("yunzhan cold", r, f"{photos / r.wall:.2f} img/s (images stage {stage or 0:.1f} s)")
            if not r.ok:
                continue
            before = snapshot(out)
            r = yunzhan_build(site, out)
            r.info["files_touched"] = touched(before, snapshot(out))
            again.runs.append(r)
            _progress(
                "no-change",
                r,
                f"decoded={r.info.get('image_stats', {}).get('decoded')} "
                f"files touched={r.info['files_touched']}",
            )
        cold.extra["img_per_s"] = photos / cold.wall if cold.wall else None
        stage = _stage_medians(cold.ok_runs()).get("images")
        cold.extra["img_per_s_images_stage"] = photos / stage if stage else None
        cold.extra["baseline_img_per_s"] = (
            photos / _median([b.wall for b in cold.baseline if b.ok])
            if any(b.ok for b in cold.baseline)
            else None
        )
        again.extra["decoded"] = [r.info.get("image_stats", {}).get("decoded") for r in again.runs]
        again.extra["files_touched"] = [r.info.get("files_touched") for r in again.runs]
        rows += [cold, again]
    return rows


def photo_rebuild_scenario(photos: int, records: int, runs: int, seed: int, size: tuple[int, int]) -> Row:
    tag = f"{photos} photos {size[0]}x{size[1]}"
    base = WORK / "photos-rebuild"
    site, out = base / "site", base / "out"
    started = time.perf_counter()
    generate_site(
        site, records, photos, seed, photo_size=size, image_formats=["webp"], publish={"share_cards": False}
    )
    print(
        f"\n== no-change rebuild with {tag} ({records} records): generated in "
        f"{time.perf_counter() - started:.1f} s",
        flush=True,
    )
    clean(site, out)
    first = yunzhan_build(site, out)
    _progress("setup: cold (not a figure)", first)
    row = Row("photos no-change", tag, [])
    row.extra["photos"] = photos
    row.extra["setup_cold_s"] = first.wall
    if not first.ok:
        return row
    for i in range(runs):
        before = snapshot(out)
        r = yunzhan_build(site, out)
        r.info["files_touched"] = touched(before, snapshot(out))
        row.runs.append(r)
        _progress(
            f"no-change {i + 1}/{runs}",
            r,
            f"decoded={r.info.get('image_stats', {}).get('decoded')} files touched={r.info['files_touched']}",
        )
    row.extra["decoded"] = [r.info.get("image_stats", {}).get("decoded") for r in row.runs]
    row.extra["files_touched"] = [r.info.get("files_touched") for r in row.runs]
    return row
