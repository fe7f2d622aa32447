"""Re-verify a defledger export bundle with the standard library only."""

import base64
import hashlib
import json
import sys
from pathlib import Path

bundle = Path(sys.argv[1])
H = lambda data: hashlib.sha256(data).digest()  # noqa: E731
for entry in (bundle / "SHA256SUMS").read_text().splitlines():
    digest, name = entry.split("  ", 1)
    if H((bundle / name).read_bytes()).hex() != digest:
        sys.exit(f"FAILED: sha256 mismatch: {name}")
prev, stack, count = bytes(32), [], 0
for count, line in enumerate((bundle / "events.jsonl").read_bytes().splitlines(), start=1):
    event = json.loads(line)
    stated = bytes.fromhex(event.pop("hash"))
    hashed = json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    if event["seq"] != count or event["prev_hash"] != prev.hex() or H(prev + hashed) != stated:
        sys.exit(f"FAILED: the chain breaks at seq {count}")
    prev, node, size = stated, H(b"\x00" + stated), 1  # RFC 6962 leaf, then merge equal subtrees
    while stack and stack[-1][0] == size:
        node, size = H(b"\x01" + stack.pop()[1] + node), size * 2
    stack.append((size, node))
root = stack.pop()[1] if stack else H(b"")
while stack:
    root = H(b"\x01" + stack.pop()[1] + root)
origin, size, stated_root = (bundle / "checkpoint").read_text().split("\n")[:3]
if int(size) != count or base64.b64decode(stated_root) != root:
    sys.exit(f"FAILED: the Merkle root of {count} events does not match the checkpoint")
print(f"ok: {count} events, head {prev.hex()}, Merkle root {stated_root} ({origin})")
