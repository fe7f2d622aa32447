"""Side-by-side benchmark: defledger vs the eventsourcing library vs plain sqlite3.

    python benchmarks/run.py [--quick] [--sizes 100000,1000000] [--reps 3] [--out FILE.json]

For each N, each rep runs every variant in a fixed order (raw, es, ours: interleaved), each
phase of a variant in a fresh subprocess (so ``ru_maxrss`` is that phase's peak RSS), on a fresh
database. The summary takes medians over reps, and ratios as the median of per-rep ratios.
``docs/performance.md`` explains the method and the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
VARIANTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "raw": ("raw_sqlite", ("append", "replay", "verify", "get", "command")),
    "es": ("peer_eventsourcing", ("append", "replay", "get", "command")),
    "ours": (
        "ours",
        ("append", "replay", "verify", "get", "projections", "export", "command"),
    ),
}
LABELS = {"raw": "raw sqlite3 + chain (limit)", "es": "eventsourcing (peer)", "ours": "defledger"}
QUICK_N = 5000


# -- worker: one phase of one variant, in this process ------------------------------------------


def worker(variant: str, phase: str, n: int, db: Path) -> None:
    sys.path[:0] = [str(HERE), str(HERE.parent)]  # works from a clone without installation
    import importlib

    from common import peak_rss_mb

    module = importlib.import_module(VARIANTS[variant][0])
    result = module.PHASES[phase](db, n) if phase in module.PHASES else {"skipped": "n/a"}
    result["rss_mb"] = peak_rss_mb()
    print(json.dumps(result))


def run_phase(variant: str, phase: str, n: int, db: Path) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", variant]
    command += ["--phase", phase, "--n", str(n), "--db", str(db)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-3:]
        return {"error": " | ".join(tail) or f"exit {done.returncode}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- orchestration --------------------------------------------------------------------------


def help_time(repeat: int = 5) -> float:
    """Median wall seconds of ``defledger --help`` in a fresh process."""
    script = Path(sys.executable).with_name("defledger")
    command = [str(script), "--help"] if script.exists() else None
    command = command or [sys.executable, "-c", "from cli.app import main; main()", "--help"]
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        samples.append(time.perf_counter() - began)
    return statistics.median(samples)


def run_variant(variant: str, n: int, workdir: Path, rep: int) -> dict[str, Any]:
    db = workdir / f"{variant}-{n}-{rep}.db"
    for stale in workdir.glob(f"{db.name}*"):
        stale.unlink()
    merged: dict[str, Any] = {"variant": variant, "n": n, "rep": rep}
    for phase in VARIANTS[variant][1]:
        result = run_phase(variant, phase, n, db)
        if "error" in result:
            merged.setdefault("errors", {})[phase] = result["error"]
            print(f"  ! {variant} {phase}: {result['error']}", file=sys.stderr)
            if phase == "append":
                break
            continue
        if result.get("skipped"):
            merged.setdefault("skipped", {})[phase] = result["skipped"]
            continue
        merged[f"{phase}_rss_mb"] = result.pop("rss_mb")
        merged.update(result)
    for stale in workdir.glob(f"{db.name}*"):
        stale.unlink()
    for kind in ("append", "replay", "verify"):
        if merged.get(f"{kind}_s"):
            merged[f"{kind}_eps"] = round(merged[f"{kind}_events"] / merged[f"{kind}_s"])
    rss = [v for k, v in merged.items() if k.endswith("_rss_mb")]
    merged["peak_rss_mb"] = max(rss, default=None)
    return merged


def _median(values: list[float]) -> float | None:
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 3) if values else None


RATIOS = {  # name: (metric, variant, higher is better)
    "append_vs_es": ("append_eps", "es", True),
    "append_vs_raw": ("append_eps", "raw", True),
    "replay_vs_es": ("replay_eps", "es", True),
    "replay_vs_raw": ("replay_eps", "raw", True),
    "verify_vs_raw": ("verify_eps", "raw", True),
    "get_vs_es": ("get_us", "es", False),
    "command_vs_es": ("command_us", "es", False),
    "bytes_vs_es": ("db_bytes_per_event", "es", False),
}


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians per variant and metric, and ours' ratios (median of per-rep ratios).
    A ratio is ours ÷ other for rates (above 1: ours is faster) and for latencies and sizes
    (below 1: ours is smaller)."""
    by_variant: dict[str, dict[str, Any]] = {}
    for variant in VARIANTS:
        mine = [r for r in runs if r["variant"] == variant]
        keys = sorted({k for r in mine for k, v in r.items() if isinstance(v, int | float)})
        by_variant[variant] = {
            k: _median([r.get(k) for r in mine]) for k in keys if k not in ("n", "rep")
        }
        by_variant[variant]["runs"] = len(mine)
    ratios: dict[str, float | None] = {}
    for name, (metric, other, _) in RATIOS.items():
        per_rep = []
        for ours in (r for r in runs if r["variant"] == "ours"):
            peer = next(
                (r for r in runs if r["variant"] == other and r["rep"] == ours["rep"]), None
            )
            if peer and ours.get(metric) and peer.get(metric):
                per_rep.append(ours[metric] / peer[metric])
        ratios[name] = _median(per_rep)
    return {"variants": by_variant, "ratios": ratios}


def goals(summary: dict[str, Any], help_s: float | None) -> list[dict[str, Any]]:
    """Each goal this run can check, with the figure and whether it is met. ``source``: "goal"
    for defledger's own goals, "reference" for the two latency goals that only the shared
    performance reference recommends (get one stream, single command)."""
    ours = summary["variants"]["ours"]
    ratios = summary["ratios"]
    reference = {"get ≤ 0.3× eventsourcing", "command ≤ 0.6× eventsourcing"}
    rows = [
        ("append ≥ 2.5× eventsourcing", ratios.get("append_vs_es"), lambda v: v >= 2.5, "×"),
        ("replay ≥ 4× eventsourcing", ratios.get("replay_vs_es"), lambda v: v >= 4.0, "×"),
        ("verify ≥ 250k events/s", ours.get("verify_eps"), lambda v: v >= 250_000, " ev/s"),
        ("DB ≤ 650 bytes/event", ours.get("db_bytes_per_event"), lambda v: v <= 650, " B"),
        ("get ≤ 0.3× eventsourcing", ratios.get("get_vs_es"), lambda v: v <= 0.3, "×"),
        ("command ≤ 0.6× eventsourcing", ratios.get("command_vs_es"), lambda v: v <= 0.6, "×"),
        ("peak RSS ≤ 150 MB", ours.get("peak_rss_mb"), lambda v: v <= 150, " MB"),
        ("catch-up after 1 event ≤ 50 ms", ours.get("catchup_ms"), lambda v: v <= 50, " ms"),
        ("totals warm ≤ 100 ms", ours.get("totals_ms"), lambda v: v <= 100, " ms"),
        ("totals --as-of ≤ 1 s", ours.get("totals_asof_ms"), lambda v: v <= 1000, " ms"),
        ("defledger --help < 0.3 s", help_s, lambda v: v < 0.3, " s"),
    ]
    return [
        {
            "goal": goal,
            "source": "reference" if goal in reference else "goal",
            "figure": value,
            "unit": unit.strip(),
            "met": None if value is None else ok(value),
        }
        for goal, value, ok, unit in rows
    ]


def _fmt(value: Any, digits: int = 0) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and digits:
        return f"{value:,.{digits}f}"
    return f"{value:,.0f}" if isinstance(value, int | float) else str(value)


TABLE_ROWS = (  # label, metric, digits
    ("append ev/s", "append_eps", 0),
    ("replay ev/s", "replay_eps", 0),
    ("replay ev/s, full envelopes", "replay_envelopes_eps", 0),
    ("verify ev/s", "verify_eps", 0),
    ("get one stream µs", "get_us", 0),
    ("command µs (read + append 1)", "command_us", 0),
    ("record µs (rules + append 1)", "record_us", 0),
    ("projections: build from seq 0, ev/s", "build_eps", 0),
    ("rebuild (recompute + compare) ev/s", "rebuild_eps", 0),
    ("catch-up after 1 event ms", "catchup_ms", 1),
    ("totals warm ms", "totals_ms", 1),
    ("totals --as-of ms", "totals_asof_ms", 1),
    ("export ev/s", "export_eps", 0),
    ("DB bytes/event", "db_bytes_per_event", 0),
    ("peak RSS MB (append)", "append_rss_mb", 0),
    ("peak RSS MB (replay)", "replay_rss_mb", 0),
    ("peak RSS MB (verify)", "verify_rss_mb", 0),
    ("peak RSS MB (export)", "export_rss_mb", 0),
    ("PRAGMA synchronous", "synchronous", 0),
)


def table(n: int, summary: dict[str, Any]) -> str:
    variants = summary["variants"]
    ratios = summary["ratios"]
    by_metric = {metric: name for name, (metric, other, _) in RATIOS.items() if other == "es"}
    by_metric_raw = {metric: name for name, (metric, other, _) in RATIOS.items() if other == "raw"}
    lines = [
        f"N = {n:,} (medians of {variants['ours'].get('runs', 0)} interleaved reps)",
        "| metric | raw sqlite3 + chain (limit) | eventsourcing (peer) | defledger "
        "| defledger vs peer | defledger vs limit |",
        "|---|---|---|---|---|---|",
    ]
    for label, metric, digits in TABLE_ROWS:
        cells = [_fmt(variants[v].get(metric), digits) for v in ("raw", "es", "ours")]
        if all(c == "—" for c in cells):
            continue
        vs_es = ratios.get(by_metric.get(metric, ""))
        vs_raw = ratios.get(by_metric_raw.get(metric, ""))
        lines.append(
            f"| {label} | {' | '.join(cells)} | "
            f"{'—' if vs_es is None else f'{vs_es:.2f}×'} | "
            f"{'—' if vs_raw is None else f'{vs_raw:.2f}×'} |"
        )
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    from importlib.metadata import PackageNotFoundError, version

    versions = {}
    for package in ("eventsourcing", "SQLAlchemy", "sqlmodel", "pydantic", "orjson"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = None
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "packages": versions,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"N={QUICK_N:,}, 1 rep (for CI)")
    parser.add_argument("--sizes", help="comma-separated N (default 100000,1000000)")
    parser.add_argument("--reps", type=int, help="repetitions per size (default 3)")
    parser.add_argument("--variants", default="raw,es,ours", help="subset, in this order")
    parser.add_argument("--out", type=Path, help="JSON results (default benchmarks/results/…)")
    parser.add_argument("--workdir", type=Path, help="where the databases go (default: a tmp dir)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, args.phase, args.n, args.db)
        return 0

    sizes = [
        int(s)
        for s in (args.sizes or (str(QUICK_N) if args.quick else "100000,1000000")).split(",")
    ]
    reps = args.reps or (1 if args.quick else 3)
    variants = [v for v in args.variants.split(",") if v]
    try:
        import eventsourcing  # noqa: F401
    except ImportError:
        print(
            "eventsourcing is not installed (pip install -e '.[bench]'): no peer", file=sys.stderr
        )
        variants = [v for v in variants if v != "es"]
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = args.out or HERE / "results" / f"{stamp}.json"
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="defledger-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(HERE))
    from workload import content_bytes

    results: dict[str, Any] = {
        "meta": {
            "started": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine(),
            "sizes": sizes,
            "reps": reps,
            "variants": variants,
            "order": "for each N, for each rep: " + ", ".join(variants),
            "payload_bytes": round(content_bytes(), 1),
            "workdir": str(workdir),
        },
        "sizes": {},
    }
    help_samples = []
    try:
        for n in sizes:
            runs = []
            for rep in range(1, reps + 1):
                for variant in variants:
                    began = time.perf_counter()
                    run = run_variant(variant, n, workdir, rep)
                    runs.append(run)
                    print(
                        f"N={n:,} rep {rep} {variant}: {time.perf_counter() - began:.1f} s "
                        f"(append {_fmt(run.get('append_eps'))} ev/s, "
                        f"replay {_fmt(run.get('replay_eps'))} ev/s)",
                        file=sys.stderr,
                    )
                help_samples.append(help_time())
            summary = summarise(runs)
            results["sizes"][str(n)] = {"runs": runs, "summary": summary}
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    help_s = round(statistics.median(help_samples), 3)
    results["help_s"] = help_s
    results["goals"] = {n: goals(s["summary"], help_s) for n, s in results["sizes"].items()}
    results["meta"]["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    for n, size in results["sizes"].items():
        print(table(int(n), size["summary"]))
        print()
        for goal in results["goals"][n]:
            mark = {True: "met", False: "MISSED", None: "not measured"}[goal["met"]]
            unit = f" {goal['unit']}" if goal["unit"] else ""
            source = " (reference recommendation, not one of the goals)" * (
                goal["source"] == "reference"
            )
            print(f"- {goal['goal']}: {_fmt(goal['figure'], 2)}{unit} — {mark}{source}")
        print()
    print(f"defledger --help: {help_s:.3f} s (median of 5 per rep)")
    print(f"results: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
