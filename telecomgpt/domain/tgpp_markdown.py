"""3GPP documents (.docx, the .zip archives 3GPP publishes, .md) → one normalized markdown string.

pandoc (from pypandoc-binary) does the docx conversion; it takes up to ~18 s on a large spec, so the
result is cached under `telecomgpt.paths.home()/cache/markdown/` keyed by the file's content hash
(plus a format version, bumped whenever the normalization below changes).
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import zipfile
from pathlib import Path

from telecomgpt.domain.markdown_clean import mark_lost_formulas, normalize_pandoc_markdown
from telecomgpt.paths import home

CACHE_FORMAT = "v2"  # v2: a one-cell table is a paragraph (markdown_clean)
PANDOC_ARGS = ["--wrap=none", "--markdown-headings=atx", "--quiet"]  # quiet: no per-formula warnings
MAX_DOCX_BYTES = 200 * 2**20  # a larger "spec" is not a spec; refuse instead of running pandoc for minutes


class SpecFileError(ValueError):
    """A file that is not a readable 3GPP document; the message is the reason (goes to errors/)."""


def cache_dir() -> Path:
    path = home() / "cache" / "markdown"
    path.mkdir(parents=True, exist_ok=True)
    return path


def to_markdown(path: str | Path) -> str:
    """Markdown of a .docx/.zip/.md 3GPP file; raises SpecFileError with the reason when unreadable."""
    path = Path(path)
    if not path.is_file():
        raise SpecFileError(f"no such file: {path}")
    data = path.read_bytes()
    if not data.strip():
        raise SpecFileError(f"empty file: {path.name}")
    suffix = path.suffix.lower()
    if suffix in (".md", ".markdown"):
        return mark_lost_formulas(_decode_text(data, path.name))
    if suffix == ".txt":
        return _decode_text(data, path.name)
    if suffix not in (".docx", ".zip"):
        raise SpecFileError(f"not a 3GPP document type (.docx/.zip/.md): {path.name}")
    key = hashlib.sha256(data).hexdigest()
    cached = cache_dir() / f"{key[:2]}/{key}.{CACHE_FORMAT}.md"
    if cached.exists():
        return cached.read_text(encoding="utf-8")
    docx_payloads = _docx_members(data, path.name) if suffix == ".zip" else [data]
    markdown = "\n\n".join(_convert_docx(payload, path.name) for payload in docx_payloads)
    cached.parent.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(markdown, encoding="utf-8")
    tmp.replace(cached)  # atomic: parallel workers never read half a cache file
    return markdown


def _decode_text(data: bytes, name: str) -> str:
    if b"\x00" in data[:8192]:
        raise SpecFileError(f"binary content in a text file: {name}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecFileError(f"not UTF-8 text ({exc.reason} at byte {exc.start}): {name}") from None


def _open_zip(data: bytes, name: str, what: str) -> zipfile.ZipFile:
    if not data.startswith(b"PK"):
        raise SpecFileError(f"not a {what} (no zip signature; binary or mislabeled file): {name}")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        bad = archive.testzip()
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
        raise SpecFileError(f"corrupted {what} ({exc}): {name}") from None
    if bad:
        raise SpecFileError(f"corrupted {what} (bad CRC in {bad}): {name}")
    return archive


def _docx_members(data: bytes, name: str) -> list[bytes]:
    """The docx files inside a 3GPP .zip, in name order (usually exactly one)."""
    archive = _open_zip(data, name, "zip archive")
    members = sorted(m for m in archive.namelist() if m.lower().endswith(".docx") and "__MACOSX" not in m)
    if not members:
        raise SpecFileError(f"no .docx inside the zip archive: {name}")
    return [archive.read(member) for member in members]


def _convert_docx(data: bytes, name: str) -> str:
    if len(data) > MAX_DOCX_BYTES:
        raise SpecFileError(f"docx larger than {MAX_DOCX_BYTES >> 20} MB: {name}")
    archive = _open_zip(data, name, "docx")
    if "word/document.xml" not in archive.namelist():
        raise SpecFileError(f"not a Word document (no word/document.xml): {name}")
    import pypandoc

    with tempfile.TemporaryDirectory(prefix="tgpp-") as tmp:
        source = Path(tmp) / "spec.docx"
        source.write_bytes(data)
        try:
            raw = pypandoc.convert_file(str(source), "gfm", format="docx", extra_args=PANDOC_ARGS)
        except RuntimeError as exc:
            reason = str(exc).strip().splitlines()[-1][:200] if str(exc).strip() else "pandoc failed"
            raise SpecFileError(f"pandoc could not convert ({reason}): {name}") from None
    text = normalize_pandoc_markdown(raw)
    if not text.strip():
        raise SpecFileError(f"docx without text: {name}")
    return text
