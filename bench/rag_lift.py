"""End-to-end effect of retrieval: TeleQnA Standards categories with and without `--index`, same model,
same prompts, same run. Writes the `rag_lift` section of docs/benchmarks.md.

    .venv/bin/python bench/rag_lift.py [--index DIR] [--limit N]

The index defaults to the one bench/retrieval.py builds over the whole shared corpus. Both runs go through
`telecomgpt eval run` (the vLLM engine backend); the RAG run puts the retrieved clauses before the same
question prompt (eval/models/rag.py).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.report import machine_line, write_section  # noqa: E402

TASKS = "teleqna_standards_overview,teleqna_standards_specifications"


def evaluate(out: Path, index: Path | None, limit: int | None) -> dict:
    command = [str(REPO / ".venv/bin/telecomgpt"), "eval", "run", "--tasks", TASKS, "--output", str(out)]
    command += ["--index", str(index)] if index else []
    command += ["--limit", str(limit)] if limit else []
    proc = subprocess.run(command, capture_output=True, text=True)
    if proc.returncode:
        sys.exit(f"eval run failed: {proc.stderr.strip().splitlines()[-1:]}")
    return json.loads((out / "results.json").read_text())


def main() -> None:
    from telecomgpt import paths

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, default=paths.home() / "bench" / "retrieval-index")
    parser.add_argument("--limit", type=int, default=None, help="questions per category (default: all)")
    args = parser.parse_args()
    if not (args.index / "manifest.json").exists():
        sys.exit(f"error: no index at {args.index}; run bench/retrieval.py first")
    machine = machine_line()
    with tempfile.TemporaryDirectory() as tmp:
        bare = evaluate(Path(tmp) / "bare", None, args.limit)
        rag = evaluate(Path(tmp) / "rag", args.index, args.limit)
    rows = ["| category | n | accuracy, model | accuracy, model + RAG | lift |", "|---|---|---|---|---|"]
    totals = {"n": 0, "bare": 0.0, "rag": 0.0}
    for name, task in bare["tasks"].items():
        n, a, b = task["n"], task["metrics"]["acc"]["value"], rag["tasks"][name]["metrics"]["acc"]["value"]
        rows.append(f"| {task['alias']} | {n} | {a:.3f} | {b:.3f} | {b - a:+.3f} |")
        totals["n"] += n
        totals["bare"] += a * n
        totals["rag"] += b * n
    a, b = totals["bare"] / totals["n"], totals["rag"] / totals["n"]
    rows.append(f"| **both** | {totals['n']} | {a:.3f} | {b:.3f} | **{b - a:+.3f}** |")
    manifest = json.loads((args.index / "manifest.json").read_text())
    body = "\n".join([
        "## RAG lift (`bench/rag_lift.py`)", "", machine, "",
        f"SmolLM2-135M-Instruct (embedded), vLLM engine, TeleQnA dev Standards categories "
        f"({'all questions' if not args.limit else f'first {args.limit} per category'}), log-likelihood of each "
        f"option; with `--index` over {len(manifest['files'])} files of the shared corpus. Run time: "
        f"{bare['seconds']:.0f} s without, {rag['seconds']:.0f} s with retrieval.", "", *rows, "",
        "A 135M model reads retrieved text poorly; the lift shows what retrieval adds to the same prompts, "
        "not what a 7-8B model with the same index would reach."])
    write_section("rag_lift", body)
    print(body)


if __name__ == "__main__":
    main()
