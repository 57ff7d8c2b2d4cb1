"""Telecom math modeling: write back the equation masked in system-model text."""

import difflib

from eval.data.store import load_split as load_dataset  # noqa: F401  (the YAML's custom_dataset hook)
from eval.metrics.equations import boxed_contents, equations_match, normalize_latex


def prompt(doc: dict) -> str:
    return ("The following system-model text from telecommunications literature has one expression replaced "
            f"by <MASK>.\n\n{doc['context']}\n\nWrite the LaTeX expression that <MASK> stands for, as "
            f"\\boxed{{...}}.")


def extract(answer: str) -> str:
    """The boxed expression, else the first non-empty line without `$`; "" when there is none."""
    boxes = boxed_contents(answer)
    if boxes:
        return boxes[-1]
    lines = [line.strip().strip("$").strip() for line in answer.strip().splitlines() if line.strip()]
    return lines[0] if lines else ""


def score(doc: dict, results: list[str]) -> dict:
    """exact (normalized or sympy-equivalent), similarity (character overlap of the normalized LaTeX)."""
    predicted = extract(results[0])
    if not predicted:
        return {"exact_match": 0.0, "similarity": 0.0, "extraction_failure": 1.0}
    a, b = normalize_latex(predicted), normalize_latex(doc["target"])
    return {"exact_match": float(equations_match(predicted, doc["target"])),
            "similarity": difflib.SequenceMatcher(None, a, b, autojunk=False).ratio(),
            "extraction_failure": 0.0}
