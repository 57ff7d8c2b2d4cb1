"""The answer-sentence reader: which sentence of the retrieved clauses states the fact a question asks for.

A learned ranker over a few features of a (question, sentence) pair, with MiniLM's cosine as one of them:
how much of the question the sentence covers (all its words, and its names and numbers: "N9", "GTP-U"),
what it adds beyond the question, and what kind of sentence it is (a figure or table caption, a pointer to
another spec, a NOTE, a list item). `telecomgpt train reader` (finetune/reader.py) fits its weights by
logistic regression on answer sentences mined from the specs (finetune/data/reader_pairs.py: the answering
sentence against the other sentences of its own clause) and stores them as a small JSON file in the user's
cache (`reader_path()`); app/grounding.py orders the quotable sentences with it (the lead, the extractive
quotes) whenever it is there.

Why features and not a cross-encoder: a MiniLM cross-encoder with a new scoring head, trained on the same
groups for as long as 2 CPU cores allow (minutes), stayed at the class prior (loss 0.67 -> 0.55, MRR 0.14
on held-out specs against 0.70 for cosine + word overlap; docs/benchmarks.md). The signal that separates an
answering sentence from its neighbours is mostly lexical and structural, which MiniLM's cosine alone does not
see (it ranks "N6: reference point between the UPF and a Data Network" as close to a question about N9 as
N9's own line); a linear model over these features trains in seconds, reads its own weights, and scores a
sentence in microseconds after the cosine the assistant already computes.
"""

from __future__ import annotations

import json
import logging
import math
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.sentences import strip_citations, terms
from telecomgpt.errors import UserError
from telecomgpt.paths import home

FEATURES = ("cosine", "cosine_gap", "overlap", "overlap_gap", "key_overlap", "new_terms", "new_keys",
            "figure", "pointer", "note", "list_item", "words")
"""Names of the features, in the order of the weights (`sentence_features`)."""

FIGURE = re.compile(r"^\W*(?:Figure|Table)\s+[\w.\-]+\s*:"
                    r"|\b(?:shown|illustrated|depicted|presented|represented)\s+(?:in|on|by)\s+(?:the\s+)?"
                    r"(?:Figure|Table)\b|\b(?:Figure|Table)\s+[\w.\-]+\s+"
                    r"(?:shows|illustrates|depicts|represents|presents)\b", re.I)
"""A caption, or a sentence that shows a figure or table ("... is illustrated in Figure 4.1-1", "Figure
4.2.2-1 represents the functional view of the PDCP entity ..."): it names a topic and states no fact. Not "as
given by Table 7.4.3.1-1", which ends a sentence that does."""
POINTER = re.compile(r"\b(?:(?:are|is)\s+)?(?:specified|defined|described|found|given|captured|documented)"
                     r"\s+in\s+(?:TS|TR|clause|sub-?clause|annex)\b|\bsee\s+(?:TS|TR|clause|annex)\b"
                     r"|^\W*(?:Further|More)\s+details\b", re.I)
"""A sentence that points to another spec or clause ("... are specified in TS 38.413")."""
NOTE = re.compile(r"^\W*(?:NOTE|Editor'?s note)\b", re.I)
LIST_ITEM = re.compile(r"^\s*(?:[-*\u2022]|\d>|\d{1,2}[.)]\s)")


def sentence_features(question: str, sentences: list[str], cosines: np.ndarray) -> np.ndarray:
    """One row of FEATURES per candidate sentence (`cosines`: MiniLM cosine of each to the question). The
    "gap" features compare a sentence with the best candidate of its pool, so the model ranks within the
    pool rather than judging a sentence alone."""
    question_terms, question_keys = (set(t) for t in terms(question))
    rows = []
    for sentence in sentences:
        text = strip_citations(sentence)
        content, keys = (set(t) for t in terms(text))
        new = content - question_terms
        rows.append([
            len(question_terms & content) / max(1, len(question_terms)),
            len(question_keys & keys) / len(question_keys) if question_keys else 0.0,
            min(len(new), 20) / 20,
            float(bool(keys - question_keys)),
            float(bool(FIGURE.search(text))),
            float(bool(POINTER.search(text))),
            float(bool(NOTE.match(text))),
            float(bool(LIST_ITEM.match(text))),
            math.log1p(len(text.split())),
        ])
    lexical = np.asarray(rows, dtype=np.float64).reshape(len(sentences), 9)
    cosines = np.asarray(cosines, dtype=np.float64).reshape(-1)
    overlap = lexical[:, 0]
    return np.column_stack([cosines, cosines - cosines.max(initial=0.0), overlap,
                            overlap - overlap.max(initial=0.0), lexical[:, 1:]])


@dataclass
class Reader:
    """Standardise each feature, then a weighted sum: the logit that a sentence answers the question."""

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float

    def scores(self, question: str, sentences: list[str], cosines: np.ndarray) -> list[float]:
        """The logit of each sentence (higher: more likely the one that states the asked fact)."""
        if not sentences:
            return []
        features = (sentence_features(question, sentences, cosines) - self.mean) / self.scale
        return (features @ self.weights + self.bias).tolist()

    def to_dict(self) -> dict:
        return {"features": list(FEATURES), "mean": self.mean.tolist(), "scale": self.scale.tolist(),
                "weights": self.weights.tolist(), "bias": self.bias}

    @classmethod
    def load(cls, path: Path) -> Reader:
        """A `train reader` output: the folder, or its reader.json. One-line error when it is not one."""
        file = path / "reader.json" if path.is_dir() else path
        try:
            raw = json.loads(file.read_text())
            if raw["features"] != list(FEATURES):
                raise ValueError(f"features {raw['features']} are not this version's {list(FEATURES)}")
            reader = cls(np.asarray(raw["mean"]), np.asarray(raw["scale"]), np.asarray(raw["weights"]),
                         float(raw["bias"]))
            if not reader.mean.shape == reader.scale.shape == reader.weights.shape == (len(FEATURES),):
                raise ValueError("weights of the wrong shape")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise UserError(f"{file} is not a reader trained by `telecomgpt train reader`: {exc}",
                            hint="train it again: telecomgpt train reader") from None
        return reader


log = logging.getLogger(__name__)
_LOADED: dict[Path, tuple[float, Reader]] = {}
_PASSED_OVER: set[Path] = set()
"""Cached readers of another version already warned about (one warning per file, not per answer)."""
_LOCK = threading.Lock()


SHIPPED = Path(__file__).with_name("reader_weights.json")
"""The weights the project trained and ships (a dozen numbers, like a calibrated threshold), so a fresh
install reads with the reader; rebuilt by the command in the file's `trained_with`."""


def reader_path() -> Path:
    """Where `train reader` stores the reader and the assistant looks for it first."""
    return home() / "reader"


def default_reader() -> Reader | None:
    """The reader the user trained (the cache's, reloaded when retrained), else the shipped one. A cached
    reader of another version (its features are not this one's) is passed over with a warning, so an upgrade
    never stops the assistant: `telecomgpt train reader` makes a new one."""
    file = reader_path() / "reader.json"
    if file.is_file():
        try:
            return _load(file)
        except UserError as exc:
            if file not in _PASSED_OVER:
                _PASSED_OVER.add(file)
                log.warning("%s; using the shipped reader", exc)
    return _load(SHIPPED)


def _load(file: Path) -> Reader | None:
    """`Reader.load(file)`, kept while the file is unchanged."""
    try:
        stamp = file.stat().st_mtime
    except OSError:
        return None
    with _LOCK:
        if file not in _LOADED or _LOADED[file][0] != stamp:
            _LOADED[file] = (stamp, Reader.load(file))
        return _LOADED[file][1]
