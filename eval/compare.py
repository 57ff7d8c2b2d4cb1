"""`telecomgpt eval compare`: several runs side by side, as a markdown table and a grouped bar chart."""

from __future__ import annotations

from pathlib import Path

from eval.baselines import BASELINES
from eval.runner import load_results


def _rows(results: list[dict]) -> list[tuple[str, str]]:
    """(task, category) rows in first-seen order; category "" is the task's overall score."""
    rows: list[tuple[str, str]] = []
    for summary in results:
        for name, task in summary["tasks"].items():
            for key in [(name, "")] + [(name, c) for c in task["categories"]]:
                if key not in rows:
                    rows.append(key)
    return rows


def _value(summary: dict, task: str, category: str) -> float | None:
    entry = summary["tasks"].get(task)
    if not entry:
        return None
    scores = entry["metrics"] if not category else entry["categories"].get(category, {}).get("metrics", {})
    value = scores.get(entry["primary_metric"], {}).get("value")
    return value if isinstance(value, (int, float)) else None


def _baseline(summary: dict, task: str, category: str, key: str) -> float | None:
    """One baseline's accuracy on the items of this run (eval.baselines); None where the run has none."""
    entry = summary["tasks"].get(task) or {}
    if category:
        entry = entry.get("categories", {}).get(category, {})
    return (entry.get("baselines") or {}).get(key, {}).get("value")


def compare_runs(folders: list[Path], plot: Path) -> str:
    """The comparison table (markdown); also writes the bar chart of each task's overall score to `plot`."""
    results = [load_results(f) for f in folders]
    labels = [Path(f).name or str(f) for f in folders]
    if len(set(labels)) < len(labels):  # e.g. runs/base/out and runs/sft/out
        labels = [str(f) for f in folders]
    rows = _rows(results)
    lines = ["| task | category | metric | " + " | ".join(labels) + " |", "|---" * (3 + len(labels)) + "|"]
    for task, category in rows:
        metric = next(r["tasks"][task]["primary_metric"] for r in results if task in r["tasks"])
        cells = [_value(r, task, category) for r in results]
        lines.append(f"| {task} | {category or '(all)'} | {metric} | "
                     + " | ".join("—" if c is None else f"{c:.4f}" for c in cells) + " |")
        for key, name in BASELINES.items():  # beside the model's score, on each run's own items
            cells = [_baseline(r, task, category, key) for r in results]
            if any(c is not None for c in cells):
                lines.append(f"| {task} | {category or '(all)'} | baseline: {name} | "
                             + " | ".join("—" if c is None else f"{c:.4f}" for c in cells) + " |")
    _plot(results, labels, [r for r in rows if not r[1]], plot)
    return "\n".join(lines)


def _plot(results: list[dict], labels: list[str], rows: list[tuple[str, str]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    width = 0.8 / max(1, len(results))
    fig, ax = plt.subplots(figsize=(max(5.0, 1.3 * len(rows) + 2), 3.8))
    for i, (summary, label) in enumerate(zip(results, labels, strict=True)):
        values = [_value(summary, task, "") or 0.0 for task, _ in rows]
        ax.bar([x + i * width for x in range(len(rows))], values, width, label=label)
    ax.set_xticks([x + width * (len(results) - 1) / 2 for x in range(len(rows))], [t for t, _ in rows],
                  rotation=25, ha="right", fontsize=8)
    ax.set_ylabel("primary metric")
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
