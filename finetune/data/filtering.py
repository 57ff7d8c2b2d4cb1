"""Deduplicate and decontaminate built records, and write outputs with a full account of what was dropped.

Every input record ends up in exactly one place: the dataset file, or `excluded.jsonl.gz` with its reason
(duplicate, contaminated, or a builder's quality filter); `stats.json` adds up to the input count.
"""

from __future__ import annotations

import gzip
import json
import logging
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import orjson

from data_pipeline.decontaminate import BenchmarkNgrams
from eval.data.store import build_source
from finetune.data.records import record_text
from telecomgpt.errors import UserError
from telecomgpt.paths import shared_dir

log = logging.getLogger("telecomgpt.finetune.data")


CORPUS_EVAL_TASKS = ("telecom_code", "telecom_math_modeling")
"""Evaluation tasks that `eval/` builds from the same corpus the builders read (code functions, equations)."""


def default_benchmarks() -> list[Path]:
    """What to decontaminate against by default: the benchmark dev splits in ../shared, plus the items of
    the evaluation tasks built from the corpus itself (so SFT never trains on a function or equation that
    `telecomgpt eval` asks about)."""
    shared = shared_dir()
    folder = shared / "data" / "benchmarks" if shared else None
    found = [folder] if folder and folder.is_dir() else []
    for task in CORPUS_EVAL_TASKS:
        try:
            found.append(Path(build_source(task)))
        except Exception as exc:  # noqa: BLE001 - a task that cannot be built has no items to avoid
            log.warning("cannot build eval task %s for decontamination: %s", task, exc)
    return found


def load_benchmark_ngrams(paths: list[Path], n: int = 13):
    """The pipeline's `BenchmarkNgrams` over `paths`, or None when there is nothing to check against."""
    if not paths:
        return None
    return BenchmarkNgrams.from_paths([str(p) for p in paths], n=n)


class Finalizer:
    """Collect records; drop duplicates (by dedup key) and benchmark hits; write and count everything."""

    def __init__(self, ngrams=None) -> None:
        self.ngrams = ngrams
        self.kept: list[dict] = []
        self.excluded: list[dict] = []
        self._seen: set[str] = set()

    def exclude(self, record: dict, reason: str) -> None:
        self.excluded.append({"reason": reason, **record})

    def add(self, record: dict, key: str) -> bool:
        if key in self._seen:
            self.exclude(record, "duplicate")
            return False
        self._seen.add(key)
        hits = self.ngrams.matches(record_text(record)) if self.ngrams is not None else []
        if hits:
            self.exclude(record, f"contaminated:{','.join(sorted(hits)[:3])}")
            return False
        self.kept.append(record)
        return True

    def write(self, output: Path, name: str, extra_stats: dict | None = None) -> dict:
        """Write `<name>.jsonl.gz`, `excluded.jsonl.gz` and `stats.json` into `output`; return the stats."""
        if not self.kept:
            reasons = Counter(r["reason"].split(":")[0] for r in self.excluded)
            raise UserError(f"no {name} records survived ({dict(reasons) or 'no input'}); check the inputs")
        output.mkdir(parents=True, exist_ok=True)
        _write_jsonl(output / f"{name}.jsonl.gz", self.kept)
        _write_jsonl(output / "excluded.jsonl.gz", self.excluded)
        stats = {
            "inputs": len(self.kept) + len(self.excluded),
            "kept": len(self.kept),
            "excluded": dict(Counter(r["reason"].split(":")[0] for r in self.excluded)),
            "kept_by_source": dict(Counter(r.get("origin") or r.get("source", "?") for r in self.kept)),
            "decontaminated": self.ngrams is not None,
            **(extra_stats or {}),
        }
        (output / "stats.json").write_text(json.dumps(stats, indent=2))
        return stats


def _write_jsonl(path: Path, records: Iterable[dict]) -> None:
    tmp = path.with_name(path.name + ".partial")
    with gzip.open(tmp, "wb") as handle:
        for record in records:
            handle.write(orjson.dumps(record) + b"\n")
    tmp.replace(path)
