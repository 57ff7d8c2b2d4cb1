"""Equation answers: pull `\\boxed{...}` out of text, normalize LaTeX, and compare (sympy where both parse).

Normalization is hand-written because no maintained library canonicalizes free-form LaTeX the way
equation-completion benchmarks need (spacing, `\\left`/`\\right`, `\\mathrm`-style wrappers); sympy's
lark-based LaTeX parser then decides symbolic equivalence when both sides parse.
"""

from __future__ import annotations

import re
import signal
from contextlib import contextmanager

_WRAPPERS = re.compile(r"\\(?:mathrm|mathbf|boldsymbol|mathit|mathsf|text|textrm|operatorname|bm)\s*")
_SPACING = re.compile(r"\\[,;:!]|\\quad|\\qquad|~|\\ ")
_SIZERS = re.compile(r"\\(?:left|right|big|Big|bigg|Bigg)(?![a-zA-Z])")


def boxed_contents(text: str) -> list[str]:
    """Every `\\boxed{...}` body in order, with nested braces balanced."""
    found, start = [], 0
    while (pos := text.find("\\boxed{", start)) != -1:
        depth, i = 0, pos + len("\\boxed")
        for i in range(pos + len("\\boxed"), len(text)):
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            if depth == 0:
                break
        if depth != 0:
            break
        found.append(text[pos + len("\\boxed{"):i].strip())
        start = i + 1
    return found


def normalize_latex(expr: str) -> str:
    """A canonical spelling: no `$`, spacing commands, sizers, font wrappers or braces around one
    character; `\\dfrac` → `\\frac`. Applied to both sides, so it only has to be consistent."""
    expr = expr.strip().strip("$").strip()
    expr = (expr.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac")
            .replace("\\cdot", "*").replace("\\times", "*"))
    expr = _SPACING.sub("", expr)
    expr = _SIZERS.sub("", expr)
    expr = _WRAPPERS.sub("", expr)
    expr = re.sub(r"\s+", "", expr)
    expr = re.sub(r"\{([A-Za-z0-9])\}", r"\1", expr)  # x^{2} == x^2, \mathbf{h} == h
    return expr.rstrip(".,;")


@contextmanager
def _time_limit(seconds: int):
    """sympy can take very long on adversarial input; give up after `seconds` (main thread only)."""
    try:
        previous = signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(TimeoutError()))
    except ValueError:  # not in the main thread: run without a limit
        yield
        return
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _numerically_equal(a, b) -> bool | None:
    """Compare at three random points of the free symbols (far cheaper than simplify); None if not numeric."""
    import random

    rng = random.Random(0)
    symbols = sorted(a.free_symbols | b.free_symbols, key=str)
    try:
        for _ in range(3):
            point = {sym: rng.uniform(0.5, 2.0) for sym in symbols}
            x, y = complex(a.evalf(subs=point)), complex(b.evalf(subs=point))
            if abs(x - y) > 1e-6 * max(1.0, abs(x), abs(y)):
                return False
        return True
    except (TypeError, ValueError, AttributeError):
        return None


def sympy_equivalent(left: str, right: str) -> bool | None:
    """True/False when both parse with sympy's LaTeX parser, None when either does not."""
    try:  # lazy: sympy is slow to import; parse_latex_lark needs sympy>=1.13 (pyproject allows 1.12)
        import sympy
        from sympy.parsing.latex import parse_latex_lark
    except ImportError:  # an older sympy: no symbolic check, exact match decides
        return None
    try:
        with _time_limit(5):
            a, b = parse_latex_lark(left), parse_latex_lark(right)
            numeric = _numerically_equal(a, b)
            return numeric if numeric is not None else bool(sympy.simplify(a - b) == 0)
    except Exception:  # parser and simplifier raise many types on LaTeX they do not cover
        return None


def equations_match(prediction: str, reference: str) -> bool:
    """Normalized exact match, else symbolic equivalence when both parse."""
    pred, ref = normalize_latex(prediction), normalize_latex(reference)
    if not pred:
        return False
    if pred == ref:
        return True
    return bool(sympy_equivalent(prediction.strip().strip("$"), reference.strip().strip("$")))
