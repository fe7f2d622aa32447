"""A throwaway PostgreSQL cluster for the benchmark, *durable*: unlike the test suite's
(``scripts/with-postgres.sh``, which turns ``fsync``, ``synchronous_commit`` and
``full_page_writes`` off for speed), this one runs with the server's defaults, so every commit
waits for its WAL flush as a production server's does.

``cluster()`` finds the server binaries as the script does (``DEFLEDGER_PG_BIN``, ``pg_ctl`` on
PATH, Debian's ``/usr/lib/postgresql/*/bin``), runs ``initdb`` and the server as the
``postgres`` user when run as root, on a free loopback port, and removes everything afterwards.
It yields None (and says why) when there is no server to start.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _bin_dir() -> Path | None:
    candidates: list[Path] = []
    if os.environ.get("DEFLEDGER_PG_BIN"):
        candidates.append(Path(os.environ["DEFLEDGER_PG_BIN"]))
    elif shutil.which("pg_ctl"):
        candidates.append(Path(os.path.realpath(shutil.which("pg_ctl") or "")).parent)
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for directory in candidates:
        if (directory / "initdb").exists() and (directory / "pg_ctl").exists():
            return directory
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def cluster() -> Iterator[str | None]:
    """The admin URL of a fresh durable cluster (``postgresql+psycopg://…/postgres``)."""
    bin_dir = _bin_dir()
    root = os.geteuid() == 0
    if bin_dir is None or (root and shutil.which("runuser") is None):
        print("no PostgreSQL server binaries: the PostgreSQL variant is skipped", file=sys.stderr)
        yield None
        return
    workdir = Path(tempfile.mkdtemp(prefix="defledger-bench-pg-"))
    prefix = ["runuser", "-u", "postgres", "--"] if root else []
    if root:
        shutil.chown(workdir, "postgres")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*prefix, *args], cwd=workdir, capture_output=True, text=True, check=False
        )

    data = workdir / "data"
    started = False
    try:
        done = run(str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                   "-E", "UTF8")  # fmt: skip
        if done.returncode != 0:
            print(f"initdb failed: {done.stderr.strip()[-300:]}", file=sys.stderr)
            yield None
            return
        for _ in range(5):
            port = _free_port()
            options = f"-c listen_addresses=127.0.0.1 -p {port} -k {workdir}"
            done = run(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(workdir / "log"),
                       "-w", "-t", "60", "-o", options, "start")  # fmt: skip
            if done.returncode == 0:
                started = True
                break
        if not started:
            print("the PostgreSQL server did not start: variant skipped", file=sys.stderr)
            yield None
            return
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        if started:
            run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(workdir, ignore_errors=True)


def fresh_database(admin_url: str) -> str:
    """A new empty database on the cluster; its URL."""
    import psycopg

    name = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_libpq(admin_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def drop_database(url: str) -> None:
    import psycopg

    admin, name = url.rsplit("/", 1)
    with psycopg.connect(_libpq(admin + "/postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_bytes(url: str) -> int:
    import psycopg

    with psycopg.connect(_libpq(url)) as conn:
        row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
    return int(row[0]) if row else 0


def settings(url: str) -> dict[str, str]:
    """The durability settings the server runs with (reported with the results)."""
    import psycopg

    with psycopg.connect(_libpq(url)) as conn:
        return {
            name: str(conn.execute(f"SHOW {name}").fetchone()[0])  # type: ignore[index]
            for name in ("fsync", "synchronous_commit", "full_page_writes", "wal_sync_method")
        }


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)
