"""The read-only web view (``defledger serve``) and the static site (``defledger site``).

An adapter like the rest of ``cli/``: it parses a request's parameters, calls the same
``ledger`` functions the commands call, and lays out what they return, as HTML pages (Jinja2
templates, autoescaped) or as the JSON the commands print with ``--format json``
(``cli.output.render``). It never appends an event: every route answers GET (and HEAD) only.
Flask and waitress come with the optional extra ``web`` (``pip install 'defledger[web]'``);
nothing here is imported by the other commands. docs/web.md describes the pages and the API.
"""
