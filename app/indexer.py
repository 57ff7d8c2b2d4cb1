"""Build and update an index folder: read files, chunk, embed, persist; resumable and accounted for.

Every input file ends up in exactly one of: indexed now, unchanged (same content hash, kept),
or errors (with the reason, in manifest.json). A checkpoint is written every `checkpoint_s` seconds,
so a crashed build resumes where it stopped: files already indexed with the same hash are skipped.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path

from app.chunks import DEFAULT_MAX_CHARS
from app.index_store import IndexStore, document_text, source_key
from app.readers import iter_files, read_file
from telecomgpt.errors import UserError


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
        return (f"{len(self.indexed)} files indexed ({self.chunks_added} chunks), {len(self.unchanged)} unchanged, "
                f"{len(self.errors)} errors, {len(self.removed_files)} removed; index holds {self.total_chunks} "
                f"chunks ({self.seconds:.1f} s)")


def file_sha1(path: Path) -> str:
    digest = hashlib.sha1()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def update_index(index_dir: Path, inputs: list[Path], *, prune: bool = False, max_chars: int = DEFAULT_MAX_CHARS,
                 progress: bool = True, checkpoint_s: float = 60.0) -> IndexReport:
    """Index every supported file under `inputs` into `index_dir` (created if needed).

    With `prune` (what `index build` does) files in the index but not among the inputs are dropped,
    so the index mirrors the inputs; without it (`index add`) they stay.
    """
    from tqdm import tqdm

    from app.embedder import embed

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
    report = IndexReport()
    wanted = {source_key(f) for f in files}
    if prune:
        stale = [name for name in store.manifest["files"] if name not in wanted]
        store.remove(stale)
        report.removed_files = stale
    last_checkpoint = time.monotonic()
    bar = tqdm(files, desc="indexing", unit="file", disable=not progress, dynamic_ncols=True)
    for path in bar:
        key = source_key(path)
        sha1 = file_sha1(path)
        if store.manifest["files"].get(key, {}).get("sha1") == sha1:
            report.unchanged.append(key)
            continue
        bar.set_postfix_str(path.name[-40:])
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
        vectors = embed([document_text(r) for r in records])
        store.add(key, sha1, records, vectors, abbreviations)
        report.indexed.append(key)
        report.chunks_added += len(records)
        if time.monotonic() - last_checkpoint > checkpoint_s:
            store.save(final=False)
            last_checkpoint = time.monotonic()
    bar.close()
    if report.indexed or report.errors or report.removed_files or not store.manifest.get("complete"):
        store.save(final=True)  # nothing changed: leave a complete index untouched
    report.total_chunks = len(store.records)
    report.seconds = time.monotonic() - started
    return report


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
