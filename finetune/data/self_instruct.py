"""LLM-driven instruction data (self-instruct from passages, as TelecomGPT did with Mixtral).

Any OpenAI-compatible endpoint writes one question and answer per passage; quality filters keep only
answers grounded in the passage and questions that stand on their own. Every rejected generation is
returned with its reason, so the build can account for it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

from finetune.data.records import Example, normalize
from telecomgpt.llm.client import ChatClient

SYSTEM = "You write exam questions for telecom engineers. Reply with JSON only."
PROMPT = (
    "Passage from a telecom document:\n\"\"\"\n{passage}\n\"\"\"\n\n"
    "Write one question that this passage answers, and its answer (1-3 sentences) using only the passage. "
    "The question must make sense without the passage (name the protocol, entity or spec it is about). "
    'Reply with JSON: {{"question": "...", "answer": "..."}}'
)
REFUSALS = ("as an ai", "i cannot", "i'm sorry", "i am sorry", "cannot answer", "not mentioned")
CONTEXT_WORDS = re.compile(r"\b(the|this|above|given) (passage|text|excerpt|document|paragraph)\b", re.I)


def parse_reply(reply: str) -> tuple[str, str] | None:
    """The (question, answer) of a JSON reply, tolerating code fences and text around the object."""
    match = re.search(r"\{.*\}", reply, re.S)
    if not match:
        return None
    try:
        data = json.loads(match.group(0))
    except json.JSONDecodeError:
        return None
    if not isinstance(data, dict):
        return None
    question, answer = data.get("question"), data.get("answer")
    if not isinstance(question, str) or not isinstance(answer, str):
        return None
    return question.strip(), answer.strip()


def quality_problem(question: str, answer: str, passage: str) -> str | None:
    """Why a generated pair is rejected, or None if it passes every filter."""
    if not 15 <= len(question) <= 400 or not question.endswith("?"):
        return "question_form"
    if not 2 <= len(answer) <= 1200:
        return "answer_length"
    lowered = f"{question} {answer}".lower()
    if any(phrase in lowered for phrase in REFUSALS):
        return "refusal"
    if CONTEXT_WORDS.search(question):
        return "needs_passage"
    passage_words = set(normalize(passage).split())
    answer_words = [w for w in normalize(answer).split() if len(w) > 3]
    if answer_words and sum(w in passage_words for w in answer_words) / len(answer_words) < 0.6:
        return "ungrounded"
    if normalize(answer) in normalize(question):
        return "answer_in_question"
    return None


def self_instruct_examples(items: Iterable[tuple[str, dict]], base_url: str, model: str,
                           api_key: str | None = None, workers: int = 8, max_tokens: int = 256,
                           ) -> tuple[list[Example], list[dict]]:
    """(accepted examples, rejected [{passage meta, reason, reply}]) for (passage, meta) items."""
    from tqdm import tqdm

    client = ChatClient(base_url, model, api_key=api_key)
    items = list(items)

    def ask(item: tuple[str, dict]) -> str:
        messages = [{"role": "system", "content": SYSTEM},
                    {"role": "user", "content": PROMPT.format(passage=item[0])}]
        return client.chat(messages, max_tokens=max_tokens, temperature=0.3)

    accepted: list[Example] = []
    rejected: list[dict] = []
    with ThreadPoolExecutor(max_workers=workers) as pool:
        replies = list(tqdm(pool.map(ask, items), total=len(items), desc="self-instruct", unit="passage"))
    for (passage, meta), reply in zip(items, replies, strict=True):
        parsed = parse_reply(reply)
        problem = "unparsable" if parsed is None else quality_problem(parsed[0], parsed[1], passage)
        if problem:
            rejected.append({"source": "self_instruct", "reason": f"quality:{problem}", "meta": meta,
                             "reply": reply[:2000]})
            continue
        accepted.append(Example("self_instruct", parsed[0], parsed[1], {**meta, "model": model}))
    return accepted, rejected
