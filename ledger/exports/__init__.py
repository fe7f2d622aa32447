"""Exports: the compliance bundle and its offline check."""
