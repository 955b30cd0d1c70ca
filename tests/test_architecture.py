"""Layer boundaries, lint, formatting and types are part of the test run, not a separate habit."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def test_import_contracts_hold() -> None:
    """The layers (README "Architecture"), no PySide6 below the UI even indirectly, no SQL in
    the domain, psycopg only in sync.pg."""
    done = subprocess.run(
        [str(BIN / "lint-imports")], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


def test_ruff_is_clean() -> None:
    done = subprocess.run(
        [str(BIN / "ruff"), "check", "dutydesk", "tests"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:]


def test_ruff_format_is_applied() -> None:
    """One formatting for everyone: `ruff format .` before committing keeps this green."""
    done = subprocess.run(
        [str(BIN / "ruff"), "format", "--check", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, "run `ruff format .`:\n" + done.stdout[-3000:]


def test_mypy_is_clean() -> None:
    """The package type-checks as configured in pyproject.toml (unused ignores are errors)."""
    done = subprocess.run(
        [str(BIN / "mypy")], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]


def test_readme_draws_the_layers_of_the_contract() -> None:
    """The README's ladder (first column, top to bottom) is the layers contract's list."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    (contract,) = [c for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "layers"]
    stated = [[m.strip() for m in layer.split("|")] for layer in contract["layers"]]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ladder = readme.split("### Architecture: the layers", 1)[1].split("```")[1]
    drawn = []
    for line in ladder.strip().splitlines():
        names = line.split("   ")[0].strip()  # the first column ends at a run of spaces
        drawn.append(
            [
                "dutydesk." + n.strip().removesuffix("/").removesuffix(".py")
                for n in names.split("|")
            ]
        )
    assert drawn == stated


LONG = 60  # lines: a function longer than this is split into named parts


def long_functions(folder: Path, limit: int = LONG) -> set[str]:
    """``file:Qualified.name`` of every function in ``folder`` over ``limit`` lines."""
    found: set[str] = set()

    def visit(node: ast.AST, path: Path, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                visit(child, path, f"{prefix}{child.name}.")
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                assert child.end_lineno is not None
                if child.end_lineno - child.lineno + 1 > limit:
                    found.add(f"{path.relative_to(folder)}:{prefix}{child.name}")
                visit(child, path, f"{prefix}{child.name}.")

    for path in sorted(folder.rglob("*.py")):
        visit(ast.parse(path.read_text(encoding="utf-8")), path, "")
    return found


def test_ui_functions_are_split_into_named_builders() -> None:
    """Widget construction goes in named builders: no function in dutydesk/ui is longer
    than 60 lines (nested functions counted on their own and within their parent)."""
    assert long_functions(ROOT / "dutydesk" / "ui") == set(), "split these into named parts"
