"""The GitHub Actions workflow: valid against GitHub's own schema (bundled with check-jsonschema, so this runs
offline), on the three systems and two Pythons, and selecting tests by markers that exist."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib

import yaml

from tests.conftest import REPO

WORKFLOW = REPO / ".github" / "workflows" / "test.yml"


def test_workflow_is_valid_for_github_actions() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.github-workflows",
            str(WORKFLOW),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_workflow_runs_on_every_system_editors_use_with_both_pythons() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    job = workflow["jobs"]["test"]
    assert job["runs-on"] == "${{ matrix.os }}"
    assert job["strategy"]["matrix"]["os"] == ["ubuntu-latest", "windows-latest", "macos-latest"]
    assert job["strategy"]["matrix"]["python"] == ["3.11", "3.13"]
    runs = [step["run"] for step in job["steps"] if "run" in step]
    assert 'python -m pip install -e ".[test]"' in runs
    [pytest_run] = [r for r in runs if "pytest" in r]
    used = set(re.findall(r"not (\w+)", pytest_run))
    declared = {m.split(":")[0] for m in tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]["markers"]}  # fmt: skip
    assert {"browser", "nginx", "tools"} <= used <= declared
