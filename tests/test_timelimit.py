"""The time bound interrupts where SIGALRM can, and is a no-op where it cannot (forced on Linux)."""

from __future__ import annotations

import signal
import time

import pytest

from tests.test_portable import force
from yunzhan import portable
from yunzhan.timelimit import TimeLimitExceeded, time_limit


def test_time_limit_interrupts_where_it_can_and_is_a_no_op_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    if portable.capabilities().alarm:
        with pytest.raises(TimeLimitExceeded), time_limit(0.05):
            time.sleep(2)
    force(monkeypatch, "alarm")
    with time_limit(0.01):
        time.sleep(0.05)  # not interrupted: the size and nesting bounds of markup still hold


def test_time_limit_puts_back_the_handler_it_found() -> None:
    if not portable.capabilities().alarm:
        pytest.skip("no SIGALRM here")
    before = signal.getsignal(signal.SIGALRM)
    with time_limit(1.0):
        pass
    assert signal.getsignal(signal.SIGALRM) is before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
