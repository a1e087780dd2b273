"""``build()``: the steps in order, each timed. Everything is gathered and checked first; only a build with no
errors is written, and then atomically (see output.py), so a bad entry never touches the published site.

The steps are ``steps_in_order()``, top to bottom; each is a function of ``steps.Build``, in ``steps.py`` (reading
the site) or ``pagesteps.py`` (making the output). To add one, write it there (or in a module of its own) and add
a line here.
"""

from __future__ import annotations

import gc
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from yunzhan.config import load_config
from yunzhan.config import output_dir as output_dir_of
from yunzhan.errors import ConfigError, Problem, YunzhanError, sort_problems
from yunzhan.incremental import stamp
from yunzhan.incremental.session import Session
from yunzhan.incremental.sparenote import spare_of
from yunzhan.incremental.store import DAMAGED, Store, delete_files, store_path
from yunzhan.incremental.written import file_stats
from yunzhan.options import BuildOptions

if TYPE_CHECKING:  # the stages are imported once the stamp says there is work to do
    from yunzhan import steps
    from yunzhan.output import WriteStats
    from yunzhan.writing import Stage

__all__ = ["CACHE_DIR_NAME", "BuildOptions", "BuildResult", "Session", "build", "gather", "steps_in_order"]

CACHE_DIR_NAME = stamp.CACHE_DIR_NAME


def steps_in_order() -> list[tuple[str, Callable[[steps.Build], None]]]:
    """The steps of a build, top to bottom (imported here: a rebuild with nothing to do needs none of them)."""
    from yunzhan import pagesteps, steps

    return [
        ("config", steps.read_config),
        ("load", steps.load_records),
        ("rules", steps.check_records),
        ("review", steps.withhold_unreviewed),
        ("references", steps.resolve_references),
        ("markdown", steps.convert_markdown),
        ("media", steps.process_media),
        ("images", steps.process_images),
        ("plan", steps.plan_pages),
        ("share images", steps.draw_share_images),
        ("check", pagesteps.find_stale_pages),
        ("render", pagesteps.render_pages),
        ("publish", pagesteps.make_site_files),
        ("redirects", pagesteps.make_redirects),
        ("compress", pagesteps.compress),
    ]


@dataclass
class BuildResult:
    output_dir: Path
    pages: int
    problems: list[Problem]  # warnings only; errors raise
    timings: dict[str, float] = field(default_factory=dict)
    written: int = 0
    unchanged: int = 0
    removed: int = 0
    image_stats: dict[str, int] = field(default_factory=dict)
    finish: Callable[[], None] | None = None  # deferred site-wide files: run it once the pages are seen
    up_to_date: bool = False  # the stamp held: nothing changed since the last build, nothing was done


def build(options: BuildOptions, session: Session | None = None) -> BuildResult:
    """Build the site; raise YunzhanError (with every problem) and leave the output untouched on errors.

    First the stamp: when nothing changed since the last build, nothing is done (not even importing the
    stages). With a preview ``session``, the site-wide files (search index, sitemap, feed, open data) are left
    as they were and ``BuildResult.finish`` brings them up to date: the edited page is ready first."""
    timer = _Timer()
    checked: stamp.Check | None = None
    site_dir = options.site_dir.absolute()
    output_dir = output_dir_of(site_dir, options.output_dir)
    _check_output_dir(output_dir, site_dir)
    if not (site_dir / "site.toml").is_file():
        # its error names the file: raised before a cache folder is made in a mistyped --site
        load_config(site_dir)
    stamped = options.use_cache and session is None and not options.preview
    if stamped:
        with timer.step("stamp"):
            settings = stamp.settings(options.base_url, options.drafts, options.strict, options.compress)
            checked = stamp.check(site_dir, output_dir, options.cache_dir, settings)
            if checked.last is not None:  # nothing changed since the last build: nothing to do
                last = checked.last
                return BuildResult(
                    output_dir,
                    last.pages,
                    last.warnings(),
                    timer.timings,
                    unchanged=last.files,
                    up_to_date=True,
                )
    try:
        return _build(options, session, timer, checked, output_dir)
    except sqlite3.DatabaseError:  # the store's file is damaged in a way opening it did not show
        if not options.use_cache:
            raise
        path = _discard_store(options, site_dir, output_dir, session)
        print(DAMAGED.format(name=path.name), file=sys.stderr)  # one line; the build goes on from nothing
        return _build(options, session, timer, checked, output_dir)


def _cache_dir(options: BuildOptions, site_dir: Path) -> Path:
    return options.cache_dir or site_dir / CACHE_DIR_NAME


def _discard_store(options: BuildOptions, site_dir: Path, output_dir: Path, session: Session | None) -> Path:
    path = store_path(_cache_dir(options, site_dir), output_dir)
    if session is not None and session.store is not None:
        session.store.rollback()
        session.store.close()
        session.store = None
    delete_files(path)
    return path


def _build(
    options: BuildOptions,
    session: Session | None,
    timer: _Timer,
    checked: stamp.Check | None,
    output_dir: Path,
) -> BuildResult:
    from yunzhan.writing import Stage, remember, write

    with _without_gc(session), _quick_handoffs():
        stage = None if options.preview else Stage(output_dir, options.compress)
        if stage is not None and checked is not None and checked.touched:
            stage.trusted = False  # the output was changed by hand: the records of its trees may be stale
        b = _gather(options, timer, session, stage, checked.files if checked is not None else None)
        with timer.step("write"):
            try:
                stats = write(b, output_dir, b.stage, session)
            except BaseException:
                _drop(b.store, session)
                raise
            remember(b, output_dir, stats)
            if session is None:
                b.store.close()
            if checked is not None:
                _save_stamp(checked, output_dir, b, stats)
    return BuildResult(
        output_dir=output_dir,
        pages=b.page_count,
        problems=sort_problems(b.problems),
        timings=timer.timings,
        written=stats.written,
        unchanged=stats.unchanged,
        removed=stats.removed,
        image_stats=b.image_stats,
        finish=_finish(b, output_dir, session) if b.deferred is not None else None,
    )


def gather(options: BuildOptions) -> steps.Build:
    """Everything a build would write, without writing it: not to the output, not to the store."""
    b = _gather(options, _Timer(), None, None)
    for record in (*b.records, *b.loaded.originals.values()):
        record.settle()  # read from the store, which is closed next
    _drop(b.store, None)
    return b


def _gather(
    options: BuildOptions,
    timer: _Timer,
    session: Session | None,
    stage: Stage | None,
    files: dict[str, stamp.FileKey] | None = None,
) -> steps.Build:
    """Run every step; nothing is written to the output (rendered pages go to ``stage`` as they come when
    given, and are kept in memory otherwise). Raises YunzhanError when a step found an error; the store is
    then left as it was. On success the store's transaction stays open for ``remember`` to commit."""
    from yunzhan import steps

    site_dir = options.site_dir.absolute()
    output_dir = output_dir_of(site_dir, options.output_dir)
    cache_dir = _cache_dir(options, site_dir)
    store = open_store(options, cache_dir, output_dir, session)
    b = steps.Build(options, site_dir, output_dir, cache_dir, store, session, stage)
    b.file_keys = files if files is not None else {}  # the stamp's stat of each record file, for the load
    if stage is not None and stage.trusted:
        stage.spare = spare_of(store)  # staging touches only what differs from the spare tree
    try:
        if stage is not None:
            stage.start_mirror()  # when there is no spare tree, one is made while the build works
        for name, step in steps_in_order():
            with timer.step(name):
                step(b)
        if any(p.is_error or options.strict for p in b.problems):
            raise YunzhanError(b.problems)
    except BaseException:
        if stage is not None:
            stage.abort()
        _drop(store, session)
        raise
    return b


def _drop(store: Store, session: Session | None) -> None:
    """A build that failed leaves the store as the last one left it."""
    store.rollback()
    if session is None:
        store.close()


def open_store(options: BuildOptions, cache_dir: Path, output_dir: Path, session: Session | None) -> Store:
    """The build store of this output folder: the session's when it has one, an empty one without the cache."""
    if not options.use_cache:
        return Store(None)
    path = store_path(cache_dir, output_dir)
    if session is not None and session.store is not None and session.store.path == path:
        return session.store
    if session is not None:
        session.close()
    store = Store(path)
    if store.notice:
        print(store.notice, file=sys.stderr)  # one line; the build goes on from nothing
    if session is not None:
        session.store = store
    return store


def _save_stamp(checked: stamp.Check, output_dir: Path, b: steps.Build, stats: WriteStats) -> None:
    """With the output's signature and record when the commit made them (no walk of the output after it)."""
    written, files = stats.signature or stamp.output_signature(output_dir)
    warnings = [p.as_dict() for p in sort_problems(b.problems)]
    inputs = stamp.signed_after(checked, b.site_dir)  # with the short-link codes this build added
    made = stamp.Stamp(inputs, written, b.page_count, files, warnings)
    stamp.save_stamp(checked.path, made, stats.record if stats.signature else None)


def _finish(b: steps.Build, output_dir: Path, session: Session | None) -> Callable[[], None]:
    """The site-wide files a preview left for later: made, written in place, noted in the store."""
    deferred, store = b.deferred, b.store
    assert deferred is not None

    def finish() -> None:
        from yunzhan.inplace import InPlaceOutput

        previous = store.get("meta", "site_files")
        before = set(previous[1]) if previous else set()
        out = InPlaceOutput(output_dir, written=session.written if session is not None else None)
        key, made = deferred()
        for rel, data in sorted(made.items()):
            out.write_bytes(rel, data)
        for rel in sorted(before - made.keys()):
            out.remove(rel)
        store.put("meta", "site_files", (key, file_stats(output_dir, made)))
        store.commit()
        if session is not None and session.output_files is not None:
            session.output_files = (session.output_files - before) | made.keys()

    return finish


class _Timer:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - start


@contextmanager
def _without_gc(session: Session | None = None) -> Iterator[None]:
    """Python's cycle collector walks every live object each time it runs in full: with 10,000 records and
    their pages in memory that is tens of milliseconds, many times a build. A build frees its cycles when done;
    in ``serve``, once the browsers have reloaded (``Session.hold_collector``)."""
    enabled = gc.isenabled() or (session is not None and session.held)
    gc.disable()
    try:
        yield
    finally:
        if enabled and not (session is not None and session.hold_collector()):
            gc.enable()


HANDOFF_S = 0.0005  # the interpreter's switch interval while a build runs (Python's default: 5 ms)


@contextmanager
def _quick_handoffs() -> Iterator[None]:
    """Threads of this process feed and drain the worker processes (the pools' managers: pickling work out,
    results in) while the main thread works on: each waited up to 5 ms for the interpreter's lock, each time,
    and the workers for them. A 10,000-record cold build took ~1 s less with 0.5 ms (26.6 -> 25.5 s, the search
    index's process beside this one busier). No cost without a waiting thread: the interval only bounds how
    long one waits."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(min(before, HANDOFF_S))
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def _check_output_dir(output_dir: Path, site_dir: Path) -> None:
    """Refuse to replace a folder that is not a previous build: a wrong --output must not wipe someone's files."""
    if output_dir in (site_dir, site_dir / "content", Path.home(), Path("/")) or site_dir.is_relative_to(
        output_dir
    ):
        raise ConfigError(
            [Problem("--output", None, None, f"不能输出到 {output_dir}", "换一个专用的输出文件夹")]
        )
    looks_built = (output_dir / "index.html").exists() or (output_dir / "404.html").exists()
    if output_dir.is_dir() and any(output_dir.iterdir()) and not looks_built:
        raise ConfigError(
            [
                Problem(
                    "--output",
                    None,
                    None,
                    f"{output_dir} 里已有其他文件，不像是以前生成的网站",
                    "为了不覆盖别的文件，请换一个空文件夹或删掉它",
                )
            ]
        )
