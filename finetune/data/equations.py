"""Equation-masking examples (math modelling): hide one equation of a passage and ask for it back.

Equations are found by `telecomgpt.domain.equations.find_equations` (LaTeX as the pipeline writes it, plus
reStructuredText `.. math::` blocks in Sionna's docstrings): relations of a useful length.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from finetune.data.records import Example, pick
from telecomgpt.domain.equations import find_equations

BEFORE, AFTER = 700, 300

QUESTIONS = (
    "The passage below, from a telecom document, has one equation replaced by [MASK]. Write the missing "
    "equation in LaTeX.\n\n{context}",
    "Fill in the equation hidden as [MASK] in this excerpt (give it in LaTeX):\n\n{context}",
)


def equation_examples(documents: Iterable[tuple[str, dict]], per_document: int = 3) -> Iterator[Example]:
    """Up to `per_document` examples per (text, meta) document, each with its own masked equation."""
    for text, meta in documents:
        found = sorted(find_equations(text))
        step = max(1, len(found) // per_document)
        for start, end, latex in found[::step][:per_document]:
            left = text[max(0, start - BEFORE):start]
            right = text[end:end + AFTER]
            context = f"{left.split(chr(10), 1)[-1] if len(left) == BEFORE else left}[MASK]{right}".strip()
            if len(context) < 80:
                continue
            yield Example("equation_mask", pick(QUESTIONS, latex).format(context=context), f"$$ {latex} $$",
                          {**meta, "equation_chars": len(latex)}, key=f"eq:{' '.join(latex.split())}")
