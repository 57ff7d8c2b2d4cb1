"""The two baselines shown beside every multiple-choice score: rules that never read the question.

- **no-read heuristic**: pick "All of the above" if an option says so, else the first option starting with
  "Both", else the longest option in characters (ties go to the earlier option). Question writers make the
  right option the inclusive or the most qualified one often enough that this beats chance on TeleQnA; a model
  that scores below it has learnt less than the options' form gives away.
- **majority answer**: always answer the option position (1, 2, ...) that is correct most often among the
  items scored. It is computed on the very items it is scored on, so it is an optimistic baseline (the
  majority-class baseline next to a skewed label set, as srsRANBench's and the WG task's).

Both work on the items of `eval/data` (`{"choices": [...], "gold": index, ...}`), either the docs of an
evaluation run's samples (`eval.report`) or the built splits read from the data folder at run time
(`mcq_items`, for the bench scripts).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from itertools import islice
from pathlib import Path

BASELINES = {"no_read": "no-read heuristic", "majority": "majority answer"}
"""Key in results.json -> its name in the reports."""


def is_mcq(doc: dict) -> bool:
    """An item with a list of options and the index of the right one (every multiple-choice task of eval/)."""
    choices, gold = doc.get("choices"), doc.get("gold")
    return (isinstance(choices, list) and len(choices) >= 2 and isinstance(gold, int)
            and not isinstance(gold, bool) and 0 <= gold < len(choices))


def no_read_choice(choices: list[str]) -> int:
    """The option the no-read heuristic picks, by index."""
    texts = [str(c).strip() for c in choices]
    for i, text in enumerate(texts):
        if text.lower().rstrip(".") == "all of the above":
            return i
    for i, text in enumerate(texts):
        if text.startswith("Both"):
            return i
    return max(range(len(texts)), key=lambda i: len(texts[i]))  # max keeps the first of equals


def majority_position(docs: list[dict]) -> int:
    """The option index that is correct most often among `docs` (the lower index on a tie)."""
    counts = Counter(doc["gold"] for doc in docs)
    return min(counts, key=lambda position: (-counts[position], position))


def baseline_scores(docs: Iterable[dict]) -> dict[str, dict]:
    """Accuracy of both baselines on the multiple-choice items among `docs`; {} when there are none.

    {"no_read": {"value", "n"}, "majority": {"value", "n", "position"}}; `position` counts from 1 as the
    options are numbered in the prompts."""
    items = [doc for doc in docs if is_mcq(doc)]
    if not items:
        return {}
    position = majority_position(items)
    no_read = sum(no_read_choice(doc["choices"]) == doc["gold"] for doc in items) / len(items)
    majority = sum(doc["gold"] == position for doc in items) / len(items)
    return {"no_read": {"value": no_read, "n": len(items)},
            "majority": {"value": majority, "n": len(items), "position": position + 1}}


def label(key: str, scores: dict) -> str:
    """How a report names one baseline: "majority answer (option 2)"."""
    entry = scores.get(key) or {}
    return BASELINES[key] + (f" (option {entry['position']})" if "position" in entry else "")


def mcq_items(source: str, split: str, limit: int | None = None, data_dir: str | Path | None = None,
              cache_dir: str | Path | None = None) -> list[dict]:
    """The first `limit` items of one built split (`teleqna`, `lexicon.jsonl`), as lm-eval's `--limit`
    takes them: read from the official files in the data folder (../shared by default), never stored in
    the repo."""
    from eval.data.store import build_source  # lazy: keeps this module importable without the data stack

    path = build_source(source, data_dir, cache_dir) / split
    with path.open(encoding="utf-8") as handle:
        rows = (json.loads(line) for line in handle if line.strip())
        return list(islice(rows, limit) if limit else rows)
