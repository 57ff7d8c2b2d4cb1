"""bench/answer_facts.py: the project's questions file is sound against the real specs, a fact check tells a
right answer from a swapped one, and an extractive run on a small real index writes its report elsewhere
than docs/benchmarks.md."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.indexer import update_index
from bench.answer_facts import check_facts, load_project, states

REPO = Path(__file__).resolve().parents[2]


def test_questions_are_many_split_and_each_fact_is_in_its_clause(shared_dir: Path):
    items = load_project()
    assert len(items) >= 60 and len({q["id"] for q in items}) == len(items)
    check = sum(q["split"] == "check" for q in items)
    assert {q["split"] for q in items} == {"dev", "check"} and 0.25 <= check / len(items) <= 0.4
    specs = {"38.300", "38.211", "38.321", "38.401", "37.340", "23.501", "23.502", "21.905"}
    assert {q["spec"] for q in items} == specs
    assert check_facts(items) == []  # every key fact matches the text of one of its answering clauses


def test_a_fact_check_tells_the_fact_from_its_swap():
    by_id = {q["id"]: q for q in load_project()}
    frame = by_id["frame-subframes"]
    assert states(frame, "Each frame consists of ten subframes of 1 ms duration [1].")
    assert not states(frame, "A subframe consists of ten frames [1].")  # the swapped answer
    n4 = by_id["n4-ref"]
    assert states(n4, "N4: Reference point between the SMF and the UPF. [2]")
    assert not states(n4, "N4 is the reference point between the AMF and the SMF.")


def test_check_facts_command_exits_zero():
    proc = subprocess.run([sys.executable, str(REPO / "bench" / "answer_facts.py"), "--check-facts"],
                          capture_output=True, text=True, timeout=300, cwd=REPO)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "every fact is in its clauses" in proc.stdout


@pytest.mark.slow
def test_extractive_run_on_a_small_index(shared_dir: Path, tmp_path: Path):
    spec = shared_dir / "data" / "corpus" / "3gpp" / "rel19-md" / "38.300_NG-RAN_Overall_j20.md"
    index = tmp_path / "index"
    assert not update_index(index, [spec], prune=True, progress=False).errors
    benchmarks_md = REPO / "docs" / "benchmarks.md"
    before = benchmarks_md.read_text()
    output, samples = tmp_path / "benchmarks.md", tmp_path / "samples.jsonl"
    proc = subprocess.run(
        [sys.executable, str(REPO / "bench" / "answer_facts.py"), "--index", str(index), "--sets", "project",
         "--modes", "extractive", "--limit", "4", "--output", str(output), "--samples", str(samples)],
        capture_output=True, text=True, timeout=600, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert benchmarks_md.read_text() == before
    report = output.read_text()
    assert "<!-- bench:answer_facts -->" in report and "| project all | extractive | " in report
    rows = [json.loads(line) for line in samples.read_text().splitlines()]
    assert len(rows) == 4 and all(r["mode"] == "extractive" and r["error"] is None for r in rows)
    # the first questions are about TS 38.300 §4.1, which this index holds: the answering clause is retrieved
    assert sum(r["oracle"] for r in rows) >= 2 and all(r["sources"] for r in rows)
