"""Prompts and per-item scoring shared by the multiple-choice tasks (TeleQnA, ORAN-Bench, srsRANBench, 3GPP
WG).

Three ways to score one question: `mcq_prompt` + the option texts as continuations (log-likelihood, lm-eval's
`multiple_choice`); `cloze_prompt`, the question alone with the options as continuations (lm-eval's ARC
style, which small models and retrieved context read better); and `mcq_generate_prompt` +
`score_mcq_generation` (generate, then extract the option number; for chat-only endpoints). An answer naming
no option counts as wrong and as an extraction failure.
"""

from __future__ import annotations

from eval.metrics.extract import extract_choice


def _options(doc: dict) -> str:
    return "\n".join(f"{i}. {choice}" for i, choice in enumerate(doc["choices"], start=1))


def mcq_prompt(doc: dict) -> str:
    """Question, numbered options, then "Answer:"; the option texts are scored as continuations."""
    return f"Question: {doc['question']}\nOptions:\n{_options(doc)}\nAnswer:"


def cloze_prompt(doc: dict) -> str:
    """The question alone, then "Answer:"; the option texts are scored as continuations without being listed,
    so each option is judged on its own (as lm-eval's ARC and OpenBookQA tasks do)."""
    return f"Question: {doc['question']}\nAnswer:"


def mcq_generate_prompt(doc: dict) -> str:
    return ("Answer the following telecommunications multiple-choice question.\n\nQuestion: "
            f"{doc['question']}\nOptions:\n{_options(doc)}\n\nReply with the correct option in the form "
            "\"option N\" and nothing else.")


def score_mcq_generation(doc: dict, results: list[str]) -> dict:
    """acc (wrong when nothing can be extracted) and extraction_failure, per item."""
    choice = extract_choice(results[0], doc["choices"])
    return {"acc": float(choice == doc["gold"]), "extraction_failure": float(choice is None)}
