"""stamp.py: a rebuild with nothing changed stops after two walks of the disk — and never when in doubt."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import MakeSite
from yunzhan.errors import YunzhanError
from yunzhan.incremental.stamp import output_signature
from yunzhan.pipeline import BuildOptions, build


def _quick(site: Path, **kwargs: object) -> bool:
    """Build; True when the stamp proved there was nothing to do."""
    result = build(BuildOptions(site_dir=site, **kwargs))  # type: ignore[arg-type]
    return list(result.timings) == ["stamp"]


def test_a_no_change_rebuild_stops_at_the_stamp_and_reports_the_same(make_site: MakeSite) -> None:
    site = make_site({"content/pages/warn.md": "---\ntitle: 说明\nunknown_field: 1\n---\n正文\n"})
    first = build(BuildOptions(site_dir=site))
    assert first.problems  # a warning, reported again by the quick rebuild
    again = build(BuildOptions(site_dir=site))
    assert list(again.timings) == ["stamp"]
    assert (again.pages, again.problems, again.written) == (first.pages, first.problems, 0)


def test_any_changed_input_or_output_means_a_real_build(make_site: MakeSite) -> None:
    site = make_site()
    build(BuildOptions(site_dir=site))
    assert _quick(site)
    record = site / "content/projects/rocket.md"
    os.utime(record)  # touched, same bytes: rebuilt (and found unchanged page by page)
    assert not _quick(site)
    assert _quick(site)
    (site / "content/projects/new-photo.jpg").write_bytes(b"not yet used")
    assert not _quick(site)
    (site / "output/about/index.html").write_text("tampered", encoding="utf-8")
    assert not _quick(site)
    assert "tampered" not in (site / "output/about/index.html").read_text(encoding="utf-8")
    (site / "output/stray.html").write_text("left by hand", encoding="utf-8")
    assert not _quick(site)
    assert not (site / "output/stray.html").exists()
    assert not _quick(site, drafts=True)  # other options: another build
    assert not _quick(site)
    (site / "output/about/index.html").unlink()
    assert not _quick(site)
    assert (site / "output/about/index.html").is_file()


def test_a_failed_build_leaves_no_stamp_behind(make_site: MakeSite) -> None:
    site = make_site()
    build(BuildOptions(site_dir=site))
    record = site / "content/projects/rocket.md"
    good = record.read_text(encoding="utf-8")
    record.write_text(good.replace("zone: gusu", "zone: nowhere"), encoding="utf-8")
    with pytest.raises(YunzhanError):
        build(BuildOptions(site_dir=site))
    record.write_text(good, encoding="utf-8")
    assert not _quick(site)  # back as it was, but no stamp vouches for the output any more
    assert _quick(site)


def test_strict_with_warnings_is_never_skipped(make_site: MakeSite) -> None:
    site = make_site({"content/pages/warn.md": "---\ntitle: 说明\nunknown_field: 1\n---\n正文\n"})
    build(BuildOptions(site_dir=site))
    with pytest.raises(YunzhanError):  # --strict fails on the warning, even with nothing changed
        build(BuildOptions(site_dir=site, strict=True))


def test_the_stamp_holds_right_after_a_build_that_swapped_the_output(make_site: MakeSite) -> None:
    """Unchanged files are hard links shared with the previous build: deleting that build changes their ctime,
    which the stamp must see settled."""
    site = make_site()
    build(BuildOptions(site_dir=site))
    _edit = site / "content/pages/about.md"
    _edit.write_text(
        _edit.read_text(encoding="utf-8").replace("关于本展。", "关于本展，改。"), encoding="utf-8"
    )
    assert not _quick(site)
    assert _quick(site)


def test_the_signature_a_recycled_commit_makes_is_the_output_walked(make_site: MakeSite) -> None:
    """From the third build on, the stage is the recycled spare tree and the commit signs the output as it
    prunes: that signature must be exactly the one a walk of the swapped-in output gives, or the stamp would
    never hold (or, worse, hold for a tree it did not see)."""
    site = make_site()
    about = site / "content/pages/about.md"
    for n in range(4):
        about.write_text(about.read_text(encoding="utf-8") + f"\n第{n}次补充。\n", encoding="utf-8")
        result = build(BuildOptions(site_dir=site))
        assert not result.up_to_date
        stamp = next((site / ".yunzhan-cache").glob("stamp-*.json")).read_text(encoding="utf-8")
        assert output_signature(site / "output")[0] in stamp
        assert _quick(site)
    (site / "output/stray.html").write_text("left by hand", encoding="utf-8")
    about.write_text(about.read_text(encoding="utf-8") + "\n再改。\n", encoding="utf-8")
    assert not _quick(site)
    assert not (site / "output/stray.html").exists()  # it went with the tree swapped out, the spare
    assert _quick(site)
    about.write_text(about.read_text(encoding="utf-8") + "\n又改。\n", encoding="utf-8")
    assert not _quick(site)  # this build's stage is that spare tree: its pruning removes the stray file
    assert not (site / "output/stray.html").exists()
    assert _quick(site)


def test_the_output_is_checked_by_its_record_without_listing_its_folders(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The commit leaves a record of the output beside the stamp: a no-change rebuild stats its folders and
    files instead of listing them, and still sees a file put deep into it by hand, or one touched."""
    site = make_site()
    build(BuildOptions(site_dir=site))
    listed: list[str] = []
    real_scandir = os.scandir

    def counting(path: str) -> object:
        listed.append(str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", counting)
    assert _quick(site)
    assert not [p for p in listed if str(site / "output") in p]
    (site / "output/about/stray.html").write_text("left by hand", encoding="utf-8")
    assert not _quick(site)
    assert not (site / "output/about/stray.html").exists()
    assert _quick(site)
    page = site / "output/about/index.html"
    os.utime(page, ns=(page.stat().st_atime_ns, page.stat().st_mtime_ns + 10**9))
    assert not _quick(site)
    assert _quick(site)


def test_the_command_with_nothing_to_do_imports_no_stage(make_site: MakeSite) -> None:
    """What keeps a no-change rebuild in a fraction of a second: the command line asks ``pipeline.build``,
    which answers from the stamp before importing Jinja, Markdown, Pillow or any stage of its own."""
    site = make_site()
    build(BuildOptions(site_dir=site))
    probe = (
        "import sys\n"
        "from yunzhan.cli import main\n"
        f"code = main(['build', '--site', {str(site)!r}, '-q'])\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('jinja2', 'markdown', 'PIL', 'nh3')\n"
        "    or m in ('yunzhan.steps', 'yunzhan.render', 'yunzhan.writing', 'yunzhan.markup'))\n"
        "print(code, heavy)\n"
    )

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", probe],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).parents[1],
        )

    done = run()
    assert done.stdout.strip() == "0 []", done.stdout + done.stderr
    # and with an input changed, the same command does import them and builds
    (site / "content" / "pages" / "new.md").write_text("---\ntitle: 新页\n---\n正文\n", encoding="utf-8")
    done = run()
    assert done.stdout.startswith("0 [") and "yunzhan.steps" in done.stdout, done.stdout + done.stderr
