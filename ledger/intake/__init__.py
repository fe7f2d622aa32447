"""Intake: getting events in."""
