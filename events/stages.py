"""Budget stages and how far along a year's figures they are: pure enums and constants, used
by the definition events (``events.definitions``) and, without loading any model, by the read
paths."""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    """Budget stage of a figure, earliest first: a multi-year plan's figure for the year, the
    request (概算要求), the cabinet draft (政府案), the initial budget (当初), a supplementary
    budget (補正), an estimate of the outturn (NATO's "e" figures), the settled accounts (決算)."""

    PLAN = "plan"
    REQUEST = "request"
    DRAFT = "draft"
    INITIAL = "initial"
    SUPPLEMENTARY = "supplementary"
    ESTIMATE = "estimate"
    SETTLED = "settled"


# How far along a year's figures are, for the ``latest`` stage rule: the latest level with a
# line replaces the ones below it. Initial and supplementary are one level (the enacted budget:
# the initial budget plus its supplementaries add up); an estimate of the outturn replaces the
# enacted budget, and the settled accounts replace everything.
STAGE_LEVELS: dict[str, int] = {
    Stage.PLAN.value: 0,
    Stage.REQUEST.value: 1,
    Stage.DRAFT.value: 2,
    Stage.INITIAL.value: 3,
    Stage.SUPPLEMENTARY.value: 3,
    Stage.ESTIMATE.value: 4,
    Stage.SETTLED.value: 5,
}


__all__ = ["STAGE_LEVELS", "Stage"]
