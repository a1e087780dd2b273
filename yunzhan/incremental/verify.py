"""A check of the reuse layer's shortcuts, for its tests (``BuildOptions.verify_reuse``): each value a build
took from the last one instead of making it is made again the full way and compared.

A shortcut's guard (``storedprints``' context and edited files' shapes, ``keptorder``'s key) must cover every
input of what it skips. Comparing outputs with a cold build catches a guard that misses one only when the output
happens to show it; this catches it at the shortcut. Off in real builds: it costs what the shortcuts save.
"""

from __future__ import annotations

from collections.abc import Mapping


class ReuseMismatch(AssertionError):
    """A value reused from the last build differs from the one made now: a guard misses an input."""


def same(what: str, reused: object, made: object) -> None:
    """Raise when ``reused`` is not ``made``, naming ``what``."""
    if reused != made:
        raise ReuseMismatch(f"{what}: reused {_short(reused)}, made {_short(made)}")


def same_entries(what: str, reused: Mapping[object, object], made: Mapping[object, object]) -> None:
    """Raise at the first key whose reused value is not the one made (a key made but not reused is fine:
    values are reused only for what the build asked for)."""
    for key, value in reused.items():
        same(f"{what} {key!r}", value, made.get(key))


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 200 else text[:200] + "…"
