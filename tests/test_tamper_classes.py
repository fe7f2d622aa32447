"""Every tamper class against every verifier: ``defledger verify`` (one pass and the parallel
scan), ``verify --checkpoint``, ``verify --digest`` and the shipped standard-library script
agree on the first bad seq; where a class is invisible to the chain (a shorter tail, a
re-chained rewrite, another ledger swapped in), the chain verifiers pass and the digest and
checkpoint kept outside fail. ``scripts/tamper_matrix.py`` prints the same table."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from helpers.tamper_classes import BAD, CLASSES, VERIFIERS, TamperClass, matrix, prepared, tampered

# the kind each verifier names at the first bad seq, where it is BAD
KIND_AT_BAD = {
    "edit": "hash-mismatch",
    "reorder": "hash-mismatch",
    "delete": "seq-gap",
    "recorded_at edit": "hash-mismatch",
    "payload pretty-printed, re-chained": "non-canonical",
    "payload duplicate key, re-chained": "non-canonical",
    "payload invalid JSON, re-chained": "non-canonical",
    "source non-canonical, re-chained": "non-canonical",
    "source with a float, re-chained": "non-canonical",
    "time regression, re-chained": "time-regression",
}
KEPT_KINDS = {
    "verify --digest": {"digest-mismatch", "truncated"},
    "verify --checkpoint": {"checkpoint-mismatch", "truncated"},
}


@pytest.mark.slow  # parallel scan workers and a script per class
@pytest.mark.parametrize("tamper", CLASSES, ids=[c.name for c in CLASSES])
def test_tamper_class__all_verifiers_agree_on_the_first_bad_seq(
    tamper: TamperClass, tmp_path: Path
) -> None:
    outcomes = tampered(tmp_path, tamper)
    print(matrix({tamper.name: outcomes}))
    assert {v: (o.exit_code, o.seq) for v, o in outcomes.items()} == tamper.expected
    detected = {outcome.seq for outcome in outcomes.values() if outcome.exit_code}
    assert len(detected) == 1, outcomes  # one seq, whoever can see it
    if tamper.name in KIND_AT_BAD:
        assert detected == {BAD}
        for verifier, outcome in outcomes.items():
            assert KIND_AT_BAD[tamper.name] in outcome.kinds, (verifier, outcome)
    else:  # invisible to the chain: only what was kept outside the file catches it
        assert tamper.note
        for verifier in VERIFIERS:
            if verifier in KEPT_KINDS:
                assert set(outcomes[verifier].kinds) & KEPT_KINDS[verifier], outcomes[verifier]
            else:
                assert outcomes[verifier].exit_code == 0


def test_tamper_classes__cover_the_issue_list() -> None:
    names = {c.name for c in CLASSES}
    assert {
        "edit",
        "reorder",
        "delete",
        "truncate",
        "insert, re-chained",
        "recorded_at edit",
        "payload pretty-printed, re-chained",
        "payload duplicate key, re-chained",
        "payload invalid JSON, re-chained",
        "source non-canonical, re-chained",
        "time regression, re-chained",
        "whole-DB swap",
    } <= names


VISIBLE = [c for c in CLASSES if c.name in KIND_AT_BAD]


@pytest.mark.slow  # prepared() checks the clean ledger with worker processes and the script
@pytest.mark.parametrize("tamper", VISIBLE, ids=[c.name for c in VISIBLE])
def test_tamper_class__other_commands_tell_the_same_story(
    tamper: TamperClass, tmp_path: Path, db_path: Path, cli: Callable[..., Result]
) -> None:
    """Once verify names seq 51, no command says otherwise: reading commands show the events
    or fail naming seq 51 (never an internal error), and export refuses to write a bundle
    (a bundle of a ledger that does not verify would only fail verify-export later)."""
    assert prepared(tmp_path) == db_path
    tamper.apply(db_path, tmp_path)
    verify = cli("verify")
    assert verify.exit_code == 3
    assert verify.stderr.startswith(f"Error: verification failed at seq {BAD}: ")
    export = cli("export", "-o", "bundle", "--root", str(tmp_path))
    assert export.exit_code == 3, export.stderr
    assert f"seq {BAD}" in export.stderr and len(export.stderr.splitlines()) == 1
    assert not (tmp_path / "bundle").exists()
    for args in (("log",), ("log", "--format", "jsonl"), ("show", str(BAD)), ("rebuild",)):
        result = cli(*args)
        assert result.exit_code in (0, 3), (args, result.stderr)
        assert "internal error" not in result.stderr and "Traceback" not in result.stderr
        if result.exit_code:
            assert f"seq {BAD}" in result.stderr and len(result.stderr.splitlines()) == 1
