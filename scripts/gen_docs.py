"""Regenerate every generated doc: one command, ``python scripts/gen_docs.py``.

- docs/events.md (from the event models) and docs/cli.md (from every command's --help);
- examples/definitions/*.toml (the seed scenario's definitions as definition files);
- the copy of docs/verifiers/verify_chain.py that docs/chain.md prints;
- docs/reports.md and the files in docs/samples/ it links to (``scripts/gen_reports_doc.py``,
  real runs of ``diff`` and ``what-if`` on the shipped Japan scenario), and the screenshot of
  its bridge chart in docs/images/ (``scripts/gen_reports_screenshot.py``, when Playwright and
  Chromium are there; it says so when they are not);
- the screenshots of the web view's pages in docs/images/web-*.png that docs/web.md shows
  (``scripts/gen_web_screenshots.py``, also only with Playwright and Chromium);
- the console blocks of README.md, docs/tutorial.md, docs/concepts.md and docs/comparisons.md:
  the tests that run them again (tests/test_demo.py, tests/test_tutorial.py,
  tests/test_docs_concepts.py, tests/test_docs_comparisons.py) rewrite
  them with the real output when ``DEFLEDGER_REGEN_DOCS=1``.

Run it after changing a model, a command, an output or the seed's definitions. The suite fails
when a generated doc is stale and names this command.
"""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]

EXAMPLES: dict[str, dict[str, Any]] = {
    "CategoryDefined": {
        "code": "JP.CAND.SPACE",
        "name": "Space and aviation development",
        "parent": "JP.CAND",
        "description": "Candidate category (seed, Nov 2025)",
    },
    "DefinitionVersionOpened": {
        "definition": "jp-defense-related",
        "version": 3,
        "based_on": 2,
        "title": "Proposed expansion",
        "description": "Adds the seed's candidate categories",
    },
    "CategoryIncluded": {
        "definition": "nato",
        "version": 1,
        "category": "JP.REL.JCG",
        "share": "0.5",
        "tier": "core",
        "note": "NATO counts other forces only in proportion",
    },
    "CategoryExcluded": {
        "definition": "jp-defense-related",
        "version": 4,
        "category": "JP.REL.PKO",
        "note": "",
    },
    "StagesSet": {
        "definition": "jp-defense-related",
        "version": 2,
        "stages": ["initial", "supplementary"],
    },
    "GdpBasisSet": {
        "definition": "jp-defense-related",
        "version": 1,
        "basis": "fixed-year",
        "fiscal_year": 2022,
        "vintage": "2022-12-estimate",
    },
    "DefinitionStatusChanged": {
        "definition": "jp-defense-related",
        "version": 2,
        "status": "adopted",
        "effective_from": 2025,
    },
    "BudgetLineRecorded": {
        "jurisdiction": "JP",
        "fiscal_year": 2025,
        "line_id": "MOD-SUPP-1",
        "agency": "Ministry of Defense",
        "program": "FY2025 supplementary",
        "category": "JP.CORE.DBP",
        "amount": "847200000000",
        "currency": "JPY",
        "stage": "supplementary",
    },
    "BudgetLineRevised": {
        "jurisdiction": "JP",
        "fiscal_year": 2025,
        "line_id": "MOD-SUPP-1",
        "amount": "847300000000",
    },
    "BudgetLineReclassified": {
        "jurisdiction": "JP",
        "fiscal_year": 2025,
        "line_id": "SPACE-FUND",
        "category": "JP.CAND.SPACE",
    },
    "BudgetLineWithdrawn": {"jurisdiction": "JP", "fiscal_year": 2025, "line_id": "DUPLICATE-1"},
    "GdpRecorded": {
        "jurisdiction": "JP",
        "fiscal_year": 2022,
        "amount": "566500000000000",
        "currency": "JPY",
        "vintage": "esri-2023-annual",
    },
    "TargetSet": {
        "jurisdiction": "JP",
        "target_id": "nss-2pct",
        "percent_of_gdp": "2",
        "by_fiscal_year": 2025,
        "kind": "floor",
        "definition": "jp-defense-related",
        "tier": None,
        "description": "2% of GDP, moved forward from FY2027",
    },
    "ExchangeRateRecorded": {
        "base": "USD",
        "quote": "JPY",
        "fiscal_year": 2024,
        "rate": "151.458",
        "rate_type": "implied",
        "period": "calendar",
        "vintage": "sipri-2025",
    },
    "ClaimRecorded": {
        "claim_id": "jp-fy2025-total-mof",
        "claimant": "Ministry of Finance",
        "publication": "MOF: FY2025 defense-related expenditure chart",
        "url": "https://www.wic-net.com/material/document/22608/30",
        "published": "2025-12-02",
        "quote": "10兆円程度",
        "language": "ja",
        "translation": "about 10 trillion yen",
        "fiscal_year": 2025,
        "metric": "amount",
        "comparison": "about",
        "value": "10",
        "scale": 12,
        "as_published": "10兆円程度",
        "definition": "jp-defense-related",
        "stages": ["initial"],
    },
    "ClaimWithdrawn": {"claim_id": "jp-fy2025-draft-typo"},
    "ClaimSuperseded": {"claim_id": "jp-fy2025-2pct-early", "by": "jp-fy2025-2pct-nikkei"},
    "YearBasisSet": {
        "jurisdiction": "US",
        "basis": "fiscal",
        "start_month": 10,
        "named_by": "end",
        "note": "FY2025 runs from 1 October 2024 to 30 September 2025",
    },
    "CalendarisationRuleSet": {
        "jurisdiction": "JP",
        "method": "even-spread",
        "note": "SIPRI: financial years are treated as starting in the specified year; "
        "spending is distributed evenly through the year",
    },
    "PriceIndexRecorded": {
        "jurisdiction": "JP",
        "series": "cpi-core",
        "vintage": "mic-2020-base",
        "base_year": 2020,
        "period": "calendar",
        "values": [{"year": 2023, "value": "105.2"}, {"year": 2024, "value": "107.9"}],
        "note": "Consumer price index excluding fresh food, 2020 = 100, annual average",
    },
    "ProgrammeDefined": {
        "jurisdiction": "JP",
        "programme_id": "jp-dbp-2023",
        "name": "Defense Buildup Program FY2023-FY2027",
        "first_year": 2023,
        "last_year": 2027,
        "envelope": "43000000000000",
        "parts": [
            {
                "part_id": "annual-budgets",
                "name": "Annual budgets",
                "amount": "40500000000000",
                "categories": ["JP.CORE.DBP"],
            },
            {"part_id": "facilities", "name": "Faster facility work", "amount": "1600000000000"},
            {
                "part_id": "settlement-surpluses",
                "name": "Settlement surpluses",
                "amount": "900000000000",
            },
        ],
    },  # fmt: skip
    "ObligationRecorded": {
        "jurisdiction": "JP",
        "fiscal_year": 2025,
        "obligation_id": "MOD-DBP-CONTRACTS",
        "agency": "Ministry of Defense",
        "program": "New contract amounts, DBP target expenses",
        "category": "JP.CORE.DBP",
        "kind": "new-contracts",
        "amount": "8433200000000",
        "stage": "initial",
    },
}


def _type_name(schema: dict[str, Any], defs: dict[str, Any]) -> str:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        target = defs.get(name, {})
        if "enum" in target:
            return " \\| ".join(f"`{v}`" for v in target["enum"])
        return name
    if "anyOf" in schema:
        return " or ".join(_type_name(s, defs) for s in schema["anyOf"])
    if "const" in schema:
        return f"`{schema['const']}`"
    if schema.get("type") == "array":
        return f"list of {_type_name(schema.get('items', {}), defs)}"
    kind = schema.get("type", "string")
    return {"integer": "integer", "string": "string", "boolean": "boolean", "null": "null"}.get(
        kind, kind
    )


def events_markdown() -> str:
    from events import (
        ENVELOPE_FIELDS,
        EVENT_TYPES,
        Provenance,
        Source,
        event_payload,
        parse_event,
        stream_of,
    )

    out = [
        "# Event reference",
        "",
        "<!-- generated by scripts/gen_docs.py from the models in events/; do not edit by hand -->",
        "",
        "Every change is one of these events. Each is stored with the envelope below; its `type`",
        "is a stable string (never a Python path) and its `schema_version` says which payload",
        "schema it was written with: older payloads are upcast on read (events/upcasters.py),",
        'never rewritten. Amounts are exact decimal **strings** (`"8500000000000"`), in',
        "currency units, with one canonical spelling (no exponent, no trailing zeros).",
        "Codes are ASCII after NFKC normalisation (`[A-Za-z0-9][A-Za-z0-9._-]{0,63}`).",
        "",
        "## Envelope",
        "",
        "| field | meaning |",
        "|---|---|",
    ]
    out += [f"| `{name}` | {meaning} |" for name, meaning in ENVELOPE_FIELDS]
    out += [
        "",
        "## Provenance (given when recording or importing)",
        "",
        "| field | type | meaning |",
        "|---|---|---|",
    ]
    for model in (Provenance, Source):
        schema = model.model_json_schema()
        defs = schema.get("$defs", {})
        for name, prop in schema["properties"].items():
            prefix = "source." if model is Source else ""
            out.append(
                f"| `{prefix}{name}` | {_type_name(prop, defs)} | {prop.get('description', '')} |"
            )
    for model in EVENT_TYPES:
        name = model.model_fields["type"].default
        schema = model.model_json_schema(mode="serialization")
        defs = schema.get("$defs", {})
        required = set(schema.get("required", []))
        doc = " ".join(line.strip() for line in (model.__doc__ or "").strip().splitlines())
        example_event = parse_event({**EXAMPLES[name], "type": name})
        example = {"type": name, **event_payload(example_event)}
        out += [
            "",
            f"## {name}",
            "",
            doc,
            "",
            f"Schema version {model.schema_version}. "
            f"Stream: `{stream_of(example_event)}` (for the example).",
            "",
            "| field | type | required | meaning |",
            "|---|---|---|---|",
        ]
        for field, prop in schema["properties"].items():
            if field == "type":
                continue
            out.append(
                f"| `{field}` | {_type_name(prop, defs)} | {'yes' if field in required else 'no'} "
                f"| {prop.get('description', '')} |"
            )
        for nested, definition in defs.items():
            if "properties" not in definition or nested in ("Source", "Provenance"):
                continue
            out += ["", f"`{nested}`: {definition.get('description', '')}", "",
                    "| field | type | required | meaning |", "|---|---|---|---|"]  # fmt: skip
            inner = set(definition.get("required", []))
            for field, prop in definition["properties"].items():
                out.append(
                    f"| `{field}` | {_type_name(prop, defs)} | "
                    f"{'yes' if field in inner else 'no'} | {prop.get('description', '')} |"
                )
        out += ["", "```json", json.dumps(example, ensure_ascii=False), "```"]
    return "\n".join(out) + "\n"


def cli_markdown() -> str:
    import click
    from click.testing import CliRunner

    from cli.app import cli

    runner = CliRunner()
    out = [
        "# Command reference",
        "",
        "<!-- generated by scripts/gen_docs.py from each command's --help; do not edit by hand -->",
        "",
        "Exit codes: 0 ok · 1 operational error · 2 bad input or usage · 3 integrity failure",
        "(`verify`, `verify-export`, `rebuild`) · 4 differences found (`diff --exit-code`).",
        "Every command that prints data takes `--format` (the formats it offers; the first is",
        "the default) and `-o FILE` (its extension picks the format; one it cannot write is exit",
        "2); data goes to stdout, messages and progress to stderr. `-q`, `-v`, `--no-pager`,",
        "`--no-color` and `--progress` are global: before or after the command. Details, and the",
        "JSON of each command: [output.md](output.md). Shell completion:",
        '`eval "$(_DEFLEDGER_COMPLETE=bash_source defledger)"` (also `zsh_source`, `fish_source`).',
    ]

    def walk(path: list[str], command: click.Command) -> None:
        result = runner.invoke(cli, [*path[1:], "--help"], terminal_width=100)
        out.extend(["", f"## {' '.join(path)}", "", "```text", result.output.rstrip(), "```"])
        if isinstance(command, click.Group):
            ctx = click.Context(command)
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                if sub is not None:
                    walk([*path, name], sub)

    walk(["defledger"], cli)
    return "\n".join(out) + "\n"


def chain_markdown() -> str:
    """docs/chain.md with its ``python`` block replaced by the shipped script, as it is."""
    page = (ROOT / "docs" / "chain.md").read_text(encoding="utf-8")
    script = (ROOT / "docs" / "verifiers" / "verify_chain.py").read_text(encoding="utf-8")
    return re.sub(
        r"```python\n.+?```", lambda _: f"```python\n{script}```", page, count=1, flags=re.S
    )


# The seed scenario's definitions as definition files (docs/definitions.md), as
# `definition show NAME@V --format toml` writes them from the seed ledger.
EXAMPLE_DEFINITIONS = ("jp-mod-core@1", "jp-defense-related@1", "jp-defense-related@2",
                       "jp-defense-related@3", "nato@1")  # fmt: skip


def example_path(spec: str) -> str:
    return f"examples/definitions/{spec.replace('@', '-v')}.toml"


@functools.cache
def definition_examples() -> dict[str, str]:
    from ledger.definition_files.importing import definition_file_text
    from ledger.demo.seed import SCENARIO_ACTOR, scenario_text
    from ledger.intake.importers import import_text
    from ledger.storage.store import EventStore

    with tempfile.TemporaryDirectory() as tmp:
        store = EventStore.open(str(Path(tmp) / "seed.db"), create=True)
        try:
            import_text(store, scenario_text(), actor=SCENARIO_ACTOR)
            return {example_path(s): definition_file_text(store, s) for s in EXAMPLE_DEFINITIONS}
        finally:
            store.close()


GENERATED = {
    "docs/events.md": events_markdown,
    "docs/cli.md": cli_markdown,
    "docs/chain.md": chain_markdown,
}
GENERATED.update(
    {
        path: functools.partial(lambda p: definition_examples()[p], path)
        for path in map(example_path, EXAMPLE_DEFINITIONS)
    }
)
# The tests whose console blocks are real output; DEFLEDGER_REGEN_DOCS=1 makes them rewrite them.
CONSOLE_PAGES = {
    "README.md": "tests/test_demo.py::test_readme__shows_the_real_demo_output",
    "docs/tutorial.md": "tests/test_tutorial.py",
    "docs/concepts.md": "tests/test_docs_concepts.py",
    "docs/comparisons.md": "tests/test_docs_comparisons.py",
}
REGEN_ENV = "DEFLEDGER_REGEN_DOCS"


def screenshot() -> None:
    """The bridge chart's screenshot, taken again from the page just written, and the web
    view's pages (needs a browser)."""
    sys.path.insert(0, str(ROOT / "tests"))
    import gen_reports_screenshot
    import gen_web_screenshots
    from helpers.browser import unavailable

    reason = unavailable()
    if reason:
        print(f"kept docs/images/ as it is: {reason}")
        return
    gen_reports_screenshot.main()
    gen_web_screenshots.main()


def main() -> None:
    for relative, build in GENERATED.items():
        (ROOT / relative).write_text(build(), encoding="utf-8")
        print(f"wrote {relative}")
    import gen_reports_doc

    with tempfile.TemporaryDirectory() as tmp:
        files = gen_reports_doc.build(Path(tmp))
    for relative, text in files.items():
        path = ROOT / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {relative}")
    screenshot()
    tests = sorted(set(CONSOLE_PAGES.values()))
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests],
        cwd=ROOT,
        env={**os.environ, REGEN_ENV: "1"},
    )
    if done.returncode != 0:
        raise SystemExit(f"regenerating the console blocks failed (exit {done.returncode})")
    for relative in CONSOLE_PAGES:
        print(f"wrote {relative}")


if __name__ == "__main__":
    main()
