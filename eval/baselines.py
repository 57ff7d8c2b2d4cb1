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


def baseline_scores(docs: Iterable[dict], position: int | None = None) -> dict[str, dict]:
    """Accuracy of both baselines on the multiple-choice items among `docs`; {} when there are none.

    {"no_read": {"value", "n"}, "majority": {"value", "n", "position"}}; `position` counts from 1 as the
    options are numbered in the prompts. Pass the task's `position` to score a subset (a category) with the
    task's one rule: a subset's own majority would be 1.0 wherever the subset is a label (the WG task's
    categories are its answers)."""
    items = [doc for doc in docs if is_mcq(doc)]
    if not items:
        return {}
    index = majority_position(items) if position is None else position - 1
    no_read = sum(no_read_choice(doc["choices"]) == doc["gold"] for doc in items) / len(items)
    majority = sum(doc["gold"] == index for doc in items) / len(items)
    return {"no_read": {"value": no_read, "n": len(items)},
            "majority": {"value": majority, "n": len(items), "position": index + 1}}


def task_position(scores: dict) -> int | None:
    """The majority position of a task's baseline_scores, for scoring its categories; None without one."""
    return (scores.get("majority") or {}).get("position")


def label(key: str, scores: dict) -> str:
    """How a report names one baseline: "majority answer (option 2)"."""
    entry = scores.get(key) or {}
    return BASELINES[key] + (f" (option {entry['position']})" if "position" in entry else "")


def cell(scores: dict, key: str) -> str:
    """One baseline in a table cell: "0.2500 (option 2)" for the majority answer; "—" where there is none."""
    entry = scores.get(key)
    if not entry:
        return "—"
    return f"{entry['value']:.4f}" + (f" (option {entry['position']})" if "position" in entry else "")


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


def task_baselines(names: list[str], data_dir: str | Path | None = None, cache_dir: str | Path | None = None,
                   limit: int | None = None) -> dict[str, dict]:
    """Both baselines for eval tasks without any model, on the items `eval run --limit` would score: per
    task {"baselines", "n", "categories": {category: {"baselines", "n"}}}, categories as report.md has
    them (a group's subtasks, else each item's category). Tasks without options are left out."""
    from collections import defaultdict

    from eval.catalog import task_manager  # lazy: lm_eval

    loaded = task_manager(data_dir, cache_dir).load(names)
    children = loaded["group_map"]

    def docs(leaf: str) -> list[dict]:
        return list(islice(loaded["tasks"][leaf].eval_docs, limit))

    def alias(name: str) -> str:
        task = loaded["tasks"].get(name)
        return (task.config.task_alias if task else None) or name

    def leaves(name: str) -> list[str]:
        return [x for child in children[name] for x in leaves(child)] if name in children else [name]

    found = {}
    for name in names:
        every = [doc for leaf in leaves(name) for doc in docs(leaf)]
        overall = baseline_scores(every)
        if not overall:
            continue
        if name in children:
            groups = {alias(c): [doc for leaf in leaves(c) for doc in docs(leaf)] for c in children[name]}
        else:
            groups = defaultdict(list)
            for doc in every:
                groups[str(doc.get("category", "all"))].append(doc)
        categories = {c: {"baselines": baseline_scores(d, task_position(overall)), "n": sum(map(is_mcq, d))}
                      for c, d in (groups.items() if name in children else sorted(groups.items()))
                      if any(map(is_mcq, d))}
        found[name] = {"baselines": overall, "n": sum(map(is_mcq, every)), "categories": categories}
    return found


def baselines_table(found: dict[str, dict]) -> str:
    """task_baselines as a markdown table: one row per task, then one per category."""
    lines = ["| task | category | n | " + " | ".join(BASELINES.values()) + " |", "|---|---|---|---|---|"]
    for name, task in found.items():
        for category, entry in [("(all)", task), *task["categories"].items()]:
            cells = " | ".join(cell(entry["baselines"], key) for key in BASELINES)
            lines.append(f"| {name} | {category} | {entry['n']} | {cells} |")
    return "\n".join(lines)
