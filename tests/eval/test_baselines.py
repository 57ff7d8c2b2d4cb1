"""The two rules that never read the question (eval.baselines), on the real dev splits of ../shared."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from eval.baselines import baseline_scores, majority_position, mcq_items, no_read_choice

STANDARDS_AND_LEXICON = ("standards_overview.jsonl", "standards_specifications.jsonl", "lexicon.jsonl")


@pytest.fixture(scope="module")
def teleqna(bench_dir: Path, eval_cache: Path) -> list[dict]:
    """Every TeleQnA dev item, read from the official zip."""
    return mcq_items("teleqna", "all.jsonl", data_dir=bench_dir, cache_dir=eval_cache)


def test_heuristic_picks_all_of_the_above_then_both_then_the_longest(teleqna: list[dict]):
    def says_all(choices):
        return any(c.strip().lower().rstrip(".") == "all of the above" for c in choices)

    def says_both(choices):
        return any(c.startswith("Both") for c in choices)

    all_items = [i for i in teleqna if says_all(i["choices"])]
    both_items = [i for i in teleqna if not says_all(i["choices"]) and says_both(i["choices"])]
    other = [i for i in teleqna if not says_all(i["choices"]) and not says_both(i["choices"])]
    assert len(all_items) >= 20 and len(both_items) >= 3 and len(other) >= 500
    for item in all_items:  # "All of the above" wins even over a longer option
        assert item["choices"][no_read_choice(item["choices"])].strip().rstrip(".") == "All of the above"
    assert any(max(map(len, i["choices"])) > len("All of the above") for i in all_items)
    for item in both_items:
        assert item["choices"][no_read_choice(item["choices"])].startswith("Both")
    picks = [no_read_choice(i["choices"]) for i in other]
    for item, pick in zip(other, picks, strict=True):
        assert len(item["choices"][pick]) == max(len(c) for c in item["choices"])
    assert len(set(picks)) >= 4  # the longest option sits anywhere: not a fixed position


def test_heuristic_on_standards_and_lexicon_dev_is_well_above_chance(bench_dir: Path, eval_cache: Path):
    items = [i for split in STANDARDS_AND_LEXICON
             for i in mcq_items("teleqna", split, data_dir=bench_dir, cache_dir=eval_cache)]
    scores = baseline_scores(items)
    assert scores["no_read"]["n"] == len(items) == 350
    assert 0.30 <= scores["no_read"]["value"] <= 0.40  # chance on these 2-5 option questions is ~0.22
    assert scores["no_read"]["value"] > sum(1 / len(i["choices"]) for i in items) / len(items) + 0.1


def test_majority_answer_is_the_most_frequent_gold_position(teleqna: list[dict], bench_dir: Path,
                                                            eval_cache: Path):
    counts = Counter(i["gold"] for i in teleqna)
    position = majority_position(teleqna)
    assert counts[position] == max(counts.values())
    scores = baseline_scores(teleqna)
    assert scores["majority"] == {"value": counts[position] / len(teleqna), "n": len(teleqna),
                                  "position": position + 1}
    # skewed labels (the srsRANBench case): the majority answer is far above an even 1 / options
    srsran = mcq_items("srsran_bench", "test.jsonl", data_dir=bench_dir, cache_dir=eval_cache)
    assert baseline_scores(srsran)["majority"]["value"] > 0.5


def test_limit_takes_the_first_items_as_lm_eval_does(bench_dir: Path, eval_cache: Path):
    every = mcq_items("teleqna", "lexicon.jsonl", data_dir=bench_dir, cache_dir=eval_cache)
    assert mcq_items("teleqna", "lexicon.jsonl", 7, bench_dir, eval_cache) == every[:7]


def test_items_without_options_have_no_baselines():
    open_answers = [{"question": "What does AMF stand for?", "reference": "Access and Mobility Management"}]
    assert baseline_scores(open_answers) == {}
