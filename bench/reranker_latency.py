"""Reranking latency: one query against N real spec chunks of ~1,000 characters, through
`app.reranker.Reranker`.

Reports p50/p90 wall time and p50 CPU time per call for each thread count. On a shared machine the wall time
depends on the neighbours; CPU time with one thread is close to the wall time the same call takes on a quiet
core.

    .venv/bin/python bench/reranker_latency.py --reranker ~/.cache/telecomgpt/retriever-rel19/reranker
    .venv/bin/python bench/reranker_latency.py --reranker DIR --candidates 30 20 --max-length 256 128
    --threads 1 2
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from app.readers import read_file
from app.reranker import Reranker
from app.retrieval import Hit
from telecomgpt.paths import shared_dir

SPEC = "data/corpus/3gpp/rel19-md/38.321_MAC_j20.md"
QUERIES = ("What triggers a Buffer Status Report?",
           "When does the MAC entity start the random access procedure?",
           "How is DRX inactivity timer handled?", "Which logical channels are prioritised first?")


def candidates(count: int) -> list:
    """`count` real chunks of TS 38.321 of 900-1,000 characters, as Retriever hits."""
    chunks, _ = read_file(shared_dir() / SPEC)
    long = [c for c in chunks if len(c.text) >= 900][:count]
    return [Hit(text=c.text, score=0.0, metadata={"clause": c.clause}) for c in long]


def measure(reranker, hits: list, repeats: int) -> dict:
    walls, cpus = [], []
    reranker.rerank(QUERIES[0], list(hits))  # warm-up
    for i in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        reranker.rerank(QUERIES[i % len(QUERIES)], list(hits))
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    walls.sort()
    return {"p50_ms": 1000 * statistics.median(walls), "p90_ms": 1000 * walls[int(0.9 * (len(walls) - 1))],
            "cpu_p50_ms": 1000 * statistics.median(cpus)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reranker", type=Path, required=True,
                        help="CrossEncoder folder (train retriever's reranker/)")
    parser.add_argument("--candidates", type=int, nargs="+", default=[30])
    parser.add_argument("--max-length", type=int, nargs="+", default=[256])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()

    import torch

    pool = candidates(max(args.candidates))
    print(f"{'cands':>5} {'max_len':>7} {'threads':>7} {'p50 ms':>8} {'p90 ms':>8} {'cpu p50 ms':>10}")
    for max_length in args.max_length:
        reranker = Reranker.load(args.reranker, max_length=max_length)
        for count in args.candidates:
            for threads in args.threads:
                torch.set_num_threads(threads)
                row = measure(reranker, pool[:count], args.repeats)
                print(f"{count:5d} {max_length:7d} {threads:7d} {row['p50_ms']:8.0f} {row['p90_ms']:8.0f} "
                      f"{row['cpu_p50_ms']:10.0f}", flush=True)


if __name__ == "__main__":
    main()
