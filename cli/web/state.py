"""What the web view keeps between requests: one store per server thread (a store is used by
one thread at a time), the last verification of the whole ledger, and the latest checkpoint.

Verification reads every event (about half a second per 100,000), so it is not run per
request: the result is kept with the head it covered and the time it ran. When the head moves,
the next page that shows the status verifies again before answering; when only time passes
(``REVERIFY_AFTER`` seconds), the kept result is shown, saying when it ran, while a background
thread verifies again. Checkpoints are files the operator names (``serve --checkpoint``); they
are read again on each request that needs one (a cron job may replace them), the one with the
most events is the latest, and whether the ledger still has its root is kept per text.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cli.errors import CliError
from cli.files import CHECKPOINT_BYTES, KEY_BYTES, read_text
from ledger.errors import IntegrityFailure, InvalidInput, LedgerError

if TYPE_CHECKING:  # the store (SQLAlchemy) loads when a page is served, not for --help
    from ledger.storage.store import EventStore

REVERIFY_AFTER = 600.0  # seconds a verification of an unchanged head is shown as it is
MAX_KEPT = 16  # checkpoint texts whose match with the ledger is kept


@dataclass
class Verified:
    """One verification: the ``verify --format json`` meta and problems, and when it ran."""

    meta: dict[str, Any]
    problems: list[dict[str, Any]]
    at: str  # ISO time it finished
    monotonic: float


@dataclass
class CheckpointInfo:
    """The latest checkpoint the server was given, and whether this ledger still has it."""

    file: str
    text: str
    size: int
    origin: str
    root: str
    signature: str  # "verified", "not checked (no --pubkey)", or the failure
    problem: str | None  # why the ledger does not match it, or None

    @property
    def ok(self) -> bool:
        return self.problem is None and not self.signature.startswith("FAILED")


@dataclass
class WebConfig:
    """How ``serve`` (or ``site``) was started."""

    db: str | None
    checkpoints: tuple[str, ...] = ()
    pubkey: str | None = None
    lock_timeout: float | None = None
    checkpoint_text: str | None = None  # one given as text (the static site's)


@dataclass
class WebLedger:
    """The ledger behind the pages, shared by the server's threads."""

    config: WebConfig
    _local: threading.local = field(default_factory=threading.local)
    _stores: list[EventStore] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _verified: Verified | None = None
    _verifying: bool = False
    _matches: dict[str, str | None] = field(default_factory=dict)

    def open(self) -> EventStore:
        """This thread's store, opened on first use."""
        store: EventStore | None = getattr(self._local, "store", None)
        if store is None:
            timeout = self.config.lock_timeout
            store = (
                _store_class().open(self.config.db)
                if timeout is None
                else _store_class().open(self.config.db, lock_timeout=timeout)
            )
            self._local.store = store
            with self._lock:
                self._stores.append(store)
        return store

    @contextmanager
    def store(self) -> Iterator[EventStore]:
        yield self.open()

    def close(self) -> None:
        with self._lock:
            for store in self._stores:
                store.close()
            self._stores.clear()

    # -- verification ------------------------------------------------------------------------

    def _verify(self, store: EventStore) -> Verified:
        from ledger.audit.verify import verify_ledger, verify_table

        table = verify_table(verify_ledger(store))
        now = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        return Verified(table.meta, table.rows, now, time.monotonic())

    def verified(self, store: EventStore) -> Verified:
        """The verification of the ledger as it is now (see the module's docstring)."""
        head = store.head()
        head_seq, head_hash = (head.seq, head.hash) if head else (0, "0" * 64)
        kept = self._verified
        if kept is None or (kept.meta["head_seq"], kept.meta["head_hash"]) != (head_seq, head_hash):
            with self._lock:  # one verification at a time; the others wait for its result
                kept = self._verified
                if kept is None or (kept.meta["head_seq"], kept.meta["head_hash"]) != (
                    head_seq,
                    head_hash,
                ):
                    kept = self._verified = self._verify(store)
            return kept
        if time.monotonic() - kept.monotonic > REVERIFY_AFTER and not self._verifying:
            self._verifying = True
            threading.Thread(target=self._reverify, daemon=True).start()
        return kept

    def _reverify(self) -> None:
        try:
            with _store_class().open(self.config.db) as store:
                result = self._verify(store)
            with self._lock:
                self._verified = result
        except LedgerError:
            pass  # the next request verifies in the foreground and shows the error
        finally:
            self._verifying = False

    # -- checkpoints -------------------------------------------------------------------------

    def checkpoint(self, store: EventStore) -> CheckpointInfo | None:
        """The latest of the checkpoint files (most events), checked against the ledger; None
        when the server was given none. A file that cannot be read or parsed is skipped."""
        from ledger.audit.signing import parse_signed_checkpoint

        best: tuple[int, str, str] | None = None
        if self.config.checkpoint_text is not None:
            text = self.config.checkpoint_text
            best = (parse_signed_checkpoint(text)[0].size, "checkpoint.txt", text)
        for path in self.config.checkpoints:
            try:
                text = read_text(path, "checkpoint", CHECKPOINT_BYTES)
                size = parse_signed_checkpoint(text)[0].size
            except (CliError, ValueError):
                continue
            if best is None or size > best[0]:
                best = (size, path, text)
        if best is None:
            return None
        _, path, text = best
        cp = parse_signed_checkpoint(text)[0]
        return CheckpointInfo(
            file=path,
            text=text,
            size=cp.size,
            origin=cp.origin,
            root=cp.root.hex(),
            signature=self._signature(text),
            problem=self._match(store, text),
        )

    def _signature(self, text: str) -> str:
        from ledger.audit.signing import SignatureError, verify_checkpoint_signature

        if self.config.pubkey is None:
            return "not checked (serve was given no --pubkey)"
        try:
            verify_checkpoint_signature(text, read_text(self.config.pubkey, "key", KEY_BYTES))
        except (SignatureError, CliError) as exc:
            return f"FAILED: {exc}"
        return "verified"

    def _match(self, store: EventStore, text: str) -> str | None:
        from ledger.audit.proofs import check_checkpoint_matches, parse_checkpoint

        if text not in self._matches:
            try:
                check_checkpoint_matches(store, parse_checkpoint(text))
                found: str | None = None
            except (IntegrityFailure, InvalidInput) as exc:
                found = str(exc)
            if len(self._matches) >= MAX_KEPT:
                self._matches.clear()
            self._matches[text] = found
        return self._matches[text]


def _store_class() -> type[EventStore]:
    from ledger.storage.store import EventStore

    return EventStore
