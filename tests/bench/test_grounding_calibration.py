"""bench/grounding_calibration.py on the starter notes alone (no spec files, a few seconds): its claims
include the clause's own words recombined, and the shipped threshold separates them where the whole-chunk
baseline could not; its swapped-roles claims pass the scorer, and the shipped role checker refuses them."""

from __future__ import annotations

import numpy as np

from app.support import SUPPORT_THRESHOLD, SupportScorer
from bench.grounding_calibration import SUPPORTED_KINDS, ChunkScopeScorer, build_pairs, load_chunks


def _judged_supported(scorer, rows, kind: str) -> float:
    picked = [r for r in rows if r["kind"] == kind]
    assert picked, kind
    return float(np.mean([scorer.score(r["claim"], r["evidence"])[0] >= SUPPORT_THRESHOLD for r in picked]))


def test_recombined_words_are_caught_by_one_sentence_scope_not_by_the_whole_chunk():
    rows = build_pairs(load_chunks([]))
    assert {r["label"] for r in rows if r["kind"] in SUPPORTED_KINDS} == {1}
    scorer, baseline = SupportScorer(), ChunkScopeScorer()
    for kind in ("recombined", "name moved"):
        assert _judged_supported(scorer, rows, kind) < 0.3
        assert _judged_supported(baseline, rows, kind) > 0.7  # what the scope change fixed
    assert _judged_supported(scorer, rows, "verbatim") == 1.0
    assert _judged_supported(scorer, rows, "words dropped") > 0.9


def test_swapped_roles_pass_the_scorer_and_the_shipped_role_checker_refuses_them():
    from app.role_check import SHIPPED, RoleChecker

    rows = [r for r in build_pairs(load_chunks([])) if r["kind"] in ("roles swapped", "verbatim")]
    scorer, checker = SupportScorer(), RoleChecker.load(SHIPPED)
    accepted = {"roles swapped": [], "verbatim": []}
    for row in rows:
        score, sentence = scorer.score(row["claim"], row["evidence"])
        if score >= SUPPORT_THRESHOLD:
            accepted[row["kind"]].append(checker.agrees(row["claim"], sentence))
    swapped = [r for r in rows if r["kind"] == "roles swapped"]
    assert len(swapped) >= 20 and len(accepted["roles swapped"]) >= 0.7 * len(swapped)  # the scorer's gap
    assert np.mean(accepted["roles swapped"]) < 0.1
    assert np.mean(accepted["verbatim"]) > 0.97
