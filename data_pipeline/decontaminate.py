"""Benchmark n-grams for decontamination: drop training text that shares a 13-gram with a test item.

Reads benchmark files in their official formats, whatever the benchmark:
- TeleQnA.zip: AES zip (password published by the authors, or $TELEQNA_PASSWORD) holding TeleQnA.txt,
  {"question N": {...}}, read by `telecomgpt.domain.benchmark_files` like the evaluation reads it
- ORAN-Bench fin_*.json, srsRANBench.json: one JSON list (or object) per line
- WirelessMathBench *.jsonl: one JSON object per line; any other .json/.jsonl/.txt the same way.
Each item's string fields are lower-cased word sequences; n-grams of fields shorter than n words are
not used (a 5-word option would match everything). N-grams shared by many items are templates
("which of the following statements is ...") and are dropped too.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

import xxhash

from telecomgpt.domain.benchmark_files import zip_texts
from telecomgpt.errors import UserError

_WORD_RE = re.compile(r"[a-z0-9]+")
BENCHMARK_SUFFIXES = (".json", ".jsonl", ".zip", ".txt")


def words(text: str) -> list[str]:
    return _WORD_RE.findall(text.lower())


def ngram_hashes(tokens: list[str], n: int) -> Iterator[int]:
    for start in range(len(tokens) - n + 1):
        yield xxhash.xxh3_64_intdigest(" ".join(tokens[start:start + n]).encode())


class BenchmarkNgrams:
    """Hashes of every benchmark item's n-grams, mapped to the ids of the items that contain them."""

    def __init__(self, n: int = 13, max_items_per_ngram: int = 20):
        self.n = n
        self.max_items_per_ngram = max_items_per_ngram
        self.index: dict[int, set[str]] = defaultdict(set)
        self.items: dict[str, str] = {}  # id -> the item's first text field, for the report
        self.skipped: list[str] = []  # unreadable lines/files, with the reason

    @classmethod
    def from_paths(cls, paths: Iterable[str | Path], n: int = 13,
                   max_items_per_ngram: int = 20) -> BenchmarkNgrams:
        """Index every benchmark file given (folders are searched for .json/.jsonl/.zip/.txt)."""
        self = cls(n=n, max_items_per_ngram=max_items_per_ngram)
        for path in map(Path, paths):
            if not path.exists():
                raise UserError(f"benchmark path not found: {path}")
            files = sorted(p for p in path.rglob("*") if p.suffix.lower() in BENCHMARK_SUFFIXES) \
                if path.is_dir() else [path]
            for file in files:
                for item_id, item in self._read_items(file):
                    self.add(item_id, item)
        templates = [h for h, ids in self.index.items() if len(ids) > max_items_per_ngram]
        for h in templates:
            del self.index[h]
        return self

    def add(self, item_id: str, item) -> None:
        """Index one item (a dict, list or string; every string inside counts)."""
        texts = list(_strings(item))
        self.items.setdefault(item_id, texts[0][:200] if texts else "")
        for text in texts:
            for h in ngram_hashes(words(text), self.n):
                self.index[h].add(item_id)

    def matches(self, text: str) -> list[str]:
        """Sorted ids of the benchmark items that share at least one n-gram with `text`."""
        if not self.index:
            return []
        hits: set[str] = set()
        for h in ngram_hashes(words(text), self.n):
            ids = self.index.get(h)
            if ids:
                hits.update(ids)
        return sorted(hits)

    def __len__(self) -> int:
        return len(self.items)

    def _read_items(self, file: Path) -> Iterator[tuple[str, object]]:
        if file.suffix.lower() == ".zip":
            for member, text in zip_texts(file, BENCHMARK_SUFFIXES):
                inner = Path(member).stem
                yield from self._parse(inner if inner == file.stem else f"{file.stem}/{inner}", text)
            return
        try:
            text = file.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError) as exc:
            self.skipped.append(f"{file}: {exc}")
            return
        yield from self._parse(file.stem, text)

    def _parse(self, prefix: str, text: str) -> Iterator[tuple[str, object]]:
        """A whole-file JSON object/list, or one JSON value per line."""
        try:
            whole = json.loads(text)
        except json.JSONDecodeError:
            whole = None
        if isinstance(whole, dict):
            yield from ((f"{prefix}:{key}", value) for key, value in whole.items())
            return
        if isinstance(whole, list) and whole and all(isinstance(x, (dict, list)) for x in whole):
            yield from ((f"{prefix}:{i}", value) for i, value in enumerate(whole))
            return
        for line_no, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                self.skipped.append(f"{prefix} line {line_no}: {exc.msg}")
                continue
            key = value.get("problem_id") or value.get("id") if isinstance(value, dict) else None
            yield f"{prefix}:{key or line_no}", value


def _strings(value) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for inner in value.values():
            yield from _strings(inner)
    elif isinstance(value, (list, tuple)):
        for inner in value:
            yield from _strings(inner)

