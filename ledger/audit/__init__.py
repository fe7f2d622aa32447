"""Audit: proving the log is what it was."""
