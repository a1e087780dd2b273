"""The last build's store read, never written: ``check`` reports what Markdown the last build converted."""

from __future__ import annotations

import pickle
import sqlite3
from pathlib import Path
from typing import Any

from yunzhan.incremental.store import load_value, store_path, store_version


class _Conversions:
    """The last build's Markdown conversions, read by key from its store, never written."""

    def __init__(self, db: sqlite3.Connection | None) -> None:
        self.db = db

    def get(self, key: str) -> Any:
        if self.db is None:
            return None
        try:
            row = self.db.execute("SELECT value FROM kv WHERE tbl='markdown' AND key=?", (key,)).fetchone()
            return load_value(row[0]) if row else None
        except (sqlite3.Error, pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError):
            return None


def last_conversions(cache_dir: Path, output_dir: Path) -> _Conversions:
    """For ``check``: the conversions of the last build into ``output_dir``, if its store can be read."""
    path = store_path(cache_dir, output_dir)
    if not path.is_file():
        return _Conversions(None)
    try:
        db = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, check_same_thread=False)
        row = db.execute("SELECT value FROM kv WHERE tbl='meta' AND key='version'").fetchone()
        if row is None or load_value(row[0]) != store_version():
            return _Conversions(None)
    except (sqlite3.Error, pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError):
        return _Conversions(None)
    return _Conversions(db)
