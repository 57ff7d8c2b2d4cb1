"""bench/retrieval.py end to end on a tiny index: every configuration on all three query sets, and the
sweep."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SPECS = ("rel19-md/38.401_NG-RAN_Architecture_j20.md", "rel19-md/38.321_MAC_j20.md")
"""TS 38.401 has TeleQnA-labelled clauses; TS 38.321's Definitions clause is in the held-out fifth that the
title and definition queries are drawn from (finetune.data.query_pairs.held_out)."""
"""Small (about 600 chunks), with a Definitions clause and several TeleQnA-labelled clauses."""


def run_bench(*args: str) -> str:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, str(REPO / "bench" / "retrieval.py"), *args, "--print-only"],
                          capture_output=True, text=True, env=env, cwd=REPO, timeout=1500)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def rows(table_output: str, heading: str) -> dict[str, list[float]]:
    """{configuration: [n, R@1, R@5, R@10, MRR]} of the table printed under `heading`."""
    block = table_output.split(heading, 1)[1].split("\n\n", 2)[1]
    found = {}
    for line in block.splitlines()[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        found[cells[0]] = [float(c) for c in cells[1:]]
    return found


@pytest.mark.slow
def test_retrieval_bench_runs_on_a_tiny_index(shared_dir: Path, subset_labels: Path, tmp_path: Path):
    index = tmp_path / "index"
    out = run_bench("--corpus", *[str(shared_dir / "data" / "corpus" / "3gpp" / spec) for spec in SPECS],
                    "--index", str(index), "--max-queries", "20", "--labels", str(subset_labels))
    assert (index / "manifest.json").is_file()
    for heading in ("Definition queries:", "Clause-title paraphrases:", "TeleQnA-labelled questions"):
        table = rows(out, heading)
        assert {"BM25 only", "dense only", "hybrid, equal-weight RRF (before)"} <= set(table), heading
        assert any(label.startswith("default (") for label in table)
        for n, *metrics in table.values():
            assert n >= 1
            recall_1, recall_5, recall_10, mrr = metrics
            assert 0 <= recall_1 <= recall_5 <= recall_10 <= 1 and recall_1 <= mrr <= recall_10
    # titles paraphrase clause headings that BM25 indexes twice: it must find most of them
    assert rows(out, "Clause-title paraphrases:")["BM25 only"][3] >= 0.5
    assert re.search(r"latency p50.*\n.*\n\| BM25 only \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+ ms", out)

    sweep = run_bench("--index", str(index), "--skip-build", "--max-queries", "20", "--sweep")
    assert "TeleQnA-labelled questions" not in sweep  # the sweep tunes on definition and title queries only
    assert re.search(r"Best by mean R@5 \(ties: MRR@10\): (hybrid|bm25|dense)", sweep)
    table = sweep.split("## bench/retrieval.py --sweep", 1)[1]  # rows are also printed as they come
    assert table.count("| hybrid, BM25 1 / dense") == 15
