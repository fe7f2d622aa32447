"""Audit: proving the log is what it was — the whole-chain scan and ``verify``, Merkle trees,
signed checkpoints, inclusion and consistency proofs, and copying a ledger byte for byte. It may
import ``storage`` and the ground floor."""
