"""Intake: getting events in — imports, single records, the domain rules checked under the
write lock, and the one fold of a budget line (``lines``) that the rules, the import and the
projections all read a line through. It may import ``storage``, ``audit`` and the ground
floor."""
