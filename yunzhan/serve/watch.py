"""The preview's watcher: which saves matter, and when a burst of them has settled into one rebuild.

A watchdog observer watches ``content/``, ``themes/``, ``templates/``, ``static/``, ``site.toml`` and the theme in
use. Saves are debounced (``debounce`` without changes, or ``settle`` after a file was closed after writing — a
finished save); the rebuild worker takes them as one batch with ``next_batch``.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver, ObservedWatch

from yunzhan.ignored import is_ignored_name
from yunzhan.serve.http import is_under

WATCHED_DIRS = ("content", "themes", "templates", "static")
WATCHED_FILES = ("site.toml", "data.toml")  # data.toml: the site's descriptions of its data files

# Only changes to contents; opening/reading (our own build reads every file) and attribute changes (our build
# hard-links sources into the preview, which touches their link count) are not edits.
WATCH_EVENTS: list[type[FileSystemEvent]] = [
    FileCreatedEvent,
    FileModifiedEvent,
    FileDeletedEvent,
    FileMovedEvent,
    FileClosedEvent,
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
]


class _Dispatch(FileSystemEventHandler):
    def __init__(self, watcher: Watcher) -> None:
        self.watcher = watcher

    def dispatch(self, event: FileSystemEvent) -> None:
        try:
            self.watcher.on_event(event)
        except Exception:  # the observer thread must survive anything
            traceback.print_exc()


class Watcher:
    """Collects the site's changed paths; ``next_batch`` hands them over once they have been quiet long enough."""

    def __init__(
        self,
        site_dir: Path,
        excluded: tuple[Path, ...],
        *,
        debounce: float,
        settle: float,
        theme_root: Callable[[], Path | None],
        warn: Callable[[str], None],
    ) -> None:
        self.site_dir = site_dir
        self.excluded = excluded  # the preview, the cache and output/: the build's own writes
        self.debounce = debounce
        self.settle = settle
        self.theme_root = theme_root
        self.warn = warn
        self._cond = threading.Condition()
        self._pending: set[Path] = set()
        self._deadline = 0.0  # when the pending changes have been quiet long enough to rebuild
        self._stopping = False
        self._signatures: dict[Path, tuple[int, int]] = {}
        self._reports_closes = False  # seen a "closed after writing" event: the system reports them
        self._watches: dict[tuple[str, bool], tuple[ObservedWatch, tuple[int, int]]] = {}
        self._observer: BaseObserver | None = None

    def start(self) -> None:
        self._observer = Observer()
        self._observer.start()
        self.sync()

    def stop(self, timeout: float) -> None:
        """Wake whoever waits for a batch (they get None), and stop the observer."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._observer is not None:
            self._observer.stop()
            if self._observer.is_alive():
                self._observer.join(timeout)

    # ------------------------------------------------------------------ batches for the rebuild worker

    def next_batch(self) -> set[Path] | None:
        """Wait for changes and a quiet window after them; None once the watcher stops."""
        with self._cond:
            while not self._pending and not self._stopping:
                self._cond.wait()
            while not self._stopping:
                remaining = self._deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            if self._stopping:
                return None
            changed, self._pending = self._pending, set()
            return changed

    def superseded(self) -> bool:
        """More saves arrived since the batch was taken (and the preview is not stopping)."""
        with self._cond:
            return bool(self._pending) and not self._stopping

    def stays_quiet(self, seconds: float) -> bool:
        """Wait up to ``seconds``; false as soon as a save arrives or the preview stops."""
        with self._cond:
            self._cond.wait_for(lambda: self._pending or self._stopping, timeout=seconds)
            return not (self._pending or self._stopping)

    # ------------------------------------------------------------------ events

    def on_event(self, event: FileSystemEvent) -> None:
        if isinstance(event, FileClosedEvent):
            self._reports_closes = True
        paths = []
        for raw in (event.src_path, event.dest_path):
            if not raw:
                continue
            path = Path(os.fsdecode(raw))
            if self.relevant(path):
                paths.append(path)
        if not paths:
            return
        if isinstance(event, FileModifiedEvent) and self._unchanged(paths[0]):
            return
        # Where the system reports a file closed after writing (inotify), the save is complete and a short
        # wait catches its siblings; so is a file renamed into place there (an editor's atomic save: gedit,
        # JetBrains). Any other change, and every change where closes are not reported (Windows, macOS: Word
        # and WPS write a document several times), waits for the full quiet window.
        finished = isinstance(event, FileClosedEvent) or (
            self._reports_closes and isinstance(event, FileMovedEvent)
        )
        wait = min(self.settle, self.debounce) if finished else self.debounce
        with self._cond:
            self._pending.update(paths)
            self._deadline = time.monotonic() + wait
            self._cond.notify_all()

    def relevant(self, path: Path) -> bool:
        if any(is_under(path, excluded) for excluded in self.excluded):
            return False
        if path.is_relative_to(self.site_dir):
            parts = path.relative_to(self.site_dir).parts
            if not parts or (len(parts) == 1 and parts[0] in WATCHED_FILES):
                return bool(parts)
            if parts[0] not in WATCHED_DIRS:
                return False
            return not any(is_ignored_name(part) for part in parts)
        theme = self.theme_root()
        if theme is None or not path.is_relative_to(theme):
            return False
        return not any(is_ignored_name(part) for part in path.relative_to(theme).parts)

    def _unchanged(self, path: Path) -> bool:
        """A "modified" event whose file kept its time and size (another system's attribute change) is no edit."""
        try:
            stat = path.stat()
        except OSError:
            return False
        signature = (stat.st_mtime_ns, stat.st_size)
        with self._cond:
            previous = self._signatures.get(path)
            self._signatures[path] = signature
        return previous == signature

    # ------------------------------------------------------------------ what is watched

    def _wanted(self) -> list[tuple[Path, bool]]:
        wanted = [(self.site_dir, False)]  # site.toml, and content/ etc. appearing or disappearing
        wanted += [(self.site_dir / name, True) for name in WATCHED_DIRS if (self.site_dir / name).is_dir()]
        theme = self.theme_root()
        if theme is not None and theme.is_dir() and not any(is_under(theme, p) for p, r in wanted if r):
            wanted.append((theme, True))
        return wanted

    def sync(self) -> None:
        """Watch what exists now; a folder deleted, renamed or re-created gets a fresh watch."""
        observer = self._observer
        if observer is None or self._stopping:
            return
        wanted: dict[tuple[str, bool], tuple[int, int]] = {}
        for path, recursive in self._wanted():
            try:
                stat = path.stat()
            except OSError:
                continue
            wanted[(str(path), recursive)] = (stat.st_dev, stat.st_ino)
        for key, (watch, identity) in list(self._watches.items()):
            if wanted.get(key) != identity:
                with contextlib.suppress(Exception):
                    observer.unschedule(watch)
                del self._watches[key]
        for key, identity in wanted.items():
            if key in self._watches:
                continue
            try:
                watch = observer.schedule(
                    _Dispatch(self), key[0], recursive=key[1], event_filter=WATCH_EVENTS
                )
            except OSError as exc:
                self.warn(f"无法监视 {key[0]} 的改动：{exc}（保存后需要重新启动预览）")
                continue
            self._watches[key] = (watch, identity)
