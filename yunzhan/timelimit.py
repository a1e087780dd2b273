"""A time bound on pure-Python work (a Markdown conversion an editor's text sends into a loop): SIGALRM where the
system has it (``portable.capabilities().alarm``), none elsewhere, where callers bound the work's size instead.
Tests force the fallback on Linux by replacing ``portable.capabilities``."""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Iterator

from yunzhan import portable


class TimeLimitExceeded(BaseException):
    """Raised by ``time_limit``; a BaseException so that no ``except Exception`` in the bounded work swallows it."""


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise ``TimeLimitExceeded`` in the bounded work after ``seconds``, where SIGALRM can (the main thread of
    a system that has it). Elsewhere the work runs unbounded in time; callers bound its size too. Any previous
    handler and timer are put back."""
    if (
        seconds <= 0
        or not portable.capabilities().alarm
        or threading.current_thread() is not threading.main_thread()
    ):
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise TimeLimitExceeded

    started = time.monotonic()
    old_handler = signal.signal(signal.SIGALRM, expire)
    old_delay, old_interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        while True:  # the one-shot timer may fire right here, after the work is done: never leak our handler
            try:
                signal.setitimer(signal.ITIMER_REAL, 0)
                break
            except TimeLimitExceeded:
                pass
        signal.signal(signal.SIGALRM, old_handler if old_handler is not None else signal.SIG_DFL)
        if old_delay > 0:
            remaining = max(old_delay - (time.monotonic() - started), 1e-6)
            signal.setitimer(signal.ITIMER_REAL, remaining, old_interval)
