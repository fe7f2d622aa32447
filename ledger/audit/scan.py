"""The whole-ledger chain check, fast and (for large SQLite ledgers) in parallel.

``check_rows`` checks raw rows as the store's chain query returns them (event id and hashes as
bytes) with the same rules, problems and messages as ``ledger.storage.chain.check_chain``, doing no
work beyond the hash on rows that check out. Each row's check depends only on the previous
row's *stored* hash, so a seq range can be checked on its own once that hash is known:
``verify_range`` checks one range with its own connection, and ``parallel_problems`` splits
the ledger into one range per CPU, checks them in worker processes and concatenates their
problems in seq order (the same list, capped the same way, as one pass would give).

This module imports only the standard library, orjson and ``ledger.storage.chain`` (not
SQLAlchemy or pydantic), so a worker process starts in a few tens of milliseconds.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import orjson

from ledger.storage.canonical import is_canonical_object
from ledger.storage.chain import (
    GENESIS_HASH,
    MAX_PROBLEMS,
    Problem,
    chain_blob,
    chain_query,
    chain_time,
    implied_hash,
    row_problems,
    scanned_to_chain,
)
from ledger.storage.times import text_of

if TYPE_CHECKING:
    from ledger.progress import Progress

PARALLEL_MIN_EVENTS = 50_000  # below this, starting worker processes costs more than it saves
PAGE = 2000
KNOWN_SOURCES = 65_536  # at ~250 bytes each, ~16 MB at most
_MAX_SAFE_INT = 2**53


CHAIN_QUERY = chain_query()  # SQLite's, which the worker processes read
# The folder holding the ``ledger`` package. A worker runs without ``site`` (``python -S``: no
# .pth files, no editable-install finder, ~20 ms less start-up), so its path is this process's
# ``sys.path`` (site-packages included) with this folder first.
WORKER_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def check_rows(
    pages: Iterable[Sequence[Sequence[Any]]],
    expected_seq: int = 1,
    previous: bytes = GENESIS_HASH,
    limit: int = MAX_PROBLEMS,
    replaced: bytes | None = None,
    previous_at: Any = None,
) -> list[Problem]:
    """``check_chain`` over pages of ``CHAIN_QUERY`` rows, starting after the row whose stored
    hash is ``previous`` and stored time ``previous_at`` (seq ``expected_seq - 1``; None before
    seq 1; ``replaced``: the hash that row's contents give if it is not the stored one); at
    most ``limit`` problems."""
    problems: list[Problem] = []
    sha256, dumps, fragment = hashlib.sha256, orjson.dumps, orjson.Fragment
    canonical = is_canonical_object
    sources: set[bytes] = set()  # sources found canonical: a ledger cites a few many times
    high = _MAX_SAFE_INT
    last_at, last_text = None, ""  # the events of one append share a time: format it once
    for page in pages:
        for row in page:
            (seq, raw_id, stream, version, kind, schema, payload, recorded_at, actor, reason,
             source, key, stored_hash) = row  # fmt: skip
            if (
                seq == expected_seq
                and seq < high
                and raw_id.__class__ is bytes
                and len(raw_id) == 16
                and version.__class__ is int
                and -high < version < high
                and schema.__class__ is int
                and -high < schema < high
            ):
                h = raw_id.hex()
                try:  # keys written in sorted order (RFC 8785's): orjson need not sort them
                    if recorded_at != last_at or recorded_at.__class__ is not int:
                        last_text, last_at = text_of(recorded_at), recorded_at
                    envelope = dumps(
                        {
                            "actor": actor,
                            "event_id": f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}",
                            "idempotency_key": key,
                            "payload": fragment(payload),
                            "prev_hash": previous.hex(),
                            "reason": reason,
                            "recorded_at": last_text,
                            "schema_version": schema,
                            "seq": seq,
                            "source": None if source is None else fragment(source),
                            "stream": stream,
                            "stream_version": version,
                            "type": kind,
                        }
                    )
                    if (
                        sha256(previous + envelope).digest() == stored_hash
                        and (previous_at is None or recorded_at >= previous_at)
                        and canonical(payload)
                        and (source is None or source in sources or _learn(source, sources))
                    ):
                        previous, previous_at = stored_hash, recorded_at
                        expected_seq += 1
                        replaced = None
                        continue
                except (TypeError, ValueError):
                    pass
            tuple_row = scanned_to_chain(row, previous)
            found, replaced = row_problems(
                tuple_row,
                expected_seq,
                previous,
                replaced,
                None if previous_at is None else chain_time(previous_at),
            )
            for problem in found:
                problems.append(problem)
                if len(problems) >= limit:
                    return problems
            previous, previous_at = tuple_row.hash, recorded_at
            expected_seq = tuple_row.seq + 1
    return problems


def _learn(source: bytes, known: set[bytes]) -> bool:
    """``is_canonical_object(source)``, remembering a canonical one in ``known`` (at most
    ``KNOWN_SOURCES`` of them: memory stays flat whatever the ledger's size)."""
    if not is_canonical_object(source):
        return False
    if len(known) >= KNOWN_SOURCES:
        known.clear()
    known.add(source)
    return True


# -- one range, on its own connection (SQLite) ------------------------------------------------


def _surrogate_text(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def _pages(connection: sqlite3.Connection, start: int, stop: int | None) -> Iterable[list[Any]]:
    """Pages of chain rows with ``start <= seq (<= stop)``; a page holding text that is not
    UTF-8 is read again with such bytes as lone surrogates (as ``EventStore._page`` does)."""
    query = CHAIN_QUERY + " WHERE e.seq >= ?" + (" AND e.seq <= ?" if stop is not None else "")
    query += " ORDER BY e.seq LIMIT ?"
    bounds = [] if stop is None else [stop]
    first = start
    while True:
        params = [first, *bounds, PAGE]
        try:
            page = connection.execute(query, params).fetchall()
        except sqlite3.OperationalError as exc:
            from ledger.storage.sqlite_errors import not_decodable  # only on this rare path

            if not not_decodable(exc):
                raise
            connection.text_factory = _surrogate_text
            try:
                page = connection.execute(query, params).fetchall()
            finally:
                connection.text_factory = str
        yield page
        if len(page) < PAGE:
            return
        first = page[-1][0] + 1


def _before(connection: sqlite3.Connection, start: int) -> tuple[int, bytes, bytes | None, Any]:
    """(the seq after the last row before ``start``, that row's stored hash, the hash its
    contents give if that is not the stored one, its stored time): what a pass arriving at
    ``start`` carries."""
    last = "WHERE e.seq >= 1 AND e.seq < ? ORDER BY e.seq DESC LIMIT 1"
    connection.text_factory = _surrogate_text  # a non-UTF-8 row is reported, not raised
    try:
        row = connection.execute(f"{CHAIN_QUERY} {last}", (start,)).fetchone()
        if row is None:
            return 1, GENESIS_HASH, None, None
        prior = connection.execute(f"SELECT e.hash FROM events e {last}", (row[0],)).fetchone()
    finally:
        connection.text_factory = str
    chained = scanned_to_chain(row, GENESIS_HASH if prior is None else chain_blob(prior[0]))
    implied = implied_hash(chained, chained.prev_hash)
    return chained.seq + 1, chained.hash, None if implied == chained.hash else implied, row[7]


def verify_range(path: str, start: int, stop: int | None, limit: int = MAX_PROBLEMS) -> list[Any]:
    """The chain problems of the rows with ``start <= seq (<= stop)`` of the SQLite ledger at
    ``path``, as ``(seq, kind, message)`` tuples (picklable), checked against the stored hash
    of the last row before ``start``. Runs in a worker process."""
    connection = sqlite3.connect(path, isolation_level=None, uri=path.startswith("file:"))
    try:
        connection.execute("PRAGMA busy_timeout = 10000")
        expected, previous, replaced, previous_at = _before(connection, start)
        problems = check_rows(
            _pages(connection, start, stop), expected, previous, limit, replaced, previous_at
        )
    finally:
        connection.close()
    return [(p.seq, p.kind, p.message) for p in problems]


def default_workers() -> int:
    """Processes for a whole-ledger check: one per CPU this process may run on (at most 8).
    Measured on a 2-vCPU machine at 100k events: one pass 0.56-0.60 s, two processes
    0.33-0.35 s (1.7x: the range split costs a worker start-up of ~50 ms and a second
    connection). On a machine whose vCPUs share one core the split gains less but still
    gains from ``PARALLEL_MIN_EVENTS`` up (the ranges are independent)."""
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        available = os.cpu_count() or 1
    return max(1, min(8, available))


def chunk_bounds(head_seq: int, chunks: int) -> list[tuple[int, int | None]]:
    """``chunks`` contiguous seq ranges covering 1..``head_seq``; the last one is open-ended
    (rows appended meanwhile are checked too, as a single pass would)."""
    size = -(-head_seq // chunks)
    bounds: list[tuple[int, int | None]] = []
    for index in range(chunks):
        start = 1 + index * size
        bounds.append((start, None if index == chunks - 1 else start + size - 1))
    return bounds


def parallel_problems(
    path: str,
    head_seq: int,
    workers: int | None = None,
    meanwhile: Callable[[], object] | None = None,
    progress: Progress | None = None,
) -> list[Problem]:
    """The chain problems of the SQLite ledger at ``path`` (1..``head_seq`` and on), one seq
    range per CPU: the first range in this process, each other one meanwhile in a worker
    process (``python -S -m ledger.audit.scan``: a fresh interpreter that imports only this
    module, so it works from any host program and never re-runs its ``__main__``). The
    ranges' problems are concatenated in seq order and capped at ``MAX_PROBLEMS``. A range
    whose worker fails is checked again in this process. ``meanwhile`` runs in this process
    after its own range, while the workers (which start up later) finish theirs. ``progress``
    hears of each range done."""
    import subprocess  # here: a worker never starts one, and its start-up is on the clock

    count = workers or default_workers()
    bounds = chunk_bounds(head_seq, count)
    env = dict(os.environ)
    paths = [WORKER_ROOT, *(p for p in sys.path if p), env.get("PYTHONPATH", "")]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    children = [
        subprocess.Popen(
            [sys.executable, "-S", "-m", "ledger.audit.scan", path, str(start), str(stop or "")],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        for start, stop in bounds[1:]
    ]
    done = 0

    def range_done(start: int, stop: int | None) -> None:
        nonlocal done
        done += (head_seq if stop is None else stop) - start + 1
        if progress is not None:
            progress(min(done, head_seq), head_seq, "verifying events")

    if progress is not None:
        progress(0, head_seq, "verifying events")
    try:
        results = [verify_range(path, *bounds[0])]
        range_done(*bounds[0])
        if meanwhile is not None:
            meanwhile()
    except BaseException:
        for child in children:  # no worker outlives a failed check
            child.kill()
            child.communicate()
        raise
    for child, (start, stop) in zip(children, bounds[1:], strict=True):
        output, _ = child.communicate()
        if child.returncode == 0:
            results.append(orjson.loads(output))
        else:
            results.append(verify_range(path, start, stop))
        range_done(start, stop)
    problems = [Problem(*item) for result in results for item in result]
    return problems[:MAX_PROBLEMS]


def sqlite_file(url: Any) -> str | None:
    """The file of a SQLite engine URL, or None (a memory database, or not SQLite); for a
    read-only ledger, the ``file:`` URI that opens it (``verify_range`` takes either)."""
    if not str(url.drivername).startswith("sqlite"):
        return None
    database = url.database
    if database and database.startswith("file:") and url.query.get("uri") == "true":
        options = "&".join(f"{k}={v}" for k, v in url.query.items() if k in ("mode", "immutable"))
        return f"{database}?{options}" if "mode=ro" in options else None
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return database if os.path.isfile(database) else None


if __name__ == "__main__":  # a worker of ``parallel_problems``: PATH START [STOP]
    _path, _start, _stop = sys.argv[1], int(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else ""
    sys.stdout.buffer.write(
        orjson.dumps(verify_range(_path, _start, int(_stop) if _stop else None))
    )
