"""The layering is one-way (events ← ledger ← cli, and inside ledger/ from its ground floor
up through its sub-packages) and the tree is lint-clean."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {"events": {"ledger", "cli"}, "ledger": {"cli"}}


def _imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


# ledger/'s sub-packages, lowest first: each may import the ground floor (ledger/errors.py,
# ledger/tabular.py, ledger/numbers.py, ledger/progress.py), itself and the ones before it,
# never one after it.
LEDGER_ORDER = (
    "storage",
    "audit",
    "intake",
    "projections",
    "queries",
    "reports",
    "definition_files",
    "exports",
    "demo",
)


def _imported_modules(path: Path) -> set[str]:
    """Every absolute module path ``path`` imports, with ``from a import b`` also as ``a.b``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_layering__ledger_sub_packages_import_only_downwards() -> None:
    offenders: dict[str, list[str]] = {}
    for path in sorted((ROOT / "ledger").rglob("*.py")):
        parts = path.relative_to(ROOT / "ledger").parts
        own = LEDGER_ORDER.index(parts[0]) if len(parts) > 1 else -1  # -1: the ground floor
        for module in _imported_modules(path):
            segments = module.split(".")
            if segments[0] != "ledger" or len(segments) < 2:
                continue
            if segments[1] in LEDGER_ORDER and LEDGER_ORDER.index(segments[1]) > own:
                offenders.setdefault(str(path.relative_to(ROOT)), []).append(module)
    assert offenders == {}


def test_layering__every_ledger_module_is_in_a_known_place() -> None:
    ground = {"__init__.py", "errors.py", "tabular.py", "numbers.py", "progress.py"}
    top = {p.name for p in (ROOT / "ledger").iterdir() if not p.name.startswith("__pycache__")}
    assert top == ground | set(LEDGER_ORDER)
    for package in LEDGER_ORDER:
        init = ROOT / "ledger" / package / "__init__.py"
        assert ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))), init


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_layering__no_upward_imports(package: str) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imported_packages(path) & FORBIDDEN[package])
        for path in sorted((ROOT / package).rglob("*.py"))
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_layering__events_do_no_io() -> None:
    banned = {"sqlite3", "sqlalchemy", "sqlmodel", "psycopg", "os", "pathlib", "socket", "time"}
    for path in sorted((ROOT / "events").rglob("*.py")):
        assert not _imported_packages(path) & banned, path


@pytest.mark.skipif(
    shutil.which("ruff") is None and not (Path(sys.prefix) / "bin" / "ruff").exists(),
    reason="ruff is not installed (pip install -e '.[test]')",
)
@pytest.mark.parametrize("args", [["check", "."], ["format", "--check", "."]])
def test_lint__ruff_is_clean(args: list[str]) -> None:
    ruff = shutil.which("ruff") or str(Path(sys.prefix) / "bin" / "ruff")
    result = subprocess.run([ruff, *args], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_types__mypy_strict_is_clean() -> None:
    """``python -m mypy`` (strict, over events/ ledger/ cli/ as pyproject.toml says) finds
    nothing; mypy is in the ``test`` extra."""
    result = subprocess.run(
        [sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_tests__import_helpers_from_the_helpers_package_never_conftest() -> None:
    """Fixtures come from tests/conftest.py by name, helpers from ``tests/helpers/``: no test
    imports ``conftest``, and tests/ holds no helper module beside the tests."""
    tests = ROOT / "tests"
    loose = sorted(p.name for p in tests.glob("*.py") if not p.name.startswith("test_"))
    assert loose == ["conftest.py"], f"move {loose} into tests/helpers/"
    importing = sorted(
        path.name
        for path in [*tests.glob("*.py"), *(tests / "helpers").glob("*.py")]
        if "conftest" in _imported_packages(path)
    )
    assert importing == [], f"{importing} import conftest: use tests/helpers/ or a fixture"
