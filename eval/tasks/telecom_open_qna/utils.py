"""Telecom open QnA: free answers scored against TeleQnA explanations (ROUGE-L, MiniLM similarity, judge)."""

import re

from eval.data.store import load_split as load_dataset  # noqa: F401  (the YAMLs' custom_dataset hook)
from eval.metrics.text import embedding_similarity, rouge_l
from telecomgpt.config import JudgeSettings
from telecomgpt.errors import UserError
from telecomgpt.llm.client import ChatClient


def prompt(doc: dict) -> str:
    return ("Answer this telecommunications question in two or three sentences.\n\nQuestion: "
            f"{doc['question']}")


def score(doc: dict, results: list[str]) -> dict:
    answer = results[0].strip()
    return {"rougeL": rouge_l(answer, doc["reference"]),
            "embedding_similarity": embedding_similarity(answer, doc["reference"])}


_JUDGE = ("You grade answers to telecom questions. Reference answer:\n{reference}\n\nCandidate "
          "answer:\n{answer}\n\nQuestion: {question}\nRate how correct the candidate is compared with the "
          "reference, from 1 (wrong) to 5 (fully correct). Reply with the number only.")


def _judge_client(judge: JudgeSettings | None):
    if judge is None or not judge.url:
        raise UserError("telecom_open_qna_judge needs an LLM judge endpoint (OpenAI-compatible)",
                        hint="`telecomgpt eval run --judge-url URL --judge-model NAME` or "
                             "TELECOMGPT_JUDGE_URL")
    return ChatClient(judge.url, judge.model, api_key=judge.api_key)


def score_with_judge(doc: dict, results: list[str], judge: JudgeSettings | None = None) -> dict:
    """ROUGE-L and similarity plus the judge's 1-5 grade scaled to 0-1 (unparseable grade = failure, 0).

    `judge` is bound by eval.runner.bind_judge from the settings of `eval run` (flags, env, YAML)."""
    scores = score(doc, results)
    reply = _judge_client(judge).chat([{"role": "user", "content": _JUDGE.format(
        reference=doc["reference"], answer=results[0].strip(), question=doc["question"])}], max_tokens=8,
                                      temperature=0.0)
    grade = re.search(r"[1-5]", reply)
    scores["judge_score"] = (int(grade.group(0)) - 1) / 4 if grade else 0.0
    scores["extraction_failure"] = 0.0 if grade else 1.0
    return scores
