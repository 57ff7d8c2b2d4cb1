"""Turn lm-eval's raw results into results.json, samples/*.jsonl, report.md and per-category plots."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from pathlib import Path

from eval.baselines import BASELINES, baseline_scores, cell, label, task_position
from eval.data.store import manifest


def _metrics(entry: dict) -> dict[str, dict]:
    """{"acc": {"value": .., "stderr": ..}} from lm-eval's "acc,none" / "acc_stderr,none" keys."""
    found: dict[str, dict] = {}
    for key, value in entry.items():
        if "," not in key or "_stderr" in key:
            continue
        metric = key.split(",")[0]
        stderr = entry.get(key.replace(",", "_stderr,", 1))
        found[metric] = {"value": value, "stderr": stderr if isinstance(stderr, (int, float)) else None}
    return found


def _leaves(name: str, subtasks: dict[str, list[str]]) -> list[str]:
    if name not in subtasks:
        return [name]
    return [leaf for child in subtasks[name] for leaf in _leaves(child, subtasks)]


def _malformed(leaves: list[str], configs: dict, request) -> int:
    sources = {(configs.get(leaf, {}).get("dataset_kwargs") or {}).get("source") for leaf in leaves} - {None}
    return sum(manifest(s, request.data_dir, request.cache_dir, **request.corpus_options())["malformed"]
               for s in sorted(sources))


def _by_doc_category(samples: list[dict], metric: str, position: int | None) -> dict[str, dict]:
    buckets: dict[str, list[float]] = defaultdict(list)
    docs: dict[str, list[dict]] = defaultdict(list)
    for sample in samples:
        if isinstance(sample.get(metric), (int, float)):
            category = str(sample["doc"].get("category", "all"))
            buckets[category].append(float(sample[metric]))
            docs[category].append(sample["doc"])
    return {c: {"metrics": {metric: {"value": sum(v) / len(v), "stderr": None}}, "n": len(v),
                "baselines": baseline_scores(docs[c], position)}
            for c, v in sorted(buckets.items())}


def _docs(leaves: list[str], samples: dict) -> list[dict]:
    return [sample["doc"] for leaf in leaves for sample in samples.get(leaf, [])]


def summarize(raw: dict, request, seconds: float) -> dict:
    """Per top-level task: metrics with stderr, n, extraction failures, malformed inputs, categories."""
    scores = {**raw.get("results", {}), **raw.get("groups", {})}
    subtasks = raw.get("group_subtasks", {})
    children = {c for kids in subtasks.values() for c in kids}
    n_samples = {k: v.get("effective", 0) for k, v in raw.get("n-samples", {}).items()}
    configs, samples = raw.get("configs", {}), raw.get("samples", {})
    tasks = {}
    for name in [n for n in scores if n not in children]:
        leaves = _leaves(name, subtasks)
        primary = (configs.get(leaves[0], {}).get("metric_list") or [{"metric": "acc"}])[0]["metric"]
        if name in subtasks and _metrics(scores[name]):
            primary = next(iter(_metrics(scores[name])))
        failures = sum(round(float(s.get("extraction_failure", 0))) for leaf in leaves
                       for s in samples.get(leaf, []))
        # the two rules that never read the question, on the same items (eval.baselines); the categories
        # are scored with the task's one majority position
        baselines = baseline_scores(_docs(leaves, samples))
        if name in subtasks:
            categories = {scores[c].get("alias", c).strip(" -"): {"metrics": _metrics(scores[c]),
                                                               "n": sum(n_samples.get(x, 0)
                                                                        for x in _leaves(c, subtasks)),
                                                               "baselines": baseline_scores(
                                                                   _docs(_leaves(c, subtasks), samples),
                                                                   task_position(baselines))}
                          for c in subtasks[name] if c in scores}
        else:
            categories = _by_doc_category(samples.get(name, []), primary, task_position(baselines))
        tasks[name] = {"alias": scores[name].get("alias", name).strip(" -"), "primary_metric": primary,
                       "metrics": _metrics(scores[name]), "n": sum(n_samples.get(x, 0) for x in leaves),
                       "extraction_failures": failures,
                       "malformed_items": _malformed(leaves, configs, request), "categories": categories,
                       "baselines": baselines}
    return {"model": request.model, "backend": request.backend, "adapter": request.adapter,
            "rag_index": request.index,
            "rag_budget": ({"passages": request.passages, "passage_chars": request.passage_chars}
                           if request.index else None),
            "rag_context_weight": request.context_weight if request.index else None,
            "data_dir": str(request.data_dir or ""), "limit": request.limit,
            "date": dt.datetime.now().isoformat(timespec="seconds"),
            "seconds": round(seconds, 1), "tasks": tasks}


def _fmt(metric: dict) -> str:
    value, stderr = metric.get("value"), metric.get("stderr")
    if not isinstance(value, (int, float)):
        return str(value)
    return f"{value:.4f} ± {stderr:.4f}" if isinstance(stderr, (int, float)) else f"{value:.4f}"


BASELINE_NOTE = ("Baselines (rows `baseline: ...`, columns beside each category): the **no-read "
                 "heuristic** never reads the question (\"All of the above\" if offered, else an option "
                 "starting with \"Both\", else the longest option); the **majority answer** always answers "
                 "the option position that is correct most often among these same items, so it is an "
                 "optimistic baseline. Both are accuracy on the task's multiple-choice items.")


def markdown(summary: dict, plots: dict[str, str]) -> str:
    lines = [f"# Evaluation of `{summary['model']}`", "",
             f"Backend `{summary['backend']}`"
             + (f", adapter `{summary['adapter']}`" if summary["adapter"] else "")
             + (f", RAG index `{summary['rag_index']}`" if summary["rag_index"] else "")
             + f"; limit {summary['limit'] or 'none'}; {summary['date']}; {summary['seconds']} s.", "",
             "| task | metric | value ± stderr | n | extraction failures | malformed inputs |",
             "|---|---|---|---|---|---|"]
    for name, task in summary["tasks"].items():
        for metric, value in task["metrics"].items():
            lines.append(f"| {name} | {metric} | {_fmt(value)} | {task['n']} | {task['extraction_failures']} "
                         f"| {task['malformed_items']} |")
        baselines = task.get("baselines") or {}
        for key in BASELINES if baselines else ():
            lines.append(f"| {name} | baseline: {label(key, baselines)} | {baselines[key]['value']:.4f} | "
                         f"{baselines[key]['n']} | — | — |")
    if any(task.get("baselines") for task in summary["tasks"].values()):
        lines += ["", BASELINE_NOTE]
    for name, task in summary["tasks"].items():
        with_baselines = bool(task.get("baselines"))
        extra = " | ".join(BASELINES.values())
        lines += ["", f"## {task['alias']} by category ({task['primary_metric']})", "",
                  "| category | value | n |" + (f" {extra} |" if with_baselines else ""),
                  "|---|---|---|" + ("---|" * len(BASELINES) if with_baselines else "")]
        for category, entry in task["categories"].items():
            cells = (" " + " | ".join(cell(entry.get("baselines") or {}, key) for key in BASELINES)
                     + " |") if with_baselines else ""
            lines.append(f"| {category} | {_fmt(entry['metrics'].get(task['primary_metric'], {}))} | "
                         f"{entry['n']} |{cells}")
        if name in plots:
            lines += ["", f"![{name}]({plots[name]})"]
    return "\n".join(lines) + "\n"


def plot_categories(summary: dict, out: Path) -> dict[str, str]:
    """One bar chart per task: the primary metric by category, with stderr bars where known."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = {}
    for name, task in summary["tasks"].items():
        metric, cats = task["primary_metric"], task["categories"]
        if not cats:
            continue
        values = [cats[c]["metrics"].get(metric, {}).get("value") or 0.0 for c in cats]
        errors = [cats[c]["metrics"].get(metric, {}).get("stderr") or 0.0 for c in cats]
        fig, ax = plt.subplots(figsize=(max(4.0, 1.2 * len(cats) + 2), 3.6))
        ax.bar(range(len(cats)), values, yerr=errors, capsize=3, color="#3b75af")
        ax.set_xticks(range(len(cats)), [f"{c} (n={cats[c]['n']})" for c in cats], rotation=25, ha="right",
                      fontsize=8)
        for x, value in enumerate(values):
            ax.annotate(f"{value:.2f}", (x, value), ha="center", va="bottom", fontsize=7, xytext=(0, 2),
                        textcoords="offset points")
        # the baselines as ticks across each bar, so a bar under its tick is visibly no better than them
        for key, style in zip(BASELINES, ("--", ":"), strict=True):
            marks = [(x, cats[c]["baselines"][key]["value"]) for x, c in enumerate(cats)
                     if key in (cats[c].get("baselines") or {})]
            for i, (x, value) in enumerate(marks):
                ax.hlines(value, x - 0.45, x + 0.45, colors="#c44e52" if key == "no_read" else "#55a868",
                          linestyles=style, label=BASELINES[key] if i == 0 else None)
        if any(cats[c].get("baselines") for c in cats):
            ax.legend(fontsize=7, loc="upper right")
        ax.set_ylim(0, max(1.05, max(values) * 1.1))  # 1.05: a baseline tick at 1.0 stays visible
        ax.set_ylabel(metric)
        ax.set_title(f"{task['alias']} — {summary['model']}", fontsize=9)
        fig.tight_layout()
        fig.savefig(out / f"{name}.png", dpi=110)
        plt.close(fig)
        written[name] = f"{name}.png"
    return written


def write_outputs(raw: dict, summary: dict, out: Path, render=None) -> None:
    """results.json, samples/<task>.jsonl (prompt, answer, target, scores), report.md, <task>.png.
    `render` maps a task prompt to what the model really saw (the RAG model adds retrieved context)."""
    render = render or (lambda prompt: prompt)
    out.mkdir(parents=True, exist_ok=True)
    (out / "samples").mkdir(exist_ok=True)
    for task, rows in raw.get("samples", {}).items():
        with (out / "samples" / f"{task}.jsonl").open("w", encoding="utf-8") as handle:
            for row in rows:
                record = {"doc_id": row["doc_id"], "id": row["doc"].get("id"),
                          "category": row["doc"].get("category"),
                          "prompt": render(row["arguments"][0][0]), "target": row["target"],
                          "response": row["filtered_resps"],
                          "scores": {m: row.get(m) for m in row.get("metrics", [])}}
                handle.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
    plots = plot_categories(summary, out)
    (out / "results.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False, default=str))
    (out / "report.md").write_text(markdown(summary, plots))
