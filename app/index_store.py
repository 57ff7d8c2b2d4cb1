"""The on-disk index: chunks, their embeddings, a FAISS index, a BM25 index and a manifest of files.

Layout of an index folder:
    manifest.json      files indexed (content hash, chunk count, abbreviations they define), errors, settings
    chunks.jsonl       one JSON object per chunk: id, text and metadata (row i = vector i)
    vectors.npy        float32 [n, dim] unit vectors (kept so add/remove never re-embeds other files)
    dense.faiss        FAISS inner-product index over vectors.npy (exact; HNSW above 20,000 chunks)
                       (neither is written for a BM25-only index, `index build --dense off`)
    bm25/              bm25s index over heading + text
    abbreviations.json merged abbreviation -> expansion table used for query expansion

Every file is written to a temporary name and renamed, and the manifest is written last, so a crash
leaves the previous consistent state (or a checkpoint that `index build` resumes from).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import orjson

from telecomgpt.errors import UserError

FORMAT_VERSION = 1
LEGACY_DIM = 384
"""The vector width of indexes whose manifest records none (all-MiniLM-L6-v2, the only embedder then)."""
TOKEN_PATTERN = r"(?u)\b\w[\w.]*\w\b"
"""Like bm25s' default but keeps "38.331", "5.3.7" and "T310" whole."""

EXACT_SEARCH_LIMIT = 20_000
"""Up to this many chunks the dense search is exact (a flat scan, under 4 ms here); above it a flat scan of
the whole shared corpus (100k chunks) took 17 ms a query, so an HNSW graph is built instead: 1 ms, 99.5% of
the exact top-50 (M=32, efConstruction=80, efSearch=256; measured on that index, 2 cores)."""


def dense_index_for(count: int, dim: int):
    """An empty FAISS inner-product index suited to `count` unit vectors (exact when small, HNSW when
    large)."""
    import faiss

    if count <= EXACT_SEARCH_LIMIT:
        return faiss.IndexFlatIP(dim)
    dense = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
    dense.hnsw.efConstruction = 80
    dense.hnsw.efSearch = 256  # saved with the index
    return dense


def import_bm25s():
    """bm25s, imported with numba hidden (unless something already loaded numba).

    bm25s imports numba at import time when it is installed; once llvmlite is loaded, vLLM 0.32's
    in-process engine fails at start-up (its triton dispatcher scans every module and trips over an
    llvmlite object), which broke `telecomgpt eval run --index` (retriever + engine in one process).
    We only use bm25s's numpy/scipy scoring, so hiding numba costs nothing.
    """
    if "bm25s" in sys.modules or "numba" in sys.modules:
        import bm25s

        return bm25s
    sys.modules["numba"] = None  # makes `from numba import ...` raise ImportError inside bm25s
    try:
        import bm25s
    finally:
        del sys.modules["numba"]
    return bm25s


def bm25_tokens(texts: list[str]) -> list[list[str]]:
    """Lower-cased word tokens without English stop words (same rule for chunks and queries)."""
    bm25s = import_bm25s()
    return bm25s.tokenize(texts, token_pattern=TOKEN_PATTERN, stopwords="en", return_ids=False,
                          show_progress=False)


def heading_of(record: dict) -> str:
    """"TS 38.331 5.3.7 RRC connection re-establishment"."""
    spec = f"{record.get('kind', '')} {record.get('spec')}".strip() if record.get("spec") else ""
    return " ".join(p for p in (spec, record.get("clause", ""), record.get("title", "")) if p)


def document_text(record: dict) -> str:
    """What the dense retriever embeds: the clause heading, then the chunk text."""
    heading = heading_of(record)
    return f"{heading}\n{record['text']}" if heading else record["text"]


def bm25_text(record: dict) -> str:
    """What BM25 indexes: the heading counts twice (3GPP clause titles name their topic precisely)."""
    heading = heading_of(record)
    return f"{heading}\n{heading}\n{record['text']}" if heading else record["text"]


def read_manifest(index_dir: Path) -> dict:
    """The manifest of an index folder ({} when it has none): cheap, the chunk records are not read."""
    path = Path(index_dir) / "manifest.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def merged_abbreviations(files: dict[str, dict]) -> dict[str, str]:
    """One expansion per abbreviation from the indexed files' own lists (the manifest's `files`): the one
    most files use; on a tie, a spec's own sense before TR 21.905's (the 3GPP vocabulary), then the first
    file's.

    The vocabulary lists several senses of one abbreviation, its table keeps one of them, and that one is
    often not what the specs beside it mean: "AMF Authentication Management Field" where TS 23.501, TS 38.300
    and TS 38.401 mean "Access and Mobility Management Function" (expanding every question about the AMF
    with it ranked authentication clauses above the AMF's own), and, one spec against the vocabulary, "DL
    Data Layer" where TS 23.501 means "Downlink", "MIB Management Information Base", "NEF Network Element
    Function", "SCP Service Control Point", "RA Routing Area" beside NR's Random Access. A spec's list
    gives the sense that spec writes."""
    votes: dict[str, Counter] = {}
    vocabulary: dict[str, str] = {}
    for name, entry in files.items():
        table = entry.get("abbreviations") or {}
        if "21905" in Path(name).name or "21.905" in Path(name).name:
            vocabulary.update(table)
        for abbreviation, expansion in table.items():
            votes.setdefault(abbreviation, Counter())[expansion] += 1
    merged = {}
    for abbreviation, counts in votes.items():
        top = max(counts.values())
        tied = [e for e, c in counts.items() if c == top]  # insertion order: the first file's first
        specs = [e for e in tied if e != vocabulary.get(abbreviation)]
        merged[abbreviation] = specs[0] if specs else tied[0]
    return merged


def built_manifest(index_dir: Path) -> dict:
    """The manifest of a complete index folder (read in milliseconds, before the seconds a load takes); a
    missing or interrupted one is a UserError."""
    manifest = read_manifest(index_dir)
    if not manifest:
        raise UserError(f"no index at {index_dir}", hint="build one with `telecomgpt index build`")
    if not manifest.get("complete"):
        raise UserError(f"index at {index_dir} is incomplete (interrupted build)",
                        hint="rerun `telecomgpt index build` with the same inputs to resume")
    return manifest


def read_built_index(index_dir: Path) -> tuple[dict, list[dict]]:
    """(manifest, chunk records) of a complete index folder; a missing or interrupted one is a UserError."""
    manifest = built_manifest(index_dir)
    with open(Path(index_dir) / "chunks.jsonl", "rb") as handle:
        records = [orjson.loads(line) for line in handle if line.strip()]
    return manifest, records


def _write_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


class IndexStore:
    """Chunks + vectors + manifest in memory, with save/load to an index folder."""

    def __init__(self, root: Path, records: list[dict], vectors: np.ndarray, manifest: dict):
        self.root = Path(root)
        self.records = records
        self.vectors = vectors
        self.manifest = manifest

    @property
    def dense(self) -> bool:
        """Whether the index keeps dense vectors (False for `index build --dense off`)."""
        return self.manifest.get("dense", True)

    @property
    def dim(self) -> int:
        """Width of the stored vectors (0 without dense vectors)."""
        return self.manifest.get("dim", LEGACY_DIM) if self.dense else 0

    def set_embedder(self, name: str | None, backend: str | None, dim: int,
                     max_tokens: int | None = None) -> None:
        """Record what makes the vectors (name None: BM25 only); only on an empty index."""
        self.manifest.update({"embedder": name, "embedder_backend": backend,
                              "embedder_max_tokens": max_tokens, "dim": dim, "dense": name is not None})
        self.vectors = np.zeros((0, self.dim), np.float32)

    @classmethod
    def open(cls, root: Path, create: bool = True) -> IndexStore:
        """Load the index at `root`, or an empty one when the folder holds none and `create` is set."""
        root = Path(root)
        if (root / "manifest.json").is_file():
            manifest = json.loads((root / "manifest.json").read_text())
            with open(root / "chunks.jsonl", "rb") as handle:
                records = [orjson.loads(line) for line in handle if line.strip()]
            manifest.setdefault("embedder_backend", "torch-bf16" if manifest.get("dense", True) else None)
            store = cls(root, records, np.zeros((0, 0), np.float32), manifest)
            if store.dense and records:
                vectors = np.load(root / "vectors.npy")
            else:
                vectors = np.zeros((len(records), store.dim), np.float32)
            if len(vectors) != len(records):
                raise ValueError(f"index at {root} is inconsistent: {len(records)} chunks, {len(vectors)} "
                                 "vectors")
            return cls(root, records, vectors, manifest)
        if not create:
            raise FileNotFoundError(root)
        manifest = {"format": FORMAT_VERSION, "embedder": None, "embedder_backend": None, "dim": 0,
                    "dense": False, "files": {}, "errors": {}, "complete": False,
                    "created": time.strftime("%Y-%m-%dT%H:%M:%S")}
        return cls(root, [], np.zeros((0, 0), np.float32), manifest)

    # --- changing the content -------------------------------------------------------------------
    def add_many(self, files: list[tuple[str, str, list[dict], np.ndarray, dict]]) -> None:
        """Add several files' chunks at once: (path, sha1, records, vectors, abbreviations) each.

        One removal scan and one concatenation per call: per-file ones cost O(files x chunks) on a large
        corpus.
        """
        known = [path for path, *_ in files if path in self.manifest["files"]]
        if known:
            self.remove(known)
        blocks = [self.vectors] + [np.asarray(v, np.float32).reshape(len(r), self.dim)
                                   for _, _, r, v, _ in files]
        self.vectors = np.concatenate(blocks)
        for path, sha1, records, _, abbreviations in files:
            self.records.extend(records)
            self.manifest["files"][path] = {"sha1": sha1, "chunks": len(records),
                                            "abbreviations": abbreviations}
            self.manifest["errors"].pop(path, None)
        self.manifest["complete"] = False

    def add(self, path: str, sha1: str, records: list[dict], vectors: np.ndarray,
            abbreviations: dict) -> None:
        """Add one file's chunks (replacing any chunks it had before)."""
        self.remove([path])
        self.add_many([(path, sha1, records, vectors, abbreviations)])

    def remove(self, paths: list[str]) -> int:
        """Drop every chunk whose source is one of `paths` or lies under one of them; returns chunks
        removed."""
        targets = set(paths)
        prefixes = tuple(p.rstrip("/") + "/" for p in paths)

        def gone(source: str) -> bool:
            return source in targets or source.startswith(prefixes)

        keep = [i for i, r in enumerate(self.records) if not gone(r["source"])]
        removed = len(self.records) - len(keep)
        if removed:
            self.records = [self.records[i] for i in keep]
            self.vectors = self.vectors[keep] if keep else np.zeros((0, self.dim), np.float32)
            self.manifest["complete"] = False
        for name in [f for f in self.manifest["files"] if gone(f)]:
            del self.manifest["files"][name]
            self.manifest["complete"] = False
        return removed

    def abbreviations(self) -> dict[str, str]:
        """Merged abbreviation table (`merged_abbreviations`)."""
        return merged_abbreviations(self.manifest["files"])

    # --- persistence ----------------------------------------------------------------------------
    def save(self, final: bool = True) -> None:
        """Write chunks, vectors and manifest; with `final`, also (re)build FAISS and BM25."""
        self.root.mkdir(parents=True, exist_ok=True)
        _write_bytes(self.root / "chunks.jsonl", b"".join(orjson.dumps(r) + b"\n" for r in self.records))
        if self.dense:
            tmp = self.root / "vectors.tmp.npy"
            np.save(tmp, self.vectors)
            os.replace(tmp, self.root / "vectors.npy")
        if final:
            self._build_search_indexes()
            _write_bytes(self.root / "abbreviations.json", orjson.dumps(self.abbreviations()))
        self.manifest["complete"] = final
        self.manifest["updated"] = time.strftime("%Y-%m-%dT%H:%M:%S")
        self.manifest["chunks"] = len(self.records)
        _write_bytes(self.root / "manifest.json", json.dumps(self.manifest, indent=1).encode())

    def _build_search_indexes(self) -> None:
        import faiss

        bm25s = import_bm25s()
        if self.dense:
            dense = dense_index_for(len(self.vectors), self.dim)
            if len(self.vectors):
                dense.add(np.ascontiguousarray(self.vectors))
            faiss.write_index(dense, str(self.root / "dense.faiss.tmp"))
            os.replace(self.root / "dense.faiss.tmp", self.root / "dense.faiss")
        tmp_dir, final_dir = self.root / "bm25.tmp", self.root / "bm25"
        shutil.rmtree(tmp_dir, ignore_errors=True)
        tmp_dir.mkdir()
        if self.records:
            retriever = bm25s.BM25()
            retriever.index(bm25_tokens([bm25_text(r) for r in self.records]), show_progress=False)
            retriever.save(str(tmp_dir), show_progress=False)
        shutil.rmtree(final_dir, ignore_errors=True)
        os.replace(tmp_dir, final_dir)


def source_key(path: Path) -> str:
    """How a file is named in the manifest: its absolute path."""
    return str(Path(path).resolve())

