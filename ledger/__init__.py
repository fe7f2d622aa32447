"""The ledger: event store, hash chain, projections, reports and exports.

Depends on ``events`` only; never on ``cli``.
"""
