"""Print the tamper-class × verifier table (exit code, first bad seq, problem kinds there).

    python scripts/tamper_matrix.py

Each class builds a fresh 100-event SQLite ledger in a temporary folder, keeps its digest and
checkpoint, rewrites the file as an attacker would (``tests/helpers/tamper_classes.py``, which
``tests/test_tamper_classes.py`` asserts) and runs every verifier on it. A cell reads
"exit @seq kinds"; "0 ok" is a pass.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent.parent / "tests")]

from helpers.tamper_classes import CLASSES, matrix, tampered  # noqa: E402


def main() -> None:
    rows = {}
    for tamper in CLASSES:
        with tempfile.TemporaryDirectory() as work:
            rows[tamper.name] = tampered(Path(work), tamper)
    print(matrix(rows))
    notes = {tamper.note for tamper in CLASSES if tamper.note}
    for tamper in CLASSES:
        if tamper.note in notes:
            names = ", ".join(c.name for c in CLASSES if c.note == tamper.note)
            print(f"\n{names}: {tamper.note}.")
            notes.discard(tamper.note)


if __name__ == "__main__":
    main()
