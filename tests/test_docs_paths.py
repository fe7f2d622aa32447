"""Every module the docs name exists: a path such as ``ledger/intake/lines.py`` is a file or
folder of the repository, and a dotted name such as ``ledger.intake.rules.plan`` imports (its
module, then each attribute after it). A module moved or renamed fails here until the docs
follow it."""

from __future__ import annotations

import importlib
import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted([*(ROOT / "docs").glob("*.md"), ROOT / "README.md"])
PACKAGES = ("events", "ledger", "cli")
# a path in the repository: ledger/storage/times.py, cli/output.py, ledger/demo/seed/japan.jsonl,
# ledger/intake/ (a file has an extension, a folder a trailing slash; "events/s" is a unit)
PATH = re.compile(
    r"(?<![\w/.-])((?:events|ledger|cli|scripts|tests|benchmarks)/(?:[\w/-]*\.\w+|[\w/-]*/))"
)
FILE_TYPES = {"md", "py", "json", "jsonl", "csv", "parquet", "xlsx", "db", "sig", "txt", "html"}
# a dotted name: ledger.intake.rules.plan (not defledger.db, not a file name like ledger.db-wal)
DOTTED = re.compile(r"(?<![\w.-])((?:events|ledger|cli)(?:\.[A-Za-z_]\w*)+)(?![\w-])")


def _mentions(pattern: re.Pattern[str]) -> list[tuple[str, str]]:
    """(doc, name) for each name ``pattern`` finds; a dotted name ending like a file name
    (``events.jsonl``, ``cli.md``) is a file of a bundle or of the docs, not a module."""
    return sorted(
        {
            (doc.name, match.group(1))
            for doc in DOCS
            for match in pattern.finditer(doc.read_text(encoding="utf-8"))
            if "/" in match.group(1) or match.group(1).rsplit(".", 1)[1] not in FILE_TYPES
        }
    )


def _resolves(dotted: str) -> bool:
    """``dotted`` imports: its packages and module, then each attribute after them."""
    parts = dotted.split(".")
    value: object = importlib.import_module(parts[0])
    name = parts[0]
    for part in parts[1:]:
        name = f"{name}.{part}"
        if hasattr(value, "__path__") and importlib.util.find_spec(name) is not None:
            value = importlib.import_module(name)
        elif hasattr(value, part):
            value = getattr(value, part)
        else:
            return False
    return True


def _ignored(path: str) -> bool:
    """A folder the repository ignores (what a run writes, as benchmarks/results/)."""
    folders = (ROOT / ".gitignore").read_text(encoding="utf-8").split()
    return any(path.startswith(folder) for folder in folders if folder.endswith("/"))


def test_docs_paths__the_docs_name_paths_and_modules() -> None:
    """The patterns find what the docs say (so the checks below check something)."""
    paths = {path for _, path in _mentions(PATH)}
    dotted = {name for _, name in _mentions(DOTTED)}
    assert {"ledger/intake/lines.py", "cli/output.py", "ledger/storage/times.py"} <= paths
    assert {"ledger.intake.rules.plan", "ledger.intake.lines.line_transition"} <= dotted
    assert not any(name.startswith("ledger.db") for name in dotted)  # a file name, not a module


@pytest.mark.parametrize(("doc", "path"), _mentions(PATH))
def test_docs_paths__every_path_exists(doc: str, path: str) -> None:
    assert (ROOT / path).exists() or _ignored(path), f"{doc} names {path}, which does not exist"


@pytest.mark.parametrize(("doc", "name"), _mentions(DOTTED))
def test_docs_paths__every_dotted_module_imports(doc: str, name: str) -> None:
    assert _resolves(name), f"{doc} names {name}, which does not import"


def _module_tables() -> dict[str, set[str]]:
    """docs/architecture.md's module tables: folder → the names in each table's first column."""
    tables: dict[str, set[str]] = {}
    folder = None
    for line in (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8").splitlines():
        heading = re.fullmatch(r"#{2,3} `?((?:ledger/)?\w+/)`?", line.strip())
        if heading:
            folder = heading.group(1)
            continue
        if line.startswith("#"):
            folder = None
        elif folder and line.startswith("| `"):
            first = line.split("|")[1]
            tables.setdefault(folder, set()).update(re.findall(r"`([\w./]+)`", first))
    return tables


def _modules(folder: Path) -> set[str]:
    files = {p.name for p in folder.glob("*.py") if p.name != "__init__.py"}
    return files | {f"{p.name}/" for p in folder.iterdir() if (p / "__init__.py").exists()}


def test_docs_paths__architecture_lists_every_module_once() -> None:
    """The sub-package table names every sub-package of ledger/; each of them, and cli/, has a
    table naming every module it holds."""
    tables = _module_tables()
    folders = [f"ledger/{p.name}/" for p in sorted((ROOT / "ledger").iterdir())
               if (p / "__init__.py").exists()] + ["cli/"]  # fmt: skip
    assert set(folders) <= set(tables)
    assert tables["ledger/"] == {f.removeprefix("ledger/") for f in folders if f != "cli/"}
    for folder in folders:
        assert tables[folder] == _modules(ROOT / folder), folder
