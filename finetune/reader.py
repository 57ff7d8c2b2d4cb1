"""`telecomgpt train reader`: the answer-sentence reader (app/reader.py), fitted on the specs.

1. Mine (question, answering sentence, every other sentence of the same chunk) groups from the specs
   (`finetune.data.reader_pairs`), 13-gram decontaminated against the benchmarks, at most `per_kind` groups of
   each kind (definitions and abbreviations would otherwise be two thirds of them).
2. Compute `app.reader.sentence_features` for every quotable candidate (MiniLM cosine from the assistant's own
   embedder, lexical and structural features) and fit a logistic regression (scikit-learn), the answering
   sentence against its neighbours, with balanced class weights (one positive per group of ~10).

The weights go to OUTPUT/reader.json (default: the user's cache, `app.reader.reader_path()`, where the
assistant finds them), built in OUTPUT.partial and renamed when complete, with reader_summary.json beside it.
"""

from __future__ import annotations

import json
import random
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from app.reader import FEATURES, Reader, reader_path, sentence_features
from finetune.data.glossary import spec_files
from finetune.data.reader_pairs import KINDS, ReaderMining, mine_reader_pairs, read_reader_pairs
from finetune.retriever import publish
from finetune.retriever_config import check_corpus, load_dataclass_recipe, split_holdout
from telecomgpt.errors import UserError

SUMMARY = "reader_summary.json"
NEGATIVES = 100
"""Candidates per group: every other sentence of the chunk, as the assistant ranks a whole clause."""


@dataclass
class ReaderTraining:
    """Mine answer-sentence groups from specs, then fit the reader's feature weights on them."""

    corpus: list[str] = field(default_factory=list)
    """Spec files or folders (.docx/.zip/.md) to mine from (never benchmarks)."""
    output: str = ""
    """Output folder (default: the user's cache, where the assistant finds it)."""
    per_kind: int = 400
    """At most this many groups of each kind (definition, abbreviation, functions, interface, node,
    procedure), a seeded sample; 0 = all."""
    holdout_specs: list[str] = field(default_factory=list)
    """Spec file stems never trained on (bench/reader.py measures on them)."""
    regularization: float = 1.0
    """Inverse L2 strength of the logistic regression (scikit-learn's C)."""
    seed: int = 0
    max_chars: int = 1000
    """Chunk size, as `index build --max-chars`: sentences are cut from chunks like the index's."""
    decontaminate: bool = True
    benchmarks: list[str] = field(default_factory=list)

    def check(self) -> None:
        check_corpus(self.corpus)
        if self.per_kind < 0 or self.regularization <= 0:
            raise UserError("per_kind must be non-negative and regularization positive")


def load_reader_recipe(path: Path | None, overrides: dict) -> ReaderTraining:
    """Defaults, then the YAML recipe at `path`, then `overrides` (flags that were given)."""
    return load_dataclass_recipe(ReaderTraining, path, overrides, "reader",
                                 ("corpus", "benchmarks", "holdout_specs"))


def candidates(group: dict) -> list[str]:
    """The answering sentence first, then the others the assistant could quote (never a lead-in ending
    in ":", as app/grounding.py)."""
    return [group["positive"], *(n for n in group["negatives"] if not n.endswith(":"))]


def feature_rows(groups: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """Features of every candidate of every group, and 1 for the answering sentence, 0 for the others."""
    from tqdm import tqdm

    from app.support import embed_texts

    features, labels = [], []
    for group in tqdm(groups, desc="reader features", unit="group"):
        sentences = candidates(group)
        vectors = embed_texts([group["question"], *sentences])
        features.append(sentence_features(group["question"], sentences, vectors[1:] @ vectors[0]))
        labels.extend([1] + [0] * (len(sentences) - 1))
    return np.vstack(features), np.asarray(labels)


def fit(features: np.ndarray, labels: np.ndarray, regularization: float, seed: int) -> Reader:
    from sklearn.linear_model import LogisticRegression

    mean, scale = features.mean(axis=0), features.std(axis=0)
    scale[scale == 0] = 1.0  # a feature constant in training carries no weight
    model = LogisticRegression(C=regularization, class_weight="balanced", max_iter=1000, random_state=seed)
    model.fit((features - mean) / scale, labels)
    return Reader(mean, scale, model.coef_[0].copy(), float(model.intercept_[0]))


def _sample(groups: list[dict], per_kind: int, seed: int) -> list[dict]:
    if not per_kind:
        return groups
    rng = random.Random(seed)
    out = []
    for kind in KINDS:
        of_kind = [g for g in groups if g["kind"] == kind]
        out.extend(rng.sample(of_kind, min(per_kind, len(of_kind))))
    return out


def train_reader(config: ReaderTraining) -> dict:
    """Mine, fit, write the output atomically; returns the summary (also OUTPUT/reader_summary.json)."""
    config.check()
    output = Path(config.output) if config.output else reader_path()
    if output.exists() and any(output.iterdir()) and not (output / SUMMARY).is_file():
        raise UserError(f"{output} exists and is not a `train reader` output", hint="choose a new --output")
    work = output.with_name(output.name + ".partial")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    started = time.monotonic()
    try:
        corpus = [str(p) for p in split_holdout(spec_files(config.corpus), config.holdout_specs)[0]]
        mining = ReaderMining(corpus=corpus, seed=config.seed, max_chars=config.max_chars,
                              negatives=NEGATIVES,
                              benchmarks=config.benchmarks, decontaminate=config.decontaminate)
        stats = mine_reader_pairs(mining, work / "pairs")
        groups = [g for g in _sample(read_reader_pairs(work / "pairs"), config.per_kind, config.seed)
                  if len(candidates(g)) >= 2]
        if not groups:
            raise UserError("no group with an answering sentence and another quotable one was mined")
        features, labels = feature_rows(groups)
        reader = fit(features, labels, config.regularization, config.seed)
        by_kind = {k: sum(g["kind"] == k for g in groups) for k in KINDS}
        trained_with = {"command": "telecomgpt train reader", "corpus": [Path(c).name for c in config.corpus],
                        "holdout_specs": config.holdout_specs, "per_kind": config.per_kind,
                        "regularization": config.regularization, "seed": config.seed, "groups": by_kind}
        (work / "reader.json").write_text(json.dumps({"trained_with": trained_with, **reader.to_dict()},
                                                     indent=2))
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    summary = {"config": vars(config), "groups": {"kept": len(groups), "by_kind": by_kind,
                                                  "mined": stats["kept"], "excluded": stats["excluded"]},
               "rows": int(len(labels)), "weights": dict(zip(FEATURES, np.round(reader.weights, 3).tolist(),
                                                               strict=True)),
               "seconds": round(time.monotonic() - started, 1)}
    return publish(work, output, summary, SUMMARY)

