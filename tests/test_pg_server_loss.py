"""The PostgreSQL server killed in the middle of an import (issue 12 item 13).

The user must see one line (exit 1) that says what happened, that nothing of this write was
stored and that retrying is safe — not the driver's words, not an "internal error" — and it must
be true: after a restart the ledger holds nothing of the import and verifies, and the retried
import stores the whole file once.

The test starts a PostgreSQL cluster of its own (it kills it, so not the shared test server):
``initdb`` and ``pg_ctl`` as ``scripts/with-postgres.sh`` finds them, run as the ``postgres``
user when the test runs as root. It skips, saying why, when there are no server binaries.
The import runs as a real ``defledger import`` process; the server is stopped with
``pg_ctl stop -m immediate`` (every server process killed at once, as in a crash) while the
import holds the ledger's write lock, that is, inside its write transaction, before its commit.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import category

from ledger.audit.verify import verify_ledger
from ledger.storage.db import PG_LOCK_KEY
from ledger.storage.store import EventStore

pytestmark = [pytest.mark.slow, pytest.mark.pg]
psycopg = pytest.importorskip("psycopg")

LINES = 30_000
LOST = (
    "Error: lost the connection to the database server during the write ({what}): nothing of "
    "this write was stored (it was never committed); it is safe to retry once the server is "
    "back\n"
)


def _server_binaries() -> Path | None:
    candidates = [os.environ.get("DEFLEDGER_PG_BIN", "")]
    pg_ctl = shutil.which("pg_ctl")
    if pg_ctl:
        candidates.append(str(Path(os.path.realpath(pg_ctl)).parent))
    candidates += sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: int(d.split("/")[-2]), reverse=True
    )
    for candidate in candidates:
        if candidate and all(os.access(Path(candidate, b), os.X_OK) for b in ("initdb", "pg_ctl")):
            return Path(candidate)
    return None


class Cluster:
    """A throwaway cluster in a temporary directory, on a free loopback port."""

    def __init__(self, binaries: Path, directory: Path) -> None:
        self.binaries, self.directory = binaries, directory
        self.data = directory / "data"
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def run(self, *args: str) -> None:
        command = [str(self.binaries / args[0]), *args[1:]]
        if os.geteuid() == 0:  # the server refuses to run as root
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, cwd=self.directory, timeout=120)

    def start(self) -> None:
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.directory} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off"
        )
        log = str(self.directory / "server.log")
        self.run(
            "pg_ctl", "-D", str(self.data), "-l", log, "-w", "-t", "60", "-o", options, "start"
        )

    def kill(self) -> None:
        self.run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    binaries = _server_binaries()
    if binaries is None:
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl): cannot start a cluster")
    if os.geteuid() == 0 and (shutil.which("runuser") is None or _no_postgres_user()):
        pytest.skip("running as root without a 'postgres' user (and runuser) to run a cluster")
    directory = Path(tempfile.mkdtemp(prefix="defledger-pg-loss-"))
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres")
    own = Cluster(binaries, directory)
    try:
        own.run("initdb", "-D", str(own.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                "--no-sync")  # fmt: skip
        own.start()
        yield own
    finally:
        try:
            own.kill()
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(directory, ignore_errors=True)


def _no_postgres_user() -> bool:
    import pwd

    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return True
    return False


def _write_lock_held(url: str) -> bool:
    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND classid = 0 AND objid = %s",
            (PG_LOCK_KEY,),
        ).fetchone()
    return bool(row and row[0])


def _import(url: str, path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "cli.app", "--db", url, "import", "-q", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)},
    )


@pytest.mark.parametrize("delay", [0.0, 0.5], ids=["at-once", "after-0.5s"])
def test_server_killed_mid_import__one_clear_line_nothing_stored_retry_works(
    cluster: Cluster, tmp_path: Path, delay: float
) -> None:
    store = EventStore.open(cluster.url, create=True)
    store.append_events([category("LOSS")])
    store.close()
    path = tmp_path / "lines.csv"
    rows = "".join(f"JP,2025,K{i},MoD,LOSS,{1000 + i},initial\n" for i in range(LINES))
    path.write_text("jurisdiction,fiscal_year,line_id,agency,category,amount,stage\n" + rows)

    child = _import(cluster.url, path)
    try:
        while not _write_lock_held(cluster.url):  # it is inside its write transaction
            assert child.poll() is None, f"the import ended first: {child.communicate()}"
            time.sleep(0.005)
        time.sleep(delay)
        assert _write_lock_held(cluster.url)  # still before its commit
        cluster.kill()
        stdout, stderr = child.communicate(timeout=120)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 1
    assert stdout == ""
    assert stderr in {
        LOST.format(what=what)
        for what in (
            "the server closed the connection",
            "the server was shut down, SQLSTATE 57P01",
            "the server stopped after another server process crashed, SQLSTATE 57P02",
        )
    }, stderr

    cluster.start()
    with EventStore.open(cluster.url) as store:
        assert store.count() == 1  # nothing of the import
        assert verify_ledger(store).ok
        retry = _import(cluster.url, path)
        out, err = retry.communicate(timeout=300)
        assert (retry.returncode, out, err) == (0, "", "")
        assert store.count() == 1 + LINES
        assert verify_ledger(store).ok
