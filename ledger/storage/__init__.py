"""Storage: the event store and what it stands on — engines and schema (``db``, ``tables``),
the append-only ``EventStore`` and its write lock, the records it takes and gives, the hash
chain, RFC 8785 canonical JSON, transaction times, PostgreSQL specifics and the ledger's own
facts. The lowest sub-package: it imports only the ground floor (``ledger.errors``,
``ledger.tabular``) and ``events``; nothing above it sees a driver exception."""
