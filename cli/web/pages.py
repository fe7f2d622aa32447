"""The HTML pages: each function reads a request's parameters, asks ``ledger`` for the same
tables the commands print, and returns the template's name and what it shows. Text goes to the
templates as text (Jinja2 escapes it); only the SVG charts and the diff report's body, which
``ledger.reports`` renders with every value escaped, are inserted as markup."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from markupsafe import Markup

from cli.output import to_json
from cli.web.params import HttpError, Params, bad
from cli.web.state import WebLedger
from events.quoting import quoted
from ledger.errors import InvalidInput, NotFound
from ledger.numbers import compact, grouped
from ledger.queries.asof import AsOf, resolve_as_of
from ledger.storage.store import EventStore

Page = tuple[str, dict[str, Any]]
MAX_ROWS = 1000  # rows of one table on a page; the JSON API has them all
AS_OF = {"as_of": False}
EVENT_FILTERS = ("type", "stream", "actor", "since", "until")
ROLES = {"line": "Budget lines counted", "gdp": "The GDP it divides by", "rate": "Exchange rates",
         "definition": "The definition's events", "target": "Targets"}  # fmt: skip


def moment_of(store: EventStore, params: Params) -> AsOf:
    """The page's ``as_of``, resolved (400 when it names no moment of this ledger)."""
    try:
        return resolve_as_of(store, params.get("as_of"))
    except InvalidInput as exc:
        raise bad(f"as_of: {exc}") from exc


def _short(amount: str, currency: str) -> str:
    return compact(Decimal(amount), currency) if amount else "n/a"


def _exact(amount: str) -> str:
    return grouped(Decimal(amount)) if amount else ""


def jurisdictions_at(store: EventStore, seq: int) -> list[str]:
    from ledger.projections.persisted import state_at
    from ledger.queries.jurisdictions import with_lines

    return with_lines(state_at(store, seq))


# -- overview ---------------------------------------------------------------------------------


def overview(web: WebLedger, params: Params, jurisdiction: str | None = None) -> Page:
    """Per jurisdiction: the share of GDP over the years by definition version (chart and
    table), the ledger's verification and head, and its latest checkpoint."""
    from ledger.queries.jurisdictions import ledger_default, parse_jurisdictions
    from ledger.queries.series import share_series
    from ledger.reports.trend import trend
    from ledger.reports.trend_svg import trend_svg
    from ledger.reports.vega import trend_spec

    with web.store() as store:
        moment = moment_of(store, params)
        places = jurisdictions_at(store, moment.seq)
        if jurisdiction is not None:
            try:
                chosen: str | None = parse_jurisdictions([jurisdiction])[0]
            except InvalidInput as exc:
                raise bad(str(exc)) from exc
            if chosen not in places:
                raise HttpError(404, f"no budget lines are recorded for {quoted(jurisdiction)} "
                                f"as of seq {moment.seq}")  # fmt: skip
        else:
            default = [p for p in ledger_default(store) if p in places]
            found = default or places
            chosen = found[0] if found else None
        context: dict[str, Any] = {
            "jurisdiction": chosen,
            "jurisdictions": places,
            "verified": web.verified(store),
            "checkpoint": web.checkpoint(store),
            "moment": moment,
            "series": None,
        }
        if chosen is None:
            return "overview.html", context
        series = share_series(store, chosen, str(moment.seq) if params.get("as_of") else None)
    chart = trend({"meta": series.meta, "rows": series.rows})
    years = sorted({row["fiscal_year"] for row in series.rows})
    labels = {row["fiscal_year"]: row["year_label"] for row in series.rows}
    lines: dict[str, dict[str, Any]] = {}
    for row in series.rows:
        label = f"{row['definition']}@{row['version']}"
        line = lines.setdefault(label, {"label": label, "definition": row["definition"],
                                        "status": row["status"], "cells": {}})  # fmt: skip
        line["cells"][row["fiscal_year"]] = {
            "total": _short(row["total"], row["currency"]),
            "share": f"{row['share_of_gdp_pct']} %" if row["share_of_gdp_pct"] else "no share",
            "in_force": row["in_force"],
            "counts": row["counts_anything"],
            "basis": row["gdp_basis"],
        }
    context.update(
        series=series,
        chart=Markup(trend_svg(chart)),
        spec=to_json(trend_spec(chart), indent=False),
        years=[(y, labels[y]) for y in years],
        lines=list(lines.values()),
        targets=series.meta["targets"],
    )
    return "overview.html", context


# -- definitions ------------------------------------------------------------------------------


def definitions(web: WebLedger, params: Params) -> Page:
    from ledger.queries.definition_views import definitions_table

    with web.store() as store:
        moment = moment_of(store, params)
        table = definitions_table(store, str(moment.seq))
    names: dict[str, list[dict[str, Any]]] = {}
    for row in table.rows:
        names.setdefault(row["definition"], []).append(row)
    return "definitions.html", {"moment": moment, "names": names}


def definition(web: WebLedger, params: Params, name: str) -> Page:
    """One definition: each version (what it counts: categories with tier and share, stages,
    GDP basis, status history with reasons), the blame of every inclusion, and diffs between
    consecutive versions."""
    from ledger.projections.definition_docs import read_docs
    from ledger.queries.blame import blame_table

    with web.store() as store:
        moment = moment_of(store, params)
        docs = read_docs(store, moment.seq, name)
        versions = sorted((v, doc) for (n, v), doc in docs.versions.items() if n == name)
        if not versions:
            raise HttpError(404, f"unknown definition {quoted(name)} as of seq {moment.seq}")
        blame = blame_table(store, name, str(moment.seq))
    pairs = [(a, b) for (a, _), (b, _) in zip(versions, versions[1:], strict=False)]
    return "definition.html", {
        "max_rows": MAX_ROWS,
        "moment": moment,
        "name": name,
        "versions": [doc for _, doc in versions],
        "blame": blame.rows[:MAX_ROWS],
        "blame_count": len(blame.rows),
        "pairs": pairs,
    }


# -- diff -------------------------------------------------------------------------------------


def diff(web: WebLedger, params: Params) -> Page:
    """The diff report of two versions for one year (or the default, the latest year with
    lines), chosen in a GET form."""
    from ledger.projections.persisted import state_at
    from ledger.queries.jurisdictions import parse_jurisdictions
    from ledger.reports.diff import definition_diff
    from ledger.reports.render_html import report_body

    a, b, fy = params.get("a"), params.get("b"), params.get("fy")
    chart = params.choice("chart", ("money", "pp"))
    with web.store() as store:
        moment = moment_of(store, params)
        state = state_at(store, moment.seq)
        specs = [version.label for _, version in sorted(state.definitions.items())]
        years = sorted({year for _, year in state.sums})
        context: dict[str, Any] = {"moment": moment, "specs": specs, "years": years, "a": a,
                                   "b": b, "fy": fy, "chart": chart, "report": None}  # fmt: skip
        if a is None and b is None:
            return "diff.html", context
        if a is None or b is None:
            raise bad("give both versions: a=NAME@V and b=NAME@V")
        try:
            places = parse_jurisdictions([j]) if (j := params.get("jurisdiction")) else ()
            report = definition_diff(store, a, b, jurisdictions=places, fy=fy, as_of=moment)
        except NotFound as exc:
            raise HttpError(404, str(exc)) from exc
    title, body = report_body(report, chart)
    context.update(report=report, title=title, body=Markup(body))
    return "diff.html", context


# -- number -----------------------------------------------------------------------------------


def number(web: WebLedger, params: Params) -> Page:
    """One total and every event behind it (``trace``)."""
    from ledger.queries.trace import TraceRequest, trace_table

    jurisdiction, fy = params.get("jurisdiction"), params.get("fy")
    if fy is None:
        raise bad("give the fiscal year: fy=2025")
    with web.store() as store:
        moment = moment_of(store, params)
        request = TraceRequest(
            jurisdictions=(jurisdiction,) if jurisdiction else (),
            year=fy,
            definition=params.get("definition"),
            tier=params.get("tier"),
            as_of=str(moment.seq),
        )
        try:
            table = trace_table(store, request)
        except NotFound as exc:
            raise HttpError(404, str(exc)) from exc
    groups: dict[str, list[dict[str, Any]]] = {role: [] for role in ROLES}
    for row in table.rows:
        groups.setdefault(row["role"], []).append(
            {
                **row,
                "amount_text": _exact(row.get("amount") or ""),
                "contribution_text": _exact(row.get("contribution") or ""),
            }  # fmt: skip
        )
    totals = groups.pop("total", [])
    total = totals[0] if totals else None
    headline = None
    if total is not None:
        amount = _short(total.get("contribution") or "", total.get("currency") or "")
        share = total.get("share_of_gdp_pct")
        headline = (f"{total.get('jurisdiction', '')} FY{fy.removeprefix('FY')} · {total['ref']} "
                    f"· tier {total.get('tier')}: {amount}"
                    + (f" = {share} % of GDP" if share else " (no share of GDP)"))  # fmt: skip
    counts = {role: len(rows) for role, rows in groups.items()}
    groups = {role: rows[:MAX_ROWS] for role, rows in groups.items()}
    return "number.html", {"moment": moment, "table": table, "total": total,
                           "headline": headline, "groups": groups, "names": ROLES,
                           "counts": counts, "max_rows": MAX_ROWS,
                           "query": {"jurisdiction": jurisdiction, "fy": fy,
                                     "definition": request.definition, "tier": request.tier},
                           "caption": table.caption}  # fmt: skip


# -- events -----------------------------------------------------------------------------------


def events(web: WebLedger, params: Params) -> Page:
    """The log, paged (``after``, ``limit``) and filtered by type, stream, actor and time."""
    from ledger.queries.history import MAX_PAGE, PAGE, log_page

    filters = {name: params.get(name) for name in EVENT_FILTERS}
    with web.store() as store:
        moment = moment_of(store, params)
        after = params.integer("after", 0, 0, moment.seq)
        limit = params.integer("limit", PAGE, 1, MAX_PAGE)
        table = log_page(
            store,
            after=after,
            limit=limit,
            upto=moment.seq,
            types=(filters["type"],) if filters["type"] else (),
            stream=filters["stream"],
            actor=filters["actor"],
            since=filters["since"],
            until=filters["until"],
        )
    return "events.html", {"moment": moment, "table": table, "filters": filters,
                           "after": after, "limit": limit}  # fmt: skip


def event(web: WebLedger, params: Params, seq: int) -> Page:
    """One event's envelope, its hash and the previous one, and its inclusion proof against
    the latest checkpoint (or why there is none)."""
    from ledger.audit.proofs import parse_checkpoint, proof_document
    from ledger.queries.history import show_table, summary

    with web.store() as store:
        moment = moment_of(store, params)
        if not 1 <= seq <= moment.seq:
            raise HttpError(404, f"no event at seq {seq} as of seq {moment.seq}")
        table = show_table(store, seq)
        stored = store.get(seq)
        checkpoint = web.checkpoint(store)
        proof = None
        if checkpoint is not None and checkpoint.problem is None and seq <= checkpoint.size:
            proof = proof_document(store, seq, parse_checkpoint(checkpoint.text))
    envelope = table.document or {}
    return "event.html", {
        "moment": moment,
        "seq": seq,
        "envelope": envelope,
        "summary": summary(stored),
        "payload": to_json(envelope.get("payload")),
        "source": to_json(envelope.get("source")) if envelope.get("source") else "",
        "checkpoint": checkpoint,
        "proof": proof,
        "proof_json": to_json(proof) if proof else "",
    }


# -- claims -----------------------------------------------------------------------------------


def claims(web: WebLedger, params: Params) -> Page:
    from ledger.queries.claims import ClaimsRequest, claims_table

    with web.store() as store:
        moment = moment_of(store, params)
        table = claims_table(store, ClaimsRequest(as_of=str(moment.seq)))
    document = table.document or {}
    found = document.get("claims", [])
    return "claims.html", {"moment": moment, "claims": found[:MAX_ROWS], "count": len(found),
                           "max_rows": MAX_ROWS, "meta": table.meta,
                           "caption": table.caption}  # fmt: skip
