"""One build measured in a fresh process: wall time, CPU (workers included), peak memory, files touched.

``python bench/run.py --child CODE SITE OUT RESULT`` runs the CLI build exactly as ``build.py`` does and saves
what it returned (stage timings, pages, written); the parent times it with ``os.wait4`` and samples the memory of
the whole process tree while it runs. Also the code snapshot (so edits made during a long run cannot change what
is measured) and the output snapshots that count the files a build touched.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trash import discard

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORK = HERE / ".work"
SAMPLE_S = 0.1  # how often the process tree's memory is read while a build runs


def child(argv: list[str]) -> int:
    """``--child CODE SITE OUT RESULT``: run the CLI build exactly as build.py does and save what it returned."""
    code, site, out, result_path = argv
    sys.path.insert(0, code)
    started = time.perf_counter()
    import importlib.abc
    import importlib.util
    import resource

    import yunzhan.incremental.stamp as stamp
    from yunzhan.cli import main

    captured: list[Any] = []
    checks: list[Any] = []
    original_check = stamp.check

    def check(*args: Any) -> Any:
        checks.append(original_check(*args))
        return checks[-1]

    stamp.check = check

    def capture(pipeline: Any) -> None:
        original = pipeline.build

        def build(options: Any, *args: Any, **kwargs: Any) -> Any:
            result = original(options, *args, **kwargs)
            captured.append(result)
            return result

        pipeline.build = build

    class CaptureBuild(importlib.abc.MetaPathFinder):
        """Wrap pipeline.build when the CLI imports it — and only then: a no-change build never does."""

        def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
            if name != "yunzhan.pipeline":
                return None
            sys.meta_path.remove(self)
            spec = importlib.util.find_spec(name)
            run_module = spec.loader.exec_module

            def exec_module(module: Any) -> None:
                run_module(module)
                capture(module)

            spec.loader.exec_module = exec_module
            return spec

    sys.meta_path.insert(0, CaptureBuild())
    rc = main(["--site", site, "--output", out, "-q"])
    data: dict[str, Any] = {"rc": rc, "inner_s": time.perf_counter() - started}
    if checks and checks[0].last is not None:  # the stamp held: nothing built, nothing imported
        last = checks[0].last
        data |= {"timings": {"stamp": data["inner_s"]}, "pages": last.pages, "written": 0, "stamp": True}
        data |= {"unchanged": last.files, "removed": 0, "image_stats": {"decoded": 0}}
    elif captured:
        r = captured[0]
        data |= {
            "timings": dict(getattr(r, "timings", {}) or {}),
            "pages": getattr(r, "pages", None),
            "written": getattr(r, "written", None),
            "unchanged": getattr(r, "unchanged", None),
            "removed": getattr(r, "removed", None),
            "image_stats": dict(getattr(r, "image_stats", {}) or {}),
        }
    data["self_peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    data["workers_peak_mib"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    Path(result_path).write_text(json.dumps(data), encoding="utf-8")
    exit_now = None  # build.py leaves this way (a snapshot may predate it, or hold it in portable)
    for name in ("yunzhan.processes", "yunzhan.portable"):
        if exit_now is None and importlib.util.find_spec(name) is not None:
            exit_now = getattr(importlib.import_module(name), "exit_now", None)
    if exit_now is not None:
        exit_now(rc)
    return rc


@dataclass
class Run:
    wall: float
    cpu: float
    peak_mib: float  # the build process itself (its own ru_maxrss)
    # the largest process the build started (image/card pools), 0 if none. Not printed: it also counts
    # short-lived helpers started by vfork (ctypes.util.find_library runs ``ldconfig -p``), whose RSS
    # mirrors the build process's own at that moment, so it can overstate the pools badly.
    workers_peak_mib: float
    rc: int
    # the build process and its workers together: the largest sum of their proportional set sizes (PSS, so
    # pages a forked worker shares with its parent count once) seen by sampling every SAMPLE_S, and never
    # less than the process's own exact peak
    tree_peak_mib: float = 0.0
    # of ``cpu``, the time spent in the kernel (file system calls): on this project's machine it grows run after
    # run of a batch (a cold build's 11 -> 31 s) while the time in Python stays put, so it is reported apart
    sys_cpu: float = 0.0
    info: dict[str, Any] = field(default_factory=dict)
    stderr: str = ""

    @property
    def ok(self) -> bool:
        return self.rc == 0


def _measure(cmd: list[str], result_file: Path | None = None) -> Run:
    """Run ``cmd``; wall time, CPU (user+sys incl. its children) and peak RSS via wait4."""
    with tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, cwd=REPO)
        sampler = TreeMemory(proc.pid)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        sampler.stop()
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    info: dict[str, Any] = {}
    if result_file is not None and result_file.exists():
        info = json.loads(result_file.read_text(encoding="utf-8"))
        result_file.unlink()
    peak = info.get("self_peak_mib", usage.ru_maxrss / 1024)
    return Run(
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        sys_cpu=usage.ru_stime,
        peak_mib=peak,
        workers_peak_mib=info.get("workers_peak_mib", 0.0),
        rc=proc.returncode,
        info=info,
        stderr=stderr,
        tree_peak_mib=max(peak, sampler.peak_mib),
    )


class TreeMemory:
    """Samples, in a thread, the summed PSS of a process and all its descendants; ``peak_mib`` is the largest.

    Workers are forked, so summing RSS would count the parent's pages once per worker; PSS shares them out."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak_mib = pid, 0.0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._done.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._done.is_set():
            self.peak_mib = max(self.peak_mib, tree_pss_kib(self.pid) / 1024)
            self._done.wait(SAMPLE_S)


def tree_pss_kib(pid: int) -> int:
    """The summed PSS of ``pid`` and its descendants, each address space once. A child started with vfork (how
    ``subprocess`` and multiprocessing's spawn start a process on Linux) shares its parent's memory until it
    execs: read then, it reports the parent's whole memory again (a cold 10,000-record build read ~500 MiB
    instead of ~250 as it started a process). Two readings alike to the last kB are that one memory."""
    seen: set[str] = set()
    total = 0
    for p in _tree(pid):
        rollup = _rollup(p)
        if rollup in seen:
            continue
        seen.add(rollup)
        total += _pss_kib(rollup)
    return total


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants (Linux /proc; just ``pid`` elsewhere)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                todo += [int(c) for c in task.read_text().split()]
            except OSError:
                continue
    return found


def _rollup(pid: int) -> str:
    """``/proc/PID/smaps_rollup`` without its first line (the address range), "" when unreadable."""
    try:
        return Path(f"/proc/{pid}/smaps_rollup").read_text().partition("\n")[2]
    except OSError:
        return ""


def _pss_kib(rollup: str) -> int:
    for line in rollup.splitlines():
        if line.startswith("Pss:"):
            with contextlib.suppress(ValueError):
                return int(line.split()[1])
    return 0


CODE = REPO  # where yunzhan is imported from: a frozen copy unless --live (see snapshot_code)


def snapshot_code() -> str:
    """Copy yunzhan/ and themes/ to bench/.work/code so that others' edits during a long run cannot change
    what is measured half-way (yunzhan fingerprints its own code: an edit would invalidate every cache).
    Returns a description of the code measured (commit + hash of the uncommitted diff)."""
    global CODE
    dest = WORK / "code"
    discard(dest)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(REPO / "yunzhan", dest / "yunzhan", ignore=ignore)
    shutil.copytree(REPO / "themes", dest / "themes", ignore=ignore)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(dest / "yunzhan")], check=False)
    CODE = dest
    return describe_code(dest)


def describe_code(root: Path = REPO) -> str:
    """The commit and a hash of the yunzhan/ and themes/ files actually measured."""
    import hashlib

    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=False
    ).stdout.strip()
    h = hashlib.sha256()
    for folder in ("yunzhan", "themes"):
        for path in sorted((root / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return (
        f"HEAD {head}, files sha256 {h.hexdigest()[:12]} (differs from HEAD's when uncommitted edits exist)"
    )


def yunzhan_build(site: Path, out: Path) -> Run:
    result = WORK / f"child-{os.getpid()}.json"
    cmd = [sys.executable, str(HERE / "run.py"), "--child", str(CODE), str(site), str(out), str(result)]
    run = _measure(cmd, result)
    if not run.ok:
        print(f"  !! yunzhan build failed (exit {run.rc}):\n" + _indent(run.stderr, 30), flush=True)
    return run


def markdown_floor(site: Path) -> float:
    """Seconds Python-Markdown alone takes to convert every body of ``site`` on all cores (bench/floor.py, in
    a fresh process, right before the cold build it is compared with)."""
    done = subprocess.run(
        [sys.executable, str(HERE / "floor.py"), str(site)],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    return float(done.stdout.split()[0])


def baseline_build(site: Path, out: Path, images: bool = False) -> Run:
    cmd = [sys.executable, str(HERE / "baseline.py"), str(site), str(out)] + (["--images"] if images else [])
    run = _measure(cmd)
    if not run.ok:
        print("  !! baseline failed:\n" + _indent(run.stderr, 30), flush=True)
    return run


def _indent(text: str, lines: int) -> str:
    return "\n".join("     " + line for line in text.strip().splitlines()[:lines])


def clean(site: Path, out: Path) -> None:
    """What a first build finds: no output, no cache, no spare tree to recycle, no short-link codes yet."""
    for path in (out, out.parent / f".{out.name}.spare", site / ".yunzhan-cache"):
        discard(path)  # moved aside, not deleted: see trash.py
    (site / "content" / "shortlinks.yaml").unlink(missing_ok=True)


def snapshot(out: Path) -> dict[str, tuple[int, int, int]]:
    """path → (inode, mtime_ns, size) of every file in the output."""
    snap = {}
    for root, _, files in os.walk(out):
        for name in files:
            path = os.path.join(root, name)
            st = os.stat(path)
            snap[os.path.relpath(path, out)] = (st.st_ino, st.st_mtime_ns, st.st_size)
    return snap


def touched(before: dict[str, tuple[int, int, int]], after: dict[str, tuple[int, int, int]]) -> int:
    """Files added, removed, or with a new inode/mtime/size: what a sync to the web server would have to move."""
    return len(touched_files(before, after))


def touched_files(
    before: dict[str, tuple[int, int, int]], after: dict[str, tuple[int, int, int]]
) -> list[str]:
    changed = {k for k in before.keys() & after.keys() if before[k] != after[k]}
    return sorted((before.keys() ^ after.keys()) | changed)


def touched_by_folder(
    before: dict[str, tuple[int, int, int]], after: dict[str, tuple[int, int, int]]
) -> dict:
    """{top-level output folder: files touched}, e.g. {"projects": 3, "search": 129}: which pages an edit hit."""
    counts: dict[str, int] = {}
    for rel in touched_files(before, after):
        top = rel.split(os.sep, 1)[0]
        counts[top] = counts.get(top, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))
