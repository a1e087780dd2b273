"""The import direction of docs/ARCHITECTURE.md's module table, held against the code.

Each row names a module (``check/links.py``) and what it may import. Every module of yunzhan has a row, and the
yunzhan modules a row allows are exactly those the module imports (at any depth of the file: lazy imports count),
so neither the code nor the table can drift from the other. "everything above" allows every row above it.
Third-party and standard-library names in the column are documentation: not checked. To see what each module
imports (the column as the code has it): ``.venv/bin/python tests/test_architecture.py``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "yunzhan"
TABLE_ROW = re.compile(r"^\| `(?P<path>[\w/]+\.py)` \| .* \| (?P<imports>[^|]*) \|$")


def module_name(path: Path) -> str:
    """``yunzhan/check/links.py`` → ``check.links``; a package's ``__init__.py`` → the package's name."""
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py")) if "__pycache__" not in p.parts}


def _resolve(dotted: str, known: dict[str, Path]) -> str | None:
    """A yunzhan module's name from an import's dotted path (``yunzhan.check.refs.parse_page`` → ``check.refs``)."""
    parts = dotted.split(".")
    if parts[0] != "yunzhan":
        return None
    for end in range(len(parts), 1, -1):
        name = ".".join(parts[1:end])
        if name in known:
            return name
    return ""  # the package yunzhan itself (__version__)


def imports_of(path: Path, known: dict[str, Path]) -> set[str]:
    """The yunzhan modules a file imports, by name (itself and the package's root left out)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        dotted: list[str] = []
        if isinstance(node, ast.Import):
            dotted = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            dotted = [f"{node.module}.{alias.name}" for alias in node.names]
        for name in dotted:
            resolved = _resolve(name, known)
            if resolved:
                found.add(resolved)
    if path.is_relative_to(PACKAGE):
        found.discard(module_name(path))
    return found


def table() -> list[tuple[str, set[str] | None]]:
    """The rows in order: (module name, the yunzhan modules it may import; None for "everything above")."""
    known = modules()
    rows: list[tuple[str, set[str] | None]] = []
    for line in (REPO / "docs" / "ARCHITECTURE.md").read_text("utf-8").splitlines():
        match = TABLE_ROW.match(line)
        if not match:
            continue
        name = module_name(PACKAGE / match["path"])
        column = match["imports"].strip()
        if column == "everything above":
            rows.append((name, None))
            continue
        words = {word.strip() for word in column.split(",")}
        rows.append((name, {word for word in words if word in known}))
    return rows


def test_every_module_has_a_row_and_every_row_a_module() -> None:
    names = [name for name, _ in table()]
    assert len(names) == len(set(names)), "a module has two rows"
    assert sorted(set(modules()) - {""}) == sorted(names)


def test_each_module_imports_exactly_what_its_row_allows() -> None:
    known = modules()
    above: set[str] = set()
    wrong = []
    for name, allowed in table():
        imported = imports_of(known[name], known)
        if allowed is None:
            if not imported <= above:
                wrong.append(f"{name} imports {sorted(imported - above)}, which are not above it")
        elif imported != allowed:
            extra, unused = sorted(imported - allowed), sorted(allowed - imported)
            wrong.append(f"{name}: imports but may not {extra}; may but does not {unused}")
        above.add(name)
    assert not wrong, "docs/ARCHITECTURE.md and the code disagree:\n" + "\n".join(wrong)


def test_the_table_can_catch_an_arrow_back_up(tmp_path: Path) -> None:
    """The check reads real imports: a lazy import inside a function counts, and so does ``from yunzhan import``."""
    known = {"model": Path(), "pipeline": Path(), "check.links": Path(), "check": Path()}
    probe = tmp_path / "probe.py"
    probe.write_text(
        "from yunzhan import pipeline\n"
        "def f():\n    from yunzhan.check.links import check_links\n    import yunzhan.model\n"
        "import os, pypinyin\nfrom . import sibling\n",
        "utf-8",
    )
    assert imports_of(probe, known) == {"pipeline", "check.links", "model"}


if __name__ == "__main__":  # the yunzhan imports of every module, for the table's last column
    everything = modules()
    for name, path in everything.items():
        if name:
            imported = ", ".join(sorted(imports_of(path, everything))) or "stdlib"
            print(f"{path.relative_to(PACKAGE).as_posix():24} {imported}")
