"""Waiting for the write lock (issue 12 items 8 and 12), on both backends.

A writer that finds another one holding the lock says so once after a second, waits up to its
lock timeout (``--lock-timeout`` / ``DEFLEDGER_LOCK_TIMEOUT``) and then gives up naming how long
it waited and how to wait longer; one that gets the lock in time just proceeds. And an import's
rules are checked inside the write transaction: an import that runs while another one commits
the same file finds its events stored and skips them, deterministically.

The lock holder is another store in a thread, released by the test through events (the waiting
writer's own "waiting" notice tells the test it is waiting): no sleeps decide an outcome.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import category

from cli.app import cli as app
from ledger.audit.verify import verify_ledger
from ledger.errors import StoreBusy
from ledger.intake.importers import import_text
from ledger.storage.store import EventStore

WAITING = "waiting for another writer…"
LINES = "jurisdiction,fiscal_year,line_id,agency,category,amount,stage\n" + "".join(
    f"JP,2025,L{i},MoD,LOCK,{100 + i},initial\n" for i in range(50)
)


@pytest.fixture
def ledger(backend_url: str) -> Iterator[EventStore]:
    store = EventStore.open(backend_url, create=True)
    store.append_events([category("LOCK")])
    yield store
    store.close()


@contextmanager
def lock_held(url: str) -> Iterator[threading.Event]:
    """Another writer holding the ledger's write lock (an open write transaction) until the
    yielded event is set."""
    holder = EventStore.open(url)
    taken, release = threading.Event(), threading.Event()

    def hold() -> None:
        taken.set()
        assert release.wait(timeout=120)

    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(holder.locked, hold)
        try:
            assert taken.wait(timeout=60)
            yield release
        finally:
            release.set()
            future.result(timeout=60)
            holder.close()


def test_write_lock__uncontended_writer_never_says_it_waits(ledger: EventStore) -> None:
    notices: list[str] = []
    ledger.on_wait = lambda: notices.append(WAITING)
    ledger.append_events([category("FREE")])
    assert notices == []


@pytest.mark.slow  # waits seconds for a lock held by another writer
def test_write_lock__gives_up_after_the_timeout_saying_how_long_and_how_to_wait_longer(
    ledger: EventStore, backend_url: str
) -> None:
    notices: list[str] = []
    with EventStore.open(
        backend_url, lock_timeout=1.5, on_wait=lambda: notices.append("w")
    ) as writer:
        with lock_held(backend_url), pytest.raises(StoreBusy) as refused:
            writer.append_events([category("LATE")])
    message = str(refused.value)
    match = re.fullmatch(
        r"gave up after waiting (\d+\.\d) s for another writer to finish \(lock timeout 1\.5 s; "
        r"wait longer with --lock-timeout SECONDS or DEFLEDGER_LOCK_TIMEOUT\); "
        r"nothing was written",
        message,
    )
    assert match, message
    assert float(match.group(1)) >= 1.5 - 0.05  # it never gives up before the timeout
    assert notices == ["w"]  # said once, after the first second
    assert ledger.count() == 1


def test_write_lock__zero_timeout_gives_up_at_once_without_a_notice(
    ledger: EventStore, backend_url: str
) -> None:
    notices: list[str] = []
    with EventStore.open(
        backend_url, lock_timeout=0, on_wait=lambda: notices.append("w")
    ) as writer:
        with lock_held(backend_url), pytest.raises(StoreBusy, match=r"\(lock timeout 0 s;"):
            writer.append_events([category("LATE")])
    assert notices == []


@pytest.mark.slow  # waits seconds for a lock held by another writer
def test_write_lock__a_writer_that_gets_the_lock_in_time_proceeds(
    ledger: EventStore, backend_url: str
) -> None:
    noticed = threading.Event()
    with EventStore.open(backend_url, lock_timeout=60, on_wait=noticed.set) as writer:
        with lock_held(backend_url) as release, ThreadPoolExecutor(1) as pool:
            appended = pool.submit(writer.append_events, [category("PATIENT")])
            assert noticed.wait(timeout=60)  # it is waiting, and said so
            assert not appended.done()
            release.set()
            result = appended.result(timeout=60)
    assert result.appended[0].seq == 2
    assert verify_ledger(ledger).ok


@pytest.mark.slow  # waits seconds for a lock held by another writer
def test_write_lock__cli_says_waiting_then_names_the_time_and_the_option(
    ledger: EventStore, backend_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "lines.csv"
    path.write_text(LINES, encoding="utf-8")
    runner = CliRunner()
    with lock_held(backend_url):
        by_option = runner.invoke(
            app, ["--db", backend_url, "--lock-timeout", "1.2", "import", str(path)]
        )
        by_env = runner.invoke(
            app, ["--db", backend_url, "import", str(path)], env={"DEFLEDGER_LOCK_TIMEOUT": "1.1"}
        )
        quiet = runner.invoke(
            app, ["--db", backend_url, "--lock-timeout", "1.1", "import", "-q", str(path)]
        )
    for result, timeout in ((by_option, "1.2"), (by_env, "1.1")):
        assert result.exit_code == 1
        lines = result.stderr.splitlines()
        assert lines[0] == WAITING
        assert re.fullmatch(
            rf"Error: gave up after waiting \d+\.\d s for another writer to finish \(lock "
            rf"timeout {re.escape(timeout)} s; wait longer with --lock-timeout SECONDS or "
            r"DEFLEDGER_LOCK_TIMEOUT\); nothing was written",
            lines[1],
        ), lines
        assert len(lines) == 2
    assert quiet.exit_code == 1 and quiet.stderr.startswith("Error: gave up after waiting")
    assert ledger.count() == 1
    done = runner.invoke(app, ["--db", backend_url, "import", "-q", str(path)])
    assert done.exit_code == 0 and done.stderr == ""
    assert ledger.count() == 51


@pytest.mark.parametrize("value", ["-1", "nan", "abc", "1e9"])
def test_write_lock__cli_refuses_a_bad_timeout(value: str, db_path: Path) -> None:
    result = CliRunner().invoke(app, ["--db", str(db_path), "--lock-timeout", value, "log"])
    assert result.exit_code == 2
    assert "--lock-timeout" in result.stderr


@pytest.mark.slow  # waits seconds for a lock held by another writer
def test_import_race__rules_see_an_import_committed_while_this_one_checks(
    ledger: EventStore, backend_url: str
) -> None:
    """Importer A reads the ledger for its rules (the streams' versions: its first read, before
    any key look-up); importer B then tries to commit the same file. B must
    wait for A (A's checks run inside its write transaction), so A sees a consistent ledger
    and B then finds every event stored: both succeed and the file is stored once. (Before the
    fix, B committed in between and A's rules said "already recorded".)"""
    second = EventStore.open(backend_url)
    b_waiting = threading.Event()
    second.on_wait = b_waiting.set
    looked_up = ledger.stream_versions
    b_result: list[Future[object]] = []

    def look_up_then_let_b_try(streams: object, stop: object = None) -> object:
        found = looked_up(streams, stop)  # type: ignore[arg-type]
        if not b_result:  # once: B imports the same file now, while A is checking
            pool = ThreadPoolExecutor(1)
            b_result.append(pool.submit(import_text, second, LINES, actor="b"))
            pool.shutdown(wait=False)
            waited = _first_of(b_waiting, b_result[0])
            assert waited == "waiting", "B was not made to wait for A's write transaction"
        return found

    ledger.stream_versions = look_up_then_let_b_try  # type: ignore[method-assign]
    try:
        a = import_text(ledger, LINES, actor="a")
        b = b_result[0].result(timeout=60)
    finally:
        second.close()
    assert (a.appended, a.skipped) == (50, 0)
    assert (b.appended, b.skipped) == (0, 50)  # type: ignore[attr-defined]
    assert ledger.count() == 51
    assert verify_ledger(ledger).ok


def _first_of(event: threading.Event, future: Future[object]) -> str:
    """ "waiting" once ``event`` is set, "done" if ``future`` finishes first."""
    done = threading.Event()
    future.add_done_callback(lambda _: done.set())
    while True:
        if event.wait(timeout=0.01):
            return "waiting"
        if done.is_set():
            return "done"


@pytest.mark.slow  # waits seconds for a lock held by another writer
def test_write_lock__projection_catch_up_waits_like_an_append(
    ledger: EventStore, backend_url: str
) -> None:
    """The projection tables' writer (``totals`` catching up) takes its lock the same way:
    a notice after a second, then the lock timeout (on PostgreSQL it used to wait forever)."""
    from ledger.projections.persisted import catch_up
    from ledger.projections.sql import transaction

    holder = EventStore.open(backend_url)
    taken, release = threading.Event(), threading.Event()

    def hold() -> None:
        with transaction(holder, write=True):
            taken.set()
            assert release.wait(timeout=120)

    notices: list[str] = []
    writer = EventStore.open(backend_url, lock_timeout=1.2, on_wait=lambda: notices.append("w"))
    try:
        with ThreadPoolExecutor(1) as pool:
            held = pool.submit(hold)
            assert taken.wait(timeout=60)
            try:
                with pytest.raises(
                    StoreBusy, match=r"^gave up after waiting .*lock timeout 1\.2 s"
                ):
                    catch_up(writer)
            finally:
                release.set()
            held.result(timeout=60)
        assert notices == ["w"]
        assert catch_up(writer) == 1  # free again: caught up to the head
    finally:
        writer.close()
        holder.close()
