"""`telecomgpt train role-check`: claims made from real spec sentences, a checker trained on two specs and
measured on a third, and one-line errors for bad input."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from app.role_check import MODEL_FILE, RoleChecker
from app.sentences import terms
from finetune.data.role_pairs import role_rows
from finetune.role_check import SUMMARY, RoleCheckTraining, train_role_check

SPECS = "data/corpus/3gpp/rel19-md"
MAC = f"{SPECS}/38.321_MAC_j20.md"


def _words(text: str) -> Counter:
    """Content words, singular and plural as one."""
    return Counter(t[:-1] if t.endswith("s") and len(t) > 3 else t for t in terms(text)[0])


@pytest.fixture(scope="module")
def mac_rows(shared_dir: Path) -> list[dict]:
    return role_rows([shared_dir / MAC], per_spec=150)


def test_false_claims_keep_their_sentences_words_and_change_only_roles_or_a_number(mac_rows):
    kinds = Counter(r["kind"] for r in mac_rows)
    assert kinds["roles swapped"] >= 50 and kinds["number changed"] >= 10, kinds
    for row in mac_rows:
        claim, evidence = row["claim"], row["evidence"]
        if row["kind"] == "roles swapped":  # every word is still found: only the order tells
            assert claim != evidence and _words(claim) == _words(evidence), row
        elif row["kind"] == "number changed":
            numbers = r"\d+|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\b"
            pairs = zip(re.findall(numbers, claim, re.I), re.findall(numbers, evidence, re.I), strict=True)
            changed = [(a, b) for a, b in pairs if a != b]
            assert len(changed) == 1, row
        elif row["kind"] == "verbatim":
            assert claim == evidence and row["label"] == 1


def test_a_checker_trained_on_two_specs_refuses_swaps_of_a_third(shared_dir, tmp_path):
    out = tmp_path / "role_check"
    summary = train_role_check(RoleCheckTraining(
        corpus=[str(shared_dir / MAC), str(shared_dir / SPECS / "37.340_Multi_Connectivity_j20.md"),
                str(shared_dir / SPECS / "38.401_NG-RAN_Architecture_j20.md")],
        output=str(out), per_spec=150, holdout_specs=["38.401"]))
    assert sorted(p.name for p in out.iterdir()) == sorted([MODEL_FILE, SUMMARY])
    assert not out.with_name("role_check.partial").exists()
    held = summary["held_out"]
    assert summary["held_out_specs"] == ["38.401_NG-RAN_Architecture_j20.md"]
    assert held["true_kept"] >= 0.97 and held["false_refused"] >= 0.9, held
    assert held["by_kind"]["roles swapped"]["passed"] <= 0.1, held["by_kind"]
    checker = RoleChecker.load(out)
    assert json.loads((out / SUMMARY).read_text())["features"] == list(checker.features)
    sentence = "The gNB-CU-UP is connected to the gNB-DU through the F1-U interface."
    assert checker.agrees(sentence, sentence)
    swapped = "The gNB-DU is connected to the gNB-CU-UP through the F1-U interface."
    assert not checker.agrees(swapped, sentence)


def test_bad_input_is_a_one_line_error(run_cli, assert_one_line_error, shared_dir, tmp_path):
    mac = str(shared_dir / MAC)
    assert_one_line_error(run_cli("train", "role-check", "--corpus", str(tmp_path / "nope")),
                          "corpus not found")
    assert_one_line_error(run_cli("train", "role-check", "--corpus", mac, "--per-spec", "0",
                                  "--output", str(tmp_path / "out")), "per_spec")
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "notes.txt").write_text("mine")
    assert_one_line_error(run_cli("train", "role-check", "--corpus", mac, "--output", str(taken)),
                          "not a `train role-check` output")
    assert (taken / "notes.txt").read_text() == "mine"
    assert_one_line_error(run_cli("train", "role-check", "--corpus", mac, "--holdout", "38.321",
                                  "--output", str(tmp_path / "out")), "no spec files left")
