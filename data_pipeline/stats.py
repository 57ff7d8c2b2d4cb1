"""stats.json + report.md for a finished run, and the accounting check: in = out + excluded + errors."""

from __future__ import annotations

import gzip
import json
from collections import Counter, defaultdict
from pathlib import Path

from data_pipeline.report import render_report
from telecomgpt.errors import UserError
from telecomgpt.models import prepare


def _records(folder: Path):
    for file in sorted(folder.rglob("*.jsonl.gz")):
        with gzip.open(file, "rt", encoding="utf-8") as handle:
            for line in handle:
                yield file, json.loads(line)


def load_token_counter(tokenizer: str):
    """A function texts -> token counts with the target model's tokenizer (None when "none")."""
    if tokenizer == "none":
        return None
    from transformers import AutoTokenizer

    if tokenizer == "default":
        tokenizer = str(prepare())
    tok = AutoTokenizer.from_pretrained(tokenizer)
    return lambda texts: [len(ids) for ids in tok(texts, add_special_tokens=False)["input_ids"]]


def _reader_counts(out: Path) -> Counter:
    """Sum of the reader's per-rank datatrove stats (per rank, so resumed runs count every rank once)."""
    totals: Counter = Counter()
    for file in sorted((out / "logs" / "clean" / "stats").glob("*.json")):
        for step in json.loads(file.read_text()):
            if "corpus reader" in step.get("name", ""):
                for key, value in step["stats"].items():
                    totals[key] += value["total"] if isinstance(value, dict) else value
    return totals


def collect(out: Path, count_tokens=None) -> dict:
    docs, tokens, chars, contaminated = Counter(), Counter(), Counter(), []
    for folder, kind in ((out / "data", "out"), (out / "excluded", "excluded")):
        batch: list[tuple[tuple, str]] = []
        for file, record in _records(folder):
            relative = file.relative_to(folder).parts
            label = relative[0] if kind == "out" else f"{relative[0]}/{relative[1]}"  # split or stage/reason
            source = record.get("metadata", {}).get("source", "unknown")
            if record.get("metadata", {}).get("benchmark_hits"):
                contaminated.append({"id": record["id"],
                                     "benchmark_items": record["metadata"]["benchmark_hits"]})
            for key in ((kind, label, source), (kind, "*", source)):
                docs[key] += 1
                chars[key] += len(record.get("text", ""))
            batch.append(((kind, label, source), record.get("text", "")))
        if count_tokens and batch:
            for (key, _), count in zip(batch, count_tokens([text for _, text in batch]), strict=True):
                tokens[key] += count
                tokens[(key[0], "*", key[2])] += count
    errors = [json.loads(line) for f in sorted((out / "errors").glob("*.jsonl")) for line in f.open()
              if line.strip()]
    reader = _reader_counts(out)
    n_in = (reader["documents"] + sum(v for k, v in reader.items() if k.startswith("skipped_"))
            + reader["errors"])
    n_out = sum(v for (kind, label, _), v in docs.items() if kind == "out" and label == "*")
    n_excluded = sum(v for (kind, label, _), v in docs.items() if kind == "excluded" and label == "*")

    def table(counter):
        nested = defaultdict(dict)
        for (kind, label, source), value in sorted(counter.items()):
            nested[f"{kind}:{label}"][source] = value
        return dict(nested)

    return {"accounting": {"in": n_in, "out": n_out, "excluded": n_excluded, "errors": len(errors),
                           "balanced": n_in == n_out + n_excluded + len(errors)},
            "reader": dict(reader), "documents": table(docs), "characters": table(chars),
            "tokens": table(tokens) if count_tokens else None, "errors": errors,
            "decontamination": contaminated}


def write_stats(out: Path, config, timings: dict) -> dict:
    stats = collect(out, load_token_counter(config.tokenizer))
    stats["seconds_per_stage"] = timings
    (out / "stats.json").write_text(json.dumps(stats, indent=2))
    (out / "report.md").write_text(render_report(stats))
    acc = stats["accounting"]
    print(f"documents in {acc['in']} = out {acc['out']} + excluded {acc['excluded']} + errors {acc['errors']}"
          f" {'✓' if acc['balanced'] else '✗ MISMATCH'}")
    if not acc["balanced"]:
        raise UserError("accounting mismatch: documents were lost; see stats.json")
    return stats


def read_stats(out: str | Path) -> str:
    """The report of a finished run (`telecomgpt data stats DIR`)."""
    report = Path(out) / "report.md"
    if not report.is_file():
        raise UserError(f"no report.md in {out}", hint="run `telecomgpt data run ... --output DIR` first")
    return report.read_text()
