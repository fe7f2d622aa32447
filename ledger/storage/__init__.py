"""Storage: the event store and what it stands on."""
