"""Queries: questions asked of the projections — resolving ``--as-of``, ``totals``,
``replay``, ``trace`` and the ``log``/``show`` history — each answered as a ``Table``. It may
import every sub-package below it (``storage`` to ``projections``) and the ground floor."""
