"""Equation patterns shared by the SFT equation builder and the math-modelling evaluation."""

from __future__ import annotations

from telecomgpt.domain.equations import DISPLAY_MATH, find_equations, inline_math, split_equation


def test_find_equations_keeps_relations_of_useful_length():
    text = ("The SINR is $$\\gamma = \\frac{P h}{N_0 + I}$$ and the rate $R = B \\log_2(1 + \\gamma)$ "
            "in bit/s. "
            "A symbol $x$ alone, a price \\$5 and $5, and $$a + b$$ are not equations.\n"
            ".. math::\n\n    y = H x + n_0\n\nDisplay \\[ C \\le B \\log_2(1 + SNR) \\] too.")
    found = [latex for _, _, latex in find_equations(text)]
    assert "\\gamma = \\frac{P h}{N_0 + I}" in found
    assert "R = B \\log_2(1 + \\gamma)" in found
    assert "C \\le B \\log_2(1 + SNR)" in found and "y = H x + n_0" in found
    assert not any("a + b" in latex or latex == "x" for latex in found)


def test_inline_math_escaped_dollars_and_line_breaks():
    one_line = inline_math(3, 160, one_line=True)
    wrapped = inline_math(3, 160, one_line=False)
    assert one_line.findall("costs \\$10 and $E = mc^2$") == ["E = mc^2"]  # an escaped $ opens nothing
    assert one_line.findall("$a = b\n+ c$") == [] and wrapped.findall("$a = b\n+ c$") == ["a = b\n+ c"]
    assert wrapped.findall("$$x = y$$") == []  # display math is not inline


def test_split_equation_masks_a_real_right_hand_side():
    assert split_equation("y_{k} = H_{k} x + n") == ("y_{k}", "H_{k} x + n")
    assert split_equation("f(a=1) = g(b)") == ("f(a=1)", "g(b)")  # the = inside brackets is not the split
    assert split_equation("a \\le b") is None  # no `=`
    assert split_equation("x = 3") is None  # no expression to ask for
    assert DISPLAY_MATH.search("before $$P = \\sum_i p_i$$ after").group(1) == "P = \\sum_i p_i"


def test_real_sionna_docstrings_have_equations(shared_dir):
    files = sorted((shared_dir / "data/corpus/code/sionna").rglob("*.py"))
    found = [(text[start:end], latex) for path in files
             for text in [path.read_text()] for start, end, latex in find_equations(text)]
    assert len(found) > 100 and all(12 <= len(latex) <= 400 for _, latex in found)
    assert any(source.startswith(".. math::") for source, _ in found)  # Sionna writes rST math blocks
