"""Smoke test of the build benchmark's harness (bench/): the synthetic corpus is deterministic, well formed, and
builds with yunzhan and with the plain baseline loop without a single problem."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

from baseline import build_plain  # noqa: E402
from generate import generate_site  # noqa: E402

from yunzhan.pipeline import BuildOptions, build  # noqa: E402

SMALL = (96, 64)  # tiny photos: the test is about the harness, not about image speed


def _tree(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_generator_is_deterministic(tmp_path: Path) -> None:
    kwargs = {"photos": 3, "seed": 7, "photo_size": SMALL}
    a = generate_site(tmp_path / "a", 30, photo_cache=tmp_path / "cache-a", **kwargs)
    b = generate_site(tmp_path / "b", 30, photo_cache=tmp_path / "cache-b", **kwargs)
    assert _tree(a) == _tree(b)  # photos made twice, from scratch: same bytes too
    other = generate_site(tmp_path / "c", 30, seed=8)
    assert _tree(other) != _tree(generate_site(tmp_path / "d", 30, seed=7))


def test_corpus_is_well_formed(tmp_path: Path) -> None:
    site = generate_site(tmp_path / "site", 60, photos=4, photo_size=SMALL, photo_cache=tmp_path / "cache")
    records = sorted(p for p in (site / "content").rglob("*.md"))
    assert len(records) == 60
    for path in records:
        text = path.read_text(encoding="utf-8")
        body = text.split("\n---\n", 1)[1]
        assert "合成数据" in text and "示例" in text
        assert 600 <= len(re.findall(r"[\u4e00-\u9fff]", body)) <= 1700, path
        assert "\n## " in body and "| --- |" in body
        links = re.findall(r"\]\(([^)]+\.md)\)", body)
        assert links, path
        for link in links:
            assert (path.parent / link).is_file(), (path, link)
    assert len(list((site / "content" / "images" / "photos").glob("*.jpg"))) == 4


def test_tiny_corpus_builds(tmp_path: Path) -> None:
    site = generate_site(
        tmp_path / "site",
        30,
        photos=3,
        photo_size=SMALL,
        publish={"share_cards": False},
        photo_cache=tmp_path / "cache",
    )
    result = build(BuildOptions(site_dir=site, output_dir=tmp_path / "out"))
    assert [p.format() for p in result.problems] == []
    assert result.image_stats.get("sources") == 3
    for record in (site / "content" / "projects").glob("*.md"):
        page = tmp_path / "out" / "projects" / record.stem / "index.html"
        html = page.read_text(encoding="utf-8")
        assert "合成数据" in html
        assert not re.search(r'href="[^"]*\.md"', html)  # every link to a record file became a URL
    plain = build_plain(site, tmp_path / "plain")
    assert plain["pages"] > 30


def test_the_harness_measures_a_real_build_in_a_child(tmp_path: Path) -> None:
    """The child that bench/run.py times must run the CLI build and report what the build returned."""
    site = generate_site(tmp_path / "site", 20, photos=0, publish={"share_cards": False})
    repo = Path(__file__).resolve().parent.parent
    result = tmp_path / "result.json"
    args = [
        sys.executable,
        str(repo / "bench/run.py"),
        "--child",
        str(repo),
        str(site),
        str(tmp_path / "out"),
    ]
    done = subprocess.run([*args, str(result)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    data = json.loads(result.read_text(encoding="utf-8"))
    assert data["rc"] == 0 and data["pages"] > 20 and data["written"] > 20 and "render" in data["timings"]


def test_the_markdown_floor_converts_every_body(tmp_path: Path) -> None:
    """bench/floor.py: every record body of the site goes through Python-Markdown, front matter left out."""
    from floor import bodies, floor

    site = generate_site(tmp_path / "site", 13, photo_cache=tmp_path / "photos")
    texts = bodies(site)
    assert len(texts) == len(list((site / "content").rglob("*.md")))
    assert not any(text.startswith("---") for text in texts) and all("合成数据" in text for text in texts)
    seconds, count = floor(site)
    assert count == len(texts) and seconds > 0


def _zone(record: Path) -> str:
    found = re.search(r"^zone: (\S+)$", record.read_text(encoding="utf-8"), re.M)
    return found[1] if found else ""


def test_the_demo_site_grows_over_its_real_zones(tmp_path: Path) -> None:
    """bench/demo_site.py: the demo as it is, plus N synthetic records whose zones are the demo's own zones
    (spread, or all in one); deterministic, share cards/posters/placards off, and `check` finds nothing."""
    from demo_site import ONE_ZONE, demo_zones, generate_demo_site

    from yunzhan.check import check_site

    spread = generate_demo_site(tmp_path / "spread", 40, seed=3)
    again = generate_demo_site(tmp_path / "again", 40, seed=3)
    assert _tree(spread) == _tree(again)
    added = sorted((spread / "content").rglob("[pca][0-9][0-9][0-9][0-9][0-9].md"))
    assert len(added) == 40
    assert len(list((spread / "content" / "projects").glob("p*.md"))) == 24  # 60 %
    for path in (REPO / "content").rglob("*"):  # the demo itself, untouched
        if path.is_file():
            assert (spread / path.relative_to(REPO)).read_bytes() == path.read_bytes()
    toml = (spread / "site.toml").read_text(encoding="utf-8")
    assert "share_cards = false" in toml and "share_posters = false" in toml and 'placards = ""' in toml
    real = {z.slug for z in demo_zones(REPO / "content")}
    zones_of = [_zone(p) for p in (spread / "content" / "projects").glob("p*.md")]
    assert set(zones_of) <= real and len(set(zones_of)) > 2
    report = check_site(spread)
    assert [p.format() for p in report.problems] == []

    one = generate_demo_site(tmp_path / "one", 40, seed=3, one_zone=True)
    projects = list((one / "content" / "projects").glob("p*.md"))
    assert {_zone(p) for p in projects} == {ONE_ZONE}
    assert [p.format() for p in check_site(one).problems] == []


def test_a_title_edit_changes_only_the_title_line(tmp_path: Path) -> None:
    from scenarios import retitle

    site = generate_site(tmp_path / "site", 13)
    record = next((site / "content" / "projects").glob("p*.md"), None) or next(
        (site / "content" / "pages").glob("*.md")
    )
    before = record.read_text(encoding="utf-8").splitlines()
    retitle(record, 2)
    after = record.read_text(encoding="utf-8").splitlines()
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert len(changed) == 1 and changed[0][1] == changed[0][0] + "（改题 2）"


def test_the_sites_are_selectable() -> None:
    from run import parse

    assert parse([]).sites == ["synthetic", "demo", "demo-one-zone"]
    assert parse(["--quick"]).sites == ["synthetic", "demo"] and parse(["--quick"]).sizes == [300]
    assert parse(["--sites", "demo-one-zone", "--sizes", "1000"]).sites == ["demo-one-zone"]


def test_the_report_gives_a_cold_builds_kernel_time_apart() -> None:
    """The kernel's share of a cold build's CPU is printed beside the total: on this project's machine it grows
    run after run of a batch while the time in Python stays put, and a median hides that."""
    from measure import Run
    from report import Row, report

    runs = [
        Run(wall=40.0, cpu=60.0, peak_mib=300.0, workers_peak_mib=0.0, rc=0, sys_cpu=s) for s in (9.0, 21.5)
    ]
    row = Row("cold build", "N=10", runs=runs)
    text = report([row])
    assert "of the cpu, in the kernel 15.25 s (runs 9.0 / 21.5)" in text
    assert row.as_json()["runs"][1]["sys_cpu"] == 21.5


def test_replaced_trees_are_moved_aside_until_the_bench_ends(tmp_path: Path, monkeypatch) -> None:
    """A tree the bench replaces under its work folder is renamed into the trash, freeing no inode before the
    next timed build (see bench/trash.py), and deleted by ``empty``; elsewhere (a test's folder) it is deleted."""
    import trash

    monkeypatch.setattr(trash, "WORK", tmp_path / "work")
    monkeypatch.setattr(trash, "TRASH", tmp_path / "work" / "trash")
    monkeypatch.setattr(trash, "KEEP_FREE", 0)  # whatever this machine's disk holds now
    site = tmp_path / "work" / "site" / "output"
    (site / "projects").mkdir(parents=True)
    (site / "projects" / "index.html").write_text("旧", encoding="utf-8")
    trash.discard(site)
    assert not site.exists()
    assert [p.read_text(encoding="utf-8") for p in trash.TRASH.rglob("index.html")] == ["旧"]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    trash.discard(elsewhere)
    trash.discard(tmp_path / "missing")
    assert not elsewhere.exists() and list(trash.TRASH.iterdir()) and not (tmp_path / "missing").exists()
    trash.empty()
    assert not trash.TRASH.exists() and (tmp_path / "work" / "site").is_dir()
    monkeypatch.setattr(trash, "KEEP_FREE", 2**80)  # a nearly full disk: deleted at once, not piled up
    site.mkdir()
    trash.discard(site)
    assert not site.exists() and not trash.TRASH.exists()


def test_a_memory_two_processes_share_is_counted_once(monkeypatch) -> None:
    import measure

    rollups = {
        1: "Rss: 500 kB\nPss: 250 kB\n",
        2: "Rss: 500 kB\nPss: 250 kB\n",  # a vfork child before its exec: its parent's memory, read again
        3: "Rss: 40 kB\nPss: 30 kB\n",
    }
    monkeypatch.setattr(measure, "_tree", lambda pid: [1, 2, 3])
    monkeypatch.setattr(measure, "_rollup", rollups.__getitem__)
    assert measure.tree_pss_kib(1) == 280
    rollups[2] = "Rss: 500 kB\nPss: 251 kB\n"  # a forked child: a memory of its own
    assert measure.tree_pss_kib(1) == 531
    monkeypatch.undo()
    assert measure.tree_pss_kib(os.getpid()) > 1000  # this process, read for real (Linux)
