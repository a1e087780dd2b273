"""workers.py: forked processes give the same results, in the same order, as doing the work here."""

from __future__ import annotations

import gc
import os
import time
import weakref
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import MakeSite
from tests.test_cache import _tree
from yunzhan import portable, processes, workers
from yunzhan.pipeline import BuildOptions, BuildResult, build


def _square_plus(state: dict[str, int], i: int) -> tuple[int, int]:
    return i * i + state["add"], os.getpid()


def test_fork_map_keeps_order_and_really_forks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workers, "workers_for", lambda count, min_items=0: 2)
    results = list(workers.fork_map(_square_plus, {"add": 7}, 100))
    assert [r for r, _ in results] == [i * i + 7 for i in range(100)]
    pids = [pid for _, pid in results]
    # the first chunks go to a forked child (the state reached it by fork), a chunk's items all in one process
    assert len(set(pids[: workers.CHUNK])) == 1 and os.getpid() not in pids[: workers.CHUNK]
    assert all(len(set(pids[i : i + workers.CHUNK])) == 1 for i in range(0, 100, workers.CHUNK))


def _slow_in_children(state: dict[str, int], i: int) -> tuple[int, int]:
    if os.getpid() != state["parent"]:
        time.sleep(0.01)
    return i, os.getpid()


def test_this_process_takes_the_chunks_while_the_children_are_busy(monkeypatch: pytest.MonkeyPatch) -> None:
    """The faster side does more: a fixed share (every other chunk) made this process, which also does the
    caller's work on every result, the slowest of all."""
    monkeypatch.setattr(workers, "workers_for", lambda count, min_items=0: 2)
    results = list(workers.fork_map(_slow_in_children, {"parent": os.getpid()}, 8 * 8, chunk=8))
    assert [r for r, _ in results] == list(range(64))
    here = [pid == os.getpid() for _, pid in results]
    assert not any(here[:8]) and sum(here) >= 3 * 8  # the child is slow: as many here as may wait, at once
    assert here[3 * 8 : 6 * 8] == [True] * 24

    here.clear()
    for _, pid in workers.fork_map(_square_plus, {"add": 0}, 64, chunk=8):
        here.append(pid == os.getpid())
        time.sleep(
            0.005
        )  # the caller's work on each result is slow: the child does more than every other chunk
    assert sum(here) < 4 * 8


def test_even_work_takes_every_other_chunk_here(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rendering: a child's copies of what it reads grow with its share, so the share is fixed."""
    monkeypatch.setattr(workers, "workers_for", lambda count, min_items=0: 2)
    results = list(workers.fork_map(_slow_in_children, {"parent": os.getpid()}, 8 * 8, chunk=8, even=True))
    assert [r for r, _ in results] == list(range(64))
    here = [pid == os.getpid() for _, pid in results]
    assert here == [n % 2 == 0 for n in range(8) for _ in range(8)]


def test_small_jobs_stay_in_this_process() -> None:
    results = list(workers.fork_map(_square_plus, {"add": 0}, 3))
    assert {pid for _, pid in results} == {os.getpid()}


def _double_here(item: int) -> tuple[int, int]:
    return 2 * item, os.getpid()


def test_beside_keeps_order_and_shares_the_items_with_another_process() -> None:
    results = list(workers.beside(_double_here, iter(range(7)), 7, min_items=1))
    assert [r for r, _ in results] == [2 * i for i in range(7)]
    pids = [pid for _, pid in results]
    # the first items go to one spawned process (sent, not forked); while it starts, the next are done here
    assert len(set(pids[: workers.BESIDE])) == 1 and os.getpid() not in pids[: workers.BESIDE]
    assert os.getpid() in pids
    assert {pid for _, pid in workers.beside(_double_here, iter(range(3)), 3, min_items=4)} == {os.getpid()}


def test_beside_started_early_takes_its_first_items_first_from_the_same_process() -> None:
    """``beside_soon`` sends the first items to a process started now; ``beside`` given it takes their
    results first, then the other items', shared with that same process."""
    started = workers.beside_soon(_double_here, lambda: iter(range(3)), 8, min_items=1)
    assert started is not None and len(started.sent) == 3
    results = list(workers.beside(_double_here, iter(range(3, 8)), 5, min_items=9, started=started))
    assert [r for r, _ in results] == [2 * i for i in range(8)]
    theirs = {pid for _, pid in results[:3]}
    assert len(theirs) == 1 and os.getpid() not in theirs
    assert {pid for _, pid in results[3:]} <= theirs | {os.getpid()}
    assert workers.beside_soon(_double_here, lambda: iter(range(3)), 3, min_items=4) is None  # done here
    closed = workers.beside_soon(_double_here, lambda: iter(range(2)), 2, min_items=1)
    assert closed is not None
    closed.close()  # not taken: its process stops


def test_beside_takes_the_callers_steps_while_the_other_process_is_busy() -> None:
    taken: list[int] = []
    steps = (taken.append(n) for n in range(3))
    results = list(workers.beside(_double_here, iter(range(4)), 4, min_items=1, meanwhile=steps))
    assert [r for r, _ in results] == [0, 2, 4, 6]
    assert taken == [0, 1, 2]  # while the spawned process started (the steps take no time), before items here
    assert os.getpid() not in [pid for _, pid in results][: workers.BESIDE]


def test_a_waiting_step_has_an_item_done_here_and_is_taken_again() -> None:
    """A step of ``meanwhile`` that is WAIT takes no step: the next item is done here (which may make what the
    step waits for) or the other process's result is waited for, and the step is asked again; never a spin."""
    drawn: list[int] = []
    waits: list[int] = []

    def items() -> Iterator[int]:
        for n in range(6):
            drawn.append(n)
            yield n

    def steps() -> Iterator[object]:
        while len(drawn) < 4:  # waits for the fourth item to be drawn
            waits.append(len(drawn))
            yield workers.WAIT
        yield None

    results = list(workers.beside(_slow_double, items(), 6, min_items=1, meanwhile=steps()))
    assert [r for r, _ in results] == [2 * n for n in range(6)]
    assert len(waits) <= 6  # each answered by an item drawn or a result waited for


def _slow_double(item: int) -> tuple[int, int]:
    time.sleep(0.05)
    return 2 * item, os.getpid()


def test_beside_does_everything_here_where_no_process_can_be_started(monkeypatch: pytest.MonkeyPatch) -> None:
    without = replace(portable.capabilities(), spawn=False)
    monkeypatch.setattr(portable, "capabilities", lambda: without)
    results = list(workers.beside(_double_here, iter(range(5)), 5, min_items=1))
    assert results == [(2 * i, os.getpid()) for i in range(5)]


class _Cycle:
    me: _Cycle | None = None


def _make_cycle(refs: list[weakref.ref[_Cycle]], i: int) -> int:
    made = _Cycle()
    made.me = made  # freed only by the cycle collector, which a build turns off
    refs.append(weakref.ref(made))
    return i


def test_work_done_here_frees_its_cycles_chunk_by_chunk() -> None:
    refs: list[weakref.ref[_Cycle]] = []
    gc.disable()
    try:
        assert list(workers.fork_map(_make_cycle, refs, 10, chunk=4)) == list(range(10))  # few: done here
    finally:
        gc.enable()
    assert len(refs) == 10 and all(ref() is None for ref in refs)


def test_apart_does_every_item_in_one_child_however_few(monkeypatch: pytest.MonkeyPatch) -> None:
    """In one forked child when this process has no other thread (a thread an earlier test left behind in this
    process would make it run here, as ``serve`` does), here when it has one."""
    if not processes.can_fork():
        pytest.skip("no fork here: apart runs in this process")
    monkeypatch.setattr(workers.threading, "active_count", lambda: 1)
    for count in (1, 100):
        results = workers.apart(_square_plus, {"add": 3}, count, chunk=8)
        assert [r for r, _ in results] == [i * i + 3 for i in range(count)]
        pids = {pid for _, pid in results}
        assert len(pids) == 1 and os.getpid() not in pids  # pypinyin's tables are loaded there, not here
    assert workers.apart(_square_plus, {"add": 0}, 0) == []
    monkeypatch.setattr(workers.threading, "active_count", lambda: 2)  # a preview's threads: no fork
    assert {pid for _, pid in workers.apart(_square_plus, {"add": 3}, 5)} == {os.getpid()}


def test_apart_soon_works_in_a_child_while_this_process_goes_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """Begun at once in one forked child; asked for later, the results come in order. Where this process may
    not fork (a preview's threads, or no fork at all), the work is done here when asked for, not before."""
    if not processes.can_fork():
        pytest.skip("no fork here: apart_soon runs in this process")
    monkeypatch.setattr(workers.threading, "active_count", lambda: 1)
    soon = workers.apart_soon(_square_plus, {"add": 3}, 40)
    results = soon()
    assert [r for r, _ in results] == [i * i + 3 for i in range(40)]
    assert len({pid for _, pid in results}) == 1 and os.getpid() not in {pid for _, pid in results}
    assert soon() is results  # asked again: the same results, no second child
    assert workers.apart_soon(_square_plus, {"add": 0}, 0)() == []
    called: list[int] = []

    def counted(state: dict[str, int], i: int) -> tuple[int, int]:
        called.append(i)
        return _square_plus(state, i)

    monkeypatch.setattr(processes, "can_fork", lambda: False)
    later = workers.apart_soon(counted, {"add": 1}, 3)
    assert called == []  # nothing done before it is asked for
    assert later() == [(1, os.getpid()), (2, os.getpid()), (5, os.getpid())]


def test_a_forked_build_equals_one_in_process(
    make_site: MakeSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = make_site({"content/pages/raw.md": "---\ntitle: 原始\n---\n<script>x()</script>正文\n"})
    single = build(BuildOptions(site_dir=site, output_dir=tmp_path / "one", use_cache=False))
    monkeypatch.setattr(workers, "workers_for", lambda count, min_items=0: 2)
    forked = build(BuildOptions(site_dir=site, output_dir=tmp_path / "two", use_cache=False))
    assert forked.problems == single.problems and single.problems  # the warning about the script, once
    assert _tree(tmp_path / "two") == _tree(tmp_path / "one")


def test_a_heavy_item_gets_a_chunk_of_its_own() -> None:
    weights = [1, 1, 1, 40, 1, 1, 5, 1]
    chunks = workers.split(len(weights), 4, weights.__getitem__)
    assert chunks == [[0, 1, 2], [3], [4, 5], [6], [7]]
    assert workers.split(5, 2) == [[0, 1], [2, 3], [4]]


def test_forked_renderers_read_nothing_through_the_store(
    make_site: MakeSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bodies, their Markdown and placard QR codes are read from the store when shown, but never by a forked
    renderer through the connection it inherits (while this process holds a write transaction, a read there
    can spill the transaction's pages into the WAL): what this build made is put in a ``TextPack`` before they
    start, what an earlier one committed they read through a connection of their own. The pages come out as a
    build rendering in this process makes them, cold and from a warm store (a template edit)."""
    from yunzhan.incremental.store import Store

    site = make_site()
    readers = tmp_path / "readers.txt"
    monkeypatch.setattr(Store, "get", _noting(readers, Store.get))
    own = Store.committed

    def committed(self: Store, table: str, key: str) -> object:
        if os.getpid() != parent:
            with readers.open("a", encoding="utf-8") as f:
                f.write(f"{os.getpid()} own-{table}\n")
        return own(self, table, key)

    parent = os.getpid()
    monkeypatch.setattr(Store, "committed", committed)
    for _two, _one in _forked_and_here(site, tmp_path, monkeypatch):
        assert _tree(tmp_path / "two") == _tree(tmp_path / "one")
    tables = {tuple(line.split()) for line in readers.read_text(encoding="utf-8").splitlines()}
    assert {table for pid, table in tables if pid == str(os.getpid())} >= {"html"}
    children = {table for pid, table in tables if pid != str(os.getpid())}
    # only through a connection of their own: the template edit's bodies (and QR codes, for a child that
    # renders a placard page), committed by the cold build
    assert "own-html" in children and children <= {"own-html", "own-qr"}


def test_forked_renderers_place_their_own_pages(
    make_site: MakeSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page rendered in a forked child is written to the staging folder there (its compressed twins too) and
    only noted here: the output, and what the build says it wrote, are those of a build rendering here, cold
    and after a template edit (a spare tree staged in)."""
    from yunzhan.output import StagedOutput

    site = make_site()
    placed = tmp_path / "placed.txt"
    monkeypatch.setattr(StagedOutput, "write_apart", _noting(placed, StagedOutput.write_apart))
    for two, one in _forked_and_here(site, tmp_path, monkeypatch, compress=True):
        assert _tree(tmp_path / "two") == _tree(tmp_path / "one")
        assert (two.written, two.unchanged, two.removed) == (one.written, one.unchanged, one.removed)
    pids = {line.split()[0] for line in placed.read_text(encoding="utf-8").splitlines()}
    assert pids and str(os.getpid()) not in pids  # the children's pages, placed by them


def _forked_and_here(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, compress: bool = False
) -> Iterator[tuple[BuildResult, BuildResult]]:
    """A cold build, then a template edit (every page again, from a warm store): each into ``two`` with a forked
    renderer for every other page, and into ``one`` rendering here; their results, as each pair is built."""
    theme = Path(__file__).parent.parent / "themes" / "default" / "templates" / "base.html"
    for edit in ("", "<!-- 改了 -->\n"):
        if edit:
            (site / "templates").mkdir(exist_ok=True)
            (site / "templates" / "base.html").write_text(theme.read_text(encoding="utf-8") + edit, "utf-8")
        with monkeypatch.context() as forking:
            forking.setattr(workers, "workers_for", lambda count, min_items=0: 2)
            forking.setattr(workers, "split", lambda count, chunk, weight=None: [[i] for i in range(count)])
            two = build(BuildOptions(site_dir=site, output_dir=tmp_path / "two", compress=compress))
        yield two, build(BuildOptions(site_dir=site, output_dir=tmp_path / "one", compress=compress))


def _noting(log: Path, method: Callable[..., Any]) -> Callable[..., Any]:
    """``method``, each call noted in ``log`` with the process that made it and its first argument."""

    def call(self: object, first: object, *args: object) -> Any:
        with log.open("a", encoding="utf-8") as f:
            f.write(f"{os.getpid()} {first}\n")
        return method(self, first, *args)

    return call
