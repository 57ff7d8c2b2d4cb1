"""Hybrid retrieval over an index folder: BM25 + dense (FAISS), fused by reciprocal rank.

The query is first expanded with the abbreviations the indexed specs define (as Telco-RAG does),
e.g. "RLF" -> "RLF (Radio Link Failure)". Each fused candidate is then checked against a minimum
cosine similarity to the query, so an unrelated question returns no hits and the assistant can say
it does not know.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import orjson

from app.chunks import citation_of
from app.expansion import expand_query
from app.index_store import bm25_tokens, import_bm25s
from telecomgpt.errors import UserError

PER_CLAUSE = 2
"""At most this many chunks of one clause in a result list, so that five hits cover several clauses."""
RRF_K = 60
"""The constant of Cormack et al. (2009); ranks deeper than ~60 matter little."""
MODES = ("hybrid", "dense", "bm25")


@dataclass
class Hit:
    """One retrieved chunk."""

    text: str
    score: float
    """Fused score (reciprocal-rank fusion in hybrid mode; cosine or BM25 score otherwise)."""
    metadata: dict = field(default_factory=dict)
    """spec, version, release, clause, title, source, kind, chunk_id, similarity (cosine to the query)."""

    @property
    def citation(self) -> str:
        """"TS 38.331 §5.3.7" (or the file name and section for non-spec text)."""
        return citation_of(self.metadata)

    def to_dict(self) -> dict:
        return {"text": self.text, "score": self.score, "citation": self.citation, "metadata": self.metadata}


class Retriever:
    """Loaded index + search. Thread-safe for concurrent searches (read-only after load)."""

    def __init__(self, index_dir: Path, records, vectors, dense, bm25, abbreviations, min_similarity: float):
        self.index_dir = index_dir
        self.records = records
        self.vectors = vectors
        self.dense = dense
        self.bm25 = bm25
        self.abbreviations = abbreviations
        self.min_similarity = min_similarity
        self._releases = np.array([r.get("release") or 0 for r in records], dtype=np.int32)
        self._rows = {r["chunk_id"]: i for i, r in enumerate(records)}
        self._embed_lock = threading.Lock()
        self.file_count = len({r["source"] for r in records})

    @classmethod
    def load(cls, index_dir: str | Path, min_similarity: float = 0.25) -> Retriever:
        """Open an index built by `telecomgpt index build`."""
        import faiss

        bm25s = import_bm25s()
        index_dir = Path(index_dir)
        manifest_path = index_dir / "manifest.json"
        if not manifest_path.is_file():
            raise UserError(f"no index at {index_dir}", hint="build one with `telecomgpt index build`")
        manifest = json.loads(manifest_path.read_text())
        if not manifest.get("complete"):
            raise UserError(f"index at {index_dir} is incomplete (interrupted build)",
                            hint="rerun `telecomgpt index build` with the same inputs to resume")
        with open(index_dir / "chunks.jsonl", "rb") as handle:
            records = [orjson.loads(line) for line in handle if line.strip()]
        vectors = np.load(index_dir / "vectors.npy", mmap_mode="r")
        dense = faiss.read_index(str(index_dir / "dense.faiss"))
        bm25 = bm25s.BM25.load(str(index_dir / "bm25"), show_progress=False) if records else None
        abbreviations = json.loads((index_dir / "abbreviations.json").read_text())
        return cls(index_dir, records, vectors, dense, bm25, abbreviations, min_similarity)

    def __len__(self) -> int:
        return len(self.records)

    def chunk(self, chunk_id: str) -> dict | None:
        """One stored chunk (text and metadata) by id, with its citation; None if absent."""
        row = self._rows.get(chunk_id)
        if row is None:
            return None
        record = dict(self.records[row])
        record["citation"] = citation_of(record)
        return record

    def search(self, query: str, k: int = 5, release: int | None = None, mode: str = "hybrid",
               expand: bool = True, candidates: int = 50) -> list[Hit]:
        """The `k` best chunks for `query`, optionally only from 3GPP `release`."""
        from app.embedder import embed_query

        if mode not in MODES:
            raise UserError(f"unknown retrieval mode {mode!r}; choose one of {', '.join(MODES)}")
        if not query.strip() or not self.records:
            return []
        text = expand_query(query, self.abbreviations) if expand else query
        mask = (self._releases == release) if release is not None else None
        if mask is not None and not mask.any():
            return []
        with self._embed_lock:  # one torch forward pass at a time; concurrent ones only contend for 2 cores
            query_vector = embed_query(text)
        ranked: dict[str, list[int]] = {}
        if mode in ("hybrid", "dense"):
            ranked["dense"] = self._dense(query_vector, candidates, mask)
        if mode in ("hybrid", "bm25"):
            ranked["bm25"] = self._bm25(text, candidates, mask)
        fused: dict[int, float] = {}
        for ids in ranked.values():
            for rank, row in enumerate(ids):
                fused[row] = fused.get(row, 0.0) + 1.0 / (RRF_K + rank + 1)
        rows = sorted(fused, key=fused.get, reverse=True)
        similarity = np.asarray(self.vectors[rows]) @ query_vector[0] if rows else np.zeros(0)
        hits = []
        per_clause: dict[tuple, int] = {}
        for row, sim in zip(rows, similarity, strict=True):
            record = self.records[row]
            clause_key = (record["source"], record.get("clause"))
            if sim < self.min_similarity or (record.get("clause") and per_clause.get(clause_key, 0) >= PER_CLAUSE):
                continue
            per_clause[clause_key] = per_clause.get(clause_key, 0) + 1
            meta = {key: value for key, value in record.items() if key != "text"}
            meta["similarity"] = round(float(sim), 4)
            hits.append(Hit(text=record["text"], score=round(fused[row], 6), metadata=meta))
            if len(hits) == k:
                break
        return hits

    def _dense(self, query_vector: np.ndarray, n: int, mask: np.ndarray | None) -> list[int]:
        import faiss

        params = None
        if mask is not None:
            selector = faiss.IDSelectorBatch(np.flatnonzero(mask).astype(np.int64))
            hnsw = getattr(self.dense, "hnsw", None)
            params = (faiss.SearchParametersHNSW(sel=selector, efSearch=hnsw.efSearch) if hnsw is not None
                      else faiss.SearchParameters(sel=selector))
        _, ids = self.dense.search(query_vector, min(n, len(self.records)), params=params)
        return [int(i) for i in ids[0] if i >= 0]

    def _bm25(self, text: str, n: int, mask: np.ndarray | None) -> list[int]:
        if self.bm25 is None:
            return []
        vocab = self.bm25.vocab_dict
        tokens = [t for t in bm25_tokens([text])[0] if t in vocab]
        if not tokens:
            return []
        weights = mask.astype(np.float32) if mask is not None else None
        scores = self.bm25.get_scores(tokens, weight_mask=weights)
        n = min(n, len(scores))
        top = np.argpartition(-scores, n - 1)[:n]
        top = top[np.argsort(-scores[top])]
        return [int(i) for i in top if scores[i] > 0]
