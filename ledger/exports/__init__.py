"""Exports: the compliance bundle and its offline check — the bundle's tables and files
(CSV, XLSX, JSON Lines, CloudEvents, Parquet, ``datapackage.json``, checksums and signature) and
``verify-export``, which recomputes each of them from the events. It may import every
sub-package below it (``storage`` to ``reports``) and the ground floor."""
