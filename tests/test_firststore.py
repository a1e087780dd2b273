"""A new store's first transaction, written beside the store and renamed into place when it commits."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from yunzhan import portable
from yunzhan.errors import YunzhanError
from yunzhan.incremental.firststore import MARK
from yunzhan.incremental.store import Store


def _beside(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f"{path.name}{MARK}*"))


def test_a_first_transaction_lands_whole_at_the_store(tmp_path: Path) -> None:
    """Written beside (the store stays empty until the commit), then the store's: later writes go through WAL."""
    path = tmp_path / "store.sqlite"
    store = Store(path)
    store.put("meta", "a", {"x": 1})
    assert store.get("meta", "a") == {"x": 1}  # the build reads what it wrote
    assert len(_beside(path)) == 1
    other = sqlite3.connect(path)
    assert other.execute("SELECT count(*) FROM kv").fetchone() == (0,)  # nothing committed yet
    other.close()
    store.commit()
    assert _beside(path) == []
    store.put("meta", "b", 2)  # a second transaction, in the store itself
    store.commit()
    store.close()
    again = Store(path)
    assert again.get("meta", "a") == {"x": 1} and again.get("meta", "b") == 2
    assert again.db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    again.close()


def test_a_first_build_that_fails_leaves_an_empty_store(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite"
    store = Store(path)
    store.put("meta", "a", 1)
    store.rollback()
    assert store.get("meta", "a") is None  # a session's store goes on, empty
    store.put("meta", "b", 2)
    store.rollback()
    store.close()
    assert _beside(path) == []
    again = Store(path)
    assert again.get("meta", "a") is None and again.get("meta", "b") is None
    again.close()


def test_a_second_build_waits_for_a_first_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The store's own lock is held while a first transaction is written beside it."""
    from yunzhan.incremental import store as store_module

    path = tmp_path / "store.sqlite"
    first = Store(path)
    first.put("meta", "a", 1)
    monkeypatch.setattr(store_module, "LOCK_WAIT_S", 0.1)
    second = Store(path)
    with pytest.raises(YunzhanError):
        second.put("meta", "b", 2)
    second.close()
    first.commit()
    first.close()
    again = Store(path)
    assert again.get("meta", "a") == 1
    again.close()


def test_a_killed_first_build_leaves_a_file_the_next_removes(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite"
    code = (
        "import os, sys; from pathlib import Path; from yunzhan.incremental.store import Store\n"
        "s = Store(Path(sys.argv[1])); s.put('meta', 'a', b'x' * 100000); os._exit(0)"
    )
    root = Path(__file__).parents[1]
    subprocess.run([sys.executable, "-c", code, str(path)], check=True, cwd=root)
    assert len(_beside(path)) == 1
    store = Store(path)
    assert store.get("meta", "a") is None
    store.put("meta", "b", 1)
    assert len(_beside(path)) == 1  # its own, the leftover gone
    store.commit()
    store.close()
    assert _beside(path) == []


def test_a_refused_rename_drops_the_build_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the store cannot be replaced (Windows, a program holding it), the next build starts from nothing."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError("held")

    path = tmp_path / "store.sqlite"
    store = Store(path)
    store.put("meta", "a", 1)
    monkeypatch.setattr(portable, "rename", refuse)
    store.commit()
    store.put("meta", "b", 2)
    store.commit()
    store.close()
    assert _beside(path) == []
    again = Store(path)
    assert again.get("meta", "a") is None and again.get("meta", "b") == 2
    again.close()
