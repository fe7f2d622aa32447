"""The JSON API under ``/api/v1/``: for each page, the JSON the matching command prints with
``--format json`` (``cli.output.render``, the same serialisation: decimals as strings), with
the command's options as query parameters; and the event feed, ``/api/v1/events?after=SEQ&
limit=N``: every event in full (``log --format json``'s rows), gapless, with the link to the
next page in ``meta.next``."""

from __future__ import annotations

from typing import Any

from cli.output import render_text, to_json
from cli.web.pages import EVENT_FILTERS, moment_of
from cli.web.params import HttpError, Params, bad
from cli.web.state import WebLedger
from ledger.errors import NotFound
from ledger.tabular import Table

TOTALS = {
    "jurisdiction": True, "fy": False, "definition": True, "tier": False, "stage": True,
    "gdp_basis": False, "places": False, "change": False, "target": False, "by_category": False,
    "claims": False, "as_of": False,
}  # fmt: skip
MEASURE = {"jurisdiction": True, "fy": False, "definition": False, "tier": False, "stage": True,
           "gdp_basis": False, "places": False, "as_of": False}  # fmt: skip
FEED = {"after": False, "limit": False, "as_of": False, **dict.fromkeys(EVENT_FILTERS, False)}


def as_json(table: Table) -> str:
    return render_text(table, "json")


def totals(web: WebLedger, params: Params) -> str:
    from ledger.queries.totals import TotalsRequest, totals_table

    with web.store() as store:
        moment = moment_of(store, params)
        request = TotalsRequest(
            jurisdictions=params.all("jurisdiction"),
            years=params.get("fy"),
            definitions=params.all("definition"),
            tier=params.get("tier"),
            stages=params.all("stage"),
            gdp_basis=params.get("gdp_basis"),
            as_of=moment.spec,
            change=params.flag("change"),
            targets=params.flag("target"),
            places=params.integer("places", 2, 0, 20),
            by_category=params.flag("by_category"),
            claims=params.flag("claims"),
        )
        return as_json(totals_table(store, request))


def series(web: WebLedger, params: Params) -> str:
    from ledger.queries.series import share_series

    with web.store() as store:
        moment = moment_of(store, params)
        return as_json(share_series(store, params.get("jurisdiction"), moment.spec))


def trace(web: WebLedger, params: Params) -> str:
    from ledger.queries.trace import TraceRequest, trace_table

    fy = params.get("fy")
    if fy is None:
        raise bad("give the fiscal year: fy=2025")
    with web.store() as store:
        moment = moment_of(store, params)
        request = TraceRequest(
            jurisdictions=params.all("jurisdiction"),
            year=fy,
            definition=params.get("definition"),
            tier=params.get("tier"),
            stages=params.all("stage"),
            gdp_basis=params.get("gdp_basis"),
            places=params.integer("places", 2, 0, 20),
            as_of=moment.spec,
        )
        return as_json(trace_table(store, request))


def definitions(web: WebLedger, params: Params) -> str:
    from ledger.queries.definition_views import definitions_table

    with web.store() as store:
        moment = moment_of(store, params)
        return as_json(definitions_table(store, moment.spec))


def definition(web: WebLedger, params: Params, spec: str) -> str:
    from ledger.definition_files.show import definition_show

    with web.store() as store:
        moment = moment_of(store, params)
        return as_json(definition_show(store, spec, moment.spec)[0])


def blame(web: WebLedger, params: Params, name: str) -> str:
    from ledger.queries.blame import blame_table

    with web.store() as store:
        moment = moment_of(store, params)
        return as_json(blame_table(store, name, moment.spec))


def diff(web: WebLedger, params: Params) -> str:
    from ledger.queries.jurisdictions import parse_jurisdictions
    from ledger.reports.diff import definition_diff
    from ledger.reports.document import report_document

    a, b = params.get("a"), params.get("b")
    if a is None or b is None:
        raise bad("give both versions: a=NAME@V and b=NAME@V")
    with web.store() as store:
        moment = moment_of(store, params)
        report = definition_diff(
            store,
            a,
            b,
            jurisdictions=parse_jurisdictions(params.all("jurisdiction")),
            fy=params.get("fy"),
            as_of=moment,
            tier=params.get("tier"),
        )
    return to_json(report_document(report)) + "\n"


def claims(web: WebLedger, params: Params) -> str:
    from ledger.queries.claims import ClaimsRequest, claims_table

    with web.store() as store:
        moment = moment_of(store, params)
        return as_json(claims_table(store, ClaimsRequest(as_of=moment.spec)))


def events(web: WebLedger, params: Params, next_url: Any) -> str:
    """The feed: ``limit`` events (default 100, at most 1,000) after seq ``after``, in full;
    ``meta.next`` is the URL of the next page (the same one, at the head, to poll)."""
    from ledger.queries.history import MAX_PAGE, PAGE, log_page

    with web.store() as store:
        moment = moment_of(store, params)
        after = params.integer("after", 0, 0, moment.seq)
        limit = params.integer("limit", PAGE, 1, MAX_PAGE)
        kind = params.get("type")
        table = log_page(
            store,
            after=after,
            limit=limit,
            full=True,
            upto=moment.seq if params.get("as_of") else None,
            types=(kind,) if kind else (),
            **{name: params.get(name) for name in EVENT_FILTERS if name != "type"},
        )
    table.meta["next"] = next_url(after=table.meta["next_after"], limit=limit)
    return as_json(table)


def event(web: WebLedger, params: Params, seq: int) -> str:
    from ledger.queries.history import show_table

    with web.store() as store:
        moment = moment_of(store, params)
        if seq > moment.seq:
            raise HttpError(404, f"no event at seq {seq} as of seq {moment.seq}")
        return as_json(show_table(store, seq))


def proof(web: WebLedger, params: Params, seq: int) -> str:
    """The inclusion proof of ``seq`` against the latest checkpoint (``prove``'s JSON)."""
    from ledger.audit.proofs import parse_checkpoint, proof_document

    with web.store() as store:
        moment_of(store, params)
        checkpoint = web.checkpoint(store)
        if checkpoint is None:
            raise HttpError(404, "no checkpoint: the server was started without --checkpoint")
        if checkpoint.problem is not None:
            raise HttpError(409, f"the latest checkpoint does not match the ledger: "
                            f"{checkpoint.problem}")  # fmt: skip
        if not 1 <= seq <= checkpoint.size:
            raise HttpError(404, f"seq {seq} is not among the checkpoint's {checkpoint.size} "
                            "events")  # fmt: skip
        try:
            document = proof_document(store, seq, parse_checkpoint(checkpoint.text))
        except NotFound as exc:
            raise HttpError(404, str(exc)) from exc
    return to_json(document) + "\n"


def verify(web: WebLedger, params: Params) -> str:
    """The last verification of the whole ledger (``verify --format json``), with when it
    ran (``meta.verified_at``)."""
    with web.store() as store:
        moment_of(store, params)
        kept = web.verified(store)
    table = Table("problems", ["seq", "kind", "message"], kept.problems,
                  {**kept.meta, "verified_at": kept.at})  # fmt: skip
    return as_json(table)
