"""Demo: the shipped Japan scenario."""
