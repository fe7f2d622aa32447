"""Progress of long work, as the work reports it (how it is shown — a bar on a terminal, a line
on stderr, nothing — is ``cli/``'s).

A long operation (import, export, verify, verify-export, copy, rebuild) takes an optional
``Progress`` and calls it with the items done so far in the current phase, the phase's total
when it is known, and the phase's name (``"reading rows"``, ``"checking events"``, …). It
calls it when a phase starts (done 0), now and then while it runs, and when it ends
(done = total). ``counted`` and ``counted_pages`` do that for an iteration.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sized
from typing import Protocol, TypeVar

T = TypeVar("T")
S = TypeVar("S", bound=Sized)
EVERY = 1000  # items between two reports


class Progress(Protocol):
    def __call__(self, done: int, total: int | None = None, phase: str = "") -> None: ...


def counted(
    items: Iterable[T],
    progress: Progress | None,
    phase: str,
    total: int | None = None,
    every: int = EVERY,
) -> Iterator[T]:
    """``items``, reporting every ``every`` items (and at the start and the end)."""
    if progress is None:
        yield from items
        return
    done = 0
    progress(0, total, phase)
    for item in items:
        yield item
        done += 1
        if done % every == 0:
            progress(done, total, phase)
    progress(done, None if total is None else done, phase)  # the total was an estimate


def counted_pages(
    pages: Iterable[S], progress: Progress | None, phase: str, total: int | None = None
) -> Iterator[S]:
    """``pages`` (lists of items), reporting the items done after each page."""
    if progress is None:
        yield from pages
        return
    done = 0
    progress(0, total, phase)
    for page in pages:
        yield page
        done += len(page)
        progress(done, total, phase)
    progress(done, total, phase)
