"""Every task on a few real items with the real embedded model (vLLM engine), end to end to the reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.baselines import baseline_scores, mcq_items
from eval.catalog import TASKS
from eval.compare import compare_runs
from eval.runner import EvalRequest, run

LIMIT = 1  # one item per (sub)task: 29 real items; keeps the package within its CI budget on 2 cores
MULTIPLE_CHOICE = {"teleqna": 5, "teleqna_cloze": 5, "teleqna_gen": 5, "teleqna_open": 3, "oran_bench": 3,
                   "srsran_bench": 1, "wireless_math": 1, "tgpp_wg_classification": 1}
"""Tasks whose items have options and a gold index -> how many of them the run scores (wireless_math: its MCQ
half)."""
EXPECTED_N = {"teleqna": 5, "teleqna_cloze": 5, "teleqna_gen": 5, "oran_bench": 3, "srsran_bench": 1,
              "wireless_math": 2, "teleqna_open": 3, "tgpp_wg_classification": 1, "telecom_math_modeling": 1,
              "telecom_open_qna": 1, "telecom_code": 2}


@pytest.fixture(scope="module")
def full_run(vllm_engine, bench_dir: Path, eval_cache: Path, tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("eval-all")
    request = EvalRequest(model="smollm2-135m-instruct", tasks=["all"], data_dir=bench_dir, output=out,
                          limit=LIMIT, cache_dir=eval_cache, max_gen_toks=48)  # 48: CI time, not quality
    return run(request, llm=vllm_engine), out


@pytest.mark.slow
def test_every_task_scores_real_items(full_run):
    summary, out = full_run
    assert set(summary["tasks"]) == set(TASKS) == set(EXPECTED_N)
    for name, task in summary["tasks"].items():
        assert task["n"] == EXPECTED_N[name], name
        value = task["metrics"][task["primary_metric"]]["value"]
        assert 0.0 <= value <= 1.0, (name, value)
        assert task["categories"], name
    assert summary["tasks"]["oran_bench"]["malformed_items"] == 11  # real broken lines of the dev split
    assert summary["tasks"]["wireless_math"]["malformed_items"] == 1
    saved = json.loads((out / "results.json").read_text())
    assert saved["tasks"].keys() == summary["tasks"].keys()


@pytest.mark.slow
def test_samples_keep_every_prompt_answer_and_score(full_run):
    _, out = full_run
    files = sorted((out / "samples").glob("*.jsonl"))
    assert len(files) == 29  # one per leaf task
    for path in files:
        rows = [json.loads(line) for line in path.read_text().splitlines()]
        assert len(rows) == LIMIT, path.name
        for row in rows:
            assert row["prompt"] and row["response"] is not None and row["scores"], path.name
    fill = [json.loads(line)
            for line in (out / "samples" / "wireless_math_fill.jsonl").read_text().splitlines()]
    assert all(isinstance(r["response"][0], str) for r in fill)


@pytest.mark.slow
def test_report_plots_and_compare(full_run, tmp_path: Path):
    _, out = full_run
    report = (out / "report.md").read_text()
    for name in TASKS:
        assert f"| {name} |" in report
        assert (out / f"{name}.png").stat().st_size > 5000
    table = compare_runs([out, out], tmp_path / "compare.png")
    assert "| teleqna | Lexicon | acc |" in table and (tmp_path / "compare.png").exists()
    assert "| teleqna | Lexicon | baseline: no-read heuristic |" in table


@pytest.mark.slow
def test_every_multiple_choice_report_shows_both_baselines(full_run, bench_dir: Path, eval_cache: Path):
    summary, out = full_run
    report = (out / "report.md").read_text()
    for name, task in summary["tasks"].items():
        if name not in MULTIPLE_CHOICE:
            assert task["baselines"] == {}, name  # open answers, code, equations: no options to pick
            continue
        assert task["baselines"]["no_read"]["n"] == MULTIPLE_CHOICE[name], name
        assert f"| {name} | baseline: no-read heuristic |" in report
        assert f"| {name} | baseline: majority answer (option " in report
    # the baselines are computed on the items the model answered: the first item of each category
    first = [item for split in ("lexicon", "research_overview", "research_publications", "standards_overview",
                                "standards_specifications")
             for item in mcq_items("teleqna", f"{split}.jsonl", LIMIT, bench_dir, eval_cache)]
    assert summary["tasks"]["teleqna"]["baselines"] == baseline_scores(first)
    lexicon = summary["tasks"]["teleqna"]["categories"]["Lexicon"]["baselines"]
    position = summary["tasks"]["teleqna"]["baselines"]["majority"]["position"]
    assert lexicon == baseline_scores(first[:1], position)  # the task's one rule, scored on the category
    assert "| category | value | n | no-read heuristic | majority answer |" in report
    saved = json.loads((out / "results.json").read_text())
    assert saved["tasks"]["oran_bench"]["categories"]["Hard"]["baselines"]["majority"]["n"] == 1
