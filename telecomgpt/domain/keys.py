"""Stable keys: hashes that are the same on every machine and run (Python's `hash()` is salted).

Two functions, two algorithms, on purpose. Each one's output is already persisted, so neither may change:
- `stable_key` (SHA-1 hex) orders and selects the items of the evaluation tasks built from the corpus
  (which functions, equations and clauses `telecomgpt eval` asks about, and which line is masked);
  another hash would silently swap the benchmark items and break comparison with earlier scores.
- `stable_hash` (64-bit xxHash) names the records of every training dataset (`<source>-<16 hex>` ids,
  the dedup keys behind them) and makes the builders' deterministic choices (phrasing, sample, mask);
  another hash would rename every record and change the datasets that resumed runs expect.
"""

from __future__ import annotations

import hashlib

import xxhash


def stable_key(*parts: object) -> str:
    """SHA-1 hex of the parts joined by the unit separator: a deterministic pseudo-random order key."""
    return hashlib.sha1("\x1f".join(map(str, parts)).encode()).hexdigest()


def stable_hash(text: str) -> int:
    """A 64-bit xxHash of `text` (lone surrogates allowed): record ids and deterministic choices."""
    return xxhash.xxh64_intdigest(text.encode("utf-8", "surrogatepass"))
