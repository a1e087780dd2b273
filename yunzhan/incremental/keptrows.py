"""A big keyed table that a build reads whole and changes a few rows of (10,000 short-link entries, 10,000
files' check findings), kept in the store as one row: thousands of rows of their own cost a query or an
unpickling each to read back (~25 ms at 10,000), and one row written whole costs its size (megabytes) at every
build. So the whole is kept in one marshalled row (``name``), and the rows changed since in another
(``name + OVERLAY``): a body edit writes one small row. The whole is written again once the overlay holds more
than 1/``OVERLAY_SHARE`` of it.
"""

from __future__ import annotations

import marshal
from typing import Any

from yunzhan.incremental.fingerprints import digest
from yunzhan.incremental.store import Store

OVERLAY = "+"  # the meta row ``name + OVERLAY``: (key, id of the whole it changes, {key: row}, [keys gone])
OVERLAY_SHARE = 8
_MISSING = object()


class KeptRows:
    """One table through the store (meta rows ``name`` and ``name + OVERLAY``); rows are what ``marshal``
    keeps. Read once (``read``), then kept in memory with the whole as stored, so a long-lived process that
    keeps this object reads nothing back at its next build."""

    def __init__(self, store: Store, name: str) -> None:
        self.store, self.name = store, name
        self._whole: tuple[str, dict[Any, Any]] = ("", {})  # the whole as stored: its id and rows
        self._now: tuple[str, dict[Any, Any]] | None = None  # the key and rows as last read or written

    def read(self) -> tuple[str, dict[Any, Any]]:
        """The key written with the rows, and the rows (a dict of its own); ("", {}) when none are kept or
        they cannot be read."""
        if self._now is None:
            self._now = self._read()
        return self._now[0], dict(self._now[1])

    def write(self, key: str, rows: dict[Any, Any]) -> None:
        """Keep ``rows`` under ``key``: the rows changed since the whole was kept, while they are few; else
        the whole again. Nothing is written when the rows and key are as read."""
        if self._now is not None and self._now[0] == key and self._now[1] == rows:
            return
        whole_id, whole = self._whole
        self._now = (key, dict(rows))
        if whole_id:
            changed = {k: row for k, row in rows.items() if whole.get(k, _MISSING) != row}
            gone = [k for k in whole if k not in rows]
            if len(changed) + len(gone) <= len(whole) // OVERLAY_SHARE:
                self.store.put("meta", self.name + OVERLAY, (key, whole_id, changed, gone), plain=True)
                return
        data = marshal.dumps(rows)
        whole_id = digest(key, data)
        self.store.put("meta", self.name, (whole_id, key, data), plain=True)
        self.store.put("meta", self.name + OVERLAY, None)
        self._whole = (whole_id, dict(rows))

    def _read(self) -> tuple[str, dict[Any, Any]]:
        known = self.store.get("meta", self.name)
        try:
            whole_id, key, data = known  # type: ignore[misc]
            rows = marshal.loads(data)
        except (TypeError, ValueError, EOFError):  # none, or written otherwise
            return "", {}
        if not isinstance(rows, dict) or not isinstance(whole_id, str) or not isinstance(key, str):
            return "", {}
        self._whole = (whole_id, rows)
        now = dict(rows)
        overlay = self.store.get("meta", self.name + OVERLAY)
        if not (isinstance(overlay, tuple) and len(overlay) == 4 and overlay[1] == whole_id):
            return key, now
        key, _, changed, gone = overlay
        now.update(changed)
        for k in gone:
            now.pop(k, None)
        return key, now
