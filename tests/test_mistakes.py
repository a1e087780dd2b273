"""Editor mistakes, one folder each under ``tests/mistakes/`` (in the spirit of Zola's invalid test sites).

A case folder holds:

- ``site/``: files laid over the small test site of ``conftest.py`` (same paths; bytes kept as they are, so a
  case can carry CRLF, a BOM, tabs or Word's private-use bullets). An empty file named ``NAME.deleted`` removes
  ``NAME`` from the base site.
- ``expected.txt``: ``# command: …`` (the words after ``build.py``, default ``build``), ``# exit: N``
  (default 1), then the lines the command must print, each one whole and in this order (other lines may come
  between). ``# absent: TEXT`` lines name text that must not be printed.

Every case runs the real command line in this process, must not raise (no traceback reaches an editor), and
a failing ``build`` must leave the previous ``output/`` exactly as it was.
"""

from __future__ import annotations

import shlex
import shutil
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import BASE_FILES, SITE_TOML
from yunzhan.cli import main

CASES = Path(__file__).parent / "mistakes"


@dataclass
class Case:
    name: str
    command: list[str] = field(default_factory=lambda: ["build"])
    exit: int = 1
    lines: list[str] = field(default_factory=list)
    absent: list[str] = field(default_factory=list)


def load_case(folder: Path) -> Case:
    case = Case(folder.name)
    for line in (folder / "expected.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("# command:"):
            case.command = shlex.split(line.partition(":")[2])
        elif line.startswith("# exit:"):
            case.exit = int(line.partition(":")[2])
        elif line.startswith("# absent:"):
            case.absent.append(line.partition(":")[2].strip())
        elif line.startswith("#") or not line.strip():
            continue
        else:
            case.lines.append(line)
    return case


def lay_site(target: Path, overlay: Path | None) -> None:
    target.mkdir(parents=True)
    (target / "site.toml").write_text(SITE_TOML, encoding="utf-8")
    for rel, text in BASE_FILES.items():
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    for source in sorted(overlay.rglob("*")) if overlay and overlay.is_dir() else []:
        if source.is_dir():
            continue
        rel = source.relative_to(overlay)
        dest = target / rel
        if dest.name.endswith(".deleted"):
            dest.with_name(dest.name.removesuffix(".deleted")).unlink()
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, dest)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def case_folders() -> list[Path]:
    return sorted(p for p in CASES.iterdir() if (p / "expected.txt").is_file())


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The base site's output, built once: each failing build must leave a copy of it untouched."""
    site = tmp_path_factory.mktemp("base") / "site"
    lay_site(site, None)
    assert main(["build", "--site", str(site), "-q"]) == 0
    return site / "output"


def test_there_are_enough_cases() -> None:
    assert len(case_folders()) >= 30


@pytest.mark.parametrize("folder", case_folders(), ids=lambda p: p.name)
def test_mistake(
    folder: Path,
    tmp_path: Path,
    published: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    case = load_case(folder)
    site = tmp_path / "site"
    lay_site(site, folder / "site")
    shutil.copytree(published, site / "output")
    before = snapshot(site / "output")
    monkeypatch.chdir(site)

    code = main([*case.command, "--site", str(site)])
    captured = capsys.readouterr()
    printed = (captured.out + captured.err).splitlines()

    assert code == case.exit, "\n".join(printed)
    at = 0
    for want in case.lines:
        try:
            at = printed.index(want, at) + 1
        except ValueError:
            pytest.fail(f"missing or out of order:\n  {want}\nprinted:\n" + "\n".join(printed))
    for text in case.absent:
        assert not any(text in line for line in printed), text
    if case.command[0] == "build" and code != 0:
        assert snapshot(site / "output") == before
