"""Values events hold that a reader needs without the event models: the schema's default
jurisdiction and fiscal years. Pure and light (no pydantic): ``events.base`` builds the field
types on them, and the read paths (``totals``) use them without loading the models."""

from __future__ import annotations

import re
from typing import Any

from events.quoting import quoted

# The jurisdiction an event that names none is about: the schema's default since the first
# version (which held Japanese figures only). Stored events rely on it, so it never changes; it
# is not a default for questions (``ledger.queries.jurisdictions`` decides those).
SCHEMA_JURISDICTION = "JP"
MIN_FISCAL_YEAR = 1900
MAX_FISCAL_YEAR = 2200

_FY_RE = re.compile(r"(?:FY)?(\d{4})", re.IGNORECASE)


def parse_fiscal_year(value: Any) -> int:
    """Accept ``2025``, ``"2025"`` or ``"FY2025"``; reject anything outside 1900..2200."""
    if isinstance(value, bool):
        raise ValueError("fiscal year must be a year such as 2025 or FY2025")
    if isinstance(value, int):
        year = value
    elif isinstance(value, str):
        match = _FY_RE.fullmatch(value.strip())
        if not match:
            raise ValueError(f"fiscal year {quoted(value)} is not like 2025 or FY2025")
        year = int(match.group(1))
    else:
        raise ValueError("fiscal year must be a year such as 2025 or FY2025")
    if not MIN_FISCAL_YEAR <= year <= MAX_FISCAL_YEAR:
        raise ValueError(
            f"fiscal year {quoted(year)} is outside {MIN_FISCAL_YEAR}..{MAX_FISCAL_YEAR}"
        )
    return year


__all__ = ["MAX_FISCAL_YEAR", "MIN_FISCAL_YEAR", "SCHEMA_JURISDICTION", "parse_fiscal_year"]
