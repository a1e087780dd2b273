"""incremental/verify.py: ``verify_reuse`` makes every reused value again and fails where a guard misses an
input (the random-edit test in test_incremental.py runs with it)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from tests.conftest import MakeSite, edit_file
from yunzhan import pagesteps, publish, shortlinks
from yunzhan.check import RecordRules
from yunzhan.errors import WARNING, Problem
from yunzhan.incremental import storedprints, verify
from yunzhan.incremental.fingerprints import digest
from yunzhan.model import Record
from yunzhan.pipeline import BuildOptions, build


def test_same_names_what_differs() -> None:
    verify.same("x", 1, 1)
    verify.same_entries("print", {"a": "1"}, {"a": "1", "b": "2"})  # made but not reused: fine
    with pytest.raises(verify.ReuseMismatch, match="print 'a': reused '1', made '2'"):
        verify.same_entries("print", {"a": "1"}, {"a": "2"})
    with pytest.raises(verify.ReuseMismatch, match="…"):
        verify.same("long", "x" * 300, "y")


def test_a_body_edit_takes_prints_that_verify(make_site: MakeSite) -> None:
    """The shortcuts a body edit takes (stored prints, page prints as noted, the redirects' key) hold."""
    site = make_site()
    options = BuildOptions(site_dir=site, cache_dir=site.parent / "cache", verify_reuse=True)
    build(options)
    edit_file(site / "content/projects/rocket.md", "见 [李奇杰]", "另见 [李奇杰]")
    build(options)


def test_a_guard_that_misses_the_title_fails_at_the_shortcut(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stored prints guarded by a context and shapes blind to titles: a title edit then takes the last build's
    prints. Without verify that would go unseen here; with it, the build fails at the print."""
    site = make_site()
    options = BuildOptions(site_dir=site, cache_dir=site.parent / "cache")
    monkeypatch.setattr(storedprints, "shape_print", lambda parsed: digest(parsed.source))
    monkeypatch.setattr(pagesteps, "context_of", lambda site, records, media: "blind")
    build(options)
    edit_file(site / "content/projects/rocket.md", "title: 火箭模型", "title: 火箭模型二号")
    with pytest.raises(verify.ReuseMismatch, match="redirect pages' key"):  # the redirect pages show titles
        build(replace(options, verify_reuse=True))


def test_short_links_kept_wrong_fail_at_the_shortcut(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A body edit keeps the order and short links (``keptorder``); one kept wrong is caught."""
    site = make_site()
    options = BuildOptions(site_dir=site, cache_dir=site.parent / "cache", verify_reuse=True)
    build(options)
    edit_file(site / "content/projects/rocket.md", "见 [李奇杰]", "另见 [李奇杰]")
    real = shortlinks.assign_again

    def wrong(*args: Any) -> tuple[shortlinks.Table, bool]:
        made = real(*args)
        next(r for r in args[1] if r.short).short = "/s/zzzz/"
        return made

    monkeypatch.setattr(shortlinks, "assign_again", wrong)
    with pytest.raises(verify.ReuseMismatch, match="short links"):
        build(options)


def test_a_sitemap_input_outside_the_guard_fails_at_the_shortcut(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sitemap's key is taken from the last build while only bodies changed: an input it reads that the
    guard does not cover (here: one made to change under a body edit) is caught."""
    site = make_site()
    options = BuildOptions(site_dir=site, cache_dir=site.parent / "cache", verify_reuse=True)
    build(options)
    edit_file(site / "content/projects/rocket.md", "见 [李奇杰]", "另见 [李奇杰]")
    real = publish.sitemap_inputs
    monkeypatch.setattr(publish, "sitemap_inputs", lambda pages: [*real(pages), "不在守卫里的输入"])
    with pytest.raises(verify.ReuseMismatch, match="sitemap's key"):
        build(options)


def test_check_findings_kept_past_their_inputs_fail_at_the_shortcut(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Findings are remembered for unchanged files (``reuse.record_rules``). A rule that comes to find something
    new without the key changing (here: patched in) is caught on the files whose findings were kept."""
    site = make_site()
    options = BuildOptions(site_dir=site, cache_dir=site.parent / "cache", verify_reuse=True)
    build(options)
    edit_file(site / "content/projects/rocket.md", "见 [李奇杰]", "另见 [李奇杰]")
    real = RecordRules.file_problems

    def more(self: RecordRules, rel: str, record: Record | None) -> list[Problem]:
        return [*real(self, rel, record), Problem(rel, None, None, "新规则的发现", severity=WARNING)]

    monkeypatch.setattr(RecordRules, "file_problems", more)
    with pytest.raises(verify.ReuseMismatch, match="check findings"):
        build(options)
