"""The TeleQnA clause labels (bench/label_teleqna.py): rebuilt from ../shared, pointing at real clauses, and
free of benchmark text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.label_teleqna import build_labels, load_questions, read_labels
from telecomgpt.domain.tgpp import read_spec

FIELDS = {"id", "category", "spec", "clause", "title", "files", "containment", "margin", "pairs",
          "alternatives"}


def test_labels_hold_ids_and_clauses_only(shared_dir: Path, subset_labels: Path):
    """Every label names a real dev question of a labelled category, and no question/option/explanation text
    is in the labels file."""
    labels = read_labels(subset_labels)
    assert len(labels) >= 5
    questions = {q["id"]: q for q in load_questions(shared_dir / "data" / "benchmarks")}
    text = subset_labels.read_text()
    for label in labels:
        assert set(label) == FIELDS, label["id"]
        assert questions[label["id"]]["category"] == label["category"]
    for question in questions.values():
        for field in ("question", "explanation"):
            assert question[field][:60] not in text, (f"{question['id']} {field} leaked into "
                                                      f"{subset_labels.name}")


@pytest.mark.slow
def test_a_rebuild_gives_the_same_labels(shared_dir: Path, label_corpus: Path, subset_labels: Path):
    """The labels are a function of the corpus and the benchmark file: rebuilding gives the same file."""
    rebuilt = build_labels(label_corpus, shared_dir / "data" / "benchmarks")[0]
    assert rebuilt == read_labels(subset_labels)


@pytest.mark.slow
def test_every_label_points_at_a_clause_of_the_corpus(shared_dir: Path, subset_labels: Path):
    """Each labelled (and alternative) clause is in every spec file the label names, with the same title."""
    corpus = shared_dir / "data" / "corpus" / "3gpp"
    paths = {p.name: p for p in corpus.rglob("*") if p.is_file()}
    clauses: dict[str, tuple[str, dict[str, str]]] = {}
    for label in read_labels(subset_labels):
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
