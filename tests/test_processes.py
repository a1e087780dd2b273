"""The process and console steps of ``yunzhan.processes`` and their fallbacks, forced on Linux (the build
through every fallback: tests/test_portable.py)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import test_portable
from yunzhan import processes

# from tests/test_portable.py (assigned, not imported, so that linters see them used)
fresh_probes, force = test_portable.fresh_probes, test_portable.force


def test_configure_console_leaves_utf8_streams_alone() -> None:
    stream = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="strict")
    processes.configure_console((stream,))
    assert stream.errors == "strict"
    gbk = io.TextIOWrapper(io.BytesIO(), encoding="gbk", errors="strict")
    processes.configure_console((gbk,))
    assert gbk.errors == "replace"


def test_process_alive() -> None:
    assert processes.process_alive(os.getpid())
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert not processes.process_alive(child.pid)


def test_stop_signals_include_a_closed_terminal() -> None:
    names = {s.name for s in processes.stop_signals()}
    assert "SIGTERM" in names
    if sys.platform != "win32":
        assert "SIGHUP" in names


def test_the_command_exits_at_once_with_its_code_and_all_it_printed(tmp_path: Path) -> None:
    """``build.py`` ends through ``exit_now``: the code is the command's, and buffered output (a pipe's) is
    not lost to the skipped teardown."""
    root = Path(__file__).resolve().parents[1]
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "from yunzhan import processes\n"
        "print('已生成' * 2000)\n"  # more than a pipe's buffer of Python's own: it must be flushed
        "sys.stderr.write('出错了')\n"
        "processes.exit_now(3)\n"
        "print('never')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, str(root)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 3
    assert done.stdout == "已生成" * 2000 + "\n"
    assert done.stderr == "出错了"
    done = subprocess.run(
        [sys.executable, str(root / "build.py"), "--site", str(tmp_path / "nowhere")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and "nowhere" in done.stderr
    assert not (tmp_path / "nowhere").exists()  # a mistyped --site leaves no folder behind


def test_without_a_quick_exit_the_command_exits_the_usual_way(monkeypatch: pytest.MonkeyPatch) -> None:
    force(monkeypatch, "quick_exit")
    with pytest.raises(SystemExit) as ended:
        processes.exit_now(4)
    assert ended.value.code == 4
