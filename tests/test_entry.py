"""The two ways in: ``python build.py`` (with whichever Python the editor typed) and the ``yunzhan`` command."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import REPO, MakeSite
from yunzhan.command import command_name


def _build_py() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_entry", REPO / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("args", [["check"], [], ["new", "projects", "火箭 模型"]])
def test_a_python_without_the_packages_says_what_to_type(args: list[str], tmp_path: Path) -> None:
    """-S: no site-packages at all, as with the system's python before the setup."""
    result = subprocess.run(
        [sys.executable, "-I", "-S", str(REPO / "build.py"), *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "Error" not in result.stderr
    assert "缺少 jinja2、markdown、pyyaml、pillow" in result.stderr
    assert "py -3 -m venv .venv\n    .venv\\Scripts\\python -m pip install -e .\n" in result.stderr
    assert "python3 -m venv .venv\n    .venv/bin/python -m pip install -e .\n" in result.stderr
    typed = "".join(f' "{a}"' if " " in a else f" {a}" for a in args)
    assert (
        f".venv\\Scripts\\python build.py{typed}    或    .venv\\Scripts\\yunzhan{typed}\n" in result.stderr
    )
    assert f".venv/bin/python build.py{typed}    或    .venv/bin/yunzhan{typed}\n" in result.stderr


def test_a_python_too_old_is_named() -> None:
    build = _build_py()
    message = build.unusable_python_message((3, 9, 7), [], ["check"])
    assert message.startswith("没有运行：现在运行它的是 Python 3.9，太旧了：需要 Python 3.11 或更新的版本。")
    assert ".venv/bin/python build.py check" in message
    assert build.unusable_python_message(sys.version_info, [], ["check"]) is None


def test_every_dependency_is_checked() -> None:
    """build.py's list of packages is pyproject.toml's: a new dependency must not bring the traceback back."""
    import tomllib

    declared = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    names = {d.split("=")[0].split("[")[0].strip().lower() for d in declared}
    assert set(_build_py().NEEDED.values()) == names


@pytest.mark.parametrize(
    ("argv0", "name"),
    [
        ("/home/a/site/.venv/bin/yunzhan", "yunzhan"),
        ("C:\\site\\.venv\\Scripts\\yunzhan.exe", "yunzhan"),
        ("C:\\site\\.venv\\Scripts\\yunzhan-script.py", "yunzhan"),
        ("build.py", "python build.py"),
        ("/site/build.py", "python build.py"),
        ("/site/yunzhan/__main__.py", "python -m yunzhan"),
        ("/venv/lib/pytest/__main__.py", "python build.py"),
    ],
)
def test_command_name_is_the_one_typed(argv0: str, name: str) -> None:
    assert command_name(argv0) == name


def _yunzhan() -> str:
    found = shutil.which("yunzhan", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.skip("yunzhan is not installed in this Python's environment (pip install -e .)")
    return found


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_yunzhan(), *args], capture_output=True, text=True, encoding="utf-8", cwd=cwd, timeout=120
    )


def test_the_yunzhan_command_does_every_task(make_site: MakeSite) -> None:
    site = make_site()
    helped = _run("--help", cwd=site)
    assert helped.returncode == 0 and "yunzhan check" in helped.stdout and "build.py" not in helped.stdout
    made = _run("new", "projects", "织机改造", "--zone", "gusu", "--category", "创新项目", cwd=site)
    assert made.returncode == 0, made.stderr
    assert "再运行 yunzhan check 检查" in made.stdout
    checked = _run("check", cwd=site)
    assert checked.returncode == 1  # the new record's placeholders are still there
    assert "content/projects/zhi-ji-gai-zao.md" in checked.stderr
    (site / "content/projects/zhi-ji-gai-zao.md").unlink()
    assert _run("check", cwd=site).returncode == 0
    built = _run("build", cwd=site)
    assert built.returncode == 0, built.stderr
    assert (site / "output/index.html").is_file()
    served = _run("serve", "--help", cwd=site)
    assert served.returncode == 0 and "--open" in served.stdout
