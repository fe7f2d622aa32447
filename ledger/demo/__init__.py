"""Demo: the shipped Japan scenario (``seed``) and the ``demo`` document built from it with
the functions every command uses. The top sub-package: it may import all the others and the
ground floor."""
