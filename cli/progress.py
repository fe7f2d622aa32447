"""Showing the progress of long work (``ledger.progress.Progress``) on stderr, never on stdout
and never in an ``-o`` file.

On a terminal: a bar per phase with count, total, rate and time left (rich), gone when done.
Not on a terminal: nothing, unless ``--progress``: then one line when a phase starts, every
``INTERVAL`` seconds while it runs, and when it ends
(``import: reading rows 120,000/200,000 (60%), 0:00:41 left``). ``-q`` shows none of it;
``-v`` adds one line per phase with its count and time.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from cli.terminal import settings, stderr_is_tty
from ledger.progress import Progress

INTERVAL = 5.0  # seconds between two lines when stderr is not a terminal


def _duration(seconds: float) -> str:
    seconds = int(max(seconds, 0))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class _Phases:
    """The phase being shown, when it started, and what ``-v`` says of each that ends."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.phase: str | None = None
        self.started = time.monotonic()
        self.done = 0

    def switch(self, phase: str) -> bool:
        """True if ``phase`` is a new one (the one before, if any, has ended)."""
        if phase == self.phase:
            return False
        self.end()
        self.phase, self.started, self.done = phase, time.monotonic(), 0
        return True

    def end(self) -> None:
        if self.phase is not None and settings().verbose:
            seconds = time.monotonic() - self.started
            click.echo(f"{self.what}: {self.phase}: {self.done:,} in {seconds:.1f} s", err=True)
        self.phase = None


class LineProgress(_Phases):
    """One line on stderr now and then (stderr is not a terminal; ``--progress``)."""

    def __init__(self, what: str, interval: float = INTERVAL) -> None:
        super().__init__(what)
        self.interval = interval
        self.last = 0.0
        self.said: tuple[str, int, int | None] | None = None

    def __call__(self, done: int, total: int | None = None, phase: str = "") -> None:
        new = self.switch(phase)
        self.done = done
        now = time.monotonic()
        finished = total is not None and done >= total
        if not (new or finished or now - self.last >= self.interval):
            return
        if self.said == (phase, done, total):  # the end of a phase is reported twice
            return
        self.last, self.said = now, (phase, done, total)
        text = f"{self.what}: {phase} {done:,}"
        if total is not None:
            percent = 100 * done // total if total else 100
            text += f"/{total:,} ({percent}%)"
            elapsed = now - self.started
            if 0 < done < total and elapsed > 0:
                text += f", {_duration(elapsed * (total - done) / done)} left"
        click.echo(text, err=True)


class BarProgress(_Phases):
    """A rich progress bar per phase, on stderr (a terminal)."""

    def __init__(self, what: str, console: Any = None) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        super().__init__(what)
        self.bar = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            TimeElapsedColumn(),
            console=console or Console(stderr=True),
            transient=True,
        )
        self.task: Any = None

    def __enter__(self) -> BarProgress:
        self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.end()
        self.bar.stop()

    def __call__(self, done: int, total: int | None = None, phase: str = "") -> None:
        if self.switch(phase):
            if self.task is not None:
                self.bar.remove_task(self.task)
            self.task = self.bar.add_task(f"{self.what}: {phase}", total=total)
        self.done = done
        self.bar.update(self.task, completed=done, total=total)


@contextmanager
def progress(what: str) -> Iterator[Progress | None]:
    """What a command hands a long operation as its ``progress`` (None: show nothing)."""
    chosen = settings()
    if chosen.quiet:
        yield None
    elif stderr_is_tty():
        with BarProgress(what) as bar:
            yield bar
    elif chosen.progress or chosen.verbose:
        line = LineProgress(what, INTERVAL if chosen.progress else float("inf"))
        try:
            yield line if chosen.progress else _quiet_lines(line)
        finally:
            line.end()
    else:
        yield None


def _quiet_lines(line: LineProgress) -> Progress:
    """``-v`` without ``--progress``: only the phases' summaries, no progress lines."""

    def report(done: int, total: int | None = None, phase: str = "") -> None:
        line.switch(phase)
        line.done = done

    return report
