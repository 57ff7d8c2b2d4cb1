"""The TeleQnA clause labels (bench/label_teleqna.py): rebuildable from ../shared, pointing at real clauses,
and free of benchmark text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.label_teleqna import LABELS_PATH, build_labels, load_questions, read_labels
from telecomgpt.domain.tgpp import read_spec

SUBSET = ["38.300_NG-RAN_Overall_j20.md", "38.401_NG-RAN_Architecture_j20.md",
          "37.340_Multi_Connectivity_j20.md"]
"""Release-19 markdown specs that are in the corpus once (no second release), so a label of theirs computed
on the whole corpus must come out the same on this subset (see the test)."""
FIELDS = {"id", "category", "spec", "clause", "title", "files", "containment", "margin", "pairs",
          "alternatives"}


def test_labels_hold_ids_and_clauses_only(shared_dir: Path):
    """Every label names a real dev question of a labelled category, and no question/option/explanation text
    is in the committed file."""
    labels = read_labels()
    assert len(labels) >= 30
    questions = {q["id"]: q for q in load_questions(shared_dir / "data" / "benchmarks")}
    text = LABELS_PATH.read_text()
    for label in labels:
        assert set(label) == FIELDS, label["id"]
        assert questions[label["id"]]["category"] == label["category"]
    for question in questions.values():
        for field in ("question", "explanation"):
            assert question[field][:60] not in text, (f"{question['id']} {field} leaked into "
                                                      f"{LABELS_PATH.name}")


@pytest.mark.slow
def test_committed_labels_match_a_rebuild_on_a_subset(shared_dir: Path, tmp_path: Path):
    """Scores only grow with the corpus, so a label whose clause lies in the subset keeps its clause and
    containment there, and its margin can only widen: the subset rebuild must reproduce it."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in SUBSET:
        (corpus / name).symlink_to(shared_dir / "data" / "corpus" / "3gpp" / "rel19-md" / name)
    rebuilt = {r["id"]: r for r in build_labels(corpus, shared_dir / "data" / "benchmarks")[0]}
    expected = [label for label in read_labels() if set(label["files"]) <= set(SUBSET)]
    assert len(expected) >= 5, "the subset should cover some committed labels"
    for label in expected:
        again = rebuilt.get(label["id"])
        assert again is not None, f"{label['id']} not labelled on the subset"
        assert (again["spec"], again["clause"], again["containment"]) == (
            label["spec"], label["clause"], label["containment"])
        assert again["margin"] >= label["margin"]


@pytest.mark.slow
def test_every_label_points_at_a_clause_of_the_corpus(shared_dir: Path):
    """Each labelled (and alternative) clause is in every spec file the label names, with the same title."""
    corpus = shared_dir / "data" / "corpus" / "3gpp"
    paths = {p.name: p for p in corpus.rglob("*") if p.is_file()}
    clauses: dict[str, tuple[str, dict[str, str]]] = {}
    for label in read_labels():
        for target in [label, *label["alternatives"]]:
            assert target["files"], json.dumps(target)
            for name in target["files"]:
                if name not in clauses:
                    info, parsed = read_spec(paths[name])
                    clauses[name] = (info.spec, {c.number: c.title for c in parsed if c.number})
                spec, titles = clauses[name]
                assert spec == target["spec"], f"{label['id']}: {name} is {spec}, not {target['spec']}"
                assert titles.get(target["clause"]) is not None, (f"{label['id']}: no clause "
                                                                  f"{target['clause']} in {name}")
        assert label["title"] in {clauses[name][1][label["clause"]] for name in label["files"]}
