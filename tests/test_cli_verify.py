"""``verify`` and ``digest`` through the CLI (tampering scenarios are in test_tamper.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from helpers import category, line, one_line_error

from ledger.storage.store import EventStore


@pytest.fixture
def filled(store: EventStore) -> EventStore:
    store.append_events([category("A"), line("L1", "100", "A"), line("L2", "7.25", "A")])
    return store


def test_cli_verify__ok_line_on_stdout(filled: EventStore, cli: Callable[..., Result]) -> None:
    result = cli("verify")
    assert result.exit_code == 0
    head = filled.head()
    assert head is not None
    assert result.stdout == f"ok: 3 events verified, head seq 3 {head.hash}\n"
    assert result.stderr == ""


def test_cli_verify__json_meta(filled: EventStore, cli: Callable[..., Result]) -> None:
    result = cli("verify", "--format", "json")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document["problems"] == []
    assert document["meta"]["ok"] is True and document["meta"]["first_bad_seq"] is None
    assert document["meta"]["head_seq"] == 3
    assert result.stderr.startswith("ok: 3 events verified")


def test_cli_verify__writes_the_report_file(
    filled: EventStore, cli: Callable[..., Result], tmp_path: Path
) -> None:
    target = tmp_path / "verify.json"
    result = cli("verify", "-o", str(target))
    assert result.exit_code == 0
    assert json.loads(target.read_text())["meta"]["ok"] is True


def test_cli_verify__empty_ledger(store: EventStore, cli: Callable[..., Result]) -> None:
    result = cli("verify")
    assert result.exit_code == 0 and result.stdout.startswith("ok: 0 events verified")


def test_cli_digest__json_by_default_and_kept_digest_verifies(
    filled: EventStore, cli: Callable[..., Result], tmp_path: Path
) -> None:
    printed = cli("digest")
    assert printed.exit_code == 0
    value = json.loads(printed.stdout)
    head = filled.head()
    assert head is not None
    assert value == {"seq": 3, "hash": head.hash, "recorded_at": head.recorded_at}
    kept = tmp_path / "digest.json"
    assert cli("digest", "-o", str(kept)).exit_code == 0
    assert json.loads(kept.read_text()) == value
    filled.append_events([line("L3", "1", "A")])
    assert cli("verify", "--digest", str(kept)).exit_code == 0
    assert cli("verify", "--digest", printed.stdout.strip()).exit_code == 0


def test_cli_digest__hash_case_does_not_matter(
    filled: EventStore, cli: Callable[..., Result]
) -> None:
    value = json.loads(cli("digest").stdout)
    value["hash"] = value["hash"].upper()
    assert cli("verify", "--digest", json.dumps(value)).exit_code == 0


def test_cli_verify__digest_of_another_ledger_fails_exit_3(
    filled: EventStore, cli: Callable[..., Result]
) -> None:
    value = json.loads(cli("digest").stdout)
    value["hash"] = "ab" * 32
    message = one_line_error(cli("verify", "--digest", json.dumps(value)), 3)
    assert "seq 3" in message and "digest" in message


@pytest.mark.parametrize("value", ['{"seq": 1}', "{not json", '{"seq": 1, "hash": "xyz"}'])
def test_cli_verify__malformed_digest_exit_2(
    filled: EventStore, cli: Callable[..., Result], value: str
) -> None:
    assert "digest" in one_line_error(cli("verify", "--digest", value), 2)


def test_cli_verify__missing_digest_file_exit_2(
    filled: EventStore, cli: Callable[..., Result], tmp_path: Path
) -> None:
    message = one_line_error(cli("verify", "--digest", str(tmp_path / "nope.json")), 2)
    assert "cannot read the digest" in message
