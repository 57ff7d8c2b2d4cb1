"""Helpers shared by the finetune tests (imported by name: pytest puts this folder on sys.path)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

FAST = ["--max_length", "96", "--per_device_train_batch_size", "2", "--logging_steps", "1",
        "--save_steps", "2", "--dataloader_num_workers", "0"]
"""Overrides that keep every test run to seconds per step on two cores."""


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt") as handle:
        for record in records:
            handle.write(json.dumps(record) + "\n")
    return path


