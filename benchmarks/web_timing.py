"""Time to first byte of the web view on a ledger of the ``workload.py`` shape.

    python benchmarks/web_timing.py [N ...]        (default: 100000)

Starts ``defledger serve --port 0`` on the ledger in a subprocess and asks it for pages over a
plain socket, timing from sending the request to the first byte of the answer (TTFB) and to
its last byte. ``cold`` is the first request to a fresh server (it verifies the whole ledger
once and catches the projections up); ``warm`` figures are medians of 21 requests after it.
The overview reads the persisted projections (``ledger.projections.persisted``), so a warm
request folds no events. The ledgers are built through the real import path and cached under
$TMPDIR/defledger-proj-bench/ (shared with ``projections_timing.py``; delete the folder to
rebuild them). Prints one JSON object per N. Needs the extra ``web``.
"""

from __future__ import annotations

import json
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

REPS = 21
PAGES = {
    "overview": "/",
    "overview_jp": "/jurisdictions/JP",
    "overview_as_of": "/jurisdictions/JP?as_of={middle}",
    "definitions": "/definitions",
    "events": "/events",
    "event": "/events/{middle}",
    "feed": "/api/v1/events?after={middle}&limit=1000",
    "number": "/number?jurisdiction=JP&fy=2025&definition=jp-defense-related",
    "api_totals": "/api/v1/totals?jurisdiction=JP",
}


def ledger(n: int) -> Path:
    from projections_timing import build

    folder = Path(tempfile.gettempdir()) / "defledger-proj-bench"
    folder.mkdir(exist_ok=True)
    path = folder / f"ledger-{n}.db"
    if not path.exists():
        began = time.perf_counter()
        build(path, n)
        print(f"built {n} events in {time.perf_counter() - began:.1f} s", file=sys.stderr)
    return path


def fetch(port: int, path: str) -> tuple[float, float, int]:
    """(seconds to the first byte, seconds to the last, HTTP status) of one GET."""
    with socket.create_connection(("127.0.0.1", port)) as conn:
        request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        began = time.perf_counter()
        conn.sendall(request.encode())
        first = conn.recv(65536)
        ttfb = time.perf_counter() - began
        while conn.recv(65536):
            pass
        total = time.perf_counter() - began
    status = int(first.split(b" ", 2)[1])
    return ttfb, total, status


def ms(value: float) -> float:
    return round(value * 1000, 1)


def measure(n: int) -> dict[str, Any]:
    path = ledger(n)
    command = [sys.executable, "-c", "from cli.app import main; main()", "--db", str(path),
               "serve", "--port", "0"]  # fmt: skip
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        found = re.search(r":(\d+)/ \(read-only", line)
        if not found:
            raise SystemExit(f"serve did not start: {line!r}")
        port = int(found.group(1))
        result: dict[str, Any] = {"n": n}
        ttfb, total, status = fetch(port, "/")
        result["overview_cold"] = {"ttfb_ms": ms(ttfb), "total_ms": ms(total), "status": status}
        head = json.loads(_body(port, "/api/v1/verify"))["meta"]["head_seq"]
        for name, template in PAGES.items():
            url = template.format(middle=head // 2)
            samples = [fetch(port, url) for _ in range(REPS)]
            statuses = {s for _, _, s in samples}
            result[name] = {
                "ttfb_ms": ms(statistics.median(t for t, _, _ in samples)),
                "total_ms": ms(statistics.median(t for _, t, _ in samples)),
                "status": statuses.pop() if len(statuses) == 1 else sorted(statuses),
            }
        result["head_seq"] = head
        return result
    finally:
        process.terminate()
        process.wait(timeout=20)


def _body(port: int, path: str) -> str:
    with socket.create_connection(("127.0.0.1", port)) as conn:
        conn.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    return data.split(b"\r\n\r\n", 1)[1].decode()


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [100_000]
    for n in sizes:
        print(json.dumps(measure(n)))


if __name__ == "__main__":
    main()
