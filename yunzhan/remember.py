"""``remember(macro, *args)``, a template global: a macro's output made once per build for its arguments.

Only for a macro whose output depends on its arguments and the site, never on the page it is shown on: a
record's card is shown on its listing, its zone's and terms' pages and its neighbours', and making it each
time was a quarter of rendering. When the environment notes what pages read (``touched``, see
``incremental.tracking``), each page that shows a remembered output is noted as having read what making it
read, so reuse stays exact.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from markupsafe import Markup

BUDGET = 8 << 20  # bytes kept per process: about 10,000 cards
_MAX_KEYS = 100_000  # shared read keys kept before their table starts again

Made = tuple[bytes, tuple[Any, ...]]  # the output in UTF-8, what making it read


class Remembered:
    """The ``remember`` global of one environment: outputs by macro name and arguments (records count by
    identity), the least recently used dropped past ``budget`` bytes. Every forked renderer keeps its own;
    kept whole, in full strings and sets, they were ~16 MB each at 10,000 records. Held compactly: the text in
    UTF-8 (a card with Chinese in it takes two bytes a character as a string), what it read as a tuple of keys
    shared between outputs (a zone's title is read by a thousand cards)."""

    def __init__(self, env: Any, budget: int = BUDGET) -> None:
        self.env = env
        self.budget = budget
        self.size = 0
        self.made: OrderedDict[tuple[Any, ...], Made] = OrderedDict()
        self.keys: dict[Any, Any] = {}

    def __call__(self, macro: Any, *args: Any) -> Any:
        key = (getattr(macro, "name", None), *args)
        try:
            found = self.made.get(key)
        except TypeError:  # an argument that cannot be a key (a list): made each time
            return macro(*args)
        touched: set[Any] | None = getattr(self.env, "touched", None)
        if found is None:
            return self._make(key, macro, args, touched)
        self.made.move_to_end(key)
        if touched is not None:
            touched.update(found[1])
        return Markup(found[0].decode("utf-8"))

    def _make(self, key: tuple[Any, ...], macro: Any, args: tuple[Any, ...], touched: set[Any] | None) -> Any:
        if touched is None:
            html, reads = macro(*args), ()
        else:
            reading: set[Any] = set()
            self.env.touched = reading
            try:
                html = macro(*args)
            finally:
                self.env.touched = touched
            touched.update(reading)
            if len(self.keys) > _MAX_KEYS:
                self.keys.clear()
            reads = tuple(self.keys.setdefault(k, k) for k in reading)
        found = self.made[key] = (str(html).encode("utf-8"), reads)
        self.size += _footprint(found)
        while self.size > self.budget and len(self.made) > 1:  # the newest stays
            _, dropped = self.made.popitem(last=False)
            self.size -= _footprint(dropped)
        return html

    def clear(self) -> None:
        self.made.clear()
        self.keys.clear()
        self.size = 0


def _footprint(found: Made) -> int:
    """Bytes one output holds, roughly: its text, its tuple of read keys, the entry and its key."""
    return len(found[0]) + 8 * len(found[1]) + 250
