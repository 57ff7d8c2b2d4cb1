"""Answer extraction, equation matching and text similarity on realistic answers."""

from __future__ import annotations

from eval.metrics.equations import boxed_contents, equations_match, normalize_latex
from eval.metrics.extract import extract_choice
from eval.metrics.text import edit_similarity, embedding_similarity, exact_match, rouge_l


def test_boxed_answers_with_nested_and_unbalanced_braces():
    assert boxed_contents(r"so \boxed{\frac{R_L r_i}{R_L + r_i}}}") == [r"\frac{R_L r_i}{R_L + r_i}"]
    assert boxed_contents(r"\boxed{a}, \boxed{b_{k}} and \boxed{c") == ["a", "b_{k}"]


def test_equations_match_after_normalization_and_symbolically():
    assert normalize_latex(r"$\left( \mathbf{h} \right)$") == "(h)"
    assert equations_match(r"\dfrac{a}{b}", r"\frac{a}{b}")
    # sympy: same expression
    assert equations_match(r"\frac{R_L r_i}{R_L + r_i}", r"\frac{r_i R_L}{r_i + R_L}")
    assert not equations_match(r"\frac{R_L}{R_L + r_i}", r"\frac{R_L r_i}{R_L + r_i}")
    assert not equations_match("", "x")


def test_choice_extraction_and_failures():
    choices = ["Frequency range", "Orbit", "Node"]
    assert extract_choice("option 2", choices) == 1
    assert extract_choice("3. Node", choices) == 2
    assert extract_choice("The answer is Orbit.", choices) == 1
    assert extract_choice("I am not sure.", choices) is None
    assert extract_choice("option 7", choices) is None
    assert extract_choice("(B) because", choices, letters=True) == 1


def test_text_scores():
    reference = "The UE starts timer T311 and performs cell selection."
    assert rouge_l(reference, reference) == 1.0 and rouge_l("", reference) == 0.0
    assert exact_match("x =  a+b ", "x = a+b") == 1.0
    assert 0.5 < edit_similarity("return x + 1", "return x + 2") < 1.0
    close = embedding_similarity("The UE begins T311 and selects a cell.", reference)
    far = embedding_similarity("Bananas are rich in potassium.", reference)
    assert close > far + 0.3
