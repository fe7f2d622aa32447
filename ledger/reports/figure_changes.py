"""What changed in one fiscal year's figures between two moments, by kind, as a walk of states.

The budget lines of T1 and T2 are compared line by line (by line id): a line live only at T2 was
**recorded** (a new line is never a restatement), a line live at both whose amount, stage or
currency differs was **revised**, one whose category differs was **reclassified**, and one live
only at T1 was **withdrawn**. Exchange rates of the year that differ come first (so every state
on the walk can convert what it counts), then the four kinds of line change in that order. Each
step is a ``Figures`` state between T1's and T2's: T1's GDP throughout (the GDP revision is
measured apart), the last step exactly T2's figures.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ledger.intake.lines import LineState
from ledger.reports.valuation import Figures

FIGURE_KINDS = (
    "exchange-rates",
    "lines-recorded",
    "lines-revised",
    "lines-reclassified",
    "lines-withdrawn",
)


@dataclass(frozen=True)
class FigureStep:
    """One kind of figure change: the lines (or rate pairs) it touches and the figures after
    it."""

    kind: str
    keys: tuple[str, ...]  # line ids, or ``USD→JPY`` rate pairs
    figures: Figures

    @property
    def key(self) -> str:
        if self.kind == "exchange-rates":
            return ", ".join(self.keys)
        return f"{len(self.keys)} line{'s' if len(self.keys) != 1 else ''}"


def _revised(old: LineState, new: LineState) -> bool:
    return (old.amount, old.stage, old.currency, old.agency, old.program) != (
        new.amount,
        new.stage,
        new.currency,
        new.agency,
        new.program,
    )


def figure_steps(before: Figures, after: Figures) -> list[FigureStep]:
    """The walk from ``before``'s figures to ``after``'s, one kind of change at a time (kinds
    with nothing to do are left out). ``after`` should carry T1's GDP (``with_gdp_from``)."""
    old = {line.line_id: line for line in before.lines}
    new = {line.line_id: line for line in after.lines}
    year = before.fiscal_year
    rates_then = {k: r.rate for k, r in before.state.rates.items() if k[2] == year}
    rates_now = {k: r.rate for k, r in after.state.rates.items() if k[2] == year}
    changed_rates = sorted(
        f"{base}→{quote}"
        for (base, quote, _) in set(rates_then) | set(rates_now)
        if rates_then.get((base, quote, year)) != rates_now.get((base, quote, year))
    )
    plan: list[tuple[str, tuple[str, ...]]] = [
        ("exchange-rates", tuple(changed_rates)),
        ("lines-recorded", tuple(sorted(set(new) - set(old)))),
        ("lines-revised", tuple(sorted(i for i in old if i in new and _revised(old[i], new[i])))),
        ("lines-reclassified",
         tuple(sorted(i for i in old if i in new and old[i].category != new[i].category))),
        ("lines-withdrawn", tuple(sorted(set(old) - set(new)))),
    ]  # fmt: skip
    plan = [(kind, keys) for kind, keys in plan if keys]
    current = dict(old)
    rates = after.state.rates
    steps = []
    for number, (kind, keys) in enumerate(plan, start=1):
        for line_id in keys if kind != "exchange-rates" else ():
            if kind == "lines-recorded":
                current[line_id] = new[line_id]
            elif kind == "lines-revised":
                current[line_id] = replace(new[line_id], category=current[line_id].category)
            elif kind == "lines-reclassified":
                current[line_id] = replace(current[line_id], category=new[line_id].category)
            else:
                del current[line_id]
        last = number == len(plan)
        figures = after if last else before.with_lines(current.values(), rates)
        steps.append(FigureStep(kind, keys, figures))
    return steps
