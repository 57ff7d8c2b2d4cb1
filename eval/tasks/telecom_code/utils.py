"""Telecom code: function -> docstring summarization and masked-line infilling (sionna, free5GC NAS)."""

from eval.data.store import load_split as load_dataset  # noqa: F401  (the YAMLs' custom_dataset hook)
from eval.metrics.text import edit_similarity, exact_match, rouge_l


def summarize_prompt(doc: dict) -> str:
    return (f"Summarize what this {doc['language']} function does in one sentence, as its documentation "
            f"comment would.\n\n```{doc['language']}\n{doc['code']}\n```")


def infill_prompt(doc: dict) -> str:
    return (f"One line of this {doc['language']} function was replaced by <MASK>. Reply with the missing "
            f"line only.\n\n```{doc['language']}\n{doc['code']}\n```")


def _first_code_line(answer: str) -> str:
    lines = [line for line in answer.strip().splitlines() if line.strip()
             and not line.strip().startswith("```")]
    return lines[0].strip() if lines else ""


def score_summary(doc: dict, results: list[str]) -> dict:
    """`score` (= ROUGE-L here) is what the telecom_code group averages over both subtasks."""
    rouge = rouge_l(results[0].strip(), doc["reference"])
    return {"score": rouge, "rougeL": rouge}


def score_infill(doc: dict, results: list[str]) -> dict:
    """`score` (= edit similarity here) is what the telecom_code group averages over both subtasks."""
    line = _first_code_line(results[0])
    similarity = edit_similarity(line, doc["reference"])
    return {"score": similarity, "exact_match": exact_match(line, doc["reference"]),
            "edit_similarity": similarity}
