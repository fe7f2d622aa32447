"""``cli/output.py`` is the one writer: it picks the format and writes stdout or ``-o FILE`` for
every command that prints a table, a report or a document; no other CLI module does either."""

from __future__ import annotations

import ast
import json
from collections.abc import Callable
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from helpers.diff_scenario import BOTH, base_events, e, open_version, record

from cli.errors import CliError
from cli.output import (
    EXTENSIONS,
    FORMATS,
    TABLE_FORMATS,
    Rendered,
    choose,
    emit,
    format_from,
    write,
)
from ledger.storage.store import EventStore
from ledger.tabular import Table

ROOT = Path(__file__).resolve().parent.parent
Cli = Callable[..., Result]
OFFERED = ("table", "json", "html")


@pytest.mark.parametrize(
    ("fmt", "output", "chosen"),
    [
        (None, None, "table"),  # the default: the first offered
        (None, "-", "table"),  # "-" is stdout
        ("json", None, "json"),
        ("json", "out.html", "json"),  # --format wins over the extension
        (None, "out.json", "json"),
        (None, "OUT.HTM", "html"),  # extensions in any case
        (None, "out", "table"),  # no extension: the default, as on stdout
        ("json", "out.data", "json"),  # --format: any file name
    ],
)
def test_output__choose(fmt: str | None, output: str | None, chosen: str) -> None:
    assert choose(OFFERED, fmt, output) == chosen


@pytest.mark.parametrize("output", ["out.csv", "out.xlsx", "out.parquet", "out.markdown", "o.x"])
def test_output__an_extension_naming_no_offered_format_is_bad_input(output: str) -> None:
    with pytest.raises(CliError, match="cannot write") as refused:
        choose(OFFERED, None, output)
    assert refused.value.exit_code == 2
    assert "table (.txt), json (.json/.jsonld), html (.html/.htm)" in refused.value.message


def test_output__a_format_not_offered_is_bad_input() -> None:
    with pytest.raises(CliError, match="--format csv is not offered here") as refused:
        choose(OFFERED, "csv", None)
    assert refused.value.exit_code == 2


def test_output__every_format_has_its_extensions_and_only_txt_is_shared() -> None:
    assert set(TABLE_FORMATS) <= set(FORMATS)
    shared = {ext: names for ext, names in EXTENSIONS.items() if len(names) > 1}
    assert shared == {".txt": ("table", "text")}  # never offered together
    for name, spec in FORMATS.items():
        assert spec.name == name and spec.extensions
        for ext in spec.extensions:
            if name in TABLE_FORMATS:
                assert format_from(None, f"x{ext}") == name


def _run(action: Callable[[], object]) -> Result:
    @click.command()
    def command() -> None:
        action()

    return CliRunner().invoke(command, [])


def test_output__renders_only_the_chosen_format(tmp_path: Path) -> None:
    asked: list[str] = []

    def renderer(fmt: str) -> Callable[[], str]:
        return lambda: asked.append(fmt) or f"<{fmt}>\n"

    renderers = {fmt: renderer(fmt) for fmt in OFFERED}
    result = _run(lambda: write(renderers, None, None))
    assert (result.exit_code, result.stdout, result.stderr) == (0, "<table>\n", "")
    target = tmp_path / "report.json"
    result = _run(lambda: write(renderers, None, str(target)))
    assert result.exit_code == 0 and result.stdout == ""
    assert result.stderr == f"wrote {target}\n"
    assert target.read_text() == "<json>\n"
    assert asked == ["table", "json"]


def test_output__files_beside_need_an_output_file(tmp_path: Path) -> None:
    renderers = {"html": lambda: Rendered("<html/>\n", {".vl.json": "{}\n"})}
    refused = _run(lambda: write(renderers, None, None))
    assert refused.exit_code == 2
    assert refused.stderr == (
        "Error: --format html needs -o FILE.html (it also writes FILE.vl.json beside it)\n"
    )
    assert refused.stdout == ""
    target = tmp_path / "report.html"
    result = _run(lambda: write(renderers, None, str(target)))
    spec = tmp_path / "report.vl.json"
    assert result.exit_code == 0 and result.stderr == f"wrote {target}\nwrote {spec}\n"
    assert (target.read_text(), spec.read_text()) == ("<html/>\n", "{}\n")


def test_output__a_table_in_every_format_it_offers(tmp_path: Path) -> None:
    table = Table("rows", ["a", "b"], [{"a": 1, "b": "x|y"}], {"head": 1}, caption="note")
    for fmt in TABLE_FORMATS:
        target = tmp_path / f"t{FORMATS[fmt].extensions[0]}"
        assert _run(lambda target=target: emit(table, None, str(target))).exit_code == 0
        printed = _run(lambda fmt=fmt: emit(table, fmt, None)).stdout_bytes
        assert target.read_bytes() == printed
    assert json.loads((tmp_path / "t.json").read_text()) == {"meta": {"head": 1}, "rows": [
        {"a": 1, "b": "x|y"}]}  # fmt: skip
    assert (tmp_path / "t.txt").read_text() == "a  b\n-  ---\n1  x|y\n\nnote\n"
    assert "| 1 | x\\|y |" in (tmp_path / "t.md").read_text()


# -- every command that writes goes through it ------------------------------------------------


def _writes_or_picks(path: Path) -> list[str]:
    """What in ``path`` writes a file or picks a format by extension itself."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and node.attr in ("write_text", "write_bytes", "suffix"):
            found.append(f"{path.name}:{node.lineno} .{node.attr}")
        if isinstance(node, ast.Name) and node.id == "EXTENSIONS":
            found.append(f"{path.name}:{node.lineno} EXTENSIONS")
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "open"
            and any(isinstance(a, ast.Constant) and "w" in str(a.value) for a in node.args[1:])
        ):
            found.append(f"{path.name}:{node.lineno} open(…, 'w')")
    return found


def test_output__no_other_cli_module_writes_a_file_or_picks_a_format() -> None:
    offenders = [
        hit
        for path in sorted((ROOT / "cli").glob("*.py"))
        if path.name != "output.py"
        for hit in _writes_or_picks(path)
    ]
    assert offenders == []


@pytest.fixture
def seeded(store: EventStore) -> EventStore:
    v2 = open_version("jp", 2, [], based_on=1, stages=BOTH) + [
        e("CategoryExcluded", definition="jp", version=2, category="JP.REL.JCG")
    ]
    record(store, base_events() + v2)
    return store


@pytest.mark.parametrize(
    ("args", "name", "check"),
    [
        (("diff", "jp@1", "jp@2", "--fy", "FY2025"), "d.json", lambda t: json.loads(t)["meta"]),
        (("diff", "jp@1", "jp@2", "--fy", "FY2025"), "d.csv",
         lambda t: t.startswith("report,a,b,")),
        (("what-if", "jp@1", "--exclude", "JP.REL.JCG", "--fy", "FY2025"), "w.md",
         lambda t: t.startswith("# What-if")),
        (("what-if", "jp@1", "--exclude", "JP.REL.JCG", "--fy", "FY2025"), "w.txt",
         lambda t: t.startswith("What-if")),
        (("digest",), "digest.csv", lambda t: t.startswith("seq,hash,recorded_at\r\n")),
        (("digest",), "digest", lambda t: t.startswith("{")),  # no extension: the default
        (("checkpoint",), "cp.json", lambda t: json.loads(t)["size"] >= 1),
        (("checkpoint",), "kept.checkpoint", lambda t: t.count("\n") >= 3),
    ],
)  # fmt: skip
def test_output__commands_write_through_the_one_writer(
    cli: Cli, seeded: EventStore, tmp_path: Path, args: tuple[str, ...], name: str,
    check: Callable[[str], object],
) -> None:  # fmt: skip
    target = tmp_path / name
    result = cli(*args, "-o", str(target))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "" and result.stderr.endswith(f"wrote {target}\n")
    assert check(target.read_bytes().decode("utf-8"))


def test_rendering_rule__ledger_lays_out_no_terminal_text() -> None:
    """ledger/ renders documents (Markdown, HTML, Vega-Lite, the export files); the terminal
    layout of a table, a report or the demo is cli/'s (docs/architecture.md, Rendering)."""
    layout = ("rjust", "ljust", "center", "textwrap", "get_terminal_size")
    # wrapping a bar's label into lines of an SVG <text>: part of the chart document, not a
    # terminal layout
    documents = {"ledger/reports/chart.py"}
    offenders = []
    for path in sorted((ROOT / "ledger").rglob("*.py")):
        if str(path.relative_to(ROOT)) in documents:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = (
                node.attr
                if isinstance(node, ast.Attribute)
                else node.id
                if isinstance(node, ast.Name)
                else None
            )
            if name in layout:
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {name}")
    assert offenders == []


@pytest.mark.parametrize("output", ["", "  "])
def test_output__an_empty_file_name_is_bad_input(output: str) -> None:
    with pytest.raises(CliError, match="-o needs a file name") as refused:
        choose(OFFERED, None, output)
    assert refused.value.exit_code == 2
