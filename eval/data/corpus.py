"""Where the corpus-built tasks find their inputs (their stable order comes from `telecomgpt.domain.keys`)."""

from __future__ import annotations

from pathlib import Path

from telecomgpt.errors import UserError
from telecomgpt.paths import shared_dir

SPEC_SUFFIXES = (".md", ".docx", ".zip")


def corpus_dir() -> Path | None:
    shared = shared_dir()
    return shared / "data" / "corpus" if shared else None


def specs_dir(options: dict | None) -> Path:
    """`specs_dir` option (any 3GPP spec folder), else the shared Release-19 markdown specs."""
    chosen = (options or {}).get("specs_dir")
    folder = Path(chosen) if chosen else (corpus_dir() or Path("corpus")) / "3gpp" / "rel19-md"
    if not folder.is_dir():
        raise UserError(f"3GPP spec folder not found: {folder}",
                        hint="pass --specs-dir with .docx/.zip/.md specs")
    return folder


def spec_files(options: dict | None) -> list[Path]:
    folder = specs_dir(options)
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in SPEC_SUFFIXES
                   and not p.name.startswith((".", "~")))
    if not files:
        raise UserError(f"no 3GPP specs (.docx/.zip/.md) in {folder}")
    return files


def code_dir(options: dict | None) -> Path:
    """`code_dir` option, else the shared code corpus (sionna + free5gc-nas)."""
    chosen = (options or {}).get("code_dir")
    folder = Path(chosen) if chosen else (corpus_dir() or Path("corpus")) / "code"
    if not folder.is_dir():
        raise UserError(f"code folder not found: {folder}", hint="pass --code-dir with Python/Go sources")
    return folder

