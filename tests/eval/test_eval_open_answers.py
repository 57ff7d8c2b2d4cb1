"""The open-answer scorer (eval.metrics.open_answers) on real TeleQnA dev items and the assistant's real
texts, and the `teleqna_open` task end to end against a real OpenAI endpoint (the shared vLLM server)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.prompting import IDK_ANSWER
from eval.data.store import build_source
from eval.metrics.open_answers import OptionScorer, clean_answer, has_loop, is_abstention
from eval.runner import EvalRequest, run


@pytest.fixture(scope="module")
def lexicon(bench_dir: Path, eval_cache: Path) -> list[dict]:
    folder = build_source("teleqna", bench_dir, eval_cache)
    return [json.loads(line) for line in (folder / "lexicon.jsonl").read_text().splitlines()][:20]


def test_the_assistants_idk_answer_and_sources_list_are_recognised():
    assert is_abstention(IDK_ANSWER) and is_abstention("  ") and is_abstention("[1]\n\nSources:\n[1] TS "
                                                                               "38.300 §4")
    assert not is_abstention("RRC_IDLE, RRC_INACTIVE and RRC_CONNECTED [1].")
    answer = ("The UE has three RRC states [1, 2]. They are RRC_IDLE [2].\n\nSources:\n[1] TS 38.331 §4.2.1 "
              "RRC states")
    assert clean_answer(answer) == "The UE has three RRC states. They are RRC_IDLE."


def test_a_repeated_8gram_is_a_loop_and_seven_words_are_not():
    looping = "The AMF supports 5G QoS and 5G LTE in the core. " * 2
    assert has_loop(looping)
    assert not has_loop("one two three four five six seven, one two three four five six seven")


def test_a_reference_explanation_maps_to_the_gold_option(lexicon: list[dict]):
    """The scorer's ceiling on real items: the TeleQnA explanation, given as an answer, lands on the gold
    option for most questions (a broken scorer lands near chance, 1/4-1/5)."""
    scorer = OptionScorer()
    right = [scorer.match(q["question"], q["choices"], q["explanation"]).correct(q["gold"]) for q in lexicon]
    assert len(right) == 20 and sum(right) >= 16


def test_numbers_decide_between_options_that_differ_only_in_a_number():
    scorer = OptionScorer()
    options = ["15 kHz", "30 kHz", "60 kHz", "120 kHz"]
    match = scorer.match("What is the subcarrier spacing of this numerology?", options,
                         "The subcarrier spacing is 60 kHz for mu = 2 [1].")
    assert match.choice == 2 and not match.abstained and len(match.scores) == 4


@pytest.mark.slow
def test_teleqna_open_scores_a_real_openai_endpoint(vllm_server, bench_dir: Path, eval_cache: Path,
                                                    tmp_path: Path):
    request = EvalRequest(model="telecomgpt", tasks=["teleqna_open"], backend="openai",
                          base_url=vllm_server.base_url,
                          data_dir=bench_dir, output=tmp_path, limit=1, cache_dir=eval_cache, max_gen_toks=48)
    summary = run(request)
    task = summary["tasks"]["teleqna_open"]
    assert task["n"] == 3 and task["primary_metric"] == "acc"
    assert set(task["categories"]) == {"Lexicon", "Standards overview", "Standards specifications"}
    assert 0.0 <= task["metrics"]["acc"]["value"] <= 1.0
    assert 0.2 <= task["metrics"]["chance"]["value"] <= 0.5  # 2-5 options per question
    rows = [json.loads(line) for path in sorted((tmp_path / "samples").glob("teleqna_open_*.jsonl"))
            for line in path.read_text().splitlines()]
    assert len(rows) == 3
    for row in rows:
        assert row["prompt"].strip() and "Options:" not in row["prompt"] and row["response"][0].strip()
        assert isinstance(row["target"], str) and row["target"]  # the gold option's text
        assert set(row["scores"]) == {"acc", "chance", "abstained", "looped"}
