"""bench/report.py: the paired bootstrap interval that bench/answers.py reports next to accuracy gaps."""

from __future__ import annotations

import pytest

from bench.report import paired_difference


def test_paired_difference_centres_on_the_mean_gap_and_narrows_with_more_questions():
    # Row a is right on 30 of 40 questions, row b on 20 (b's right answers are a subset of a's).
    a = [1.0] * 30 + [0.0] * 10
    b = [1.0] * 20 + [0.0] * 20
    diff, low, high = paired_difference(a, b)
    assert diff == pytest.approx(0.25)
    assert 0.0 < low < 0.25 < high < 0.5
    # Ten times the questions with the same gap: a narrower interval, still around 0.25.
    diff10, low10, high10 = paired_difference(a * 10, b * 10)
    assert diff10 == pytest.approx(0.25) and high10 - low10 < (high - low) / 2
    # Identical rows: no gap and no width, whatever the accuracy.
    assert paired_difference(a, a) == (0.0, 0.0, 0.0)


def test_paired_difference_keeps_the_pairing():
    # Each pair differs by exactly one answer in four: an unpaired bootstrap would see two noisy rows.
    a = [1.0, 1.0, 0.0, 1.0] * 25
    b = [0.0, 1.0, 0.0, 1.0] * 25
    diff, low, high = paired_difference(a, b)
    assert diff == pytest.approx(0.25) and high - low < 0.2


def test_paired_difference_rejects_unpaired_lists():
    with pytest.raises(ValueError):
        paired_difference([1.0], [1.0, 0.0])
