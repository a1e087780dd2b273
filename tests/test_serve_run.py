"""serve/run.py: the ``serve`` command starts, says where, and stops cleanly, its image workers with it."""

from __future__ import annotations

import contextlib
import http.client
import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import livepreview
from tests.conftest import REPO, MakeSite
from tests.livepreview import BASE
from yunzhan.errors import ConfigError
from yunzhan.serve import PreviewServer, ServeOptions, run

# a fixture from tests/livepreview.py (assigned, not imported, so that linters see it used)
site = livepreview.site


def test_port_in_use_is_a_plain_error(site: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        server = PreviewServer(ServeOptions(site_dir=site, port=taken.getsockname()[1], quiet=True))
        with pytest.raises(ConfigError) as caught:
            server.start()
        server.stop()
    assert "已被占用" in caught.value.problems[0].format()


def test_run_prints_url_and_stops_cleanly_on_ctrl_c(site: Path) -> None:
    # As in a terminal: a shell starts background jobs (a CI script's `… &`) with SIGINT ignored, which Python
    # then leaves ignored; an editor's `serve` runs in the foreground, where Ctrl-C raises KeyboardInterrupt.
    code = "import signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
    code += "import sys; from pathlib import Path; from yunzhan.serve import run, ServeOptions; "
    code += f"sys.exit(run(ServeOptions(site_dir=Path({str(site)!r}), port=0)))"
    proc = subprocess.Popen(
        [sys.executable, "-c", code], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if "预览地址" in line:
                break
        url = lines[-1].split("：", 1)[1].strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith(BASE)
        host_port = url.split("/")[2]
        conn = http.client.HTTPConnection(host_port, timeout=10)
        conn.request("GET", BASE)
        assert conn.getresponse().status == 200
        conn.close()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)  # generous: CI machines can be slow; a hang still fails
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "已停止" in out and "Traceback" not in err
    assert any(line.startswith("已生成") for line in lines)


def test_run_without_site_toml_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(ServeOptions(site_dir=tmp_path / "nowhere", port=0)) == 2
    assert "site.toml" in capsys.readouterr().err


def _children(pid: int) -> set[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False).stdout
    return {int(p) for p in found.split()}


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    return stat.is_file() and stat.read_text().rpartition(")")[2].split()[0] == "Z"  # ended, not yet reaped


@pytest.mark.skipif(sys.platform == "win32" or not shutil.which("pgrep"), reason="POSIX signals, pgrep")
@pytest.mark.parametrize("stop", ["SIGHUP", "SIGTERM"])
def test_stopping_serve_mid_build_ends_its_image_workers(make_site: MakeSite, stop: str) -> None:
    """Closing the terminal window (SIGHUP) or SIGTERM while the first build is making images used to leave the
    pool's workers behind, idle at about 110 MB each, parented to init."""
    from PIL import Image

    photos: dict[str, str | bytes | None] = {}
    for i in range(16):
        buffer = io.BytesIO()
        Image.frombytes("RGB", (2000, 1500), os.urandom(2000 * 1500 * 3)).save(buffer, "JPEG", quality=95)
        photos[f"content/zones/z{i}/index.md"] = f"---\nname: 展区{i}\norder: {i + 2}\ncover: c.jpg\n---\n"
        photos[f"content/zones/z{i}/c.jpg"] = buffer.getvalue()
    site = make_site(photos)
    proc = subprocess.Popen(
        [sys.executable, "build.py", "serve", "--site", str(site), "--port", "0", "-q"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen: set[int] = set()
    try:
        deadline = time.monotonic() + 60
        while len(seen) < 2 and proc.poll() is None and time.monotonic() < deadline:
            seen |= _children(proc.pid)  # the resource tracker, then the pool's workers
            time.sleep(0.02)
        assert len(seen) >= 2, "the image pool never started"
        proc.send_signal(getattr(signal, stop))
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    deadline = time.monotonic() + 10
    while not all(_gone(p) for p in seen) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = [p for p in seen if not _gone(p)]
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    assert not left, f"workers left running after {stop}"
    assert "Traceback" not in err
