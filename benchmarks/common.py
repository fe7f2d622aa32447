"""Small helpers shared by the variants: timing, sampling, sizes, memory."""

from __future__ import annotations

import os
import random
import resource
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

GETS = 1000  # streams reconstructed per run
COMMANDS = 200  # single-event commands per run


def sample_lines(n: int, count: int, seed: int) -> list[int]:
    """``count`` line numbers out of the ``n // 4`` lines, the same for every variant."""
    lines = max(n // 4, 1)
    rng = random.Random(seed)
    return [rng.randrange(lines) for _ in range(count)]


def median_us(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1e6, 1)


def timed_each(calls: list[Callable[[], object]]) -> list[float]:
    """Wall time of each call, in seconds."""
    out = []
    for call in calls:
        began = time.perf_counter()
        call()
        out.append(time.perf_counter() - began)
    return out


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (ru_maxrss: KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (2**20 if sys.platform == "darwin" else 2**10), 1)


def child_rss_mb() -> float:
    """The largest peak RSS of the child processes this one has waited for (ru_maxrss)."""
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(peak / (2**20 if sys.platform == "darwin" else 2**10), 1)


def checkpoint_size(path: Path) -> int:
    """Size of the main database file after folding the WAL into it."""
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()
    return os.path.getsize(path)


def synchronous_level(path: Path, setup: Callable[[sqlite3.Connection], None] | None = None) -> int:
    """``PRAGMA synchronous`` as a fresh connection configured by ``setup`` sees it."""
    connection = sqlite3.connect(path)
    try:
        if setup:
            setup(connection)
        return int(connection.execute("PRAGMA synchronous").fetchone()[0])
    finally:
        connection.close()
