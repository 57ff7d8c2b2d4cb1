"""The LLM judge's settings reach telecom_open_qna_judge as an argument (no os.environ hand-off)."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import pytest

from eval.runner import EvalRequest, load_tasks
from telecomgpt.config import JudgeSettings
from telecomgpt.errors import UserError


def test_the_judge_is_bound_to_the_scorer(bench_dir: Path, eval_cache: Path, tmp_path: Path):
    judge = JudgeSettings(url="http://127.0.0.1:9/v1", model="grader", api_key="sekrit-key")
    request = EvalRequest(tasks=["telecom_open_qna_judge"], data_dir=bench_dir, cache_dir=eval_cache,
                          output=tmp_path, judge=judge)
    (task,) = load_tasks(request)
    scorer = task.config.process_results
    assert isinstance(scorer, functools.partial) and scorer.keywords["judge"] == judge
    assert "grader" in task.config.to_dict()["process_results"]  # lm-eval dumps the scorer's repr ...
    assert "sekrit-key" not in str(task.config.to_dict())  # ... and the judge's key is never part of it
    assert "TELECOMGPT_JUDGE_URL" not in os.environ  # nothing handed over through the environment


def test_no_judge_endpoint_fails_before_any_model_loads(bench_dir: Path, eval_cache: Path, tmp_path: Path):
    request = EvalRequest(tasks=["telecom_open_qna_judge"], data_dir=bench_dir, cache_dir=eval_cache,
                          output=tmp_path)
    with pytest.raises(UserError, match="telecom_open_qna_judge needs an LLM judge endpoint"):
        load_tasks(request)


def test_judge_flags_and_env_reach_the_task(run_cli, assert_one_line_error, monkeypatch, bench_dir: Path,
                                            tmp_path: Path):
    """Through the CLI: TELECOMGPT_JUDGE_URL is honoured (the run then stops at the missing model, not the
    judge)."""
    monkeypatch.delenv("TELECOMGPT_JUDGE_URL", raising=False)
    args = ["eval", "run", "--tasks", "telecom_open_qna_judge", "--data-dir", str(bench_dir), "--limit", "1",
            "--output", str(tmp_path / "out"), "--cache-dir", str(tmp_path / "cache"),
            "--model", str(tmp_path / "no-model")]
    assert_one_line_error(run_cli(*args), "needs an LLM judge endpoint")
    assert_one_line_error(run_cli(*args, env={"TELECOMGPT_JUDGE_URL": "http://127.0.0.1:9/v1"}),
                          "unknown model")
    assert_one_line_error(run_cli(*args, "--judge-url", "http://127.0.0.1:9/v1"), "unknown model")
