"""The media store (``yunzhan/mediastore.py``): files made once, in a forked child, and read from the store after."""

from __future__ import annotations

import sys

import pytest

from tests import test_media
from tests.test_media import REPO, bundle, page, published, run
from yunzhan import mediafiles
from yunzhan.errors import YunzhanError

clips = test_media.clips  # the module's generated clips, a fixture


def test_unchanged_videos_are_not_read_again(make_site, clips):
    site = bundle(make_site, "cover: clip.mp4", {"clip.mp4": clips["plain"]})
    run(site)
    store = site / ".yunzhan-cache" / "media" / "content"
    (folder,) = [p for p in store.glob("*/*") if p.is_dir()]
    (folder / "published.mp4").write_bytes(
        b"stale"
    )  # had the file been decoded again, this would be replaced
    result = run(site, use_cache=False)
    assert result.image_stats["media_cached"] == 1 and result.image_stats["media_processed"] == 0
    src = page(site).xpath("//video//source")[0].get("src")
    assert published(site, src).read_bytes() == b"stale"


def test_a_site_without_media_has_no_media_store(make_site):
    site = make_site()
    run(site)
    assert not (site / ".yunzhan-cache" / "media").exists()


@pytest.mark.parametrize("fork", [True, False])
def test_the_build_process_loads_pyav_only_to_make_a_file_where_it_cannot_fork(make_site, clips, fork):
    """PyAV (and FFmpeg's libraries, ~16 MB) never load in the build process where it can fork: files are made
    in a forked child. Where it cannot (Windows), only when a file must be made: a warm rebuild never decodes."""
    import subprocess

    site = bundle(make_site, "cover: clip.mp4", {"clip.mp4": clips["plain"]})
    code = (
        "import sys; from pathlib import Path; from yunzhan import processes; "
        "from yunzhan.pipeline import BuildOptions, build; "
        "processes.can_fork = (lambda: False) if sys.argv[2] == 'False' else processes.can_fork; "
        "r = build(BuildOptions(site_dir=Path(sys.argv[1]), use_cache=False)); "
        "print('av' in sys.modules, r.image_stats['media_processed'])"
    )

    def rebuild() -> str:
        done = subprocess.run(
            [sys.executable, "-c", code, str(site), str(fork)], capture_output=True, text=True, cwd=REPO
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    assert rebuild() == ("False 1" if fork else "True 1")
    assert rebuild() == "False 0"
    assert (site / "output").is_dir()


def test_a_video_child_that_dies_is_the_files_problem_not_a_traceback(make_site, clips, monkeypatch):
    """FFmpeg crashing on a damaged file (or the system killing a big transcode) ends the child that makes it:
    the build names the file in plain words, as for any bad video."""
    import os
    import threading

    from yunzhan import processes

    if not processes.can_fork():
        pytest.skip("made in this process where it cannot fork")
    here = os.getpid()

    def crash(*args: object) -> None:
        if os.getpid() == here:
            pytest.fail("made in the build process, not in a child")
        os._exit(1)

    site = bundle(make_site, "cover: clip.mp4", {"clip.mp4": clips["plain"]})
    monkeypatch.setattr(threading, "active_count", lambda: 1)  # other tests' threads may still be ending
    monkeypatch.setattr(mediafiles, "prepare", crash)
    with pytest.raises(YunzhanError) as caught:
        run(site, use_cache=False)
    (problem,) = [p for p in caught.value.problems if p.is_error]
    assert problem.path == "content/projects/robot/index.md" and problem.field == "cover"
    assert "出错" in problem.message and "重新导出" in problem.hint


def test_the_same_video_at_two_paths_is_made_once(make_site, clips, monkeypatch):
    made: list[str] = []
    real = mediafiles.prepare
    monkeypatch.setattr(mediafiles, "prepare", lambda path, *rest: made.append(path) or real(path, *rest))
    extra = "cover: a.mp4\ngallery:\n  - src: b.mp4\n    alt: 同一段视频"
    site = bundle(make_site, extra, {"a.mp4": clips["plain"], "b.mp4": clips["plain"]})
    monkeypatch.setattr("yunzhan.processes.can_fork", lambda: False)  # made here, where the list is seen
    result = run(site, use_cache=False)
    assert len(made) == 1
    assert result.image_stats["media_processed"] == 1 and result.image_stats["media_cached"] == 1
