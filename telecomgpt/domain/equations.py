"""LaTeX equations in telecom text: where they are, and which are relations worth asking about.

One home for the patterns the equation tasks share: the SFT builder masks an equation of a corpus passage
(`finetune.data.equations`), and the math-modelling evaluation masks the right-hand side of one
(`eval.data.math_modeling`), so both must agree on what an equation is. Text comes as the data pipeline
writes it: pandoc turns Word equations into `$...$` / `$$...$$`; papers use `$...$` and `\\[...\\]`;
Sionna's docstrings hold reStructuredText `.. math::` blocks.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

DISPLAY_MATH = re.compile(r"\$\$(.+?)\$\$", re.S)
"""`$$...$$` display math (group 1: the LaTeX), across lines."""
DISPLAY_MATH_OR_BRACKETS = re.compile(DISPLAY_MATH.pattern + r"|\\\[(.+?)\\\]", re.S)
"""`$$...$$` or `\\[...\\]` display math (the LaTeX in group 1 or group 2)."""
RST_MATH = re.compile(r"\.\. math::\s*\n((?:[ \t]*\n)*(?:[ \t]+\S[^\n]*\n?)+)")
"""A reStructuredText `.. math::` block (group 1: its indented lines)."""
RELATION = re.compile(r"=|<|>|\\le|\\ge|\\approx|\\triangleq")
"""What makes an expression an equation worth asking for: it relates two sides."""


def inline_math(min_chars: int, max_chars: int, *, one_line: bool) -> re.Pattern[str]:
    """`$...$` inline math of `min_chars`-`max_chars` characters (group 1). Neither `$$` nor an escaped `\\$`
    (money, not math) opens it. `one_line`: the LaTeX may not cross a line break (markdown and code, where a
    lone `$` on one line must not pair with one further down); abstracts hard-wrap inside equations."""
    body = r"[^$\n]" if one_line else r"[^$]"
    return re.compile(rf"(?<![\$\\])\$({body}{{{min_chars},{max_chars}}})\$(?!\$)")


_PASSAGE_INLINE = inline_math(12, 300, one_line=True)


def find_equations(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, whitespace-folded LaTeX) of every relation of 12-400 characters in `text`: display
    math, one-line inline math of at least 12 characters (a shorter `$x$` is a symbol) and rST blocks."""
    for pattern in (DISPLAY_MATH_OR_BRACKETS, _PASSAGE_INLINE, RST_MATH):
        for match in pattern.finditer(text):
            latex = " ".join(next(g for g in match.groups() if g).split())
            if 12 <= len(latex) <= 400 and RELATION.search(latex):
                yield match.start(), match.end(), latex


def split_equation(latex: str) -> tuple[str, str] | None:
    """(lhs, rhs) at the first `=` outside braces, when the rhs is a real expression."""
    depth = 0
    for i, char in enumerate(latex):
        depth += {"{": 1, "}": -1, "(": 1, ")": -1}.get(char, 0)
        if char == "=" and depth == 0 and latex[i - 1: i] not in ("<", ">", "!", "\\"):
            lhs, rhs = latex[:i].strip(), latex[i + 1:].strip().rstrip(",.")
            if lhs and 2 <= len(rhs) <= 160 and re.search(r"[A-Za-z\\]", rhs) and "=" not in rhs:
                return lhs, rhs
            return None
    return None
