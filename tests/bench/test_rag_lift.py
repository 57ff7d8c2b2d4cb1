"""bench/rag_lift.py end to end on a tiny index and two questions per category, through the session's
engine."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path

import pytest

from app.indexer import update_index

REPO = Path(__file__).resolve().parents[2]
KNOWLEDGE = REPO / "app" / "knowledge"


def _load_bench():
    spec = importlib.util.spec_from_file_location("rag_lift", REPO / "bench" / "rag_lift.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["rag_lift"] = module  # its dataclasses look their module up while being defined
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_every_configuration_runs_in_one_engine_and_writes_the_section(vllm_engine, shared_dir: Path,
                                                                      tmp_path: Path):
    index = tmp_path / "index"
    update_index(index, sorted(KNOWLEDGE.glob("*.md")), progress=False)
    report, plot, runs = tmp_path / "benchmarks.md", tmp_path / "plots" / "rag_lift.png", tmp_path / "runs"
    # one question per category: every configuration is what is checked here, not a score
    results = _load_bench().main(["--index", str(index), "--limit", "1", "--budgets", "1x300,3x800",
                                  "--data-dir", str(shared_dir / "data" / "benchmarks"), "--report",
                                  str(report), "--plot", str(plot), "--output", str(runs), "--context-aware"],
                                 llm=vllm_engine)
    names = [r.name for r in results]
    assert names[:7] == ["bare model, options listed", "bare model, cloze",
                         "naive: bm25s top 3 x 1200, cloze", "naive: bm25s top 3 x 1200, options listed",
                         "naive: bm25s top 3 x 1200, options listed, context after the options as the "
                         "project's",
                         "project retrieval 3 x 800, cloze", "project retrieval 3 x 800, options listed"]
    assert names[7].startswith("project retrieval 1 x 300, ")  # 3x800 is the default row
    # the same contexts scored again context-aware, last
    assert names[8:] == ["naive: bm25s top 3 x 1200, cloze, context-aware, W = 1",
                         "naive: bm25s top 3 x 1200, options listed, context-aware, W = 1",
                         "project retrieval 3 x 800, cloze, context-aware, W = 1",
                         "project retrieval 3 x 800, options listed, context-aware, W = 1"]
    for result in results:
        assert result.n == 3 and set(result.per_category) == {"Standards overview",
                                                              "Standards specifications", "Lexicon"}
        assert 0 <= result.metric("acc") <= 1 and 0 <= result.metric("acc_norm") <= 1 and result.seconds > 0
    naive = [json.loads(line) for line in (runs / "naive-bm25s-top-3-x-1200-cloze" / "samples"
                                           / "teleqna_cloze_lexicon.jsonl").read_text().splitlines()]
    # "Context: p1\n\np2\n\np3\n\nQuestion: q\nAnswer:", each passage at most 1,200 characters
    for row in naive:
        context, question = row["prompt"].removeprefix("Context: ").split("\n\nQuestion: ")
        assert row["prompt"].startswith("Context: ") and question.endswith("\nAnswer:")
        assert len(context) <= 3 * 1200 + 4 and "Options:" not in question
    # the naive row placed as the project's: its context after the options, just before "Answer:"
    folder = runs / "naive-bm25s-top-3-x-1200-options-listed-context-after-the-options-as-the-project-s"
    placed = [json.loads(line)
              for line in (folder / "samples" / "teleqna_lexicon.jsonl").read_text().splitlines()]
    for row in placed:
        before, _, context = row["prompt"].partition("\nContext: ")
        assert before.startswith("Question: ") and "\nOptions:\n1. " in before
        assert context.endswith("\nAnswer:") and "Options:" not in context
    text = report.read_text()
    assert "- options listed, against the naive baseline with its context placed as the project's" in text
    assert ("<!-- bench:rag_lift -->" in text and "](plots/rag_lift.png)" in text
            and plot.stat().st_size > 1000)
    assert "| naive: bm25s top 3 x 1200, cloze |" in text and "over the naive baseline" in text
    # the project's retrieval against the naive baseline of the same prompt, for both prompts
    assert len(re.findall(r"^- (?:cloze|options listed): project [\d.]+ vs naive [\d.]+, [+-][\d.]+ points "
                          r"\(target \+3: (?:met|NOT met)\)\.$", text, re.M)) == 2
    assert len(re.findall(r"^- (?:cloze|options listed), context-aware, W = 1: project [\d.]+ vs naive "
                          r"[\d.]+, [+-][\d.]+ points\.$", text, re.M)) == 2
    assert "| baseline: no-read heuristic |" in text and "| baseline: majority answer (option " in text


@pytest.mark.slow
def test_the_research_categories_run_into_a_section_of_their_own(vllm_engine, shared_dir: Path,
                                                                 tmp_path: Path):
    """`--categories research` (where a change is tried before a reported run) scores TeleQnA's research
    categories, and writes its own section and plot, never the reported rag_lift ones."""
    index = tmp_path / "index"
    update_index(index, sorted(KNOWLEDGE.glob("*.md")), progress=False)
    report = tmp_path / "benchmarks.md"
    results = _load_bench().main(["--index", str(index), "--limit", "1", "--budgets", "3x800", "--categories",
                                  "research", "--data-dir", str(shared_dir / "data" / "benchmarks"),
                                  "--report", str(report)], llm=vllm_engine)
    assert {r.n for r in results} == {2} and all(
        set(r.per_category) == {"Research overview", "Research publications"} for r in results)
    assert not any("context-aware" in r.name for r in results)  # only with --context-aware
    text = report.read_text()
    assert "<!-- bench:rag_lift_research -->" in text and "<!-- bench:rag_lift -->" not in text
    assert "| lift vs naive | acc_norm Research overview | acc_norm Research publications |" in text
    assert (tmp_path / "rag_lift_research.png").stat().st_size > 1000
    with pytest.raises(SystemExit, match="refreshes the standards section"):
        _load_bench().main(["--categories", "research", "--baselines-only", "--report", str(report)])


def test_baseline_rows_join_the_stored_section_without_a_model(shared_dir: Path, tmp_path: Path):
    """--baselines-only puts the two baseline rows into the committed section (all 350 dev questions), keeps
    every measured row, refreshes rather than repeats them, and refuses a section of other questions."""
    report = tmp_path / "benchmarks.md"
    report.write_text((REPO / "docs" / "benchmarks.md").read_text())
    bench, data = _load_bench(), str(shared_dir / "data" / "benchmarks")
    measured = [line for line in report.read_text().splitlines()
                if line.startswith("| ") and "baseline: " not in line]
    for _ in range(2):
        bench.main(["--baselines-only", "--report", str(report), "--data-dir", data])
    text = report.read_text()
    # the reported section's own rows (the research categories' section has baselines of its own)
    own = re.search(r"<!-- bench:rag_lift -->\n(.*?)\n<!-- /bench:rag_lift -->", text, re.S).group(1)
    rows = [line for line in own.splitlines() if line.startswith("| baseline: ")]
    assert [r.split(" | ")[0] for r in rows] == ["| baseline: no-read heuristic",
                                                  "| baseline: majority answer (option 1)"]
    assert 0.30 <= float(rows[0].split(" | ")[2]) <= 0.40 and own.count(bench.BASELINE_NOTE) == 1
    kept = [line for line in text.splitlines() if line.startswith("| ") and "baseline: " not in line]
    assert kept == measured
    with pytest.raises(SystemExit, match="not measured on 2 Standards overview questions"):
        bench.main(["--baselines-only", "--limit", "2", "--report", str(report), "--data-dir", data])
