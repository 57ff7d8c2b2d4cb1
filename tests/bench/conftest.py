"""TeleQnA clause labels rebuilt from ../shared for the bench tests (labels never live in the repository)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.label_teleqna import build_labels, write_labels

LABEL_SPECS = ["38.300_NG-RAN_Overall_j20.md", "38.401_NG-RAN_Architecture_j20.md",
               "37.340_Multi_Connectivity_j20.md"]
"""Release-19 markdown specs that are in the corpus once (no second release)."""


@pytest.fixture(scope="session")
def label_corpus(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding LABEL_SPECS (links to the real files)."""
    corpus = tmp_path_factory.mktemp("label-corpus")
    for name in LABEL_SPECS:
        (corpus / name).symlink_to(shared_dir / "data" / "corpus" / "3gpp" / "rel19-md" / name)
    return corpus


@pytest.fixture(scope="session")
def subset_labels(shared_dir: Path, label_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Labels built by bench/label_teleqna.py over LABEL_SPECS and the real TeleQnA file, in a file."""
    path = tmp_path_factory.mktemp("labels") / "teleqna_clause_labels.jsonl"
    write_labels(build_labels(label_corpus, shared_dir / "data" / "benchmarks")[0], path)
    return path
