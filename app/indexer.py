"""Build and update an index folder: read files, chunk, embed, persist; resumable and accounted for.

Every input file ends up in exactly one of: indexed now, unchanged (same content hash, kept),
or errors (with the reason, in manifest.json). A checkpoint is written every `checkpoint_s` seconds,
so a crashed build resumes where it stopped: files already indexed with the same hash are skipped.
Chunks of many files are embedded together (BATCH_CHUNKS at a time) by the index's embedder (app.embedder).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from app.chunks import DEFAULT_MAX_CHARS
from app.embedder import (
    DEFAULT_BACKEND,
    DEFAULT_EMBED_TOKENS,
    embedder_of_index,
    get_embedder,
    resolve_embedder,
)
from app.index_store import IndexStore, document_text, source_key
from app.readers import iter_files, read_file
from telecomgpt.errors import UserError

BATCH_CHUNKS = 2048
"""Chunks read before they are embedded together: one length-sorted pass over many files pads far less
than one pass per file, and adding many files to the store at once avoids per-file copies of every vector."""


@dataclass
class IndexReport:
    """What one build/add did, file by file."""

    indexed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    removed_files: list[str] = field(default_factory=list)
    chunks_added: int = 0
    total_chunks: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        return (f"{len(self.indexed)} files indexed ({self.chunks_added} chunks), {len(self.unchanged)} "
                f"unchanged, {len(self.errors)} errors, {len(self.removed_files)} removed; index holds "
                f"{self.total_chunks} chunks ({self.seconds:.1f} s)")


def file_sha1(path: Path) -> str:
    digest = hashlib.sha1()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def update_index(index_dir: Path, inputs: list[Path], *, prune: bool = False,
                 max_chars: int = DEFAULT_MAX_CHARS,
                 progress: bool = True, checkpoint_s: float = 60.0, embedder: str | Path | None = None,
                 backend: str | None = None, dense: bool | None = None, embed_tokens: int | None = None,
                 batch_chunks: int = BATCH_CHUNKS) -> IndexReport:
    """Index every supported file under `inputs` into `index_dir` (created if needed).

    With `prune` (what `index build` does) files in the index but not among the inputs are dropped,
    so the index mirrors the inputs; without it (`index add`) they stay. `embedder` (a sentence-transformers
    folder; None: the index's own, else the shipped MiniLM), `backend`, `embed_tokens` (word pieces of each
    chunk the embedder reads; None: app.embedder.DEFAULT_EMBED_TOKENS) and `dense` (False: BM25 only) are
    fixed when an index is created; asking an existing index for other ones is a UserError.
    """
    from tqdm import tqdm

    started = time.monotonic()
    files = iter_files(inputs)
    if not files:
        raise UserError("no supported files found in the inputs",
                        hint="3GPP .docx/.zip/.md, .pdf, markdown, text, code or .jsonl[.gz]")
    store = IndexStore.open(index_dir)
    if store.manifest.get("max_chars", max_chars) != max_chars and store.records:
        raise UserError(f"index {index_dir} was built with --max-chars {store.manifest['max_chars']}",
                        hint="use the same value or a new --output folder")
    store.manifest["max_chars"] = max_chars
    model = _configure_embedder(store, index_dir, embedder, backend, dense, embed_tokens)
    report = IndexReport()
    wanted = {source_key(f) for f in files}
    if prune:
        stale = [name for name in store.manifest["files"] if name not in wanted]
        store.remove(stale)
        report.removed_files = stale
    last_checkpoint = time.monotonic()
    bar = tqdm(files, desc="indexing", unit="file", disable=not progress, dynamic_ncols=True)
    pending: list[tuple[str, str, list[dict], dict]] = []  # read, not yet embedded
    embedded = [0]  # chunks embedded so far (for the chunks/s shown on the bar)

    def show_rate(done: int = 0) -> None:
        embedded[0] += done
        rate = embedded[0] / max(time.monotonic() - started, 1e-9)
        bar.set_postfix_str(f"{embedded[0]} chunks, {rate:.0f} chunks/s", refresh=done > 0)

    def flush() -> None:
        """Embed the pending files' chunks in one length-sorted pass, then add them to the store."""
        nonlocal last_checkpoint
        records = [r for _, _, recs, _ in pending for r in recs]
        if model is not None:
            vectors = model.embed([document_text(r) for r in records], on_batch=show_rate)
        else:
            vectors = np.zeros((len(records), 0), np.float32)
            show_rate(len(records))
        batch, offset = [], 0
        for key, sha1, recs, abbreviations in pending:
            batch.append((key, sha1, recs, vectors[offset:offset + len(recs)], abbreviations))
            offset += len(recs)
            report.indexed.append(key)
        store.add_many(batch)
        report.chunks_added += len(records)
        pending.clear()
        if time.monotonic() - last_checkpoint > checkpoint_s:
            store.save(final=False)
            last_checkpoint = time.monotonic()

    for path in bar:
        key = source_key(path)
        sha1 = file_sha1(path)
        if store.manifest["files"].get(key, {}).get("sha1") == sha1:
            report.unchanged.append(key)
            continue
        try:
            chunks, abbreviations = read_file(path, max_chars)
        except (UserError, ValueError, OSError, UnicodeError) as exc:
            store.remove([key])
            store.manifest["errors"][key] = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            report.errors[key] = store.manifest["errors"][key]
            continue
        records = []
        for chunk in chunks:
            record = chunk.metadata()
            record["source"] = key
            record["text"] = chunk.text
            records.append(record)
        pending.append((key, sha1, records, abbreviations))
        if sum(len(p[2]) for p in pending) >= batch_chunks:
            flush()
    if pending:
        flush()
    bar.close()
    if report.indexed or report.errors or report.removed_files or not store.manifest.get("complete"):
        store.save(final=True)  # nothing changed: leave a complete index untouched
    report.total_chunks = len(store.records)
    report.seconds = time.monotonic() - started
    return report


def _configure_embedder(store: IndexStore, index_dir: Path, embedder: str | Path | None, backend: str | None,
                        dense: bool | None, embed_tokens: int | None = None):
    """The Embedder this index uses (None for BM25 only), recorded in a new index, checked against an old
    one."""
    fresh = not store.records and not store.manifest["files"] and not store.manifest["errors"]
    if fresh:
        if dense is False:
            store.set_embedder(None, None, 0)
            return None
        model = get_embedder(embedder, backend or DEFAULT_BACKEND, embed_tokens or DEFAULT_EMBED_TOKENS)
        store.set_embedder(model.name, model.backend, model.dim, model.max_tokens)
        return model
    if dense is not None and dense != store.dense:
        built = "with dense vectors" if store.dense else "with --dense off (BM25 only)"
        raise UserError(f"index {index_dir} was built {built}",
                        hint="use the same setting or a new --output folder")
    if not store.dense:
        if embedder is not None:
            raise UserError(f"index {index_dir} is BM25 only (--dense off): it has no embedder",
                            hint="use a new --output folder for a dense index")
        return None
    if embedder is not None and resolve_embedder(embedder)[0] != store.manifest["embedder"]:
        raise UserError(f"index {index_dir} was built with embedder {store.manifest['embedder']}",
                        hint="use the same --embedder or a new --output folder")
    if backend is not None and backend != store.manifest["embedder_backend"]:
        raise UserError(f"index {index_dir} was embedded with backend {store.manifest['embedder_backend']}",
                        hint="use the same backend or a new --output folder")
    model = embedder_of_index(store.manifest)
    if embed_tokens is not None and embed_tokens != model.max_tokens:
        raise UserError(f"index {index_dir} was embedded with --embed-tokens {model.max_tokens}",
                        hint="use the same value or a new --output folder")
    return model


def remove_from_index(index_dir: Path, paths: list[Path]) -> tuple[int, int]:
    """Remove files (or every file under folders) from the index; returns (files, chunks) removed."""
    try:
        store = IndexStore.open(index_dir, create=False)
    except FileNotFoundError:
        raise UserError(f"no index at {index_dir}", hint="build one with `telecomgpt index build`") from None
    keys = [source_key(p) for p in paths]
    prefixes = tuple(k.rstrip("/") + "/" for k in keys)
    files = [f for f in store.manifest["files"] if f in keys or f.startswith(prefixes)]
    if not files:
        raise UserError(f"none of {', '.join(map(str, paths))} is in the index at {index_dir}")
    chunks = store.remove(keys)
    store.save(final=True)
    return len(files), chunks
