"""TeleQnA open answers: the question alone, the free answer mapped to the option it supports.

The scoring is `eval.metrics.open_answers` (the same scorer as bench/answers.py), so `telecomgpt eval run
--tasks teleqna_open --backend openai --base-url URL --model NAME` measures any OpenAI endpoint, the plain
model or the assistant (`telecomgpt-rag`), the way the answer benchmark does.
"""

import functools

from eval.data.store import load_split as load_dataset  # noqa: F401  (the YAMLs' custom_dataset hook)
from eval.metrics.open_answers import OptionScorer, has_loop


def open_prompt(doc: dict) -> str:
    """The question alone: no options, no instructions (the assistant retrieves with this text)."""
    return doc["question"]


def gold_option(doc: dict) -> str:
    return doc["choices"][doc["gold"]]


@functools.lru_cache(maxsize=1)
def _scorer() -> OptionScorer:
    return OptionScorer()


def score_open_answer(doc: dict, results: list[str]) -> dict:
    """acc (abstentions are wrong), chance (1 / number of options), abstained and looped, per item."""
    answer = results[0]
    match = _scorer().match(doc["question"], doc["choices"], answer)
    return {"acc": float(match.correct(doc["gold"])), "chance": 1.0 / len(doc["choices"]),
            "abstained": float(match.abstained), "looped": float(has_loop(answer))}
