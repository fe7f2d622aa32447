"""Projections: the fold of the events into read models."""
