"""Golden sites: a small valid site whose whole output is held against a committed expectation, and an invalid
one whose whole report (``build`` and ``check``) is.

``tests/golden/valid/expected/files.txt`` lists every output file with its size and the start of its sha256, and
``pages/`` holds a few files whole, so that a change shows as a readable diff. After an intended change (a
template, the CSS, a message), refresh and review:

    .venv/bin/python -m pytest tests/test_golden.py --update-golden
    git diff tests/golden
"""

from __future__ import annotations

import difflib
import hashlib
import shutil
from pathlib import Path

import pytest

from yunzhan.cli import main
from yunzhan.pipeline import BuildOptions, build

GOLDEN = Path(__file__).parent / "golden"
WHOLE = (
    "index.html",
    "projects/rocket/index.html",
    "404.html",
    "sitemap.xml",
    "feed.xml",
    "data/records.json",
)


def listing(folder: Path) -> str:
    """One line a file: the start of its sha256, its size and its path."""
    lines = []
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            rel = path.relative_to(folder).as_posix()
            lines.append(f"{hashlib.sha256(data).hexdigest()[:16]}  {len(data):>7}  {rel}")
    return "\n".join(lines) + "\n"


def compare(expected_dir: Path, actual: dict[str, str], update: bool) -> None:
    """Each file of ``actual`` against its copy under ``expected_dir`` (nothing more, nothing less there)."""
    if update:
        shutil.rmtree(expected_dir, ignore_errors=True)
        for rel, text in actual.items():
            (expected_dir / rel).parent.mkdir(parents=True, exist_ok=True)
            (expected_dir / rel).write_text(text, encoding="utf-8", newline="\n")
        pytest.skip(f"rewrote {expected_dir.relative_to(GOLDEN.parent.parent)}: review git diff")
    committed = {p.relative_to(expected_dir).as_posix() for p in expected_dir.rglob("*") if p.is_file()}
    assert committed == set(actual), "expected files differ; run with --update-golden if intended"
    diffs = []
    for rel, text in sorted(actual.items()):
        want = (expected_dir / rel).read_text(encoding="utf-8")
        if want != text:
            diff = difflib.unified_diff(want.splitlines(), text.splitlines(), rel, "now", lineterm="", n=1)
            diffs.append("\n".join(list(diff)[:80]))
    if diffs:
        pytest.fail(
            "the output differs from tests/golden (refresh with --update-golden if intended):\n"
            + "\n".join(diffs),
            pytrace=False,
        )


def _site(tmp_path: Path, name: str) -> Path:
    site = tmp_path / "site"
    shutil.copytree(GOLDEN / name / "site", site)
    return site


def test_the_valid_site_builds_to_the_committed_output(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    site = _site(tmp_path, "valid")
    out = tmp_path / "output"
    result = build(BuildOptions(site_dir=site, output_dir=out, cache_dir=tmp_path / "cache"))
    assert result.problems == []
    actual = {"files.txt": listing(out)} | {f"pages/{rel}": (out / rel).read_text("utf-8") for rel in WHOLE}
    compare(GOLDEN / "valid" / "expected", actual, request.config.getoption("--update-golden"))


def test_the_invalid_site_reports_every_mistake_as_committed(
    tmp_path: Path, request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]
) -> None:
    site = _site(tmp_path, "invalid")
    actual = {}
    for command in ("build", "check"):
        code = main([command, "--site", str(site)])
        captured = capsys.readouterr()
        actual[f"{command}.txt"] = f"# exit: {code}\n# stdout\n{captured.out}# stderr\n{captured.err}"
    assert not (site / "output").exists()  # a failed build writes nothing
    compare(GOLDEN / "invalid" / "expected", actual, request.config.getoption("--update-golden"))
