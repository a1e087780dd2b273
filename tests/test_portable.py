"""The OS steps of ``yunzhan.portable`` and ``yunzhan.processes`` and their fallbacks, forced on Linux.

Editors run yunzhan on Windows and macOS, where there is no renameat2, no fork, no SIGALRM, often no hard links
(exFAT) and a GBK console. Each fallback is forced here, alone and all at once, and the core build runs through
it: cold build, no-change rebuild, edit and rebuild, failing build; its output must be byte for byte that of a
normal build.
"""

from __future__ import annotations

import ctypes
import io
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from tests.conftest import MakeSite, jpeg_bytes
from yunzhan import markup, outputfolders, portable, processes, workers
from yunzhan.cli import main

FALLBACKS = ["exchange", "fork", "hard_links", "alarm", "detach"]
IMAGE_SITE = {
    "content/projects/rocket/index.md": """\
        ---
        title: 火箭模型
        category: 创新产品
        zone: gusu
        cover: cover.jpg
        tags: [航天]
        ---
        ## 技术攻关

        正文，带 *强调* 和列表：

        - 第一项
        - 第二项
        """,
    "content/projects/rocket/cover.jpg": jpeg_bytes(),
    "content/projects/rocket.md": None,
}


@pytest.fixture(autouse=True)
def fresh_probes() -> Iterator[None]:
    """Probes are cached per process; a test that changes what they see must not leak it."""
    portable.capabilities.cache_clear()
    portable._renameat2.cache_clear()
    yield
    portable.capabilities.cache_clear()
    portable._renameat2.cache_clear()


def force(monkeypatch: pytest.MonkeyPatch, *missing: str) -> None:
    caps = replace(portable.capabilities(), **dict.fromkeys(missing, False))
    monkeypatch.setattr(portable, "capabilities", lambda: caps)


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def build(site: Path) -> int:
    return main(["build", "--site", str(site), "-q"])


def site_files(**extra: str | bytes | None) -> dict[str, str | bytes | None]:
    return {**IMAGE_SITE, **extra}


def make_copy(make_site: MakeSite, tmp_path: Path, name: str) -> Path:
    """The same small site with a photo, in a folder of its own."""
    site = make_site(site_files())
    return Path(shutil.copytree(site, tmp_path / name))


# ---------------------------------------------------------------- the core build through every fallback


@pytest.mark.parametrize("missing", [*[[f] for f in FALLBACKS], FALLBACKS], ids=[*FALLBACKS, "all"])
def test_core_build_through_fallbacks_matches_a_normal_build(
    make_site: MakeSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, missing: list[str]
) -> None:
    normal = make_copy(make_site, tmp_path, "normal")
    plain = make_copy(make_site, tmp_path, "plain")
    assert build(normal) == 0
    force(monkeypatch, *missing)
    # a cold build
    assert build(plain) == 0
    assert tree(plain / "output") == tree(normal / "output")
    # a no-change rebuild: same bytes, and every file keeps its time (linked, or copied with its time)
    times = {p: p.stat().st_mtime_ns for p in (plain / "output").rglob("*") if p.is_file()}
    time.sleep(0.02)
    assert build(plain) == 0
    assert {p: p.stat().st_mtime_ns for p in (plain / "output").rglob("*") if p.is_file()} == times
    # an edit, then a rebuild
    for site in (normal, plain):
        page = site / "content/craftsmen/li-qijie.md"
        page.write_text(
            page.read_text(encoding="utf-8").replace("感应热处理", "感应热处理与淬火"), encoding="utf-8"
        )
    monkeypatch.undo()
    portable.capabilities.cache_clear()
    assert build(normal) == 0
    force(monkeypatch, *missing)
    assert build(plain) == 0
    assert tree(plain / "output") == tree(normal / "output")
    assert "感应热处理与淬火" in (plain / "output/craftsmen/li-qijie/index.html").read_text(encoding="utf-8")
    # a failing build leaves the output as it was
    before = tree(plain / "output")
    (plain / "content/zones/gusu.md").write_text("---\nname: 姑苏展区\n---\n", encoding="utf-8")
    assert build(plain) == 1
    assert tree(plain / "output") == before
    assert not [p.name for p in plain.iterdir() if ".staging-" in p.name or ".old-" in p.name]


def test_fallbacks_are_really_taken(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    force(monkeypatch, *FALLBACKS)
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    assert portable.exchange_dirs(a, b) is False
    assert workers.workers_for(10_000, 1) == 1
    assert not processes.can_fork()
    assert processes.pool_context().get_start_method() == "spawn"
    monkeypatch.setattr(os, "link", lambda *a: pytest.fail("linked although hard links are off"))
    (a / "f").write_text("x")
    portable.link_or_copy(a / "f", b / "f")
    assert (b / "f").read_text() == "x"


def test_pools_fork_only_where_no_other_thread_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """A forked image worker shares Python and Pillow with the build; a threaded process (serve) spawns."""
    import threading

    monkeypatch.setattr(threading, "active_count", lambda: 1)  # other tests' threads may still be ending
    assert processes.pool_context().get_start_method() == "fork"
    monkeypatch.setattr(threading, "active_count", lambda: 2)
    assert processes.pool_context().get_start_method() == "spawn"


def test_images_made_by_spawned_workers_equal_forked_ones(
    make_site: MakeSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    photos = {f"content/projects/rocket/p{i}.jpg": jpeg_bytes(color=(40 * i, 90, 160)) for i in range(3)}
    files = site_files(**photos)
    index = str(files["content/projects/rocket/index.md"])
    items = ", ".join(f"{{src: p{i}.jpg, alt: 照片{i}}}" for i in range(3))
    gallery = f"cover: cover.jpg\n        gallery: [{items}]\n"
    files["content/projects/rocket/index.md"] = index.replace("cover: cover.jpg\n", gallery)
    forked = make_site(files)
    spawned = Path(shutil.copytree(forked, tmp_path / "spawned"))
    assert build(forked) == 0
    force(monkeypatch, "fork")
    assert build(spawned) == 0
    assert tree(spawned / "output") == tree(forked / "output")
    assert len({p.parent for p in (forked / "output").rglob("*.webp")}) == 4  # the cover and three photos


# ---------------------------------------------------------------- what a Windows Python lacks, as it lacks it


def test_a_python_without_sigalrm_converts_bodies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(signal, "SIGALRM")
    monkeypatch.delattr(signal, "setitimer")
    result = markup.render_markdown("## 标题\n\n正文 **加粗**", path="content/x.md", body_line=5)
    assert not result.problems, [p.format() for p in result.problems]
    assert "<strong>加粗</strong>" in result.html
    assert not portable.capabilities().alarm


def test_a_c_library_that_cannot_be_asked_means_two_renames(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On Windows ``ctypes.CDLL(None)`` raises TypeError: every rebuild crashed."""

    def no_cdll(*args: object, **kwargs: object) -> None:
        raise TypeError("LoadLibrary() argument 1 must be str, not None")

    monkeypatch.setattr(ctypes, "CDLL", no_cdll)
    site = make_site()
    assert build(site) == 0
    assert build(site) == 0
    (site / "content/pages/about.md").write_text("---\ntitle: 关于我们\n---\n新的介绍。\n", encoding="utf-8")
    assert build(site) == 0
    assert "新的介绍" in (site / "output/about/index.html").read_text(encoding="utf-8")


def test_a_file_system_without_hard_links_gets_copies_with_their_times(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object) -> None:
        raise PermissionError(1, "Operation not permitted")  # exFAT, as Linux reports it

    source = tmp_path / "a.html"
    source.write_bytes(b"<p>1</p>")
    os.utime(source, ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))
    monkeypatch.setattr(os, "link", refuse)
    assert portable.link_or_copy(source, tmp_path / "b.html") is False  # a copy: its stat is its own
    copy = tmp_path / "b.html"
    assert copy.read_bytes() == b"<p>1</p>"
    assert copy.stat().st_mtime_ns == source.stat().st_mtime_ns
    assert copy.stat().st_ino != source.stat().st_ino


def test_link_or_copy_links_where_it_can(tmp_path: Path) -> None:
    source = tmp_path / "a"
    source.write_bytes(b"x")
    assert portable.link_or_copy(source, tmp_path / "b") is True
    assert (tmp_path / "b").stat().st_ino == source.stat().st_ino
    with pytest.raises(FileExistsError):
        portable.link_or_copy(source, tmp_path / "b")


def test_a_console_that_cannot_encode_never_raises(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Chinese Windows console encodes in GBK: an emoji or a rare character in a message must not end the
    command with UnicodeEncodeError."""
    site = make_site({"content/projects/火箭🚀.md": "---\ntitle: 火箭🚀模型\n---\n"})
    out_bytes, err_bytes = io.BytesIO(), io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(out_bytes, encoding="gbk", errors="strict"))
    monkeypatch.setattr(sys, "stderr", io.TextIOWrapper(err_bytes, encoding="gbk", errors="strict"))
    assert main(["build", "--site", str(site)]) == 1
    sys.stderr.flush()
    text = err_bytes.getvalue().decode("gbk")
    assert "content/projects/火箭?.md" in text
    assert "Traceback" not in text


# ---------------------------------------------------------------- each function


def test_a_stage_of_a_dead_build_is_removed_and_of_a_live_one_kept(tmp_path: Path) -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    dead = tmp_path / f".output{outputfolders.STAGING_MARK}{child.pid}"
    live = (
        tmp_path
        / f".output{outputfolders.STAGING_MARK}{os.getppid() if processes.process_alive(os.getppid()) else 1}"
    )
    dead.mkdir()
    live.mkdir()
    outputfolders.clean_leftovers(tmp_path / "output")
    assert not dead.exists()
    assert live.exists() == processes.process_alive(int(live.name.rsplit("-", 1)[1]))


def test_detached_delete_really_deletes(tmp_path: Path) -> None:
    folder = tmp_path / "old"
    (folder / "a/b").mkdir(parents=True)
    (folder / "a/b/c.html").write_text("x")
    portable.delete_tree_detached(folder)
    deadline = time.monotonic() + 20
    while folder.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not folder.exists()


def test_detached_delete_falls_back_to_deleting_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    force(monkeypatch, "detach")
    monkeypatch.setattr(subprocess, "Popen", lambda *a, **k: pytest.fail("started a process"))
    folder = tmp_path / "old"
    (folder / "a").mkdir(parents=True)
    portable.delete_tree_detached(folder)
    assert not folder.exists()


def test_exchange_dirs_swaps_where_it_can(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "from-a").touch()
    if not portable.exchange_dirs(a, b):
        pytest.skip("no renameat2 here")
    assert (b / "from-a").exists() and not (a / "from-a").exists()


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


@pytest.mark.parametrize("refused", ["output", "stage"])
def test_a_folder_held_open_on_windows_is_a_plain_message_and_output_stays(
    make_site: MakeSite,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    refused: str,
) -> None:
    """Without an atomic exchange, output/ is renamed away and the new build renamed in. Windows refuses either
    while a program holds a file inside open: the editor gets a sentence, and output/ is the previous build."""
    site = make_site()
    assert main(["build", "--site", str(site), "-q"]) == 0
    before = _tree(site / "output")
    (site / "content/pages/about.md").write_text("---\ntitle: 关于\n---\n改过的正文。\n", encoding="utf-8")
    without_exchange = replace(portable.capabilities(), exchange=False)
    monkeypatch.setattr(portable, "capabilities", lambda: without_exchange)
    monkeypatch.setattr(portable.time, "sleep", lambda _: None)
    real_rename = os.rename

    def rename(source: object, dest: object) -> None:
        name = Path(os.fspath(source)).name  # type: ignore[arg-type]
        if (refused == "output" and name == "output") or (refused == "stage" and ".output.staging-" in name):
            raise PermissionError(13, "另一个程序正在使用此文件", os.fspath(source))  # type: ignore[arg-type]
        real_rename(source, dest)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "rename", rename)
    capsys.readouterr()
    assert main(["build", "--site", str(site)]) == 1
    said = capsys.readouterr().err
    assert "没能写入网站文件" in said and "正被别的程序打开着" in said and "Traceback" not in said
    monkeypatch.setattr(os, "rename", real_rename)
    assert _tree(site / "output") == before
    assert not list(site.glob(".output.old-*"))


def test_an_early_flush_runs_beside_where_the_disk_can_be_flushed_whole(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import threading

    from yunzhan.writing import Stage

    called = threading.Event()
    monkeypatch.setattr(os, "sync", called.set)
    assert portable.flush_soon() and called.wait(5)  # in a thread: this one goes on
    monkeypatch.delattr(os, "sync")  # Windows: no whole-disk flush; each file is flushed before the swap
    before = threading.active_count()
    assert not portable.flush_soon() and threading.active_count() == before
    asked: list[bool] = []
    monkeypatch.setattr(portable, "flush_soon", lambda: asked.append(True) or True)
    stage = Stage(tmp_path / "output", False)
    stage.flush_soon(256)  # as many as are flushed one by one before the swap: not worth it
    assert not asked
    stage.flush_soon(257)
    assert asked == [True]
