"""The synthetic ledger every variant stores: the workload of ``docs/performance.md``.

N budget-line events over N/4 streams (one stream per budget line): a ``BudgetLineRecorded``
(initial budget) then three ``BudgetLineRevised`` (1st and 2nd supplementary budget,
settlement). Lines spread over several jurisdictions, 11 fiscal years and 14 agencies; texts
are Japanese and English; the stored content of an event (payload, actor, reason, source)
averages about 415 bytes of canonical JSON. Batches are 1000 events = 250 lines x 4 events.

Everything is deterministic (a fixed seed per line number), generated lazily batch by batch so
that building the workload costs no memory that grows with N. Before the line events, a small
set-up (categories, two definitions with shares, GDP figures) is imported into our ledger.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson

BATCH = 1000
EVENTS_PER_LINE = 4
ACTOR = "bench@mof.go.jp"

# (jurisdiction, weight): mostly Japan, like the seed scenario; NATO members for comparison.
JURISDICTIONS = ("JP", "JP", "JP", "JP", "US", "DE", "GB", "FR")
FISCAL_YEARS = tuple(range(2015, 2026))
AGENCIES = (
    ("MOD", "防衛省 Ministry of Defense"),
    ("MOF", "財務省 Ministry of Finance"),
    ("MLIT", "国土交通省 Ministry of Land, Infrastructure, Transport and Tourism"),
    ("MIC", "総務省 Ministry of Internal Affairs and Communications"),
    ("METI", "経済産業省 Ministry of Economy, Trade and Industry"),
    ("MEXT", "文部科学省 Ministry of Education, Culture, Sports, Science and Technology"),
    ("NPA", "警察庁 National Police Agency"),
    ("JCG", "海上保安庁 Japan Coast Guard"),
    ("CAO", "内閣府 Cabinet Office"),
    ("MOFA", "外務省 Ministry of Foreign Affairs"),
    ("DIGITAL", "デジタル庁 Digital Agency"),
    ("JAXA", "宇宙航空研究開発機構 JAXA"),
    ("FDMA", "消防庁 Fire and Disaster Management Agency"),
    ("NISC", "内閣サイバーセキュリティセンター NISC"),
)
CATEGORIES = (
    ("DEF", "防衛関係費 Defense-related expenditure", None),
    ("DEF.CORE", "防衛力整備 Core defense budget", "DEF"),
    ("DEF.CORE.PERS", "人件・糧食費 Personnel and provisions", "DEF.CORE"),
    ("DEF.CORE.PROC", "装備品等購入費 Equipment procurement", "DEF.CORE"),
    ("DEF.CORE.RND", "研究開発費 Research and development", "DEF.CORE"),
    ("DEF.CORE.MAINT", "維持費等 Maintenance and operations", "DEF.CORE"),
    ("DEF.REL", "関連経費 Related expenditure", "DEF"),
    ("DEF.REL.CG", "海上保安庁 Coast Guard", "DEF.REL"),
    ("DEF.REL.INFRA", "公共インフラ Public infrastructure", "DEF.REL"),
    ("DEF.REL.CYBER", "サイバー安全保障 Cybersecurity", "DEF.REL"),
    ("DEF.REL.INTL", "国際協力 International cooperation", "DEF.REL"),
    ("DEF.REL.SCI", "研究開発 Science and technology R&D", "DEF.REL"),
    ("EXP", "拡大候補 Candidates for the expanded definition", None),
    ("EXP.SPACE", "宇宙・航空 Space and aviation", "EXP"),
    ("EXP.ENERGY", "エネルギー施設防護 Energy-facility protection", "EXP"),
    ("EXP.TRANSPORT", "重要インフラ(交通) Critical infrastructure: transport", "EXP"),
    ("EXP.COMMS", "重要インフラ(通信) Critical infrastructure: communications", "EXP"),
    ("EXP.SHIP", "造船 Shipbuilding", "EXP"),
    ("EXP.DISASTER", "防災 Disaster prevention", "EXP"),
    ("EXP.POLICE", "先端技術を守る警察 Police protecting advanced technology", "EXP"),
)
LEAF_CATEGORIES = tuple(
    code for code, _, _ in CATEGORIES if not any(parent == code for _, _, parent in CATEGORIES)
)
STAGES = ("supplementary", "supplementary", "settled")
REVISION_REASONS = (
    "第1次補正予算による増額 (increase in the first supplementary budget)",
    "第2次補正予算による追加計上 (added in the second supplementary budget)",
    "決算額の確定 (settled amount confirmed by the closing of accounts)",
)
PROGRAMS = (
    "スタンド・オフ防衛能力 Stand-off defense capability",
    "統合防空ミサイル防衛能力 Integrated air and missile defense",
    "無人アセット防衛能力 Unmanned asset defense capability",
    "領域横断作戦能力 Cross-domain operation capability",
    "指揮統制・情報関連機能 Command, control and intelligence",
    "機動展開能力・国民保護 Mobile deployment and civil protection",
    "持続性・強靱性 Sustainability and resiliency",
    "港湾・空港の整備 Ports and airports for defense use",
)


def line_key(number: int) -> tuple[str, int, str, str]:
    """(jurisdiction, fiscal year, line id, agency code) of line ``number`` (0-based)."""
    jurisdiction = JURISDICTIONS[number % len(JURISDICTIONS)]
    fiscal_year = FISCAL_YEARS[(number // 7) % len(FISCAL_YEARS)]
    agency = AGENCIES[(number * 5 + number // 11) % len(AGENCIES)][0]
    return jurisdiction, fiscal_year, f"{agency}-{number:08d}", agency


def stream_name(number: int) -> str:
    """Our ledger's stream of line ``number`` (``events.stream_of``'s spelling)."""
    jurisdiction, fiscal_year, line_id, _ = line_key(number)
    return f"line/{jurisdiction}/FY{fiscal_year}/{line_id}"


def _era(fiscal_year: int) -> str:
    return f"令和{fiscal_year - 2018}" if fiscal_year >= 2019 else f"平成{fiscal_year - 1988}"


def _plain(amount: Decimal) -> str:
    """A decimal string in the ledger's canonical spelling (no trailing fractional zeros)."""
    text = format(amount, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _source(fiscal_year: int, agency: str, page: int) -> dict[str, Any]:
    return {
        "title": f"{_era(fiscal_year)}年度 予算書 {agency} (FY{fiscal_year} budget, {agency})",
        "url": f"https://www.bb.mof.go.jp/server/{fiscal_year}/dlpdf/DL{fiscal_year}{agency}.pdf",
        "page": f"p. {page}",
    }


def line_events(number: int) -> list[dict[str, Any]]:
    """The four events of line ``number``, as JSON Lines objects of ``defledger import``:
    ``type``, the event's fields, and ``reason``/``source`` (the actor is the importer's)."""
    rng = random.Random(number)
    jurisdiction, fiscal_year, line_id, agency = line_key(number)
    agency_name = next(name for code, name in AGENCIES if code == agency)
    amount = Decimal(rng.randrange(10_000_000, 900_000_000_000)) / (
        1 if rng.random() < 0.7 else 100
    )
    key = {"jurisdiction": jurisdiction, "fiscal_year": fiscal_year, "line_id": line_id}
    first = {
        "type": "BudgetLineRecorded",
        **key,
        "agency": agency_name,
        "program": PROGRAMS[rng.randrange(len(PROGRAMS))],
        "category": LEAF_CATEGORIES[rng.randrange(len(LEAF_CATEGORIES))],
        "amount": _plain(amount),
        "stage": "initial",
        "reason": "当初予算の計上 (recorded from the initial budget as enacted)",
        "source": _source(fiscal_year, agency, rng.randrange(1, 400)),
    }
    events = [first]
    for step in range(3):
        amount = amount + Decimal(rng.randrange(-50_000_000, 300_000_000))
        if amount <= 0:
            amount = Decimal(1_000_000)
        events.append(
            {
                "type": "BudgetLineRevised",
                **key,
                "amount": _plain(amount),
                "reason": REVISION_REASONS[step] + f" [{STAGES[step]}]",
                "source": _source(fiscal_year, agency, rng.randrange(1, 400)),
            }
        )
    return events


def batches(n: int, start_line: int = 0) -> Iterator[list[dict[str, Any]]]:
    """Batches of ``BATCH`` events (250 lines x 4), lazily; ``n`` is rounded down to whole lines."""
    lines = n // EVENTS_PER_LINE
    per_batch = BATCH // EVENTS_PER_LINE
    for first in range(start_line, start_line + lines, per_batch):
        last = min(first + per_batch, start_line + lines)
        yield [event for number in range(first, last) for event in line_events(number)]


def split(event: dict[str, Any]) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(type, fields, provenance) of a workload event; the same content for every variant."""
    fields = {k: v for k, v in event.items() if k not in ("type", "reason", "source")}
    return (
        event["type"],
        fields,
        {"actor": ACTOR, "reason": event["reason"], "source": event["source"]},
    )


def to_jsonl(batch: list[dict[str, Any]]) -> str:
    """A JSON Lines file of a batch, as ``defledger import`` reads it."""
    return "\n".join(orjson.dumps(event).decode() for event in batch) + "\n"


def setup_events() -> list[dict[str, Any]]:
    """Categories, two definitions with shares (and their stages, GDP basis and adoption) and
    GDP figures: what a real ledger holds before its budget lines. Imported untimed, first."""
    events: list[dict[str, Any]] = []
    for code, name, parent in CATEGORIES:
        event: dict[str, Any] = {"type": "CategoryDefined", "code": code, "name": name}
        if parent:
            event["parent"] = parent
        events.append(event)
    core = [c for c in LEAF_CATEGORIES if c.startswith("DEF.CORE")]
    related = [c for c in LEAF_CATEGORIES if c.startswith("DEF.REL")]
    expanded = [c for c in LEAF_CATEGORIES if c.startswith("EXP")]
    plans = {
        "jp-defense-related": [(c, "1", "core") for c in core]
        + [(c, "1", "related") for c in related],
        "nato": [(c, "1", "core") for c in core]
        + [("DEF.REL.CG", "1", "core")]
        + [(c, "0.5", "related") for c in expanded],
    }
    for definition, included in plans.items():
        ref = {"definition": definition, "version": 1}
        events.append({"type": "DefinitionVersionOpened", **ref, "title": f"{definition} v1"})
        for code, share, tier in included:
            events.append(
                {"type": "CategoryIncluded", **ref, "category": code, "share": share, "tier": tier}
            )
        events.append(
            {"type": "StagesSet", **ref, "stages": ["initial", "supplementary", "settled"]}
        )
        events.append({"type": "GdpBasisSet", **ref, "basis": "same-year"})
        events.append(
            {"type": "DefinitionStatusChanged", **ref, "status": "adopted", "effective_from": 2015}
        )
    for jurisdiction in sorted(set(JURISDICTIONS)):
        for fiscal_year in FISCAL_YEARS:
            events.append(
                {
                    "type": "GdpRecorded",
                    "jurisdiction": jurisdiction,
                    "fiscal_year": fiscal_year,
                    "amount": str(500_000_000_000_000 + fiscal_year * 1_000_000_000),
                    "vintage": "2025-Q2",
                }
            )
    return events


def replay_key(event_type: str, fields: dict[str, Any]) -> tuple[Any, str]:
    """The key every variant's replay sums ``Decimal(amount)`` under: (fiscal year, category)
    for a recorded line, (fiscal year, event type) for a revision (which carries no category)."""
    return fields["fiscal_year"], fields.get("category") or event_type


def checksum(sums: dict[tuple[Any, str], Decimal]) -> str:
    """A short, variant-independent fingerprint of the replay sums."""
    import hashlib

    text = ";".join(f"{fy}|{key}|{sums[(fy, key)]}" for fy, key in sorted(sums))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def content_bytes(n: int = 4000) -> float:
    """Average canonical-JSON bytes of an event's stored content (payload + actor, reason,
    source) over the first ``n`` events: the workload's reference payload size."""
    total = count = 0
    for batch in batches(n):
        for event in batch:
            event_type, fields, provenance = split(event)
            total += len(orjson.dumps({**fields, **provenance}, option=orjson.OPT_SORT_KEYS))
            count += 1
    return total / count


CSV_HEADER = (
    "jurisdiction,fiscal_year,line_id,agency,program,category,amount,currency,stage,"
    "source_title,source_url"
)


def write_lines_csv(path: Path, lines: int) -> int:
    """A CSV file of budget lines (``docs/formats.md``'s layout), one row per line: the
    recorded event of lines 0..``lines``-1 of this workload (the currency left to the
    jurisdiction's). What ``defledger import FILE.csv`` reads as users run it. Returns its
    size in bytes."""
    import csv

    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(CSV_HEADER.split(","))
        for number in range(lines):
            event = line_events(number)[0]
            source = event["source"]
            writer.writerow(
                [event["jurisdiction"], event["fiscal_year"], event["line_id"], event["agency"],
                 event["program"], event["category"], event["amount"], "", event["stage"],
                 source["title"], source["url"]]
            )  # fmt: skip
    return path.stat().st_size
