"""Time ``export``, ``verify-export``, checkpoints and proofs on a large synthetic ledger.

    python benchmarks/export_timing.py [EVENTS] [WORKDIR]     # default 100000, a temp dir

The ledger is built with ``EventStore.append`` directly (1,000 events per transaction): three
categories, two definition versions, GDP for 16 years, then budget lines (80 %) and revisions
(20 %). Wall and CPU seconds and the peak RSS are printed for each step. ``export`` and
``verify-export`` each run in a fresh process (``--phase``), so their peak RSS
(``ru_maxrss``) is theirs alone; the other steps run in this process after the build.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from events import Provenance, parse_event  # noqa: E402
from ledger.storage.records import PendingEvent  # noqa: E402
from ledger.storage.store import EventStore  # noqa: E402

CATEGORIES = ("JP.CORE.DBP", "JP.REL.JCG", "JP.CAND.SPACE")


def _event(event_type: str, **fields: Any) -> PendingEvent:
    return PendingEvent(parse_event({**fields, "type": event_type}), Provenance(actor="bench"))


def _setup() -> list[PendingEvent]:
    events = [_event("CategoryDefined", code=code, name=code) for code in CATEGORIES]
    events += [
        _event("DefinitionVersionOpened", definition="jp", version=1, title="v1"),
        _event("CategoryIncluded", definition="jp", version=1, category=CATEGORIES[0]),
        _event(
            "CategoryIncluded", definition="jp", version=1, category=CATEGORIES[1], tier="related"
        ),
        _event("DefinitionVersionOpened", definition="jp", version=2, based_on=1, title="v2"),
        _event("CategoryIncluded", definition="jp", version=2, category=CATEGORIES[2], share="0.5"),
    ]
    events += [
        _event("GdpRecorded", fiscal_year=year, amount=str(560 * 10**12 + year), vintage="v1")
        for year in range(2015, 2031)
    ]
    return events


def _line_event(i: int) -> PendingEvent:
    if i % 5 == 4:
        return _event(
            "BudgetLineRevised", fiscal_year=2015 + (i - 1) % 16, line_id=f"L{i - 1}",
            amount=f"{(i * 7919) % 10**9}.{i % 100:02d}",
        )  # fmt: skip
    return _event(
        "BudgetLineRecorded", fiscal_year=2015 + i % 16, line_id=f"L{i}", agency="MoD",
        program=f"program {i}", category=CATEGORIES[i % 3], amount=str((i * 104729) % 10**12),
        stage="initial",
    )  # fmt: skip


def build(store: EventStore, total: int) -> None:
    store.append_events(_setup())
    count, i = len(_setup()), 0
    while count < total:
        batch = [_line_event(i + k) for k in range(min(1000, total - count))]
        store.append_events(batch)
        count += len(batch)
        i += len(batch)


def timed(label: str, action: Callable[[], object]) -> None:
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"{label:<34} {wall:7.2f} s wall {cpu:7.2f} s CPU   peak RSS {peak} MB", flush=True)


def main() -> None:
    from ledger.audit import checkpoints
    from ledger.audit.proofs import make_proof, verify_proof
    from ledger.audit.signing import generate_keypair
    from ledger.audit.verify import verify_ledger

    total = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    work = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(tempfile.mkdtemp(prefix="defledger-"))
    store = EventStore.open(str(work / "ledger.db"), create=True)
    key, pub = generate_keypair("bench", seed=bytes(32))
    timed(f"build {total:,} events", lambda: build(store, total))
    timed("checkpoint (cold Merkle cache)", lambda: checkpoints.checkpoint_text(store, None, key))
    text = checkpoints.checkpoint_text(store, None, key)
    timed("checkpoint (warm)", lambda: checkpoints.checkpoint_text(store, total - 1, key))
    timed("prove + verify-proof", lambda: verify_proof(make_proof(store, total // 2, text), text))
    timed("verify --checkpoint", lambda: verify_ledger(store, checkpoint=text))
    for step in ("export", "verify-export"):
        subprocess.run(
            [sys.executable, __file__, "--phase", step, str(total), str(work)], check=True
        )
    print(f"bundle: {work / 'bundle'}")


def phase(name: str, total: int, work: Path) -> None:
    """One step in this (fresh) process: ``export --sign`` or ``verify-export --pubkey``."""
    from ledger.audit.signing import generate_keypair
    from ledger.exports.verify import verify_export
    from ledger.exports.write import export_bundle

    key, pub = generate_keypair("bench", seed=bytes(32))
    if name == "export":
        store = EventStore.open(str(work / "ledger.db"))
        timed(
            "export --sign (fresh process)",
            lambda: export_bundle(store, "bundle", total, root=str(work), private_key=key),
        )
    else:

        def check() -> None:
            report = verify_export(work / "bundle", pub)
            assert report.ok, report.problems[:3]

        timed("verify-export --pubkey (fresh process)", check)


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--phase":
        phase(sys.argv[2], int(sys.argv[3]), Path(sys.argv[4]))
    else:
        main()
