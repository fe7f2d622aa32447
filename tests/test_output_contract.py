"""The output contract of every command that prints data (docs/output.md), on the demo ledger:
each format it offers parses as that format (json, csv, an HTML parser, openpyxl, …) and
``-o FILE.ext`` writes the same bytes as ``--format``; an extension it cannot write is exit 2;
its table fits ``COLUMNS``; progress goes to stderr only; every ``--help`` example runs."""

from __future__ import annotations

import csv
import io
import json
import shlex
import shutil
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path

import click
import openpyxl
import pytest
from click.testing import CliRunner, Result
from helpers.cli_commands import ALL_COMMANDS, command_at, serve_returns_at_once

from cli.app import cli as app
from cli.layout import cells
from cli.output import FORMATS

Run = Callable[..., Result]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A directory holding the demo ledger, the demo ledger with the comparisons scenario
    (``comparisons.db``), a checkpoint, a proof and an export bundle."""
    where = tmp_path_factory.mktemp("demo")
    runner = CliRunner()
    env = {"DEFLEDGER_DB": str(where / "defledger-demo.db"), "COLUMNS": None}
    steps = [
        ["demo", "--db", str(where / "defledger-demo.db")],
        ["demo", "--comparisons", "--db", str(where / "comparisons.db")],
        ["checkpoint", "-o", str(where / "kept.checkpoint")],
        ["prove", "105", "--checkpoint", str(where / "kept.checkpoint"), "-o",
         str(where / "proof.json")],
        ["export", "-o", str(where / "bundle"), "--root", str(where)],
    ]  # fmt: skip
    for args in steps:
        result = runner.invoke(app, args, env=env, catch_exceptions=False)
        assert result.exit_code == 0, (args, result.stderr)
    yield where


@pytest.fixture
def run(demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    """``defledger ARGS`` on the demo ledger, in a fresh directory."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DEFLEDGER_DB", str(demo / "defledger-demo.db"))
    runner = CliRunner()

    def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
        for stale in tmp_path.glob("copy.db*"):  # copy needs an empty target every time
            stale.unlink()
        return runner.invoke(app, list(args), env=env, catch_exceptions=False)

    return invoke


def arguments(name: str, demo: Path, tmp_path: Path) -> list[str]:
    """A typical invocation of each command that prints data (by its path: ``claims check``),
    on the demo ledger."""
    fy = ["--fy", "FY2025", "--definition", "jp-defense-related"]
    comparisons = [
        "--db",
        str(demo / "comparisons.db"),
    ]  # the demo with SIPRI, DBP, … (before the name)
    return {
        "log": ["log", "-n", "12"],
        "show": ["show", "105"],
        "verify": ["verify"],
        "digest": ["digest"],
        "totals": ["totals", "--fy", "FY2022..FY2025", "--change"],
        "replay": ["replay", *fy],
        "trace": ["trace", *fy],
        "explain": ["explain", *fy],
        "rebuild": ["rebuild", "--check"],
        "diff": ["diff", "jp-defense-related@2", "jp-defense-related@3", "--fy", "FY2025"],
        "what-if": [
            "what-if",
            "jp-defense-related@2",
            "--include",
            "JP.CAND.SPACE=0.5:related",
            "--fy",
            "FY2025",
        ],  # fmt: skip
        "checkpoint": ["checkpoint"],
        "prove": ["prove", "105", "--checkpoint", str(demo / "kept.checkpoint")],
        "verify-proof": [
            "verify-proof",
            str(demo / "proof.json"),
            "--checkpoint",
            str(demo / "kept.checkpoint"),
        ],  # fmt: skip
        "verify-export": ["verify-export", str(demo / "bundle")],
        "copy": ["copy", "--to", str(tmp_path / "copy.db")],
        "demo": ["demo", "--db", str(demo / "defledger-demo.db")],
        "claims check": ["claims", "check"],
        "claims show": ["claims", "show", "jp-fy2024-share-japantimes"],
        "claims export": ["claims", "export", "jp-fy2024-share-japantimes"],
        "definition list": ["definition", "list"],
        "definition show": ["definition", "show", "jp-defense-related@3"],
        "reconcile": [
            *comparisons,
            "reconcile",
            "jp-mod-core@1",
            "sipri-milex@1,period=calendar",
            "--year",
            "2024",
        ],
        "programmes": [*comparisons, "programmes"],
        "obligations": [*comparisons, "obligations", "--fy", "FY2024..FY2025"],
    }[name]


def _offered(path: tuple[str, ...]) -> list[str]:
    for param in command_at(path).params:
        if param.name == "fmt":
            assert isinstance(param.type, click.Choice)
            return [str(choice) for choice in param.type.choices]
    return []


PRINTING = [path for path in ALL_COMMANDS if _offered(path)]
CASES = [(" ".join(path), fmt) for path in PRINTING for fmt in _offered(path)]
# Read commands with a rendering for people (demo and copy write a ledger; claims export is
# JSON-LD only: nothing in it is laid out for a terminal)
READS = [
    " ".join(p)
    for p in PRINTING
    if p[0] not in ("demo", "copy") and any(FORMATS[f].for_people for f in _offered(p))
]


def test_contract__covers_every_command_that_prints_data() -> None:
    """A new command with --format is added here, so the contract is checked for it too."""
    assert {" ".join(p) for p in PRINTING} == {
        "log", "show", "verify", "digest", "totals", "replay", "trace", "explain", "rebuild",
        "diff", "what-if", "checkpoint", "prove", "verify-proof", "verify-export", "copy", "demo",
        "claims check", "claims show", "claims export", "definition list", "definition show",
        "reconcile", "programmes", "obligations",
    }  # fmt: skip


class _Html(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.opened: list[str] = []
        self.closed: list[str] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.opened.append(tag)

    def handle_endtag(self, tag: str) -> None:
        self.closed.append(tag)


def parses(data: bytes, fmt: str) -> None:
    """``data`` is well-formed ``fmt``."""
    if fmt == "xlsx":
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        header = next(book.worksheets[0].iter_rows(max_row=1, values_only=True))
        assert all(isinstance(name, str) and name for name in header)
        return
    text = data.decode("utf-8")
    if fmt == "json":
        json.loads(text)
    elif fmt == "jsonl":
        for line in text.splitlines():
            assert isinstance(json.loads(line), dict)
    elif fmt in ("csv", "tsv"):
        rows = list(
            csv.reader(io.StringIO(text, newline=""), delimiter="," if fmt == "csv" else "\t")
        )
        assert rows and rows[0] and all(len(row) == len(rows[0]) for row in rows)
    elif fmt == "html":
        parser = _Html()
        parser.feed(text)
        parser.close()
        assert parser.opened[:1] == ["html"] and parser.closed[-1:] == ["html"]
        for tag in ("table", "tr", "td", "th", "body"):
            assert parser.opened.count(tag) == parser.closed.count(tag), tag
    elif fmt == "markdown":
        lines = text.splitlines()
        assert any(line.startswith("# ") for line in lines) or any(
            line.startswith("|") for line in lines
        )
        tables = [line for line in lines if line.startswith("|")]
        if tables:
            assert len({line.count("|") - line.count("\\|") for line in tables[:2]}) == 1
    else:
        assert text.strip()


@pytest.mark.parametrize(("name", "fmt"), CASES, ids=[f"{n}-{f}" for n, f in CASES])
def test_contract__every_format_parses_and_o_by_extension_writes_the_same_bytes(
    run: Run, demo: Path, tmp_path: Path, name: str, fmt: str
) -> None:
    target = tmp_path / f"out{FORMATS[fmt].extensions[0]}"
    printed = run(*arguments(name, demo, tmp_path), "--format", fmt)
    if printed.exit_code == 2 and "needs -o FILE" in printed.stderr:  # writes files beside it
        assert printed.stdout == ""
        explicit = tmp_path / f"explicit{FORMATS[fmt].extensions[0]}"
        assert (
            run(*arguments(name, demo, tmp_path), "--format", fmt, "-o", str(explicit)).exit_code
            == 0
        )
        expected = explicit.read_bytes()
    else:
        assert printed.exit_code == 0, printed.stderr
        expected = printed.stdout_bytes
    written = run(*arguments(name, demo, tmp_path), "-o", str(target))
    assert written.exit_code == 0, written.stderr
    assert written.stdout == "", "with -o, nothing goes to stdout"
    assert f"wrote {target}" in written.stderr
    data = target.read_bytes()
    parses(data, fmt)
    if name == "rebuild" and fmt == "table":  # nothing differs: the verdict, on stderr
        assert expected == b"" and "no differences" in printed.stderr
        assert b"no differences" in data
    elif name == "rebuild":  # the same but for how long each run took
        assert _untimed(data, fmt) == _untimed(expected, fmt)
    else:
        assert data == expected


def _untimed(data: bytes, fmt: str) -> object:
    import re

    if fmt == "xlsx":
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
    text = data.decode("utf-8")
    return re.sub(r"(in |\W)\d+\.\d+( s)?", r"\1N\2", text)


WRITERS = [
    " ".join(path)
    for path in ALL_COMMANDS
    if any(p.name == "output" for p in command_at(path).params)
]


@pytest.mark.parametrize("name", WRITERS)
@pytest.mark.parametrize("extension", [".parquet", ".xyz", ".markdownx"])
def test_contract__an_extension_the_command_cannot_write_is_exit_2(
    run: Run, demo: Path, tmp_path: Path, name: str, extension: str
) -> None:
    target = tmp_path / f"out{extension}"
    result = run(*arguments(name, demo, tmp_path), "-o", str(target))
    assert result.exit_code == 2, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "cannot write" in errors[0] and extension in errors[0]
    assert not target.exists() and result.stdout == ""


def test_contract__the_issue_s_cases(run: Run, tmp_path: Path) -> None:
    """totals -o t.xlsx wrote the text table into t.xlsx with exit 0; .html, .tsv and .markdown
    too. Now each is its format, and .parquet is refused."""
    for extension, check in [
        (".xlsx", lambda p: openpyxl.load_workbook(p).worksheets[0]["A1"].value == "jurisdiction"),
        (".html", lambda p: "<table>" in p.read_text()),
        (".tsv", lambda p: p.read_text().startswith("jurisdiction\tfiscal_year")),
        (".markdown", lambda p: p.read_text().startswith("| jurisdiction |")),
    ]:
        target = tmp_path / f"t{extension}"
        assert run("totals", "--fy", "FY2025", "-o", str(target)).exit_code == 0
        assert check(target), extension
    refused = run("totals", "--fy", "FY2025", "-o", str(tmp_path / "t.parquet"))
    assert refused.exit_code == 2 and not (tmp_path / "t.parquet").exists()


@pytest.mark.parametrize("columns", [80, 120])
@pytest.mark.parametrize("name", READS)
def test_contract__tables_fit_the_terminal(
    run: Run, demo: Path, tmp_path: Path, name: str, columns: int
) -> None:
    table = ["--format", "table"] if "table" in _offered(tuple(name.split())) else []
    result = run(*arguments(name, demo, tmp_path), *table, env={"COLUMNS": str(columns)})
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() or name == "rebuild"
    wide = [line for line in result.stdout.splitlines() if cells(line) > columns]
    assert wide == [], f"{name}: {len(wide)} lines wider than {columns}"


def test_contract__without_a_width_nothing_is_cut(run: Run) -> None:
    """A pipe or a file (no COLUMNS, not a terminal) gets whole lines: scripts see every cell."""
    table = run("log", "-n", "3").stdout
    for event in json.loads(run("log", "-n", "3", "--format", "json").stdout)["events"]:
        assert event["reason"] in table and event["stream"] in table


# -- progress -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [("verify",), ("rebuild", "--check"), ("verify-export", "BUNDLE"), ("copy", "--to", "copy.db")],
)
def test_contract__progress_goes_to_stderr_never_to_stdout_or_o_files(
    run: Run, demo: Path, tmp_path: Path, args: tuple[str, ...]
) -> None:
    args = tuple(str(demo / "bundle") if a == "BUNDLE" else a for a in args)
    target = tmp_path / "out.json"
    result = run(*args, "--progress", "--format", "json", "-o", str(target))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    phase = {"verify": "verifying events", "rebuild": "folding events",
             "verify-export": "replaying events", "copy": "copying events"}[args[0]]  # fmt: skip
    assert f"{args[0]}: {phase}" in result.stderr
    assert phase not in target.read_text() and json.loads(target.read_text())
    quiet = run(*args, "--progress", "-q")
    assert quiet.exit_code == 0 and phase not in quiet.stderr + quiet.stdout


def test_contract__a_progress_bar_on_a_terminal_is_on_stderr(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a terminal: a bar with count, total and time left, on stderr only."""
    import rich.console

    from cli import progress

    real = rich.console.Console
    monkeypatch.setattr(progress, "stderr_is_tty", lambda: True)
    monkeypatch.setattr(
        rich.console, "Console", lambda **kw: real(**kw, force_terminal=True, width=100)
    )
    head = json.loads(run("digest").stdout)["seq"]
    target = tmp_path / "v.json"
    result = run("verify", "-o", str(target), "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert "verify: verifying events" in result.stderr and f"{head}/{head}" in result.stderr
    assert result.stdout == "" and "verifying" not in target.read_text()


# -- help examples --------------------------------------------------------------------------


def examples(path: tuple[str, ...]) -> list[str]:
    """The ``defledger …`` lines of a command's Examples block."""
    command = command_at(path) if path else app
    lines, inside = [], False
    for line in (command.help or "").splitlines():
        stripped = line.strip()
        if stripped in ("Examples:", "Example:"):
            inside = True
        elif inside and stripped.startswith("defledger "):
            lines.append(stripped)
        elif inside and stripped and not stripped.startswith("\b"):
            inside = False
    return lines


HELP_PATHS = [(), *sorted({p[:i] for p in ALL_COMMANDS for i in range(1, len(p) + 1)})]


@pytest.mark.parametrize("path", HELP_PATHS, ids=lambda p: " ".join(p) or "defledger")
def test_help__every_example_runs_on_the_demo_ledger(
    demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: tuple[str, ...]
) -> None:
    """Each command's examples run in order (a later one may use a file an earlier one wrote)
    in a fresh directory on a copy of the demo ledger, and exit 0."""
    found = examples(path)
    assert found, f"defledger {' '.join(path)} --help has no example"
    if path == ("serve",):
        serve_returns_at_once(monkeypatch)
    monkeypatch.chdir(tmp_path)
    shutil.copy(demo / "defledger-demo.db", tmp_path / "defledger-demo.db")
    monkeypatch.setenv("DEFLEDGER_DB", str(tmp_path / "defledger-demo.db"))
    runner = CliRunner()
    for line in found:
        for part in line.split(" && "):
            words = shlex.split(part)
            redirect = None
            if ">" in words:
                words, redirect = words[: words.index(">")], words[words.index(">") + 1]
            assert words[0] == "defledger"
            result = runner.invoke(app, words[1:], catch_exceptions=False)
            assert result.exit_code == 0, f"$ {part}\n{result.stderr}"
            if redirect:
                Path(redirect).write_bytes(result.stdout_bytes)


def test_help__examples_use_no_definition_the_demo_lacks() -> None:
    """totals --help used jp@1, which no ledger holds (the test above runs them all)."""
    assert not any("jp@" in line for path in HELP_PATHS for line in examples(path))


def test_help__explain_says_it_is_an_alias_of_trace(run: Run) -> None:
    assert "An alias of `defledger trace`" in run("explain", "--help").stdout


# -- docs/output.md ------------------------------------------------------------------------------


def _documented() -> dict[str, set[str]]:
    """docs/output.md's JSON table: command → the top-level keys it documents."""
    import re

    found: dict[str, set[str]] = {}
    text = (Path(__file__).resolve().parent.parent / "docs" / "output.md").read_text("utf-8")
    for line in text.splitlines():
        if line.startswith("| `") and "{" in line:
            first, shape = line.split("|")[1:3]
            keys = set(re.findall(r'"(@?\w+)"', shape.split("}")[0]))
            for name in re.findall(r"`([\w-]+(?: [\w-]+)?)`", first):
                found[name] = keys
    return found


@pytest.mark.parametrize("name", sorted({" ".join(p) for p in PRINTING}))
def test_docs__output_md_states_the_json_of_every_command(
    run: Run, demo: Path, tmp_path: Path, name: str
) -> None:
    documented = _documented()
    assert name in documented, f"docs/output.md does not say what {name} prints as JSON"
    if "json" not in _offered(tuple(name.split())):
        return
    result = run(*arguments(name, demo, tmp_path), "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert set(json.loads(result.stdout)) == documented[name]
