"""Text documents for the equation and self-instruct builders: pipeline output, markdown, and code files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from finetune.training_data import SUFFIXES, iter_records

TEXT_SUFFIXES = (".md", ".txt", ".tex", ".py")


def iter_documents(paths: list[str], text_field: str = "text") -> Iterator[tuple[str, dict]]:
    """(text, meta) from .jsonl(.gz)/.parquet records (the pipeline's output) and plain text/markdown/code
    files."""
    for raw in paths:
        root = Path(raw)
        base = root / "data" if (root / "data").is_dir() else root
        files = sorted(p for p in base.rglob("*") if p.is_file()) if base.is_dir() else [base]
        for path in files:
            if path.name.endswith(SUFFIXES):
                for i, record in enumerate(iter_records(path)):
                    text = record.get(text_field)
                    if isinstance(text, str) and text.strip():
                        meta = record.get("metadata") if isinstance(record.get("metadata"), dict) else {}
                        yield text, {"file": path.name, "doc": record.get("id", i), **_small(meta)}
            elif path.suffix in TEXT_SUFFIXES:
                yield path.read_text(errors="replace"), {"file": str(path.relative_to(base) if base.is_dir()
                                                                      else path.name)}


def _small(meta: dict) -> dict:
    """Keep scalar metadata only (spec, source, url...), so records stay small and Arrow-friendly."""
    return {k: v for k, v in meta.items() if isinstance(v, (str, int, float)) and len(str(v)) < 200}


def passages(text: str, min_chars: int = 400, max_chars: int = 1500) -> Iterator[str]:
    """Paragraph-aligned chunks between `min_chars` and `max_chars` characters."""
    chunk = ""
    for paragraph in text.split("\n"):
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        if len(chunk) + len(paragraph) > max_chars and len(chunk) >= min_chars:
            yield chunk
            chunk = ""
        chunk = f"{chunk}\n{paragraph}".strip() if len(paragraph) <= max_chars else paragraph[:max_chars]
    if len(chunk) >= min_chars:
        yield chunk
