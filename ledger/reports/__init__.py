"""Reports: diffs and their renderings — definition diffs, the as-of decomposition,
``what-if``, the report as data, as blocks, and as the documents Markdown and HTML (with its
Vega-Lite spec); terminal text is ``cli``'s. It may import every sub-package below it
(``storage`` to ``queries``) and the ground floor."""
