"""Every database table, as SQLModel ``table=True`` classes, in one place.

Money never sits in a NUMERIC or REAL column: event payloads are canonical JSON text and
projection amounts are decimal strings, read back as ``Decimal``.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

# SQLite makes only "INTEGER PRIMARY KEY" a rowid alias; PostgreSQL wants BIGINT.
SeqType = BigInteger().with_variant(Integer(), "sqlite")


class StreamRow(SQLModel, table=True):
    """A stream name, interned to a small integer so the (stream, version) index stays narrow.
    Insert-only: a stream's version is always derived from its events, never stored here."""

    __tablename__ = "streams"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(Text, nullable=False, unique=True))


class EventRow(SQLModel, table=True):
    """One stored event: the envelope columns, the canonical payload, and the chain hashes."""

    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("stream_id", "stream_version", name="uq_stream_version"),)

    seq: int = Field(sa_column=Column(SeqType, primary_key=True, autoincrement=False))
    event_id: bytes = Field(sa_column=Column(LargeBinary(16), nullable=False, unique=True))
    stream_id: int = Field(foreign_key="streams.id", nullable=False)
    stream_version: int = Field(nullable=False)
    type: str = Field(sa_column=Column(Text, nullable=False))
    schema_version: int = Field(nullable=False)
    payload: str = Field(sa_column=Column(Text, nullable=False))
    recorded_at: str = Field(sa_column=Column(Text, nullable=False))
    actor: str = Field(sa_column=Column(Text, nullable=False))
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    source: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    idempotency_key: str | None = Field(
        default=None, sa_column=Column(Text, nullable=True, unique=True)
    )
    prev_hash: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))
    hash: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))


class MetaRow(SQLModel, table=True):
    """Facts about the ledger itself (its id, its schema version). Insert-only."""

    __tablename__ = "ledger_meta"

    key: str = Field(sa_column=Column(Text, primary_key=True))
    value: str = Field(sa_column=Column(Text, nullable=False))
