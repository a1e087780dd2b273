"""The output folder is always a whole build: old or new, never missing, never a mix."""

from __future__ import annotations

import marshal
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Collection
from pathlib import Path

import pytest

from tests.conftest import MakeSite, edit_file, incremental_build
from yunzhan import output
from yunzhan.output import StagedOutput
from yunzhan.recycle import walk_tree
from yunzhan.treesign import TreeRecord, tree_signature


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def _write(output: Path, files: dict[str, bytes]) -> None:
    staged = StagedOutput(output)
    for rel, data in files.items():
        staged.write_bytes(rel, data)
    staged.commit()


def test_first_build_and_replacement(tmp_path: Path) -> None:
    out = tmp_path / "output"
    _write(out, {"index.html": b"one", "a/index.html": b"a"})
    assert _tree(out) == {"index.html": b"one", "a/index.html": b"a"}
    _write(out, {"index.html": b"two"})
    assert _tree(out) == {"index.html": b"two"}  # files of removed entries disappear
    # no staging folder left; the previous build is kept to be recycled as the next stage
    assert sorted(p.name for p in tmp_path.iterdir()) == [".output.spare", "output"]


def test_the_previous_build_may_be_deleted_in_the_background(tmp_path: Path) -> None:
    out = tmp_path / "output"
    _write(out, {f"p{i}/index.html": b"old" for i in range(300)})
    _write(out, {f"p{i}/index.html": b"older" for i in range(300)})
    (tmp_path / "lock").mkdir()
    os.rename(tmp_path / ".output.spare", tmp_path / "lock/spare")  # as if another build had claimed it
    staged = StagedOutput(out)
    staged.write_bytes("index.html", b"new")
    (tmp_path / ".output.spare").mkdir()
    (tmp_path / ".output.spare/x").write_bytes(b"")  # and another had left a spare meanwhile
    stats = staged.commit(background=True)
    assert _tree(out) == {"index.html": b"new"}  # swapped in, whether or not the old tree is gone yet
    assert stats.removed == 300
    deadline = time.monotonic() + 20
    while sorted(p.name for p in tmp_path.iterdir()) != [".output.spare", "lock", "output"]:
        assert time.monotonic() < deadline, list(tmp_path.iterdir())  # a detached process deletes it
        time.sleep(0.02)


@pytest.mark.parametrize("noted", [False, True])
def test_a_recycled_stage_is_exactly_the_new_build(tmp_path: Path, noted: bool) -> None:
    """Builds one after another recycle the one before last: every new tree must be exactly its files, whatever
    the spare held (files where folders go and back, changed and removed files, stray files), and writing a
    new build must never change a file of the published one (they share inodes). ``noted``: each build is
    given what the last one said of the spare tree, so it is pruned by name, unless a stray file (put in by
    hand, at the top or deeper) shows in its folders; the signature made from the record is the tree's."""
    out = tmp_path / "output"
    rng = random.Random(7)
    names = ["index.html", "a/index.html", "a", "b/c/index.html", "b/c", "b/d.css", "e/f/g/h.txt", "e"]
    note = None
    trusted = 0
    for step in range(40):
        files: dict[str, bytes] = {}
        for name in rng.sample(names, rng.randint(1, len(names))):
            if not any(other.startswith(name + "/") or name.startswith(other + "/") for other in files):
                files[name] = rng.choice([b"x", b"y", b"z" * 300, f"{step}".encode()])
        spare = tmp_path / ".output.spare"
        if step % 7 == 3 and spare.is_dir():
            (spare / "stray.html").write_bytes(b"stray")
        deeper = [p for p in spare.rglob("*") if p.is_dir()] if step % 5 == 2 and spare.is_dir() else []
        if deeper:
            (deeper[0] / "stray.html").write_bytes(b"stray")
        published = _tree(out) if out.exists() else {}
        time.sleep(0.01)  # past the file system's clock tick: a folder changed now shows a new time
        staged = StagedOutput(out, note if noted else None)
        trusted += staged.known is not None
        for rel, data in files.items():
            if rng.random() < 0.5:
                staged.write_bytes(rel, data)
            else:  # made piece by piece, as the open data is
                cut = rng.randint(0, len(data))
                staged.write_pieces(rel, iter([data[:cut], b"", data[cut:]]))
            if out.exists():
                assert _tree(out) == published  # staging never reaches into the published build
        stats = staged.commit()
        note = staged.swapped.spare
        assert _tree(out) == files, step
        assert stats.signature == tree_signature(out), step
        assert stats.record == walk_tree(os.fspath(out)), step  # what the next build and the stamp trust
        empty = [p for p in out.rglob("*") if p.is_dir() and not any(p.iterdir())]
        assert empty == [], step
    assert trusted > (20 if noted else -1)


def test_the_record_of_a_trusted_tree_is_the_tree_walked(tmp_path: Path) -> None:
    """A trusted spare is pruned and recorded by what the build changed: a folder where a file came out the
    same is still stat-ed again when a part file came and went in it, or the next build would distrust it."""
    out = tmp_path / "output"
    note = None
    for step in range(4):
        time.sleep(0.02)  # past the file system's clock tick: a folder changed now shows a new time
        staged = StagedOutput(out, note)
        staged.write_pieces("d/a.txt", iter([b"x", b"y"]))
        staged.write_bytes("d/b.txt", b"same")
        staged.write_bytes("e/c.txt", f"{step}".encode())
        staged.write_bytes("f/g/h.txt", b"deep")  # f: a folder made only to hold another
        stats = staged.commit()
        note = staged.swapped.spare
        assert (staged.known is not None) == (step >= 2), step
        assert stats.record == walk_tree(os.fspath(out)), step


def test_unchanged_files_are_not_rewritten(tmp_path: Path) -> None:
    out = tmp_path / "output"
    _write(out, {"same.html": b"same", "changed.html": b"old"})
    before = (out / "same.html").stat()
    os.utime(out / "same.html", ns=(before.st_atime_ns, before.st_mtime_ns - 10**9))
    old_mtime = (out / "same.html").stat().st_mtime_ns
    staged = StagedOutput(out)
    staged.write_bytes("same.html", b"same")
    staged.write_bytes("changed.html", b"new")
    stats = staged.commit()
    assert (stats.written, stats.unchanged) == (1, 1)
    assert (out / "same.html").stat().st_mtime_ns == old_mtime
    assert (out / "changed.html").read_bytes() == b"new"


def test_a_file_written_in_pieces_is_linked_when_its_bytes_are_the_same(tmp_path: Path) -> None:
    """The open data (tens of MB) is written piece by piece while compared with the last build's file: a file
    that came out the same keeps its time (a sync uploads nothing), one that differs anywhere is new."""
    out = tmp_path / "output"
    files = {"same.csv": b"abcdef", "longer.csv": b"abc", "shorter.csv": b"abcdef", "other.csv": b"abcdef"}
    _write(out, files)
    for rel in files:
        before = (out / rel).stat()
        os.utime(out / rel, ns=(before.st_atime_ns, before.st_mtime_ns - 10**9))
    times = {rel: (out / rel).stat().st_mtime_ns for rel in files}
    staged = StagedOutput(out)
    staged.write_pieces("same.csv", iter([b"ab", b"cde", b"f"]))
    staged.write_pieces("longer.csv", iter([b"abc", b"d"]))
    staged.write_pieces("shorter.csv", iter([b"abc", b"de"]))
    staged.write_pieces("other.csv", iter([b"abX", b"def"]))
    staged.write_pieces("new.csv", iter([b"n", b"ew"]))
    stats = staged.commit()
    assert (stats.written, stats.unchanged) == (4, 1)
    assert _tree(out) == {
        "same.csv": b"abcdef",
        "longer.csv": b"abcd",
        "shorter.csv": b"abcde",
        "other.csv": b"abXdef",
        "new.csv": b"new",
    }
    assert (out / "same.csv").stat().st_mtime_ns == times["same.csv"]
    assert all(
        (out / rel).stat().st_mtime_ns != times[rel] for rel in ("longer.csv", "shorter.csv", "other.csv")
    )


def test_new_files_are_on_disk_before_the_swap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A few new files are flushed one by one with their folders (``sync`` would wait for every write on the
    machine); many, with one ``sync``. Files carried over from the previous build need no flush."""
    out = tmp_path / "output"
    staged = StagedOutput(out)
    staged.write_bytes("index.html", b"old")
    staged.write_bytes("a/keep.html", b"same")
    staged.commit()
    flushed: list[str] = []
    synced: list[bool] = []
    real_fsync = os.fsync
    monkeypatch.setattr(
        os, "fsync", lambda fd: flushed.append(os.readlink(f"/proc/self/fd/{fd}")) or real_fsync(fd)
    )
    monkeypatch.setattr(os, "sync", lambda: synced.append(True))
    staged = StagedOutput(out)
    staged.write_bytes("index.html", b"new")
    staged.write_bytes("a/keep.html", b"same")
    staged.write_bytes("b/added.html", b"added")
    stage = staged.stage
    staged.commit()
    assert sorted(flushed) == sorted(
        os.fspath(stage / rel) for rel in ("index.html", "b/added.html", "", "b")
    )
    assert not synced
    flushed.clear()
    staged = StagedOutput(out)
    for n in range(output.FSYNC_FILES + 1):
        staged.write_bytes(f"many/{n}.html", b"%d" % n)
    staged.commit()
    assert synced and not flushed


def test_abort_leaves_output_untouched(tmp_path: Path) -> None:
    out = tmp_path / "output"
    _write(out, {"index.html": b"old"})
    staged = StagedOutput(out)
    staged.write_bytes("index.html", b"new")
    staged.abort()
    assert _tree(out) == {"index.html": b"old"}
    assert sorted(p.name for p in tmp_path.iterdir()) == [".output.spare", "output"]


def test_leftover_staging_of_a_killed_build_is_cleaned(tmp_path: Path) -> None:
    out = tmp_path / "output"
    dead = tmp_path / ".output.staging-999999999"
    dead.mkdir()
    (dead / "x").write_text("half")
    _write(out, {"index.html": b"x"})
    assert not dead.exists()


WRITER = """
import sys
from pathlib import Path
from yunzhan.output import StagedOutput
from yunzhan.recycle import walk_tree
from yunzhan.treesign import tree_signature
out, tag = Path(sys.argv[1]), sys.argv[2]
staged = StagedOutput(out)
for i in range(400):
    staged.write_bytes(f"p{i % 40}/f{i}.html", (tag * 200).encode())
staged.commit()
"""


def test_killed_at_random_moments_output_is_old_or_new(tmp_path: Path) -> None:
    out = tmp_path / "output"
    repo = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(repo)}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", WRITER, str(out), "A"], check=True, env=env)
    duration = time.perf_counter() - start  # kill anywhere from start-up to just after the swap
    versions = {"A"}
    rng = random.Random(1234)
    outcomes = set()
    for attempt in range(25):
        tag = "B" if attempt % 2 == 0 else "A"
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(out), tag], env=env)
        time.sleep(rng.uniform(0.0, 1.3 * duration))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        tree = _tree(out)
        assert len(tree) == 400, f"output has {len(tree)} files after a kill"
        contents = {data.decode()[:1] for data in tree.values()}
        assert len(contents) == 1, "output mixes two builds"
        outcomes |= contents
        versions.add(tag)
    assert outcomes <= versions


def _damaged(kept: bytes, how: str) -> bytes:
    """A marshalled tree record as it may come back from a damaged store, raising each error ``from_bytes`` may."""
    damage = {
        "cut short": kept[: len(kept) // 2],
        "garbage": b"\0garbage",
        "not a record": marshal.dumps(("a", "b")),
    }
    return damage[how]


@pytest.mark.parametrize("how", ["cut short", "garbage", "not a record"])
def test_an_unreadable_record_of_the_output_is_walked_instead(
    make_site: MakeSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    """The store keeps the output's record beside the trusted spare tree's (``Spare.output_kept``), read only when
    the commit counts what the build removed: when it cannot be read, the commit walks the old output instead,
    the output is still exactly the build (a page removed from the site is gone), and the next build is given
    that walk as the record of its spare tree."""
    from yunzhan.incremental.sparenote import put_spare, spare_of
    from yunzhan.incremental.store import opened
    from yunzhan.pipeline import BuildOptions, build
    from yunzhan.recycle import Spare

    site = make_site()
    for n in range(2):  # the second build leaves a spare tree the store describes
        edit_file(site / "content/pages/about.md", "关于本展" if n == 0 else "关于本展0", f"关于本展{n}")
        incremental_build(site)
    (path,) = (site.parent / "cache").glob("build-*.sqlite")
    with opened(path) as store:
        spare = spare_of(store)
        assert isinstance(spare, Spare) and isinstance(spare.output_kept, bytes)
        put_spare(store, Spare(spare.token, spare.differ, spare.tree, _damaged(spare.output_kept, how)))
        store.commit()
    before = set(_tree(site / "output"))
    walked: list[str] = []

    def walk(root: str, wanted: Collection[str] | None = None) -> TreeRecord:
        walked.append(root)
        return walk_tree(root, wanted)

    monkeypatch.setattr(output, "walk_tree", walk)
    (site / "content/pages/about.md").unlink()
    out = incremental_build(site)
    assert walked == [os.fspath(out.absolute())]  # the stage was trusted (not walked): the old output was
    cold = tmp_path / "cold"
    build(BuildOptions(site_dir=site, output_dir=cold, cache_dir=tmp_path / "cold-cache", use_cache=False))
    assert _tree(out) == _tree(cold) and "about/index.html" in before - set(_tree(out))
    with opened(path) as store:
        noted = spare_of(store)  # the old output walked is the next build's spare tree
        assert set(noted.files) == before and set(noted.output) == set(_tree(out))


def test_a_commit_leaves_the_last_output_s_record_unread_when_the_lookahead_read_it(
    make_site: MakeSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The output a commit swaps out becomes the next spare tree: its record (marshalled in the store) goes
    into the new note as it was read, and what the build removed is counted on the files the lookahead child
    found (it read that record), so this process never decodes it; the output is still exactly the build."""
    from yunzhan import recycle
    from yunzhan.incremental.sparenote import spare_of
    from yunzhan.incremental.store import opened
    from yunzhan.pipeline import BuildOptions, build

    site = make_site()
    for n in range(2):  # the second build leaves a spare tree the store describes
        edit_file(site / "content/pages/about.md", "关于本展" if n == 0 else "关于本展0", f"关于本展{n}")
        incremental_build(site)
    before = set(_tree(site / "output"))
    monkeypatch.setattr(recycle.Spare, "output_tree", property(lambda s: pytest.fail("the record was read")))
    (site / "content/pages/about.md").unlink()
    result = build(BuildOptions(site_dir=site, cache_dir=site.parent / "cache"))
    assert result.removed == len(before - set(_tree(site / "output"))) >= 1
    monkeypatch.undo()
    cold = tmp_path / "cold"
    build(BuildOptions(site_dir=site, output_dir=cold, cache_dir=tmp_path / "cold-cache", use_cache=False))
    assert _tree(site / "output") == _tree(cold)
    (path,) = (site.parent / "cache").glob("build-*.sqlite")
    with opened(path) as store:
        noted = spare_of(store)
        assert noted is not None and set(noted.files) == before
