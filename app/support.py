"""How well evidence supports a claim: token overlap combined with embedding similarity, sentence by
sentence (`SupportScorer`).

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
from telecomgpt.domain.markdown_clean import LOST_FORMULA

SUPPORT_THRESHOLD = 0.88
"""Calibrated by bench/grounding_calibration.py on claims built from the starter notes and two real specs
(the lowest threshold with precision >= 0.97 on the calibration half; held-out precision 0.936, recall
0.996; see docs/benchmarks.md and docs/assistant.md)."""

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
    """How well evidence supports a claim, 0..1: the best score of any *one* evidence sentence.

    Per sentence: key_factor * (lexical_weight * coverage + (1 - lexical_weight) * cosine), where
    coverage is the share of the claim's content terms found in that sentence, cosine the embedding
    similarity of claim and sentence, and key_factor = 0.5 ** (key terms of the claim the sentence lacks),
    so one invented number or identifier sinks the claim. `context` (e.g. the source's citation and
    title) counts as part of every sentence.

    One sentence, not the whole chunk: a small model's typical wrong claim is built from the clause's own
    words, taken from different sentences ("The UE in the 5G core is service-based, and the service is
    network-based"), or moves a name from one sentence into another (RRC_IDLE where the sentence says
    RRC_CONNECTED). Counted against the whole chunk, those words are all "found"; a true claim states
    what one sentence says. bench/grounding_calibration.py measures both scopes side by side.
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
        return self._support(claim, content, keys, evidence_sentences, context)

    def _support(self, claim: str, content: list[str], keys: list[str], evidence_sentences: list[str],
                 context: str) -> tuple[float, str]:
        """`score` of a claim with content terms (bench/grounding_calibration.py's baseline overrides it)."""
        key_terms = set(keys)
        context_terms = set(terms(context)[0])
        sentence_terms = [set(terms(s)[0]) | context_terms for s in evidence_sentences]
        coverage = np.array([sum(t in found for t in content) for found in sentence_terms]) / len(content)
        missing_keys = np.array([len(key_terms - found) for found in sentence_terms])
        # the mark of a lost formula tells a reader a value is missing; to the embedder it is noise that
        # lowers the cosine of a claim the rest of the sentence states ("A frame consists of ten subframes")
        vectors = embed_texts([strip_citations(claim), *(s.replace(f" {LOST_FORMULA}", "")
                                                          for s in evidence_sentences)])
        cosine = np.clip(vectors[1:] @ vectors[0], 0.0, None)
        scores = 0.5 ** missing_keys * (self.lexical_weight * coverage + (1 - self.lexical_weight) * cosine)
        best = int(np.argmax(scores))
        return round(float(scores[best]), 4), evidence_sentences[best]
