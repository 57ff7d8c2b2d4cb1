"""WirelessMathBench-XL (S0 public test): equation MCQs and fill-in-the-blank equation completion."""

from eval.data.store import load_split as load_dataset  # noqa: F401  (the YAMLs' custom_dataset hook)
from eval.metrics.equations import boxed_contents, equations_match


def mcq_prompt(doc: dict) -> str:
    options = "\n".join(f"{letter}. {choice}" for letter, choice in zip(doc["letters"], doc["choices"],
                                                                        strict=True))
    return f"{doc['context']}\nOptions:\n{options}\nAnswer:"


def fill_prompt(doc: dict) -> str:
    """The benchmark's own prompt (background, question, masked equation, answer format)."""
    return doc["prompt"]


def score_fill(doc: dict, results: list[str]) -> dict:
    """Correct when every blank's answer matches (normalized, or sympy-equivalent); no \\boxed{} = extraction
    failure."""
    boxes = boxed_contents(results[0])
    expected = doc["answers"]
    if len(boxes) < len(expected):
        return {"acc": 0.0, "extraction_failure": 1.0}
    predicted = boxes[-len(expected):]
    correct = all(equations_match(p, r) for p, r in zip(predicted, expected, strict=True))
    return {"acc": float(correct), "extraction_failure": 0.0}
