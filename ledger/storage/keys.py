"""How the store tells idempotency keys apart: keys derived from an event's content start with
``CONTENT_KEY_PREFIX``; every other key was given by the caller and has its own partial index,
whose predicate is ``CALLER_KEY``. (Apart from ``tables`` so that reading a ledger does not
import the table models.)"""

CONTENT_KEY_PREFIX = "i:"  # keys derived from an event's content (ledger.intake.importers)
# The partial index's predicate, spelled the same way in every query that must use it.
CALLER_KEY = "substr(idempotency_key, 1, 2) <> 'i:'"
