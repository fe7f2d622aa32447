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
        (
            "append",
            "replay",
            "verify",
            "get",
            "projections",
            "export",
            "verify_export",
            "csv",
            "log",
            "command",
        ),
    ),  # fmt: skip
    # the same append and replay on a durable PostgreSQL cluster (``pg_cluster``)
    "pg_es": ("peer_eventsourcing", ("append", "replay")),
    "pg_ours": ("ours", ("append", "replay", "verify")),
}
PG_VARIANTS = ("pg_es", "pg_ours")
LABELS = {
    "raw": "raw sqlite3 + chain (limit)",
    "es": "eventsourcing (peer)",
    "ours": "defledger",
    "pg_es": "eventsourcing, PostgreSQL",
    "pg_ours": "defledger, PostgreSQL",
}
QUICK_N = 5000


# -- worker: one phase of one variant, in this process ------------------------------------------


def worker(variant: str, phase: str, n: int, db: Path | str) -> None:
    sys.path[:0] = [str(HERE), str(HERE.parent)]  # works from a clone without installation
    import importlib

    from common import peak_rss_mb

    module = importlib.import_module(VARIANTS[variant][0])
    result = module.PHASES[phase](db, n) if phase in module.PHASES else {"skipped": "n/a"}
    result["rss_mb"] = peak_rss_mb()
    print(json.dumps(result))


def run_phase(variant: str, phase: str, n: int, db: Path | str) -> dict[str, Any]:
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


def run_variant(
    variant: str, n: int, workdir: Path, rep: int, pg_url: str | None = None
) -> dict[str, Any]:
    if variant in PG_VARIANTS:
        if pg_url is None:
            return {"variant": variant, "n": n, "rep": rep, "skipped": {"all": "no server"}}
        from pg_cluster import drop_database, fresh_database

        url = fresh_database(pg_url)
        try:
            return _run_phases(variant, n, url, rep, workdir)
        finally:
            drop_database(url)
    return _run_phases(variant, n, workdir / f"{variant}-{n}-{rep}.db", rep, workdir)


def _run_phases(variant: str, n: int, db: Path | str, rep: int, workdir: Path) -> dict[str, Any]:
    name = Path(str(db)).name if isinstance(db, Path) else "-"
    for stale in workdir.glob(f"{name}*"):
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
    for stale in workdir.glob(f"{name}*"):
        if stale.is_file():
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


RATIOS: dict[str, tuple[str, ...]] = {  # name: (metric, ours' variant, the other variant[,
    # the other's metric when it is not the same])
    "append_vs_es": ("append_eps", "ours", "es"),
    "append_vs_raw": ("append_eps", "ours", "raw"),
    "replay_vs_es": ("replay_eps", "ours", "es"),
    "replay_vs_raw": ("replay_eps", "ours", "raw"),
    "verify_vs_raw": ("verify_eps", "ours", "raw"),
    "get_vs_es": ("get_us", "ours", "es"),
    "command_vs_es": ("command_us", "ours", "es"),
    "bytes_vs_es": ("db_bytes_per_event", "ours", "es"),
    # ``defledger import FILE.csv`` (whole process, events/s) against the peer's append
    "csv_vs_es": ("csv_eps", "ours", "es", "append_eps"),
    "pg_append_vs_es": ("append_eps", "pg_ours", "pg_es"),
    "pg_replay_vs_es": ("replay_eps", "pg_ours", "pg_es"),
    "pg_bytes_vs_es": ("db_bytes_per_event", "pg_ours", "pg_es"),
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
        texts = {r.get("synchronous") for r in mine if isinstance(r.get("synchronous"), str)}
        if texts:
            by_variant[variant]["synchronous"] = ", ".join(sorted(texts))
    ratios: dict[str, float | None] = {}
    for name, (metric, variant, other, *their) in RATIOS.items():
        per_rep = []
        theirs = their[0] if their else metric
        for ours in (r for r in runs if r["variant"] == variant):
            peer = next(
                (r for r in runs if r["variant"] == other and r["rep"] == ours["rep"]), None
            )
            if peer and ours.get(metric) and peer.get(theirs):
                per_rep.append(ours[metric] / peer[theirs])
        ratios[name] = _median(per_rep)
    return {"variants": by_variant, "ratios": ratios}


Goal = tuple[str, Any, str, float, str]  # text, figure, "≥" or "≤", target, unit


def goals(
    summary: dict[str, Any], help_s: float | None, totals_s: float | None = None
) -> list[dict[str, Any]]:
    """Each goal this run can check, with its figure, whether it is met and by what margin.
    ``source``: "goal" for the goals of this round, "hold" for earlier goals that must hold,
    "reference" for the two latency goals that only the shared performance reference
    recommends (get one stream, single command)."""
    ours = summary["variants"]["ours"]
    ratios = summary["ratios"]
    totals_ratio = round(totals_s / help_s, 2) if totals_s and help_s else None
    es = "eventsourcing append"
    rows: list[tuple[str, Goal]] = [
        ("goal", (f"import (SQLite) ≥ 1.25× {es}", ratios.get("append_vs_es"), "≥", 1.25, "×")),
        ("goal", (f"defledger import FILE.csv (whole process) ≥ 1.25× {es}",
                  ratios.get("csv_vs_es"), "≥", 1.25, "×")),
        ("goal", ("import (PostgreSQL) ≥ 1.25× eventsourcing (PostgreSQL)",
                  ratios.get("pg_append_vs_es"), "≥", 1.25, "×")),
        ("goal", ("peak RSS of import FILE.csv ≤ 200 MB", ours.get("csv_rss_mb"), "≤", 200, "MB")),
        ("goal", ("peak RSS of log --format jsonl ≤ 150 MB", ours.get("log_rss_mb"), "≤", 150,
                  "MB")),
        ("goal", ("export ≥ 60k events/s", ours.get("export_eps"), "≥", 60_000, "ev/s")),
        ("goal", ("verify-export ≥ 60k events/s", ours.get("verify_export_eps"), "≥", 60_000,
                  "ev/s")),
        ("goal", ("totals --fy FY2025 (demo ledger) ≤ 1.5× defledger --help", totals_ratio, "≤",
                  1.5, "×")),
        ("hold", ("replay ≥ 4× eventsourcing", ratios.get("replay_vs_es"), "≥", 4.0, "×")),
        ("hold", ("verify ≥ 250k events/s", ours.get("verify_eps"), "≥", 250_000, "ev/s")),
        ("hold", ("DB ≤ 650 bytes/event", ours.get("db_bytes_per_event"), "≤", 650, "B")),
        ("hold", ("peak RSS of the other phases ≤ 150 MB", _other_rss(ours), "≤", 150, "MB")),
        ("hold", ("catch-up after 1 event ≤ 50 ms", ours.get("catchup_ms"), "≤", 50, "ms")),
        ("hold", ("totals warm ≤ 100 ms", ours.get("totals_ms"), "≤", 100, "ms")),
        ("hold", ("totals --as-of ≤ 1 s", ours.get("totals_asof_ms"), "≤", 1000, "ms")),
        ("hold", ("defledger --help < 0.3 s", help_s, "≤", 0.3, "s")),
        ("reference", ("get ≤ 0.3× eventsourcing", ratios.get("get_vs_es"), "≤", 0.3, "×")),
        ("reference", ("command ≤ 0.6× eventsourcing", ratios.get("command_vs_es"), "≤", 0.6,
                       "×")),
    ]  # fmt: skip
    return [_goal(source, *goal) for source, goal in rows]


def _other_rss(ours: dict[str, Any]) -> float | None:
    phases = ("append", "replay", "verify", "get", "projections", "export", "verify_export",
              "command")  # fmt: skip
    values = [ours.get(f"{phase}_rss_mb") for phase in phases]
    return max((v for v in values if v is not None), default=None)


def _goal(
    source: str, goal: str, value: Any, sense: str, target: float, unit: str
) -> dict[str, Any]:  # noqa: E501
    """A goal's row: met or not, and the margin: how far past the target the figure is
    (positive: met with room; negative: short by that much), as a fraction of the target."""
    if value is None:
        met, margin = None, None
    else:
        met = value >= target if sense == "≥" else value <= target
        margin = (value - target) / target if sense == "≥" else (target - value) / target
        margin = round(margin, 3)
    return {"goal": goal, "source": source, "figure": value, "unit": unit, "met": met,
            "margin": margin}  # fmt: skip


def growth_goal(sizes: dict[str, Any]) -> dict[str, Any] | None:
    """Append cost per event at the largest N against the smallest (≤ +10 %), when a run has
    both 100k-ish and 1M-ish sizes: (µs/event at the largest) ÷ (µs/event at the smallest)."""
    rates = {
        int(n): size["summary"]["variants"]["ours"].get("append_eps") for n, size in sizes.items()
    }
    rates = {n: r for n, r in rates.items() if r}
    if len(rates) < 2:
        return None
    small, large = min(rates), max(rates)
    growth = round(rates[small] / rates[large] - 1, 3)
    return _growth_row(f"append cost per event at {large:,} ≤ +10 % of {small:,}", growth)


def _growth_row(text: str, growth: float) -> dict[str, Any]:
    """A growth goal (≤ +10 %): its margin in percentage points, not as a share of 10 %."""
    row = _goal("goal", text, growth, "≤", 0.10, "")
    row["margin"] = round(0.10 - growth, 3)
    return row


def tenths_goal(sizes: dict[str, Any]) -> list[dict[str, Any]]:
    """Within the largest run: µs per event of its last tenth against its first tenth (wall and
    CPU), which two runs minutes apart on a shared machine cannot blur."""
    if not sizes:
        return []
    large = max(sizes, key=int)
    ours = sizes[large]["summary"]["variants"]["ours"]
    rows = []
    for label, suffix in (("wall", "us"), ("CPU", "cpu_us")):
        first, last = ours.get(f"append_first_{suffix}"), ours.get(f"append_last_{suffix}")
        if first and last:
            growth = round(last / first - 1, 3)
            text = (f"append cost per event ({label}), last tenth of {int(large):,} vs its "
                    "first ≤ +10 %")  # fmt: skip
            rows.append(_growth_row(text, growth))
    return rows


def _fmt(value: Any, digits: int = 0) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and digits:
        return f"{value:,.{digits}f}"
    return f"{value:,.0f}" if isinstance(value, int | float) else str(value)


TABLE_ROWS = (  # label, metric, digits
    ("append ev/s", "append_eps", 0),
    ("append CPU µs/event", "append_cpu_us", 1),
    ("append µs/event, first tenth (wall)", "append_first_us", 1),
    ("append µs/event, last tenth (wall)", "append_last_us", 1),
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
    ("verify-export ev/s", "verify_export_eps", 0),
    ("import FILE.csv, whole process, ev/s", "csv_eps", 0),
    ("log --format jsonl, whole process, ev/s", "log_eps", 0),
    ("DB bytes/event", "db_bytes_per_event", 0),
    ("peak RSS MB (append)", "append_rss_mb", 0),
    ("peak RSS MB (replay)", "replay_rss_mb", 0),
    ("peak RSS MB (verify)", "verify_rss_mb", 0),
    ("peak RSS MB (export)", "export_rss_mb", 0),
    ("peak RSS MB (verify-export)", "verify_export_rss_mb", 0),
    ("peak RSS MB (import FILE.csv)", "csv_rss_mb", 0),
    ("peak RSS MB (log --format jsonl)", "log_rss_mb", 0),
    ("PRAGMA synchronous", "synchronous", 0),
)
PG_ROWS = (
    ("append ev/s", "append_eps", 0),
    ("replay ev/s", "replay_eps", 0),
    ("verify ev/s", "verify_eps", 0),
    ("DB bytes/event (whole database)", "db_bytes_per_event", 0),
    ("peak RSS MB (append)", "append_rss_mb", 0),
    ("synchronous_commit", "synchronous", 0),
)


def table(n: int, summary: dict[str, Any]) -> str:
    variants = summary["variants"]
    ratios = summary["ratios"]
    by_metric = {spec[0]: name for name, spec in RATIOS.items() if spec[1:3] == ("ours", "es")}
    by_metric_raw = {spec[0]: name for name, spec in RATIOS.items() if spec[1:3] == ("ours", "raw")}
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
    if variants.get("pg_ours", {}).get("append_eps"):
        by_pg = {spec[0]: name for name, spec in RATIOS.items() if spec[1] == "pg_ours"}
        lines += [
            "",
            f"PostgreSQL, durable cluster, N = {n:,}",
            "| metric | eventsourcing (PostgreSQL) | defledger (PostgreSQL) | defledger vs peer |",
            "|---|---|---|---|",
        ]
        for label, metric, digits in PG_ROWS:
            cells = [_fmt(variants[v].get(metric), digits) for v in ("pg_es", "pg_ours")]
            ratio = ratios.get(by_pg.get(metric, ""))
            lines.append(
                f"| {label} | {' | '.join(cells)} | {'—' if ratio is None else f'{ratio:.2f}×'} |"
            )
    return "\n".join(lines)


def totals_time(db: Path, repeat: int = 5) -> float | None:
    """Median wall seconds of ``defledger totals --fy FY2025`` on the demo ledger ``db``."""
    script = Path(sys.executable).with_name("defledger")
    if not script.exists():
        return None
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        subprocess.run([str(script), "--db", str(db), "totals", "--fy", "FY2025"],
                       capture_output=True, check=True)  # fmt: skip
        samples.append(time.perf_counter() - began)
    return statistics.median(samples)


def _print_goal(goal: dict[str, Any]) -> None:
    mark = {True: "met", False: "MISSED", None: "not measured"}[goal["met"]]
    unit = f" {goal['unit']}" if goal["unit"] else ""
    figure = goal["figure"]
    shown = f"{figure:+.1%}" if goal["unit"] == "" and figure is not None else _fmt(figure, 2)
    margin = goal.get("margin")
    room = ""
    if margin is not None:
        room = f" (margin {margin:+.0%})" if goal["met"] else f" (short by {-margin:.0%})"
    source = {"hold": " [hold]", "reference": " [reference recommendation]"}.get(goal["source"], "")
    print(f"- {goal['goal']}: {shown}{unit} — {mark}{room}{source}")


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
    parser.add_argument(
        "--variants",
        default="raw,es,ours,pg_es,pg_ours",
        help="subset, in this order (pg_*: on a durable PostgreSQL cluster the run starts)",
    )
    parser.add_argument("--out", type=Path, help="JSON results (default benchmarks/results/…)")
    parser.add_argument("--workdir", type=Path, help="where the databases go (default: a tmp dir)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        db = args.db if args.db.startswith("postgresql") else Path(args.db)
        worker(args.worker, args.phase, args.n, db)
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
        variants = [v for v in variants if v not in ("es", "pg_es")]
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
    help_samples: list[float] = []
    totals_samples: list[float] = []
    from contextlib import ExitStack

    from pg_cluster import cluster, settings

    stack = ExitStack()
    pg_url = stack.enter_context(cluster()) if set(PG_VARIANTS) & set(variants) else None
    if pg_url:
        results["meta"]["postgresql"] = settings(pg_url)
    demo = workdir / "demo.db"
    subprocess.run([sys.executable, "-c", "from cli.app import main; main()", "--db", str(demo),
                    "demo"], capture_output=True, check=False, cwd=HERE.parent)  # fmt: skip
    try:
        for n in sizes:
            runs = []
            for rep in range(1, reps + 1):
                for variant in variants:
                    began = time.perf_counter()
                    run = run_variant(variant, n, workdir, rep, pg_url)
                    runs.append(run)
                    print(
                        f"N={n:,} rep {rep} {variant}: {time.perf_counter() - began:.1f} s "
                        f"(append {_fmt(run.get('append_eps'))} ev/s, "
                        f"replay {_fmt(run.get('replay_eps'))} ev/s)",
                        file=sys.stderr,
                    )
                help_samples.append(help_time())
                measured = totals_time(demo) if demo.exists() else None
                if measured is not None:
                    totals_samples.append(measured)
            summary = summarise(runs)
            results["sizes"][str(n)] = {"runs": runs, "summary": summary}
    finally:
        stack.close()
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    help_s = round(statistics.median(help_samples), 3)
    totals_s = round(statistics.median(totals_samples), 3) if totals_samples else None
    results["help_s"] = help_s
    results["totals_fy_s"] = totals_s
    results["goals"] = {
        n: goals(s["summary"], help_s, totals_s) for n, s in results["sizes"].items()
    }
    growth = growth_goal(results["sizes"])
    within = tenths_goal(results["sizes"])
    if growth is not None or within:
        results["goals"]["across sizes"] = [*([growth] if growth else []), *within]
    results["meta"]["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    results["meta"]["load_average"] = os.getloadavg()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    for n, size in results["sizes"].items():
        print(table(int(n), size["summary"]))
        print()
        for goal in results["goals"][n]:
            _print_goal(goal)
        print()
    for row in results["goals"].get("across sizes", []):
        _print_goal(row)
    print(f"defledger --help: {help_s:.3f} s; totals --fy FY2025 on the demo ledger: "
          f"{_fmt(totals_s, 3)} s (medians of 5 per rep)")  # fmt: skip
    print(f"load average at the end: {', '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(f"results: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
