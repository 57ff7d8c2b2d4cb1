"""Instruction examples from each spec's own Abbreviations and Definitions clauses (no LLM needed).

Abbreviation -> expansion, expansion -> abbreviation, and term -> definition, phrased with a few
deterministic templates. The clauses come from `telecomgpt.domain.tgpp` (read_spec, find_abbreviations,
find_definitions), so .docx, .zip and .md specs all work.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

from finetune.data.records import Example, normalize, pick
from telecomgpt.domain.tgpp import find_abbreviations, find_definitions, read_spec

log = logging.getLogger("telecomgpt.finetune.data")
SPEC_SUFFIXES = (".docx", ".zip", ".md")

ABBREVIATION_QUESTIONS = (
    "In 3GPP {ref}, what does the abbreviation {abbr} stand for?",
    "What is the expansion of {abbr} as used in 3GPP {ref}?",
    "Expand the 3GPP abbreviation {abbr} (as defined in {ref}).",
)
REVERSE_QUESTIONS = (
    "Which abbreviation does 3GPP {ref} use for \"{expansion}\"?",
    "What is the 3GPP abbreviation for \"{expansion}\"?",
)
DEFINITION_QUESTIONS = (
    "Define the term \"{term}\" as used in 3GPP {ref}.",
    "According to 3GPP {ref}, what is meant by \"{term}\"?",
    "What is the 3GPP definition of \"{term}\" (see {ref})?",
)


def spec_files(paths: list[str]) -> list[Path]:
    """Spec documents under `paths` (files or folders), sorted for reproducibility."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(p for p in sorted(path.rglob("*")) if p.suffix.lower() in SPEC_SUFFIXES)
        elif path.is_file():
            found.append(path)
    return found


def glossary_examples(paths: list[str], errors: list[dict]) -> Iterator[Example]:
    """Examples from every spec under `paths`; unreadable specs are recorded in `errors` and skipped."""
    from tqdm import tqdm

    for path in tqdm(spec_files(paths), desc="glossary", unit="spec"):
        try:
            info, clauses = read_spec(path)
        except (ValueError, OSError) as exc:  # SpecFileError is a ValueError; UserError for bad files
            errors.append({"file": str(path),
                           "error": str(exc).splitlines()[0] if str(exc) else type(exc).__name__})
            continue
        except Exception as exc:  # noqa: BLE001 - one broken spec must not stop the build
            errors.append({"file": str(path), "error": f"{type(exc).__name__}: {exc}"})
            continue
        ref = f"{info.kind or 'TS'} {info.spec}" if info.spec else path.stem
        meta = {"spec": info.spec, "release": info.release, "file": path.name}
        yield from _abbreviations(find_abbreviations(clauses), ref, meta)
        yield from _definitions(find_definitions(clauses), ref, meta)


def _abbreviations(table: dict[str, str], ref: str, meta: dict) -> Iterator[Example]:
    for abbr, expansion in sorted(table.items()):
        expansion = " ".join(expansion.split())
        if not abbr or not expansion or len(expansion) > 200 or normalize(abbr) == normalize(expansion):
            continue
        key = f"{abbr}|{expansion}"
        yield Example("abbreviation", pick(ABBREVIATION_QUESTIONS, key).format(ref=ref, abbr=abbr),
                      f"In {ref}, {abbr} stands for {expansion}.", meta,
                      key=f"abbr:{abbr.lower()}:{normalize(expansion)}")
        yield Example("abbreviation_reverse",
                      pick(REVERSE_QUESTIONS, key).format(ref=ref, expansion=expansion),
                      f"The abbreviation is {abbr}.", meta,
                      key=f"abbr-rev:{normalize(expansion)}:{abbr.lower()}")


def _definitions(table: dict[str, str], ref: str, meta: dict) -> Iterator[Example]:
    for term, definition in sorted(table.items()):
        definition = " ".join(definition.split())
        if len(definition) < 20 or len(term) > 120:
            continue
        yield Example("definition", pick(DEFINITION_QUESTIONS, term).format(ref=ref, term=term), definition,
                      meta, key=f"def:{normalize(term)}:{normalize(definition)[:300]}")
