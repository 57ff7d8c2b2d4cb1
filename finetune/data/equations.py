"""Equation-masking examples (math modelling): hide one equation of a passage and ask for it back.

Equations are LaTeX as the pipeline writes them (pandoc turns Word equations into `$...$` / `$$...$$`),
plus reStructuredText `.. math::` blocks in code docstrings (Sionna). An equation qualifies when it is a
relation (has `=`, `<`, `>` or `\\le`/`\\ge`) of a useful length.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from finetune.data.records import Example, pick

_DISPLAY = re.compile(r"\$\$(.+?)\$\$|\\\[(.+?)\\\]", re.S)
_INLINE = re.compile(r"(?<![\$\\])\$([^$\n]{12,300})\$(?!\$)")
_RST_MATH = re.compile(r"\.\. math::\s*\n((?:[ \t]*\n)*(?:[ \t]+\S[^\n]*\n?)+)")
_RELATION = re.compile(r"=|<|>|\\le|\\ge|\\approx|\\triangleq")
BEFORE, AFTER = 700, 300

QUESTIONS = (
    "The passage below, from a telecom document, has one equation replaced by [MASK]. Write the missing "
    "equation in LaTeX.\n\n{context}",
    "Fill in the equation hidden as [MASK] in this excerpt (give it in LaTeX):\n\n{context}",
)


def find_equations(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, latex) of every qualifying equation in `text`."""
    for pattern in (_DISPLAY, _INLINE, _RST_MATH):
        for match in pattern.finditer(text):
            latex = " ".join(next(g for g in match.groups() if g).split())
            if 12 <= len(latex) <= 400 and _RELATION.search(latex):
                yield match.start(), match.end(), latex


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
