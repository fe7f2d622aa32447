"""Which jurisdictions a question is about, and the ledger's default.

``-j`` names them: ISO 3166-1 alpha-2 codes (repeatable, or separated by commas) or ``all``,
every jurisdiction with budget lines at the moment asked about. Without ``-j`` a question is
about the ledger's default, set once by ``defledger init --jurisdiction`` and kept in the
insert-only ``ledger_meta`` table. A ledger without one (made before the setting existed, or
without ``--jurisdiction``) answers for the only jurisdiction it records budget lines for; when
it records several, the question must name them (an error says which exist), so no answer is
ever about a jurisdiction nobody asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from events.quoting import quoted
from ledger.errors import InvalidInput
from ledger.projections.fold import LedgerState
from ledger.queries.question import Context, open_context, parse_jurisdiction
from ledger.storage.meta import ensure_meta, get_meta
from ledger.storage.store import EventStore
from ledger.tabular import Table

ALL = "all"
DEFAULT_KEY = "default_jurisdiction"
T = TypeVar("T")


def parse_jurisdictions(values: Sequence[str]) -> tuple[str, ...]:
    """``("all",)``, or the codes given (upper case, in order, each once); ``()`` for none.
    Each value may hold several codes separated by commas."""
    codes: list[str] = []
    for value in values:
        for part in value.split(","):
            if not part.strip():
                raise InvalidInput(f"jurisdiction {quoted(value)} holds an empty code")
            code = ALL if part.strip().lower() == ALL else parse_jurisdiction(part)
            if code not in codes:
                codes.append(code)
    if ALL in codes and len(codes) > 1:
        raise InvalidInput("give either -j all or jurisdiction codes, not both")
    return tuple(codes)


def ledger_default(store: EventStore) -> tuple[str, ...]:
    """The default set at ``init --jurisdiction``, or ``()``."""
    stored = get_meta(store, DEFAULT_KEY)
    return parse_jurisdictions([stored]) if stored else ()


def set_ledger_default(store: EventStore, values: Sequence[str]) -> tuple[str, ...]:
    """Keep ``values`` as the ledger's default jurisdictions. It is set once: a ledger that
    already has another default refuses (``ledger_meta`` is insert-only)."""
    wanted = parse_jurisdictions(values)
    if not wanted:
        return ledger_default(store)
    stored = parse_jurisdictions([ensure_meta(store, DEFAULT_KEY, ",".join(wanted))])
    if stored != wanted:
        raise InvalidInput(
            f"this ledger's default jurisdiction is already {','.join(stored)} and is set once "
            "(ledger_meta is insert-only): name others with -j on each command"
        )
    return stored


def with_lines(state: LedgerState) -> list[str]:
    """The jurisdictions with budget lines in ``state``, sorted."""
    return sorted({jurisdiction for jurisdiction, _ in state.sums})


def resolve(
    state: LedgerState, asked: tuple[str, ...], default: tuple[str, ...], seq: int
) -> list[str]:
    """The jurisdictions a question is about: those ``asked`` (or the ``default``), ``all``
    expanded to those with budget lines; without either, the only one with budget lines."""
    chosen = asked or default
    recorded = with_lines(state)
    if chosen and chosen != (ALL,):
        return list(chosen)
    if not recorded:
        raise InvalidInput(f"no budget lines are recorded as of seq {seq}")
    if chosen == (ALL,) or len(recorded) == 1:
        return recorded
    raise InvalidInput(
        f"this ledger records budget lines for {len(recorded)} jurisdictions "
        f"({', '.join(recorded)}): choose with -j CODE (repeatable) or -j all, or give the "
        "ledger a default when creating it (defledger init --jurisdiction CODE)"
    )


def jurisdictions_of(
    store: EventStore, state: LedgerState, asked: Sequence[str], seq: int
) -> list[str]:
    """``resolve`` with the ledger's default: for a state that holds every jurisdiction."""
    chosen = parse_jurisdictions(asked)
    return resolve(state, chosen, () if chosen else ledger_default(store), seq)


def question_context(
    store: EventStore, as_of: str | None, values: Sequence[str]
) -> tuple[Context, list[str]]:
    """The question's moment and state, and the jurisdictions it is about. The state holds the
    budget-line sums of one jurisdiction when one is named, of every one otherwise."""
    asked = parse_jurisdictions(values)
    default = () if asked else ledger_default(store)
    chosen = asked or default
    single = chosen[0] if len(chosen) == 1 and chosen != (ALL,) else None
    context = open_context(store, as_of, single)
    return context, resolve(context.state, asked, default, context.as_of.seq)


def each_jurisdiction(
    places: list[str], answer: Callable[[str], T]
) -> list[tuple[str, T | InvalidInput]]:
    """``answer`` for each jurisdiction. With several, one that cannot be answered (bad input
    for it alone, e.g. no version in force) is left out; if none can be, the first error is
    raised. With one, its error is raised as it is."""
    found: list[tuple[str, T | InvalidInput]] = []
    first: InvalidInput | None = None
    for place in places:
        try:
            found.append((place, answer(place)))
        except InvalidInput as exc:
            if len(places) == 1:
                raise
            first = first or exc
            found.append((place, exc))
    if first is not None and all(isinstance(result, InvalidInput) for _, result in found):
        raise first
    return found


def merged(name: str, answers: list[tuple[str, Table | InvalidInput]]) -> Table:
    """One table of per-jurisdiction tables: every row carries its ``jurisdiction``; with
    several, it is the first column, the meta lists each jurisdiction's meta, and a
    jurisdiction that could not be answered is a note saying why. The tables' ``kinds``,
    ``wrap`` and ``secondary`` carry over (they are tables of one kind)."""
    tables = [(place, t) for place, t in answers if isinstance(t, Table)]
    for place, table in tables:
        for row in table.rows:
            row.setdefault("jurisdiction", place)
    if len(answers) == 1:
        place, table = tables[0]
        table.meta.setdefault("jurisdictions", [place])
        return table
    first = tables[0][1]
    notes = [f"{place}: {t}" for place, t in answers if isinstance(t, InvalidInput)]
    meta = {
        "head": first.meta.get("head"),
        "as_of": first.meta.get("as_of"),
        "jurisdiction": None,
        "jurisdictions": [place for place, _ in answers],
        "by_jurisdiction": [table.meta for _, table in tables],
        "notes": notes,
    }
    currencies = {place: t.meta["currency"] for place, t in tables if t.meta.get("currency")}
    if currencies:  # what a converted amount is in (ledger.tabular.CONVERTED)
        meta["currency_by_jurisdiction"] = currencies
        if len(set(currencies.values())) == 1:
            meta["currency"] = next(iter(currencies.values()))
    caption = "\n".join([*(t.caption for _, t in tables if t.caption), *notes])
    rows = [row for _, table in tables for row in table.rows]
    return Table(name, ["jurisdiction", *first.columns], rows, meta, caption=caption,
                 kinds=first.kinds, wrap=first.wrap, secondary=first.secondary)  # fmt: skip
