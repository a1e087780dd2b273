"""The results table: a Row per (site, N, scenario) with its runs, medians and ratios; targets judged PASS/FAIL
at the largest N; the printed report with the stage timings below it."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

from measure import Run

TARGETS = {  # at the largest N (10,000 in the full run); see the issue
    "cold_ratio": 2.0,  # baseline wall / yunzhan wall, at least
    "cold_floor": 2.5,  # yunzhan cold wall / the Markdown floor (bench/floor.py), at most
    "nochange_s": 0.4,  # the issue (#15): a no-change rebuild stays ≤ 0.4 s
    "edit_s": 1.5,
    "title_s": 3.0,  # a title edit re-renders the listings that show the title
    "peak_mib": 400,  # the build process and its workers (Run.tree_peak_mib)
    "webp_img_s": 5.0,
    "photo_nochange_s": 1.0,
}
MEDIA_S = (
    0.5  # images and media stages longer than this (the demo's own photos): ×floor is also shown without
)


def _median(values: list[float]) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def _stage_medians(runs: list[Run]) -> dict[str, float]:
    stages: dict[str, list[float]] = {}
    for run in runs:
        for name, seconds in run.info.get("timings", {}).items():
            stages.setdefault(name, []).append(seconds)
    return {name: statistics.median(v) for name, v in stages.items()}


def _media_s(run: Run) -> float:
    timings = run.info.get("timings", {})
    return timings.get("images", 0.0) + timings.get("media", 0.0)


@dataclass
class Row:
    scenario: str
    size: str
    runs: list[Run]
    baseline: list[Run] = field(default_factory=list)
    hugo: list[Run] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    target: str = ""
    passed: bool | None = None
    n: int = 0  # records: judged at the largest N only

    def ok_runs(self) -> list[Run]:
        return [r for r in self.runs if r.ok]

    def _median_of(self, name: str) -> float | None:
        return _median([getattr(r, name) for r in self.ok_runs()])

    wall = property(lambda self: self._median_of("wall"))
    cpu = property(lambda self: self._median_of("cpu"))
    sys_cpu = property(lambda self: self._median_of("sys_cpu"))  # of ``cpu``, in the kernel
    peak = property(lambda self: self._median_of("peak_mib"))  # the build process alone (exact)
    workers_peak = property(lambda self: self._median_of("workers_peak_mib"))
    tree_peak = property(lambda self: self._median_of("tree_peak_mib"))  # process + workers (sampled PSS)

    def floor_ratio(self, without_media: bool = False) -> float | None:
        """Median over runs of cold wall / the Markdown floor measured right before it; ``without_media``: the
        wall time less the images and media stages (the demo's own photos and clips, which the floor skips)."""
        floors = self.extra.get("floor_s") or []
        pairs = zip(self.runs, floors, strict=False)
        return _median([(r.wall - (_media_s(r) if without_media else 0)) / f for r, f in pairs if r.ok and f])

    @property
    def media_s(self) -> float:
        """Median seconds of the images and media stages."""
        return _median([_media_s(r) for r in self.ok_runs()]) or 0.0

    @property
    def pages(self) -> int | None:
        got = [r.info.get("pages") for r in self.ok_runs() if r.info.get("pages") is not None]
        return got[-1] if got else None

    def ratio(self, other: list[Run]) -> float | None:
        """Median over runs of other.wall / this.wall, pairing runs made back to back."""
        pairs = [
            (o.wall / r.wall) for r, o in zip(self.runs, other, strict=False) if r.ok and o.ok and r.wall
        ]
        return _median(pairs)

    def cpu_ratio(self, other: list[Run]) -> float | None:
        """Like ``ratio`` on CPU seconds: steadier on a busy machine, blind to parallelism."""
        pairs = [(o.cpu / r.cpu) for r, o in zip(self.runs, other, strict=False) if r.ok and o.ok and r.cpu]
        return _median(pairs)

    def as_json(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "size": self.size,
            "wall_median_s": self.wall,
            "cpu_median_s": self.cpu,
            "peak_mib_median": self.peak,
            "children_peak_mib_median": self.workers_peak,  # see Run.workers_peak_mib: may overstate
            "tree_peak_mib_median": self.tree_peak,  # process + workers, PSS sampled (Run.tree_peak_mib)
            "pages": self.pages,
            "baseline_ratio": self.ratio(self.baseline) if self.baseline else None,
            "hugo_ratio": self.ratio(self.hugo) if self.hugo else None,
            "baseline_cpu_ratio": self.cpu_ratio(self.baseline) if self.baseline else None,
            "target": self.target,
            "passed": self.passed,
            "extra": self.extra,
            "stages_median_s": _stage_medians(self.ok_runs()),
            "runs": [
                {"wall": r.wall, "cpu": r.cpu, "sys_cpu": r.sys_cpu, "peak_mib": r.peak_mib}
                | {"tree_peak_mib": r.tree_peak_mib}
                | {"rc": r.rc, "info": r.info}
                for r in self.runs
            ],
            "baseline_runs": [{"wall": r.wall, "cpu": r.cpu, "peak_mib": r.peak_mib} for r in self.baseline],
            "hugo_runs": [{"wall": r.wall, "cpu": r.cpu, "peak_mib": r.peak_mib} for r in self.hugo],
        }


# ---------------------------------------------------------------- report


def _fmt(value: float | None, spec: str = ".2f", suffix: str = "") -> str:
    return "—" if value is None else f"{value:{spec}}{suffix}"


def _within(value: float | None, limit: float) -> bool:
    return value is not None and value <= limit


def _target(row: Row) -> tuple[str, bool] | None:
    """(the target, whether the row meets it) for a row of the largest N or a photo row; None: no target."""
    peak = f"peak ≤ {TARGETS['peak_mib']} MiB"
    peak_ok = _within(row.tree_peak, TARGETS["peak_mib"])
    if row.scenario == "cold build":
        media = row.media_s > MEDIA_S
        text = f"×floor{' less images/media' if media else ''} ≤ {TARGETS['cold_floor']}; {peak}"
        ok = _within(row.floor_ratio(without_media=media), TARGETS["cold_floor"])
        if row.baseline:
            ratio = row.ratio(row.baseline)
            text = f"≥ {TARGETS['cold_ratio']:.0f}× plain loop; {text}"
            ok = ok and ratio is not None and ratio >= TARGETS["cold_ratio"]
        return text, ok and peak_ok
    if row.scenario == "no-change rebuild":
        untouched = not any(row.extra.get("files_touched") or [])
        return f"≤ {TARGETS['nochange_s']} s, no file touched", _within(
            row.wall, TARGETS["nochange_s"]
        ) and untouched
    if row.scenario in ("one-record edit", "one-record edit, again"):
        return f"≤ {TARGETS['edit_s']} s; {peak}", _within(row.wall, TARGETS["edit_s"]) and peak_ok
    if row.scenario == "title edit":
        return f"≤ {TARGETS['title_s']} s", _within(row.wall, TARGETS["title_s"])
    if row.scenario == "template edit":
        return peak, peak_ok
    if row.scenario == "photos cold (webp)":
        return f"≥ {TARGETS['webp_img_s']:.0f} img/s", (row.extra.get("img_per_s") or 0) >= TARGETS[
            "webp_img_s"
        ]
    if row.scenario == "photos no-change" and row.extra.get("photos", 0) >= 1000:
        decoded = not any(row.extra.get("decoded") or [])
        return f"≤ {TARGETS['photo_nochange_s']} s, decode none", (
            _within(row.wall, TARGETS["photo_nochange_s"]) and decoded
        )
    return None


def judge(rows: list[Row], largest: int) -> None:
    """Set target and passed on the rows of the largest N (every site) and on the photo rows."""
    for row in rows:
        if row.n != largest and not row.scenario.startswith("photos"):
            continue
        judged = _target(row)
        if judged is not None:
            row.target, row.passed = judged


def report(rows: list[Row]) -> str:
    head = (
        f"{'scenario':<26} {'size':<30} {'wall s':>8} {'cpu s':>8} {'pages':>6} {'ms/page':>8} "
        f"{'written':>8} {'touched':>8} {'peak MiB':>9} {'+workers':>9} {'plain s':>8} {'×plain':>7} {'×hugo':>6}  extra / target"
    )
    lines = [head, "-" * len(head)]
    for row in rows:
        baseline_wall = _median([b.wall for b in row.baseline if b.ok]) if row.baseline else None
        ms_page = (
            row.wall * 1000 / row.pages if row.wall and row.pages and row.scenario == "cold build" else None
        )
        written = _median([r.info.get("written") for r in row.ok_runs() if r.info.get("written") is not None])
        touched_ = _median([t for t in row.extra.get("files_touched", []) if t is not None])
        extra = []
        if "img_per_s" in row.extra:
            extra.append(
                f"{_fmt(row.extra['img_per_s'])} img/s (images stage "
                f"{_fmt(row.extra.get('img_per_s_images_stage'))}, plain {_fmt(row.extra.get('baseline_img_per_s'))})"
            )
        if row.baseline and row.scenario == "cold build":
            extra.append(f"cpu ×plain {_fmt(row.cpu_ratio(row.baseline))}")
        if row.scenario == "cold build" and row.sys_cpu is not None:
            runs = " / ".join(f"{r.sys_cpu:.1f}" for r in row.ok_runs())
            extra.append(f"of the cpu, in the kernel {_fmt(row.sys_cpu)} s (runs {runs})")
        if row.extra.get("floor_s") and row.scenario == "cold build":
            extra.append(
                f"Markdown floor {_fmt(_median(row.extra['floor_s']))} s, ×floor {_fmt(row.floor_ratio())}"
            )
            if row.media_s > MEDIA_S:
                less = _fmt(row.floor_ratio(without_media=True))
                extra.append(f"images/media stages {row.media_s:.1f} s, ×floor less them {less}")
        if row.extra.get("touched_by_folder"):
            top = list(row.extra["touched_by_folder"].items())[:6]
            extra.append("touched: " + ", ".join(f"{k} {v}" for k, v in top))
        if "decoded" in row.extra:
            extra.append(f"decoded {row.extra['decoded']}")
        if row.target:
            extra.append(f"target {row.target}: {'PASS' if row.passed else 'FAIL'}")
        failed = len(row.runs) - len(row.ok_runs())
        if failed:
            extra.append(f"{failed} run(s) FAILED")
        lines.append(
            f"{row.scenario:<26} {row.size:<30} {_fmt(row.wall):>8} {_fmt(row.cpu):>8} "
            f"{_fmt(row.pages, 'd') if row.pages is not None else '—':>6} {_fmt(ms_page, '.1f'):>8} "
            f"{_fmt(written, '.0f'):>8} {_fmt(touched_, '.0f'):>8} {_fmt(row.peak, '.0f'):>9} "
            f"{_fmt(row.tree_peak, '.0f'):>9} "
            f"{_fmt(baseline_wall):>8} {_fmt(row.ratio(row.baseline) if row.baseline else None):>7} "
            f"{_fmt(row.ratio(row.hugo) if row.hugo else None):>6}  {'; '.join(extra)}"
        )
    lines.append("")
    lines.append("stage timings (median seconds, from BuildResult.timings):")
    for row in rows:
        stages = _stage_medians(row.ok_runs())
        if stages:
            text = "  ".join(f"{k} {v:.2f}" for k, v in stages.items())
            lines.append(f"  {row.scenario:<26} {row.size:<30} {text}")
    return "\n".join(lines)
