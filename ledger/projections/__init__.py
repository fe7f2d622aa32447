"""Projections: the fold of the events into read models — line states and running sums,
definition versions, GDP, targets and rates; their persistence in the ``proj_*`` tables with a
checkpoint and snapshots; ``rebuild``; and one measure. It may import ``storage``, ``audit``,
``intake`` and the ground floor."""
