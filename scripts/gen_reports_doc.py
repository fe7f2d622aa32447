"""Generate docs/reports.md (and the files in docs/samples/ it links to) from
scripts/reports_template.md and real runs of ``diff`` and ``what-if`` on the shipped Japan
scenario (ledger/demo/seed/japan.jsonl).

In the template, a line ``@run LANG ARGS…`` becomes the command and its output (a fenced block
in LANG); ``@html ARGS… -o samples/NAME.html`` runs the command, writes the HTML report and
its Vega-Lite spec under docs/, and shows the command. The scenario is imported into a
throwaway ledger with a fixed clock, so the output is the same from run to run except the
hashes (event ids are random UUIDs); tests/test_reports_doc.py compares the committed files with
a fresh run, hashes masked.

``python scripts/gen_docs.py`` writes them, with every other generated doc.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TEMPLATE = ROOT / "scripts" / "reports_template.md"
DOC = "docs/reports.md"
CLOCK = datetime(2025, 12, 1, 9, 0, tzinfo=UTC)


def _runner(db: Path) -> Callable[..., str]:
    from click.testing import CliRunner

    from cli.app import cli

    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(cli, ["--db", str(db), *args], catch_exceptions=False)
        if result.exit_code not in (0, 4):
            raise SystemExit(f"{shlex.join(args)}: exit {result.exit_code}: {result.stderr}")
        return result.stdout

    return run


def _fenced(args: list[str], output: str, lang: str) -> list[str]:
    shown = ["```sh", "$ defledger " + shlex.join(args), "```"]
    return shown + ["", f"```{lang}", output.rstrip("\n"), "```"]


def _html(args: list[str], run: Callable[..., str], workdir: Path) -> tuple[list[str], dict]:
    """Run an ``-o samples/NAME.html`` command in ``workdir``; the files it wrote, under docs/."""
    relative = args[args.index("-o") + 1]
    target = workdir / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    run(*[str(target) if a == relative else a for a in args])
    spec = target.with_suffix(".vl.json")
    files = {
        f"docs/{relative}": target.read_text(encoding="utf-8"),
        f"docs/{Path(relative).with_suffix('.vl.json')}": spec.read_text(encoding="utf-8"),
    }
    lines = ["```sh", "$ defledger " + shlex.join(args), f"wrote {relative}",
             f"wrote {Path(relative).with_suffix('.vl.json')}", "```"]  # fmt: skip
    return lines, files


def build(workdir: Path) -> dict[str, str]:
    """Every generated file (path relative to the repository → text), from a fresh ledger."""
    from ledger.demo.seed import SCENARIO_ACTOR, scenario_text
    from ledger.intake.importers import import_text
    from ledger.storage.store import EventStore

    db = workdir / "japan.db"
    with EventStore.open(str(db), create=True, clock=lambda: CLOCK) as store:
        import_text(store, scenario_text(), actor=SCENARIO_ACTOR)
    run = _runner(db)
    files: dict[str, str] = {}
    out: list[str] = []
    for line in TEMPLATE.read_text(encoding="utf-8").splitlines():
        if line.startswith("@run "):
            _, lang, *args = shlex.split(line)
            out += _fenced(args, run(*args), lang)
        elif line.startswith("@html "):
            shown, written = _html(shlex.split(line)[1:], run, workdir)
            out += shown
            files.update(written)
        else:
            out.append(line)
    files[DOC] = "\n".join(out).rstrip("\n") + "\n"
    return files
