"""``demo``: build the Japan scenario ledger and tell its story (``ledger.demo.run`` computes it;
this module only lays the document out as text, at most 100 columns, or prints it as JSON)."""

from __future__ import annotations

import shlex
import textwrap
from decimal import Decimal
from typing import Any

import click

from cli.options import db_of, output_options

WIDTH = 100
CELL = 17
LABEL = 30
STAGE_SHORT = {"supplementary": "suppl."}
MARKS = {"hypothetical": "†", "empty": "‡"}


def year_of(doc: dict[str, Any], year: int) -> str:
    """A year as the document labels it (``FY2025`` for Japan's fiscal years)."""
    from ledger.demo.format import year_of as labelled

    return labelled(doc, year)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _wrap(text: str, indent: str = "  ", hang: str = "    ") -> list[str]:
    return textwrap.wrap(
        text, WIDTH, initial_indent=indent, subsequent_indent=hang, break_long_words=False
    )


def _header(doc: dict[str, Any]) -> list[str]:
    led = doc["ledger"]
    years = doc["fiscal_years"]
    added = (
        f"{led['added']} added (seq {led['first_seq']}..{led['last_seq']})"
        if led["added"]
        else "nothing added"
    )
    head = led["head"]
    scenarios = (
        "the Japan scenario (docs/scenario.md"
        if len(led.get("scenarios", ())) < 2
        else "the Japan and comparisons scenarios (docs/scenario.md, docs/comparisons.md"
    )
    return [
        "defledger demo: what counts as Japan's defense spending, "
        f"{year_of(doc, years[0])}–{year_of(doc, years[-1])}",
        *_wrap(
            f"Ledger {led['db']}: {scenarios}, {led['events_in_scenario']} events), "
            "through `import`",
            "",
            "  ",
        ),
        f"  {added}, {led['already_recorded']} already recorded · hash chain verified ✓ "
        f"({led['checked']} events, head {head['hash'][:8]}…)",
        *_read_first(doc),
    ]


def _definitions(doc: dict[str, Any]) -> list[str]:
    lines = ["Definitions: version, status, budget stages counted, title"]
    for d in doc["definitions"]:
        stages = "+".join(STAGE_SHORT.get(stage, stage) for stage in d["stages"])
        if d.get("stage_rule") == "latest":
            stages = f"latest of {stages}"
        start = f"  {d['label']:<21} {d['status']:<10}  {stages:<14}  "
        lines.append(start + _clip(d["title"], WIDTH - len(start)))
    return lines


def _cell(cell: dict[str, Any]) -> str:
    """``8.9000 1.59%`` right-aligned, then its marks; in brackets when not in force."""
    share = f"{cell['share_of_gdp_pct']}%" if cell["share_of_gdp_pct"] else "n/a"
    text = f"{cell['total_tn']} {share}"
    if not cell["in_force"]:
        text = f"({text})"
    marks = (MARKS["hypothetical"] if cell["hypothetical_seqs"] else "") + (
        MARKS["empty"] if cell["empty_tiers"] else ""
    )
    return f"{text:>{CELL - 2}}{marks:<2}"


def _grid(doc: dict[str, Any]) -> list[str]:
    years = "".join(f"{year_of(doc, y):>{CELL - 2}}  " for y in doc["fiscal_years"])
    lines = [f"{'¥ trillion, % of GDP':<{LABEL}}{years}".rstrip()]
    bases: dict[str, list[dict[str, Any]]] = {}
    for d in doc["definitions"]:
        bases.setdefault(_basis(doc, d), []).append(d)
    for basis, definitions in bases.items():  # one block per denominator, named above it
        lines += _wrap(f"% {basis}:", " ", "    ")
        for d in definitions:
            cells = "".join(_cell(c) for c in d["years"])
            lines.append(f"  {d['label']:<{LABEL - 2}}{cells}".rstrip())
    lines.append(
        "  (…) version not in force that year   † rests on a hypothetical figure   "
        "‡ a tier counts nothing"
    )
    return lines


def _gdp(doc: dict[str, Any], gdp: dict[str, Any]) -> str:
    year = year_of(doc, gdp["fiscal_year"])
    return f"{year} GDP ¥{gdp['amount_tn']}T ({gdp['vintage']}, seq {gdp['seq']})"


def _basis(doc: dict[str, Any], d: dict[str, Any]) -> str:
    """What a definition's shares divide by: ``÷ FY2022 GDP ¥560T (2022-12-estimate, seq 27),
    every year`` or ``÷ the same year's GDP: FY2022 ¥566.5T (…), FY2023–FY2025 none``."""
    from ledger.demo.format import years_text

    used = [_gdp(doc, g) for g in d["divided_by"]]
    if d["gdp_basis"].startswith("same-year"):
        found = [f"{year_of(doc, g['fiscal_year'])} ¥{g['amount_tn']}T ({g['vintage']}, "
                 f"seq {g['seq']})" for g in d["divided_by"]]  # fmt: skip
        missing = [c["fiscal_year"] for c in d["years"] if c["gdp"] is None]
        if missing:
            found.append(f"{years_text(missing, lambda y: year_of(doc, y))} none")
        return "÷ the same year's GDP: " + ", ".join(found)
    if not used:
        return f"÷ GDP {d['gdp_basis']}, not recorded"
    return "÷ " + ", ".join(used) + ", every year"


VERDICT_ORDER = (
    "consistent-by-construction", "holds", "depends-on-definition", "does-not-hold",
    "undetermined",
)  # fmt: skip
STAGE_WORDS = {("initial",): "initial", ("supplementary",): "suppl."}


def _short(doc: dict[str, Any], c: dict[str, Any], year: bool = True) -> str:
    """What a claim is about, in a few words: ``FY2025 core initial``."""
    words = [year_of(doc, c["fiscal_year"])] if year else []
    words += [c["tier"]] if c["tier"] else []
    words += [STAGE_WORDS.get(tuple(c["stages"] or ()), "")]
    return " ".join(w for w in words if w)


def _claim_item(doc: dict[str, Any], c: dict[str, Any], said: str) -> str:
    """One checked claim in a few words (``said`` of it already): ``about 1.8% (1.767946%)``."""
    short = _short(doc, c)
    rest = short.removeprefix(said).strip() if short.startswith(said) else short
    basis = " of same-year GDP" if (c["gdp_basis"] or "").startswith("same-year") else ""
    head = " ".join(w for w in (rest, c["claimed"] + basis) if w)
    determined = [o for o in c["outcomes"] if o["value"] is not None]
    if not determined:
        return f"{head} ({c['outcomes'][0]['missing'].split('; ')[0].split(' (')[0]})"
    if c["specified"]:
        return f"{head} ({determined[0]['value_text']})"
    values = sorted(determined, key=lambda o: Decimal(o["value_exact"]))
    low, high = values[0]["value_text"], values[-1]["value_text"]
    span = low + (f" to {high}" if high != low else "")
    held = c["holds_under"] + c["consistent_by_construction_under"]
    return f"{head} ({span}" + (f"; holds under {', '.join(held)})" if held else ")")


def _verdict_label(items: list[dict[str, Any]]) -> str:
    label: str = items[0]["verdict_text"]
    if label == "does not hold" and all(not c["specified"] for c in items):
        return "does not hold under any definition"
    return label


def _read_first(doc: dict[str, Any]) -> list[str]:
    """What a reader must not take for a confirmation: the claims the ledger reproduces only
    because an assumption was derived from them. Said before any figure."""
    claims = doc["claims"]
    circular = [c for c in claims["items"] if c["claim_id"] in claims["consistent_by_construction"]]
    if not circular:
        return []
    years = sorted({c["fiscal_year"] for c in circular})
    one_year = len(years) == 1
    said = f"{year_of(doc, years[0])}'s published " if one_year else "the published "
    figures = said + " and ".join(
        " ".join(w for w in (_short(doc, c, not one_year), c["claimed"]) if w) for c in circular
    )
    cites = " and ".join(dict.fromkeys(c["cite"] for c in circular))
    seqs = " and ".join(f"seq {s}" for s in claims["derived_seqs"])
    plural = len(circular) > 1
    text = (
        f"Read first: {figures} {'are' if plural else 'is'} consistent by "
        f"construction, not confirmed: {seqs}, an assumption, was derived from "
        f"{'them' if plural else 'it'} ({cites})."
    )
    return _wrap(text, "  ", "    ")


def _claims(doc: dict[str, Any]) -> list[str]:
    """``claims check``, grouped by verdict, then by publication: each claim with the ledger's
    value (a range of values for a claim that names no definition)."""
    claims = doc["claims"]
    lines = [
        f"Published claims, checked (defledger claims check, as of seq {claims['as_of_seq']}; "
        "rounded half up as published)"
    ]
    verdicts: dict[str, list[dict[str, Any]]] = {}
    for c in sorted(claims["items"], key=lambda c: VERDICT_ORDER.index(c["verdict"])):
        verdicts.setdefault(c["verdict"], []).append(c)
    for items in verdicts.values():
        cites: dict[str, list[dict[str, Any]]] = {}
        for c in items:
            cites.setdefault(c["cite"], []).append(c)
        parts = []
        for cite, group in cites.items():
            shorts = {_short(doc, c) for c in group}
            years = {year_of(doc, c["fiscal_year"]) for c in group}
            said = shorts.pop() if len(shorts) == 1 else years.pop() if len(years) == 1 else ""
            listed = ", ".join(_claim_item(doc, c, said) for c in group)
            parts.append(" ".join(w for w in (said, listed) if w) + f" · {cite}")
        lines += _wrap(f"{_verdict_label(items)}: " + "; ".join(parts), "  ", "      ")
    return lines


def _gaps(doc: dict[str, Any]) -> list[str]:
    lines = ["What the ledger cannot say (no sourced figure is recorded, and none is invented)"]
    for gap in doc["gaps"]:
        mark = MARKS["empty"] if gap["kind"] == "empty-tier" else "·"
        lines += _wrap(f"{mark} {gap['text']}", "  ", "    ")
    return lines


def _diff(doc: dict[str, Any]) -> list[str]:
    from ledger.reports.document import KIND_LABELS

    d = doc["diff"]
    year = year_of(doc, d["fiscal_year"])
    lines = _wrap(f"diff {d['a']} → {d['b']}, {year}: {d['summary']}", "", "  ")
    for c in d["changes"]:
        where = f" (line {', '.join(c['lines'])})" if c["lines"] else ""
        kind = KIND_LABELS.get(c["kind"], c["kind"])
        lines.append(
            f"  {kind:<15} {c['key']:<20} {c['delta_short']:>8}  {c['delta_pp_rounded']:>10} pp"
            f"{where}"
        )
    if d["no_figure_recorded"]:
        lines += _wrap(
            "included, no figure recorded: " + ", ".join(d["no_figure_recorded"]), "  ", "    "
        )
    return lines


def _hypothetical(doc: dict[str, Any]) -> list[str]:
    from ledger.demo.format import labels_text

    if not doc["hypothetical"]:
        return ["No figure shown rests on a hypothetical event."]
    lines = ["† Hypothetical (illustrative, not published: docs/scenario.md, Assumptions)"]
    for flag in doc["hypothetical"]:
        years: dict[int, list[str]] = {}
        for f in flag["figures"]:
            years.setdefault(f["fiscal_year"], []).append(f["definition"])
        behind = "; ".join(
            f"{labels_text(labels)} {year_of(doc, y)}" for y, labels in sorted(years.items())
        )
        checks = " (read first)" if flag["claims"] else ""
        lines += _wrap(f"seq {flag['seq']}: {flag['what']}, in {behind}{checks}", "  ", "    ")
    return lines


def _next(doc: dict[str, Any]) -> list[str]:
    db = shlex.quote(doc["ledger"]["db"])
    lines = _wrap(
        f"Next: export DEFLEDGER_DB={db} (or give --db to each command), then try", "", "  "
    )
    lines += [f"  {command}" for command in doc["next_commands"]]
    return lines


def render_text(doc: dict[str, Any]) -> str:
    """The story as text: at most ~60 lines, 100 columns."""
    parts = [
        _header(doc),
        _definitions(doc),
        _grid(doc),
        _claims(doc),
        _gaps(doc),
        _diff(doc),
        _hypothetical(doc),
        _next(doc),
    ]
    return "\n\n".join("\n".join(part) for part in parts) + "\n"


def _db_option(ctx: click.Context, db: str | None) -> str:
    """``demo --db``, else the group's ``--db`` when given on the command line (never
    ``DEFLEDGER_DB``: the demo must not write into the ledger a user works with), else
    ``./defledger-demo.db``."""
    from ledger.demo.run import DEFAULT_DB

    if db:
        return db
    root = ctx.find_root()
    if root.get_parameter_source("db") == click.core.ParameterSource.COMMANDLINE:
        return db_of(ctx) or DEFAULT_DB
    return DEFAULT_DB


@click.command()
@click.option(
    "--db",
    "db",
    metavar="PATH|URL",
    help="Ledger to build the demo in (default: ./defledger-demo.db; DEFLEDGER_DB is ignored). "
    "Running it again adds nothing.",
)
@click.option(
    "--comparisons",
    is_flag=True,
    help="Also import the comparisons scenario (SIPRI's figures for Japan, its rates and "
    "price index, the calendarisation rule, the Defense Buildup Program and its contract "
    "amounts: docs/comparisons.md) for reconcile, --period, --currency, --prices, programmes "
    "and obligations.",
)
@output_options(formats=("table", "json"))
@click.pass_context
def demo(
    ctx: click.Context, db: str | None, comparisons: bool, fmt: str | None, output: str | None
) -> None:
    """Build a ledger from the shipped Japan scenario (no network), verify it, and show how each
    definition moves FY2022–FY2025's totals and share of GDP: the published claims checked
    against it (and which of them it reproduces only by construction), what it cannot say, the
    diff of the proposed expansion, and what to try next. table: the story as text (100
    columns); json: the same content as a stable document for scripts.

    \b
    Examples:
      defledger demo
      defledger demo --db demo.db --format json -o demo.json
      defledger demo --comparisons -o demo.txt
    """
    from cli.output import to_json, write
    from ledger.demo.run import run_demo
    from ledger.storage.store import EventStore

    target = _db_option(ctx, db)
    with EventStore.open(target, create=True) as store:
        doc = run_demo(store, target, comparisons)
    write({"table": lambda: render_text(doc), "json": lambda: to_json(doc) + "\n"}, fmt, output)
