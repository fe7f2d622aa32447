"""``what-if``: a definition change previewed on a read-only store, never written."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import Result
from helpers.diff_scenario import T, base_events, e, fold, record

from ledger.errors import InvalidInput, StoreError
from ledger.projections.definitions import GdpBasis
from ledger.queries.asof import AsOf
from ledger.reports.whatif import Hypothesis, apply_hypothesis, open_read_only, what_if
from ledger.storage.store import EventStore


def _fingerprint(db_path: Path) -> dict[str, str]:
    """SHA-256 of the ledger file, and of its WAL if one holds anything."""
    found = {"db": hashlib.sha256(db_path.read_bytes()).hexdigest()}
    wal = db_path.with_name(db_path.name + "-wal")
    if wal.exists() and wal.stat().st_size:
        found["wal"] = hashlib.sha256(wal.read_bytes()).hexdigest()
    return found


@pytest.fixture
def seeded(store: EventStore, db_path: Path) -> Path:
    record(store, base_events())
    store.close()
    return db_path


def test_what_if__primer_narrowing_is_minus_one_eighth_pp(seeded: Path) -> None:
    with open_read_only(str(seeded)) as store:
        hypothesis = Hypothesis(excludes=("JP.REL.JCG", "JP.REL.PKO"))
        head = store.head()
        assert head is not None
        report = what_if(store, "jp@1", hypothesis, fy="FY2025", as_of=AsOf(head.seq, None))
    (section,) = report.sections
    assert section.delta_amount == Decimal(-7 * T // 10)
    assert section.delta_pp == Fraction(-1, 8)
    assert report.meta["hypothetical"] is True
    assert "what-if" in section.b.label


def test_what_if__store_is_byte_identical(seeded: Path, cli: Callable[..., Result]) -> None:
    before = _fingerprint(seeded)
    result = cli("what-if", "jp@1", "--include", "JP.CAND.SPACE=0.5:related", "--exclude",
                 "JP.REL.JCG", "--stages", "initial,supplementary", "--gdp-basis", "same-year",
                 "--fy", "FY2025", "--format", "json")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert _fingerprint(seeded) == before
    assert cli("log", "--format", "json").exit_code == 0
    assert _fingerprint(seeded) == before


def test_open_read_only__refuses_writes(seeded: Path) -> None:
    with open_read_only(str(seeded)) as store:
        with pytest.raises(StoreError, match="read-only"):
            record(store, [e("CategoryDefined", code="NEW", name="new")])


def test_open_read_only__missing_file_is_not_created(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no ledger"):
        open_read_only(str(tmp_path / "absent.db"))
    assert not (tmp_path / "absent.db").exists()


def test_apply_hypothesis__uses_the_real_event_semantics() -> None:
    state = fold(base_events())
    base = state.definitions[("jp", 1)]
    changed = apply_hypothesis(base, Hypothesis(
        includes=("JP.CAND.SPACE=0.5:related", "JP.REL.JCG=0.25", "JP.CAND.SHIP"),
        excludes=("JP.REL.PKO",), stages="initial,supplementary", gdp_basis="FY2022@esri",
    ), state)  # fmt: skip
    got = {code: (inc.share, inc.tier) for code, inc in changed.categories.items()}
    assert got["JP.CAND.SPACE"] == (Decimal("0.5"), "related")
    assert got["JP.REL.JCG"] == (Decimal("0.25"), "related")  # keeps its tier
    assert got["JP.CAND.SHIP"] == (Decimal(1), "core")
    assert "JP.REL.PKO" not in got
    assert changed.counted_stages == ("initial", "supplementary")
    assert changed.basis == GdpBasis("fixed-year", 2022, "esri")
    assert "JP.REL.PKO" in base.categories, "the recorded version is untouched"


@pytest.mark.parametrize(
    ("hypothesis", "message"),
    [
        (Hypothesis(includes=("NOPE",)), "category NOPE is not defined"),
        (Hypothesis(includes=("JP.CAND.SPACE=2",)), "share 2 must be in"),
        (Hypothesis(includes=("JP.CAND.SPACE=0.1e-2x",)), "--include"),
        (Hypothesis(excludes=("JP.CAND.SPACE",)), "not included in jp@1"),
        (Hypothesis(stages="initial,nope"), "unknown stage"),
        (Hypothesis(gdp_basis="last-year"), "--gdp-basis"),
    ],
)
def test_apply_hypothesis__bad_input_is_one_clear_error(
    hypothesis: Hypothesis, message: str
) -> None:
    state = fold(base_events())
    with pytest.raises(InvalidInput, match=message):
        apply_hypothesis(state.definitions[("jp", 1)], hypothesis, state)


def test_what_if_cli__nothing_to_preview_is_exit_2(
    seeded: Path, cli: Callable[..., Result]
) -> None:
    result = cli("what-if", "jp@1", "--fy", "FY2025")
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: give at least one of --include, --exclude, --stages, --gdp-basis, --stage-rule\n"
    )


def test_what_if__read_only_on_every_backend(backend_url: str) -> None:
    with EventStore.open(backend_url, create=True) as writable:
        head = record(writable, base_events())
    with open_read_only(backend_url) as store:
        report = what_if(store, "jp@1", Hypothesis(excludes=("JP.REL.PKO",)), fy="FY2025",
                         as_of=AsOf(head, None))  # fmt: skip
        assert report.sections[0].delta_pp == Fraction(-1, 28)
        with pytest.raises(StoreError):
            record(store, [e("CategoryDefined", code="NEW", name="new")])
    with EventStore.open(backend_url) as reopened:
        assert reopened.count() == head
