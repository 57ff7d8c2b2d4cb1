"""Stable keys: pinned values, because eval item order and dataset record ids already depend on them."""

from __future__ import annotations

import subprocess
import sys

from telecomgpt.domain.keys import stable_hash, stable_key


def test_stable_key_is_sha1_of_the_parts_and_never_changes():
    assert stable_key("38.211", "4.3.1") == "b9f9a5d4cd5e8d0be9ddcb96d09d1e2ba5dbf150"
    assert stable_key("sionna.py:f:10") == "7b308cb720a38192accd8bd0c84b6f9c39c81401"
    assert stable_key("a", "b") != stable_key("a b") != stable_key("ab")  # parts keep their boundaries


def test_stable_hash_is_xxh64_and_never_changes():
    assert stable_hash("doc:x") == 8211452055133954539
    assert stable_hash("\udcff") == 12777330200917531754  # a lone surrogate hashes instead of raising


def test_keys_are_the_same_in_a_fresh_process():
    """Unlike hash(), whose salt changes per process."""
    code = "from telecomgpt.domain.keys import stable_hash as h, stable_key as k; print(k('x', 1), h('x'))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == [stable_key("x", 1), str(stable_hash("x"))]
