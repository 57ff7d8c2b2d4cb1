"""How well evidence supports a claim: token overlap combined with embedding similarity (`SupportScorer`).

The threshold is calibrated by bench/grounding_calibration.py on a labelled dev set built from the project's
own text (docs/assistant.md). Embeddings of evidence sentences are cached by text: the same clauses are
checked sentence after sentence, and `GroundingSession.prime` fills the cache before the model is asked.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from app.embedder import embed
from app.sentences import strip_citations, terms

SUPPORT_THRESHOLD = 0.84
"""Calibrated by bench/grounding_calibration.py on claims built from the starter notes and two real specs
(precision >= 0.97 on the calibration half; held-out precision 0.988, recall 1.0; see docs/assistant.md)."""

_CACHE: OrderedDict[str, np.ndarray] = OrderedDict()
_CACHE_SIZE = 8192
_EMBED_LOCK = threading.Lock()


def embed_texts(texts: list[str]) -> np.ndarray:
    """Unit vectors of `texts` with app.embedder's model, cached by text (evidence sentences recur)."""
    with _EMBED_LOCK:  # one embedding at a time: a second caller waits and then finds its texts cached
        missing = list(dict.fromkeys(t for t in texts if t not in _CACHE))
        if missing:
            vectors = _embed(missing)
            for text, vector in zip(missing, vectors, strict=True):
                _CACHE[text] = vector
            while len(_CACHE) > _CACHE_SIZE:
                _CACHE.popitem(last=False)
        return np.stack([_CACHE[t] for t in texts]) if texts else np.zeros((0, 1), dtype=np.float32)


def _embed(texts: list[str]) -> np.ndarray:
    """Vectors of the default embedder (all-MiniLM-L6-v2), whatever its backend."""
    return np.asarray(embed(texts), dtype=np.float32)


@dataclass
class SupportScorer:
    """How well evidence supports a claim, 0..1: token overlap combined with embedding similarity.

    score = key_factor * (lexical_weight * coverage + (1 - lexical_weight) * cosine), where
    coverage is the share of the claim's content terms found anywhere in the evidence, cosine the
    similarity of the claim to its best evidence sentence, and key_factor = 0.5 ** (key terms of the
    claim missing from the evidence), so one invented number or identifier sinks the claim.
    `context` (e.g. the source's citation and title) counts as evidence for terms, not as a sentence.
    A trained cross-encoder can replace this class: only `score` is used.
    """

    lexical_weight: float = 0.7

    def score(self, claim: str, evidence_sentences: list[str], context: str = "") -> tuple[float, str]:
        """(support score, best evidence sentence) of `claim` against `evidence_sentences`."""
        if not evidence_sentences:
            return 0.0, ""
        content, keys = terms(claim)
        if not content:
            return 0.0, ""
        evidence_terms = [set(terms(s)[0]) for s in evidence_sentences]
        union = set().union(*evidence_terms, terms(context)[0])
        coverage = sum(t in union for t in content) / len(content)
        key_factor = 0.5 ** sum(k not in union for k in set(keys))
        vectors = embed_texts([strip_citations(claim), *evidence_sentences])
        cosines = vectors[1:] @ vectors[0]
        local = np.array([sum(t in sentence for t in content) / len(content) for sentence in evidence_terms])
        best = int(np.argmax(cosines + local))
        cosine = float(max(0.0, cosines[best]))
        value = key_factor * (self.lexical_weight * coverage + (1 - self.lexical_weight) * cosine)
        return round(float(value), 4), evidence_sentences[best]
