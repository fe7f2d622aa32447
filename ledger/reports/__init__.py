"""Reports: diffs and their renderings."""
