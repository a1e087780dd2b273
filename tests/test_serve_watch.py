"""serve/watch.py and serve/rebuild.py: which saves matter, and how a burst of them becomes one rebuild."""

from __future__ import annotations

import itertools
import os
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

from tests import livepreview
from tests.livepreview import BASE, ROCKET, Live, wait_until
from yunzhan.serve import RebuildOutcome, SessionRebuild
from yunzhan.serve.watch import Watcher, is_ignored_name

# fixtures from tests/livepreview.py (assigned, not imported, so that linters see them used)
site, serve = livepreview.site, livepreview.serve


def test_burst_of_saves_is_one_rebuild(serve: Callable[..., Live]) -> None:
    live = serve()
    watcher = live.server.watcher
    # When each save reached the watcher: (arrival, handled) for the events that moved its deadline. A starved
    # machine can deliver a burst spread out, whatever the gaps between the writes were.
    arrivals: list[tuple[float, float]] = []
    on_event = watcher.on_event

    def timed(event: object) -> None:
        arrived, before = time.monotonic(), watcher._deadline
        on_event(event)  # type: ignore[arg-type]
        if watcher._deadline != before:
            arrivals.append((arrived, time.monotonic()))

    watcher.on_event = timed  # type: ignore[method-assign]
    path = live.site / ROCKET
    text = path.read_text(encoding="utf-8")
    for i in range(10):
        path.write_text(text + f"\n第 {i} 次保存\n", encoding="utf-8")
        time.sleep(0.002)
    live.wait_rebuilds(2)
    time.sleep(0.5)
    assert len(arrivals) >= 10  # at least each save's close
    # Saves reaching the watcher closer together than the quiet window after a finished save (settle) are one
    # rebuild. A pause counts when the next save's handling ended more than settle after this one's began: on a
    # starved machine a "2 ms" sleep, or the observer thread's turn, can last longer, and each such pause may
    # rightly start a rebuild of its own.
    settle = live.server.options.settle
    pauses = sum(b[1] - a[0] > settle for a, b in itertools.pairwise(arrivals))
    assert len(live.rebuilds) - 1 <= 1 + pauses, [(kind, changed) for _, kind, changed in live.rebuilds]
    assert "第 9 次保存" in live.get(BASE + "projects/rocket/").text


def test_a_finished_save_waits_only_the_settle_window(tmp_path: Path) -> None:
    from watchdog.events import FileClosedEvent, FileModifiedEvent, FileMovedEvent

    record = tmp_path / "content" / "projects" / "a.md"
    watcher = Watcher(tmp_path, (), debounce=5.0, settle=0.01, theme_root=lambda: None, warn=print)

    def wait_after(event: object) -> float:
        watcher.on_event(event)  # type: ignore[arg-type]
        return watcher._deadline - time.monotonic()

    # a rename into place waits the full window until the system has shown it reports closes (not on Windows)
    assert wait_after(FileMovedEvent(str(record) + ".tmp", str(record))) > 1
    assert wait_after(FileClosedEvent(str(record))) <= 0.01
    assert wait_after(FileModifiedEvent(str(record))) > 1
    assert wait_after(FileMovedEvent(str(record) + ".tmp", str(record))) <= 0.01  # an atomic save


def test_changes_during_a_rebuild_give_exactly_one_more(site: Path, serve: Callable[..., Live]) -> None:
    full = SessionRebuild(site.resolve(), site.resolve() / ".yunzhan-cache" / "preview")
    started = threading.Event()

    def slow(changed: set[Path]) -> RebuildOutcome:
        if changed:
            started.set()
            time.sleep(0.6)
        return full(changed)

    live = serve(slow)
    live.edit(ROCKET, "火箭模型", "火箭模型A")
    assert started.wait(10)
    for letter in "BCD":
        live.edit(ROCKET, "火箭模型", f"火箭模型{letter}")
        time.sleep(0.05)
    live.wait_rebuilds(3)
    time.sleep(0.5)
    assert len(live.rebuilds) == 3
    assert "火箭模型DCBA" in live.get(BASE + "projects/rocket/").text


def test_editor_temporary_files_are_ignored(serve: Callable[..., Live]) -> None:
    live = serve()
    folder = live.site / "content/projects"
    litter = [
        ".rocket.md.swp",
        "rocket.md~",
        "4913",
        ".#rocket.md",
        ".DS_Store",
        "#rocket.md#",
        "~$方案.docx",
    ]
    for name in litter:
        (folder / name).write_text("x", encoding="utf-8")
        (folder / name).unlink()
    (folder / ".rocket.md.swp").write_text("swap", encoding="utf-8")
    (live.site / "output").mkdir()
    (live.site / "output/index.html").write_text("x", encoding="utf-8")
    (live.site / "notes.txt").write_text("x", encoding="utf-8")
    time.sleep(0.6)
    assert len(live.rebuilds) == 1

    # a save through a temporary file renamed over the record (what many editors do) is one rebuild
    tmp = folder / ".rocket.md.tmp"
    tmp.write_text(
        (folder / "rocket.md").read_text(encoding="utf-8").replace("火箭模型", "原子保存"), "utf-8"
    )
    os.replace(tmp, folder / "rocket.md")
    _, _, changed = live.wait_rebuilds(2)
    assert changed == {live.site / ROCKET}
    time.sleep(0.4)
    assert len(live.rebuilds) == 2


def test_ignored_names() -> None:
    for name in (".x.md.swp", "x.md~", "4913", ".#x.md", ".DS_Store", "x.swo", "#x#", "~$x.docx", "x.tmp"):
        assert is_ignored_name(name), name
    for name in ("rocket.md", "site.css", "封面.jpg", "data.yaml"):
        assert not is_ignored_name(name), name


def test_survives_deleted_and_restored_folders(serve: Callable[..., Live]) -> None:
    live = serve()
    content = live.site / "content"
    content.rename(live.site / "content-moved")
    outcome, _, _ = live.wait_rebuilds(2)
    assert not outcome.ok
    (live.site / "content-moved").rename(content)
    outcome, _, _ = live.wait_rebuilds(3)
    assert outcome.ok

    shutil.rmtree(content / "pages")
    live.wait_rebuilds(4)
    assert live.get(BASE + "about/").status == 404
    (content / "pages").mkdir()
    time.sleep(0.3)  # the new folder gets its own watch after the rebuild its creation causes
    live.write("content/pages/about.md", "---\ntitle: 关于\n---\n新的关于页。\n")
    wait_until(lambda: "新的关于页" in live.get(BASE + "about/").text)
    live.edit("content/pages/about.md", "新的关于页", "再次修改的关于页")
    wait_until(lambda: "再次修改的关于页" in live.get(BASE + "about/").text)
