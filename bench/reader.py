"""The answer-sentence reader vs today's sentence order, on answer sentences mined from held-out specs.

Groups are mined from specs the reader never trained on (`train reader --holdout`; split by spec, so no spec
is on both sides) with `finetune.data.reader_pairs` and all the other quotable sentences of the same chunk
as candidates (sentences ending in ":" are never quoted, as in app/grounding.py). Both orders come from
`app.grounding.order_sentences`, the one function that picks the lead and the extractive quotes: without a
reader (cosine to the question + word overlap, informative sentences first) and with it. Reported: MRR
and top-1 (the lead is right) of the answering sentence, overall and by kind.

    .venv/bin/python -m bench.reader --reader DIR --spec ../shared/.../38.300_NG-RAN_Overall_j20.md \
        --spec ../shared/.../38.401_NG-RAN_Architecture_j20.md [--limit 400] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections import defaultdict
from pathlib import Path

from app.grounding import order_sentences
from app.reader import Reader
from bench.report import machine_line, write_section
from finetune.data.reader_pairs import read_groups
from finetune.reader import candidates as reader_candidates


def rank_of_answer(question: str, candidates: list[str], reader) -> int:
    """1-based rank of candidates[0] (the answering sentence) in the order `order_sentences` gives; a tie
    counts against it (a tie kept in list order would always favour the answer, which comes first here)."""
    order = order_sentences(question, candidates, reader=reader)
    return 1 + sum(order[i] >= order[0] for i in range(1, len(candidates)))


def evaluate(groups: list[dict], reader) -> dict:
    by_kind: dict[str, list[int]] = defaultdict(list)
    for group in groups:
        candidates = reader_candidates(group)
        by_kind[group["kind"]].append(rank_of_answer(group["question"], candidates, reader))

    def summary(ranks: list[int]) -> dict:
        return {"n": len(ranks), "mrr": round(sum(1 / r for r in ranks) / len(ranks), 3),
                "top1": round(sum(r == 1 for r in ranks) / len(ranks), 3)}

    everything = [r for ranks in by_kind.values() for r in ranks]
    return {"all": summary(everything), **{k: summary(v) for k, v in sorted(by_kind.items())}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reader", type=Path, required=True, help="a `train reader` output folder")
    parser.add_argument("--spec", action="append", required=True, help="held-out spec files")
    parser.add_argument("--limit", type=int, default=400, help="groups measured (a seeded sample)")
    parser.add_argument("--out", type=Path, help="also write the report as JSON here")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args()

    summary = json.loads((args.reader / "reader_summary.json").read_text())
    trained_on_holdout = set(summary["config"]["holdout_specs"])
    groups = [g for g in read_groups(args.spec, [], negatives=100) if len(g["negatives"]) >= 1]
    assert all(any(g["spec"].startswith(h) for h in trained_on_holdout) for g in groups), \
        "every measured spec must be held out of the reader's training (train reader --holdout)"
    groups = random.Random(0).sample(groups, min(args.limit, len(groups)))
    reader = Reader.load(args.reader)
    rows = {}
    for name, model in (("today's order (cosine + overlap)", None), ("reader", reader)):
        started = time.monotonic()
        rows[name] = {**evaluate(groups, model), "seconds": round(time.monotonic() - started, 1)}
        print(name, json.dumps(rows[name]))
    if args.out:
        args.out.write_text(json.dumps(rows, indent=2))
    if args.no_write:
        return
    kinds = [k for k in rows["reader"] if k not in ("all", "seconds")]
    lines = ["## Answer-sentence reader (`bench/reader.py`)", "", machine_line(), "",
             f"Answer sentences mined from held-out specs ({', '.join(Path(s).name for s in args.spec)}; the "
             f"reader was trained with `telecomgpt train reader --config configs/finetune/minilm/reader.yaml "
             f"--holdout {' --holdout '.join(sorted(trained_on_holdout))}` on the other Release-19 specs "
             f"+ TR 21.905: {summary['groups']['kept']} groups, {summary['seconds']:.0f} s). "
             f"{len(groups)} questions; candidates: every other quotable "
             "sentence of the same chunk. MRR and top-1 (the lead would be the answering sentence) of the "
             "answering sentence, with `app.grounding.order_sentences` without and with the reader.", "",
             "| order | questions | MRR | top-1 | " + " | ".join(f"top-1 {k}" for k in kinds) + " |",
             "|---|---|---|---|" + "---|" * len(kinds)]
    for name, row in rows.items():
        lines.append(f"| {name} | {row['all']['n']} | {row['all']['mrr']:.3f} | {row['all']['top1']:.3f} | "
                     + " | ".join(f"{row[k]['top1']:.3f} (n={row[k]['n']})" for k in kinds) + " |")
    write_section("reader", "\n".join(lines))


if __name__ == "__main__":
    main()
