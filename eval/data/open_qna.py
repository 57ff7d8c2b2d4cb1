"""Telecom open QnA: TeleQnA questions without their options; the authors' explanations are the references.

Only questions whose explanation is a real answer (at least 60 characters) are kept, capped at
MAX_ITEMS in a stable pseudo-random order so the open-ended generation stays affordable on CPU.
"""

from __future__ import annotations

from pathlib import Path

from eval.data.benchmarks import build_teleqna, find_teleqna
from eval.data.store import Built
from telecomgpt.domain.keys import stable_key

VERSION = "1"
MAX_ITEMS = 200
MIN_REFERENCE_CHARS = 60


def find_inputs(data_dir: Path, options: dict | None = None) -> list[Path]:
    return find_teleqna(data_dir)


def build(data_dir: Path, options: dict | None = None) -> Built:
    teleqna = build_teleqna(data_dir)
    items = [{"id": r["id"], "question": r["question"], "reference": r["explanation"],
              "category": r["category"]}
             for r in teleqna.splits["all.jsonl"] if len(r["explanation"]) >= MIN_REFERENCE_CHARS]
    items.sort(key=lambda item: stable_key(item["id"]))
    return Built({"test.jsonl": items[:MAX_ITEMS]}, teleqna.inputs, teleqna.malformed)
