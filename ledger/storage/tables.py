"""Every database table, as SQLModel ``table=True`` classes, in one place.

Money never sits in a NUMERIC or REAL column: event payloads are canonical JSON text and
projection amounts are decimal strings, read back as ``Decimal``.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    LargeBinary,
    Text,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

from ledger.storage.keys import CALLER_KEY

# SQLite makes only "INTEGER PRIMARY KEY" a rowid alias; PostgreSQL wants BIGINT.
SeqType = BigInteger().with_variant(Integer(), "sqlite")
# Text compared or sorted by the store: byte order on PostgreSQL too (as SQLite), whatever the
# database's locale, so both backends order stream names and times the same way.
OrderedText = Text().with_variant(Text(collation="C"), "postgresql")


class StreamRow(SQLModel, table=True):
    """A stream name, interned to a small integer so the (stream, version) index stays narrow.
    Insert-only: a stream's version is always derived from its events, never stored here."""

    __tablename__ = "streams"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(OrderedText, nullable=False, unique=True))


class EventTypeRow(SQLModel, table=True):
    """An event type name (``BudgetLineRecorded``), interned: a ledger has a handful, and each
    event row stores a one-byte id instead of ~18 bytes of text. Insert-only."""

    __tablename__ = "event_types"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(OrderedText, nullable=False, unique=True))


class ActorRow(SQLModel, table=True):
    """An actor (who recorded events), interned like stream and type names. Insert-only."""

    __tablename__ = "actors"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(OrderedText, nullable=False, unique=True))


class EventRow(SQLModel, table=True):
    """One stored event: the envelope columns, the canonical payload and the chain hash.

    Stream, type and actor are ids into their name tables and ``recorded_at`` is an integer
    (``ledger.storage.times``); an event's ``prev_hash`` is not stored, it is the ``hash`` of the
    event
    at ``seq - 1`` (32 zero bytes before seq 1). The envelope that is hashed holds the names,
    the time's text and ``prev_hash``, and every read gives them back."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("stream_id", "stream_version", name="uq_stream_version"),
        # Idempotency keys are unique per stream: a content key (``i:`` …) is derived from
        # the event's content, which names its stream, so within its stream is everywhere; and
        # a new stream's keys land at the index's right edge instead of at random pages.
        Index("uq_stream_key", "stream_id", "idempotency_key", unique=True),
        # Keys a caller chose (``event:<id>`` from a log, ``record --idempotency-key``, the
        # ``import:`` keys of early ledgers) are unique across the ledger: a small index.
        Index(
            "uq_caller_key",
            "idempotency_key",
            unique=True,
            sqlite_where=text(CALLER_KEY),
            postgresql_where=text(CALLER_KEY),
        ),
    )

    seq: int = Field(sa_column=Column(SeqType, primary_key=True, autoincrement=False))
    event_id: bytes = Field(sa_column=Column(LargeBinary(16), nullable=False, unique=True))
    stream_id: int = Field(foreign_key="streams.id", nullable=False)
    stream_version: int = Field(nullable=False)
    type_id: int = Field(foreign_key="event_types.id", nullable=False)
    schema_version: int = Field(nullable=False)
    payload: str = Field(sa_column=Column(Text, nullable=False))
    # microseconds since 1970-01-01T00:00:00Z; the envelope's text form is
    # ``ledger.storage.times``'s
    recorded_at: int = Field(sa_column=Column(BigInteger, nullable=False))
    actor_id: int = Field(foreign_key="actors.id", nullable=False)
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    source: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    idempotency_key: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    hash: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))


class MetaRow(SQLModel, table=True):
    """Facts about the ledger itself (its id, its schema version). Insert-only."""

    __tablename__ = "ledger_meta"

    key: str = Field(sa_column=Column(Text, primary_key=True))
    value: str = Field(sa_column=Column(Text, nullable=False))


class MerkleBlockRow(SQLModel, table=True):
    """Merkle tree cache (a projection, rebuildable from the events): one row per block of
    ``ledger.audit.checkpoints.BLOCK`` leaves. ``root`` is the block's perfect-subtree hash,
    ``frontier``
    the ``CompactRange.to_state()`` JSON at the block's end, ``last_hash`` the chain hash of the
    block's last event (a stale cache over rewritten events is detected, never trusted)."""

    __tablename__ = "merkle_blocks"

    block: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    root: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))
    frontier: str = Field(sa_column=Column(Text, nullable=False))
    last_hash: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))


# -- projections (ledger/projections/persisted.py): read models folded from the events, updated in
# place as they catch up, recomputed by `defledger rebuild`. Amounts are exact decimal TEXT.


def _pk_text() -> Column[str]:
    return Column(Text, primary_key=True)


def _pk_int() -> Column[int]:
    return Column(SeqType, primary_key=True, autoincrement=False)


class ProjectionCheckpoint(SQLModel, table=True):
    """The last seq a projection applied, and that event's hash (projections built from other
    events are detected, never trusted)."""

    __tablename__ = "proj_checkpoints"

    name: str = Field(sa_column=_pk_text())
    last_seq: int = Field(sa_column=Column(BigInteger, nullable=False))
    last_hash: str = Field(sa_column=Column(Text, nullable=False))


class ProjLine(SQLModel, table=True):
    """Current state of one budget line; ``key`` is its stream name without ``line/``."""

    __tablename__ = "proj_lines"

    key: str = Field(sa_column=_pk_text())
    jurisdiction: str = Field(sa_column=Column(Text, nullable=False))
    fiscal_year: int = Field(nullable=False)
    line_id: str = Field(sa_column=Column(Text, nullable=False))
    agency: str = Field(sa_column=Column(Text, nullable=False))
    program: str = Field(sa_column=Column(Text, nullable=False))
    category: str = Field(sa_column=Column(Text, nullable=False))
    amount: str = Field(sa_column=Column(Text, nullable=False))
    currency: str = Field(sa_column=Column(Text, nullable=False))
    stage: str = Field(sa_column=Column(Text, nullable=False))
    withdrawn: int = Field(nullable=False)
    recorded_seq: int = Field(sa_column=Column(BigInteger, nullable=False))
    last_seq: int = Field(sa_column=Column(BigInteger, nullable=False))


class ProjSum(SQLModel, table=True):
    """Running sum of the live lines of one jurisdiction × FY × stage × category × currency."""

    __tablename__ = "proj_sums"

    jurisdiction: str = Field(sa_column=_pk_text())
    fiscal_year: int = Field(sa_column=_pk_int())
    stage: str = Field(sa_column=_pk_text())
    category: str = Field(sa_column=_pk_text())
    currency: str = Field(sa_column=_pk_text())
    amount: str = Field(sa_column=Column(Text, nullable=False))
    lines: int = Field(nullable=False)


class ProjCategory(SQLModel, table=True):
    __tablename__ = "proj_categories"

    code: str = Field(sa_column=_pk_text())
    name: str = Field(sa_column=Column(Text, nullable=False))
    parent: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    seq: int = Field(sa_column=Column(BigInteger, nullable=False))


class ProjDefinitionVersion(SQLModel, table=True):
    """One definition version: status, stages (comma-separated, after ``latest:`` when only the
    latest stage level counts; NULL = never set), GDP basis."""

    __tablename__ = "proj_definition_versions"

    definition: str = Field(sa_column=_pk_text())
    version: int = Field(sa_column=_pk_int())
    title: str = Field(sa_column=Column(Text, nullable=False))
    based_on: int | None = Field(default=None, nullable=True)
    opened_seq: int = Field(sa_column=Column(BigInteger, nullable=False))
    status: str = Field(sa_column=Column(Text, nullable=False))
    status_seq: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    effective_from: int | None = Field(default=None, nullable=True)
    stages: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    stages_seq: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    gdp_basis: str = Field(sa_column=Column(Text, nullable=False))
    gdp_fiscal_year: int | None = Field(default=None, nullable=True)
    gdp_vintage: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    basis_seq: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    last_seq: int = Field(sa_column=Column(BigInteger, nullable=False))


class ProjDefinitionCategory(SQLModel, table=True):
    """A category counted by a definition version, with its share (exact TEXT) and tier."""

    __tablename__ = "proj_definition_categories"

    definition: str = Field(sa_column=_pk_text())
    version: int = Field(sa_column=_pk_int())
    category: str = Field(sa_column=_pk_text())
    share: str = Field(sa_column=Column(Text, nullable=False))
    tier: str = Field(sa_column=Column(Text, nullable=False))
    seq: int = Field(sa_column=Column(BigInteger, nullable=False))


class ProjGdp(SQLModel, table=True):
    __tablename__ = "proj_gdp"

    jurisdiction: str = Field(sa_column=_pk_text())
    fiscal_year: int = Field(sa_column=_pk_int())
    vintage: str = Field(sa_column=_pk_text())
    amount: str = Field(sa_column=Column(Text, nullable=False))
    currency: str = Field(sa_column=Column(Text, nullable=False))
    seq: int = Field(sa_column=Column(BigInteger, nullable=False))


class ProjTarget(SQLModel, table=True):
    __tablename__ = "proj_targets"

    jurisdiction: str = Field(sa_column=_pk_text())
    target_id: str = Field(sa_column=_pk_text())
    percent_of_gdp: str = Field(sa_column=Column(Text, nullable=False))
    by_fiscal_year: int = Field(nullable=False)
    kind: str = Field(sa_column=Column(Text, nullable=False))
    definition: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    tier: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    description: str = Field(sa_column=Column(Text, nullable=False))
    seq: int = Field(sa_column=Column(BigInteger, nullable=False))


class ProjRate(SQLModel, table=True):
    __tablename__ = "proj_rates"

    base: str = Field(sa_column=_pk_text())
    quote: str = Field(sa_column=_pk_text())
    fiscal_year: int = Field(sa_column=_pk_int())
    rate: str = Field(sa_column=Column(Text, nullable=False))
    rate_type: str = Field(sa_column=Column(Text, nullable=False))
    seq: int = Field(sa_column=Column(BigInteger, nullable=False))


class ProjSnapshot(SQLModel, table=True):
    """The small aggregate state (sums, definitions, GDP, targets, rates, categories) as of
    ``seq``, zlib-compressed canonical JSON; ``--as-of`` folds forward from the nearest one."""

    __tablename__ = "proj_snapshots"

    seq: int = Field(sa_column=_pk_int())
    state: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
