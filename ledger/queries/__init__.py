"""Queries: questions asked of the projections."""
