"""Turn files into clause-bounded `Chunk`s: 3GPP specs, markdown notes, PDFs, code, text and arXiv JSONL.

3GPP documents (.docx, .zip, and .md named like a spec) go through the data pipeline's readers
(`telecomgpt.domain.tgpp.read_spec`), so the index and the training corpus see the same clauses.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from pathlib import Path

from app.chunks import DEFAULT_MAX_CHARS, Chunk, clause_chunks, split_text
from app.markdown_notes import markdown_chunks, note_abbreviations
from telecomgpt.domain.tgpp import find_abbreviations, read_spec
from telecomgpt.errors import UserError

SPEC_FILE = re.compile(r"^(\d{5}(-\d+)?-[0-9a-z]{3}|\d{2}\.\d{3}(-\d+)?[_ ].*|rel_\d+)$", re.I)
CODE_EXT = {".py", ".go", ".c", ".h", ".cc", ".cpp", ".hpp", ".rs", ".java", ".js", ".ts", ".m", ".sh"}
TEXT_EXT = {".txt", ".rst", ".csv", ".yaml", ".yml", ".toml", ".tex"}
MARKDOWN_EXT = {".md", ".markdown"}
SUPPORTED = CODE_EXT | TEXT_EXT | MARKDOWN_EXT | {".docx", ".zip", ".pdf", ".jsonl", ".gz"}


def is_supported(path: Path) -> bool:
    """Whether `read_file` knows this file type (".jsonl.gz" counts, other .gz files do not)."""
    if path.suffix.lower() == ".gz":
        return path.name.lower().endswith(".jsonl.gz")
    return path.suffix.lower() in SUPPORTED


def iter_files(inputs: list[Path]) -> list[Path]:
    """Every supported file under the inputs (files are taken as given), sorted, hidden paths skipped."""
    files: list[Path] = []
    for root in inputs:
        if not root.exists():
            raise UserError(f"input not found: {root}")
        if root.is_file():
            files.append(root.resolve())
            continue
        for path in sorted(root.rglob("*")):
            parts = path.relative_to(root).parts
            if path.is_file() and is_supported(path) and not any(p.startswith(".") for p in parts):
                files.append(path.resolve())
    return sorted(dict.fromkeys(files))


def read_file(path: Path, max_chars: int = DEFAULT_MAX_CHARS) -> tuple[list[Chunk], dict[str, str]]:
    """All chunks of one file and the abbreviations it defines.

    Raises ValueError/UserError with a reason when the file is unreadable."""
    suffix = path.suffix.lower()
    if suffix in (".docx", ".zip") or (suffix in MARKDOWN_EXT and SPEC_FILE.match(path.stem)):
        return _spec_chunks(path, max_chars)
    if suffix in MARKDOWN_EXT:
        text = path.read_text(errors="replace")
        return markdown_chunks(text, str(path), max_chars), note_abbreviations(text)
    if suffix == ".pdf":
        return list(_pdf_chunks(path, max_chars)), {}
    if path.name.lower().endswith((".jsonl", ".jsonl.gz")):
        return list(_jsonl_chunks(path, max_chars)), {}
    kind = "code" if suffix in CODE_EXT else "text"
    text = path.read_text(errors="replace")
    if "\x00" in text:
        raise ValueError("binary file")
    base = Chunk(text="", source=str(path), title=path.name, kind=kind)
    return clause_chunks(text, base, max_chars), {}


def _spec_chunks(path: Path, max_chars: int) -> tuple[list[Chunk], dict[str, str]]:
    info, clauses = read_spec(path)
    return list(_clause_chunks(path, info, clauses, max_chars)), find_abbreviations(clauses)


def _clause_chunks(path: Path, info, clauses, max_chars: int) -> Iterator[Chunk]:
    spec = info.spec or ""
    kind = info.kind or ("TS" if spec else "text")
    for position, clause in enumerate(clauses):
        if not clause.number and position > 0:
            continue  # unnumbered front matter after the cover: contents list, foreword (noise for retrieval)
        base = Chunk(text="", source=str(path), clause=clause.number, title=clause.title or "",
                     spec=spec, kind=kind, version=info.version or "", release=info.release,
                     extra={"doc_title": info.title or ""})
        pieces = clause_chunks(clause.text, base, max_chars)
        yield from (pieces[:1] if not clause.number else pieces)  # of the cover, only its first piece


def _pdf_chunks(path: Path, max_chars: int) -> Iterator[Chunk]:
    """One clause per page ("p.3"): PDFs carry no reliable heading structure."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, OSError, ValueError) as exc:
        raise ValueError(f"unreadable PDF: {exc}") from None
    title = (reader.metadata.title if reader.metadata else None) or path.stem
    for number, text in enumerate(pages, start=1):
        base = Chunk(text="", source=str(path), clause=f"p.{number}", title=str(title), kind="pdf")
        yield from clause_chunks(text, base, max_chars)


def _jsonl_chunks(path: Path, max_chars: int) -> Iterator[Chunk]:
    """Papers as arXiv metadata JSONL (id, title, abstract): one clause per paper."""
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as handle:
        for line_number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                raise ValueError(f"line {line_number} is not JSON") from None
            text = record.get("abstract") or record.get("text") or ""
            ident = str(record.get("id", line_number))
            title = " ".join(str(record.get("title", "")).split())
            for i, piece in enumerate(split_text(" ".join(text.split()), max_chars)):
                yield Chunk(text=piece, source=str(path), clause=ident, title=title, kind="paper", part=i)
