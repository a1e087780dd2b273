"""Share the CPU-bound stages of a big build (Markdown conversion, rendering) between forked processes.

Forked children inherit everything the build holds in memory — records, the Jinja environment, the pages — so
nothing is pickled on the way in but a list of indices; only results come back. Only a build with no other
threads running forks (``serve`` has threads, whose locks a fork would copy mid-use), and only when there is
enough work to pay for starting the children; otherwise the work runs in this process, with the same results.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import partial
from itertools import islice
from typing import Any, Generic, TypeVar

from yunzhan import portable, processes

S = TypeVar("S")
R = TypeVar("R")
T = TypeVar("T")
X = TypeVar("X")

MIN_ITEMS = 400  # fewer than this: forking and collecting costs more than it saves
CHUNK = 32
AHEAD = 3  # chunks in flight per worker
# ``even`` work: each side renders its own share, so a child kept only three chunks ahead of the taker waited
# for it, and it for the child (~0.6-1 s of a cold 3,000-page render under load, two processes idle in turn);
# its results are small (rendered pages are placed where made: their entries come back)
AHEAD_EVEN = 8

_state: Any = None  # set in each forked child by _adopt; never in the parent


def _adopt(state: Any) -> None:
    global _state
    _state = state
    # The build runs with the cycle collector off, but rendering makes cycles (Jinja's contexts and closures)
    # that only it frees: each chunk ends with a collection. Freezing first keeps it to the objects made here,
    # and keeps the inherited ones untouched (collecting writes to every object it visits: pages shared with
    # the parent would be copied).
    gc.freeze()


def _run(func: Callable[[Any, int], Any], indices: list[int]) -> list[Any]:
    results = [func(_state, i) for i in indices]
    _collect()
    return results


def _collect() -> None:
    """Free the cycles a chunk made. The youngest generations hold all of them (the collector runs only here,
    and everything inherited is frozen); a full collection would also empty the interpreter's free lists,
    whose blocks lie all over the inherited memory: ~20 MB of shared pages copied, in this process and the
    other."""
    gc.collect(1)


def workers_for(count: int, min_items: int = MIN_ITEMS) -> int:
    """How many processes to fork for ``count`` items: 1 means do it here."""
    cpus = _cpus()
    if count < min_items or cpus < 2 or threading.active_count() > 1:
        return 1
    if not processes.can_fork():  # Windows, macOS: the work runs here (spawned children need it pickled)
        return 1
    return min(cpus, 8)


def beside(
    func: Callable[[S], R],
    items: Iterable[S],
    count: int,
    *,
    min_items: int,
    meanwhile: Iterable[object] = (),
    started: Started[S, R] | None = None,
) -> Iterator[R]:
    """``func(item)`` for each of the ``count`` ``items``, in order: shared with a new Python process, which is
    kept BESIDE items ahead. While the other is still at the oldest it was sent, this one takes a step of
    ``meanwhile`` (other work of the caller's, a step at a time: what is left of it is the caller's to finish),
    or else does the next item itself: whichever is faster does more (this one also reads what it sends).
    Spawned, not forked, wherever it runs: it shares no memory with this one, so neither copies the other's
    pages as it writes (a forked child making a cold build's search blocks beside it came to ~100 MB more in
    all, the build's peak); it holds only the interpreter, ``func``'s module and an item or two. ``func`` is
    sent by name, items and results are pickled. Fewer than ``min_items``, one CPU, or no Python process can
    be started (``portable.capabilities``): all here. ``started``: its process begun earlier (``beside_soon``),
    whose items' results come first, then those of ``items``."""
    if started is None and (count < min_items or _cpus() < 2 or not portable.capabilities().spawn):
        yield from map(func, items)
        return
    pool = started.pool if started is not None else _spawned()
    with pool:
        send, take = partial(_submit, pool, func), partial(_result, func=func)
        # the items sent are held by ``_in_order``'s queue alone: each result let go once taken
        yield from _in_order(
            send, func, take, items, BESIDE, meanwhile, sent=started.taken() if started is not None else ()
        )


@dataclass
class Started(Generic[S, R]):
    """``beside``'s process started before the caller asks for the results (``beside_soon``), its first items
    sent: it makes them while this process does work of its own that leaves a core idle. ``beside`` (passed
    it as ``started``, with the other items) takes them first; ``close`` when it will not."""

    pool: ProcessPoolExecutor
    sent: list[tuple[Future[R] | None, S]]

    def taken(self) -> list[tuple[Future[R] | None, S]]:
        """The items sent, given up (each result is held only until the caller takes it)."""
        sent, self.sent = self.sent, []
        return sent

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)


def beside_soon(
    func: Callable[[S], R], items: Callable[[], Iterable[S]], count: int, *, min_items: int
) -> Started[S, R] | None:
    """``beside``'s process started now, with ``items()`` (the first of ``count``) sent to it; None where
    ``beside`` would do them all here. Its pool's thread runs until ``beside`` is done: nothing forks
    meanwhile (``workers_for`` says 1), so start it once the forked workers of this build are gone."""
    if count < min_items or _cpus() < 2 or not portable.capabilities().spawn:
        return None
    pool = _spawned()
    return Started(pool, [(_submit(pool, func, item), item) for item in items()])


def _spawned() -> ProcessPoolExecutor:
    return ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))


def _in_order(
    send: Callable[[T], Future[X] | None],
    here: Callable[[T], X],
    take: Callable[[Future[X] | None, T], X],
    items: Iterable[T],
    ahead: int,
    meanwhile: Iterable[object] = (),
    hold: int | None = None,
    sent: Iterable[tuple[Future[X] | None, T]] = (),
) -> Iterator[X]:
    """Each item's result, in the items' order, the work shared by whichever is free: ``ahead`` items are kept
    with the other processes (``send``); while the oldest of them is not done, this process takes a step of
    ``meanwhile`` (other work of the caller's, a step at a time: what is left of it is the caller's to finish;
    a step that is WAIT could not be taken yet), or else does the next item itself (``here``), up to ``hold``
    results made here waiting. So the faster side does more: this one also does the caller's work on each
    result. ``take`` gets a sent item's result; ``sent``: items sent before, which come first."""
    source, steps = iter(items), iter(meanwhile)
    queue: deque[_Sent[T, X] | _Made[X]] = deque(_Sent(f, item) for f, item in sent)  # in the items' order
    sent = ()  # each result held by the queue alone, until taken
    sent_now, made = len(queue), 0  # of the queue, how many the other processes have, how many were made here
    while True:
        while sent_now < ahead and (item := next(source, _END)) is not _END:
            queue.append(_Sent(send(item), item))  # type: ignore[arg-type]
            sent_now += 1
        if not queue:
            return
        head = queue[0]
        if isinstance(head, _Sent) and head.future is not None and not head.future.done():
            if (step := next(steps, _END)) is not _END and step is not WAIT:
                continue
            if hold is None or made < hold:
                item = next(source, _END)
                if item is not _END:  # the others are busy: the next item here, meanwhile
                    queue.append(_Made(here(item)))  # type: ignore[arg-type]
                    made += 1
                    continue
        queue.popleft()
        if isinstance(head, _Sent):
            sent_now -= 1
            yield take(head.future, head.item)
        else:
            made -= 1
            yield head.result


BESIDE = 2  # items the other process holds: one it works on, the next waiting for it
_END = object()
WAIT = object()  # a step of ``meanwhile`` that waits for what the items make: an item is done here instead


@dataclass
class _Sent(Generic[T, X]):
    """An item sent to another process (``future`` None: it died, the item is done here)."""

    future: Future[X] | None
    item: T


@dataclass
class _Made(Generic[X]):
    """An item done here while the other processes were busy."""

    result: X


def _submit(pool: ProcessPoolExecutor, func: Callable[[S], R], item: S) -> Future[R] | None:
    """``func(item)`` sent to the pool; None once its process died (the rest is done here)."""
    try:
        return pool.submit(func, item)
    except BrokenProcessPool:
        return None


def _result(theirs: Future[R] | None, there: S, *, func: Callable[[S], R]) -> R:
    """The other process's result, or the item done here when it died (a script that starts a build without
    ``if __name__ == "__main__"`` has the spawned process run it again, and fail)."""
    if theirs is None:
        return func(there)
    try:
        return theirs.result()
    except BrokenProcessPool:
        return func(there)


def _cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def fork_map(
    func: Callable[[S, int], R],
    state: S,
    count: int,
    *,
    min_items: int = MIN_ITEMS,
    chunk: int = CHUNK,
    weight: Callable[[int], int] | None = None,
    even: bool = False,
) -> Iterator[R]:
    """``func(state, i)`` for i in 0..count-1, in order. ``func`` must be a module-level function (it is sent by
    name); ``state`` reaches the children by fork, never pickled. Big items call for a smaller ``min_items``
    and ``chunk``; a few much bigger than the rest, for a ``weight`` of each (see ``split``). Work whose
    children copy much of what they read (rendering) shares ``even``ly: this process takes every other chunk,
    so the children read no more than their share (a cold 10,000-page render peaked 13 MiB higher)."""
    workers = workers_for(count, min_items)
    chunks = split(count, chunk, weight)
    # this process's collections (below) visit only what the work made: not what children share with it, nor
    # the rest of the build
    gc.freeze()
    try:
        if workers == 1:
            yield from _here(func, state, chunks)
        else:
            yield from _share(func, state, chunks, workers, even)
    finally:
        gc.unfreeze()


def _here(func: Callable[[S, int], R], state: S, chunks: list[list[int]]) -> Iterator[R]:
    """All of it in this process, with the cycles each chunk made freed after it: the build runs with the
    collector off, and a 10,000-page render kept ~450 MB of Jinja's cycles otherwise (one CPU, or no fork)."""
    for indices in chunks:
        yield from _chunk_here(func, state, indices)


def apart(func: Callable[[S, int], R], state: S, count: int, *, chunk: int = CHUNK) -> list[R]:
    """``func(state, i)`` for i in 0..count-1, all of it in one forked child, none here, however few the items:
    for work that needs a library with big tables (pypinyin's come to 55 MB, PyAV's ~16 MB), which this process
    then never loads (one child: each would load them). Where it cannot fork (threads running, no fork), here."""
    return list(apart_each(func, state, count, chunk=chunk))


def apart_each(func: Callable[[S, int], R], state: S, count: int, *, chunk: int = CHUNK) -> Iterator[R]:
    """``apart``'s results one by one as the child makes them (for a progress bar over slow items)."""
    if count == 0:
        return
    if threading.active_count() > 1 or not processes.can_fork():
        yield from (func(state, i) for i in range(count))
        return
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(1, mp_context=context, initializer=_adopt, initargs=(state,)) as pool:
        futures = [pool.submit(_run, func, indices) for indices in split(count, chunk)]
        for future in futures:
            yield from future.result()


def apart_soon(func: Callable[[S, int], R], state: S, count: int) -> Callable[[], list[R]]:
    """``apart`` begun now, in a forked child, while this process goes on; the function returned waits for its
    results. For a few items (an edit's new titles): the child holds its library's tables while this process
    may fork workers of its own beside it. Where it cannot fork, the work is done here when asked for."""
    if count == 0 or threading.active_count() > 1 or not processes.can_fork():
        return partial(apart, func, state, count)
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_send, args=(sender, func, state, count), daemon=True)
    child.start()
    sender.close()
    made: list[list[R]] = []

    def results() -> list[R]:
        if not made:
            try:
                made.append(receiver.recv())
            except EOFError:  # the child died: done here
                made.append([func(state, i) for i in range(count)])
            finally:
                receiver.close()
                child.join()
        return made[0]

    return results


def _send(sender: Any, func: Callable[[Any, int], Any], state: Any, count: int) -> None:
    sender.send([func(state, i) for i in range(count)])
    sender.close()


def split(count: int, chunk: int, weight: Callable[[int], int] | None = None) -> list[list[int]]:
    """0..count-1 in runs of ``chunk`` items, or of at most ``chunk`` by ``weight`` (at least 1 each): an item
    as heavy as a whole chunk is alone in its own. A chunk's results wait whole in the process that made it,
    and then whole in this one: ten pages of a thousand placards in one chunk were ~60 MB at once."""
    if weight is None:
        return [list(range(i, min(i + chunk, count))) for i in range(0, count, chunk)]
    chunks: list[list[int]] = []
    current: list[int] = []
    load = 0
    for i in range(count):
        w = max(1, weight(i))
        if current and load + w > chunk:
            chunks.append(current)
            current, load = [], 0
        current.append(i)
        load += w
    if current:
        chunks.append(current)
    return chunks


def _share(
    func: Callable[[S, int], R], state: S, chunks: list[list[int]], workers: int, even: bool
) -> Iterator[R]:
    """This process works too, and forks one child fewer: each child comes to hold its own copy of most of what
    it reads (a read changes an object's reference count, which copies its memory page), ~100 MB at 10,000
    records, while this process reads its own objects for free. Unless ``even``, it takes a chunk while the
    children are busy (``_in_order``): it also does the caller's work on every result, so a fixed share made
    it the slowest."""
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers - 1, mp_context=context, initializer=_adopt, initargs=(state,)) as pool:
        # A few chunks ahead of the consumer, not all of them: results the caller has not taken yet wait in
        # this process (a 10,000-page render finished ahead of its writing held ~200 MB of HTML).
        ahead = (workers - 1) * (AHEAD_EVEN if even else AHEAD)
        send = partial(pool.submit, partial(_run, func))
        here = partial(_chunk_here, func, state)
        if even:
            made = _alternate(send, here, chunks, workers, ahead)
        else:
            made = _in_order(send, here, _taken, chunks, ahead, hold=ahead)
        for results in made:
            yield from results


def _alternate(
    send: Callable[[list[int]], Future[list[R]]],
    here: Callable[[list[int]], list[R]],
    chunks: list[list[int]],
    workers: int,
    ahead: int,
) -> Iterator[list[R]]:
    """Every ``workers``-th chunk here, the others sent, ``ahead`` of them at a time."""
    theirs = iter([c for n, c in enumerate(chunks) if n % workers])
    pending = deque(send(c) for c in islice(theirs, ahead))
    for n, indices in enumerate(chunks):
        if n % workers == 0:
            yield here(indices)
        else:
            results = pending.popleft().result()
            following = next(theirs, None)
            if following is not None:  # sent before the caller takes these: the child is not kept waiting
                pending.append(send(following))
            yield results


def _chunk_here(func: Callable[[S, int], R], state: S, indices: list[int]) -> list[R]:
    results = [func(state, i) for i in indices]
    _collect()  # the cycles just made (this build runs with the collector off): only they
    return results


def _taken(future: Future[list[R]] | None, indices: list[int]) -> list[R]:
    assert future is not None  # a forked pool's submit raises rather than returning None
    return future.result()
