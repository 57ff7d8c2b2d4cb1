"""Cross-encoder reranking of retrieved chunks (sentence-transformers `CrossEncoder`), loaded offline.

A bi-encoder scores query and chunk apart; a cross-encoder reads them together, so it can tell the clause
that *defines* a timer from the ten that mention it. It costs one transformer pass per candidate, so it
reorders only the fused top candidates. `telecomgpt train retriever` trains one on the specs
(OUTPUT/reranker); any CrossEncoder folder with a 1-logit head works.

It computes in the machine's dtype (telecomgpt.hardware): bfloat16 on a CPU with native bf16, where it
measured about 1.4-1.6x faster than float32 on 30 chunks (AMD EPYC, AVX-512 BF16), float32 elsewhere (emulated
bf16 is slower than float32; docs/benchmarks.md, `dtype_speed`). An int8 ONNX Runtime export was tried and
measured only ~10% faster than bf16 on that AVX-512 BF16 CPU, so it was left out.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

from telecomgpt.errors import UserError
from telecomgpt.hardware import torch_dtype

DEFAULT_MAX_LENGTH = 128
"""Word pieces of query + chunk read when reranking: the query and the first ~400 characters of the chunk.

Latency decides: the 3-layer reranker of `train retriever` costs ~17 ms of CPU per (query, chunk) at 256
word pieces and ~11 ms at 128 (bench/reranker_latency.py, one thread), so 20 candidates at 128 fit the
assistant's ~150 ms budget on 2 cores where 30 at 256 (~750 ms of CPU) do not."""


class Reranker:
    """A loaded cross-encoder; `rerank` is thread-safe (one forward pass at a time)."""

    def __init__(self, model, path: Path):
        self.model = model
        self.path = path
        self._lock = threading.Lock()

    @classmethod
    def load(cls, path: str | Path, max_length: int | None = DEFAULT_MAX_LENGTH) -> Reranker:
        """Open a CrossEncoder folder (e.g. `train retriever`'s OUTPUT/reranker); a missing or broken one is a
        one-line UserError."""
        path = Path(path)
        if not path.is_dir():
            raise UserError(f"no reranker at {path}", hint="train one with `telecomgpt train retriever`")
        config = path / "config_sentence_transformers.json"
        try:
            kind = json.loads(config.read_text()).get("model_type") if config.is_file() else None
        except (ValueError, OSError) as exc:
            raise UserError(f"reranker at {path} is corrupt: {config.name}: {exc}") from None
        if kind not in (None, "CrossEncoder"):
            raise UserError(f"{path} holds a {kind}, not a cross-encoder",
                            hint="pass the reranker/ folder of `telecomgpt train retriever`, not embedder/")
        if not (path / "config.json").is_file():
            raise UserError(f"reranker at {path} is incomplete: no config.json")
        try:
            model = _load_cross_encoder(path, max_length)
        except Exception as exc:  # noqa: BLE001 - a broken folder raises many things inside transformers
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise UserError(f"cannot load the reranker at {path}: {type(exc).__name__}: {reason}") from None
        return cls(model, path)

    def scores(self, query: str, passages: list[str], logits: bool = False) -> list[float]:
        """Relevance of each passage to `query` (sigmoid of the cross-encoder's logit, 0..1; the logit itself
        with `logits`: in bfloat16 the sigmoid of every logit above ~5.5 is exactly 1, a tie)."""
        if not passages:
            return []
        import torch

        with self._lock:
            values = self.model.predict([(query, p) for p in passages], batch_size=32,
                                        show_progress_bar=False, convert_to_numpy=True,
                                        activation_fn=torch.nn.Identity() if logits else None)
        return [float(v) for v in values]

    def rerank(self, query: str, hits: list, top_n: int | None = None) -> list:
        """`hits` (Retriever hits) reordered by cross-encoder score, best first, at most `top_n`; the score is
        kept in `hit.metadata["rerank_score"]`."""
        if not hits:
            return []
        # the chunk text alone, as in training (`train retriever` pairs carry no headings)
        for hit, score in zip(hits, self.scores(query, [h.text for h in hits]), strict=True):
            hit.metadata["rerank_score"] = round(score, 6)
        ranked = sorted(hits, key=lambda h: h.metadata["rerank_score"], reverse=True)
        return ranked[:top_n] if top_n else ranked


def _load_cross_encoder(path: Path, max_length: int | None):
    import os

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers.cross_encoder import CrossEncoder
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # no "Loading weights" bar on every command
    model = CrossEncoder(str(path), device="cpu", local_files_only=True, max_length=max_length,
                         model_kwargs={"dtype": torch_dtype("reranker")})
    model.eval()
    return model
