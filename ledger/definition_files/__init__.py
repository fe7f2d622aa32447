"""Definition files: one version of a definition as a short, readable, diffable TOML document
(docs/definitions.md). ``document`` maps a definition document to and from the file's data,
``toml_writer`` writes that data in the normal form, ``locate`` finds the line of a key for
error messages, and ``importing`` records a file as the events ``record`` makes and shows a
version as a file. Above ``reports``: an import shows the structural diff before writing."""
