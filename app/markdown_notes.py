"""Chunk ordinary markdown (the starter notes, the TR library, READMEs) at its headings.

Two conventions give a section a 3GPP citation:
- front matter (`spec: TS 38.331`, `tr: TR 38.901`, `release: 18`) sets the spec for the whole file;
- a line `Spec: TS 38.331 §5.3.7` right under a heading cites that clause for the section
  (the starter knowledge base in app/knowledge/ uses it: each note says where the concept is defined).
A numbered heading ("## 7.4.1 Pathloss") gives the clause number directly.
"""

from __future__ import annotations

import re

import yaml

from app.chunks import DEFAULT_MAX_CHARS, Chunk, clause_chunks

HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
NUMBERED = re.compile(r"^((?:\d+|[A-Z])(?:\.\d+[a-z]?)*)\.?\s+(.+)$")
SPEC_REF = re.compile(r"^\s*(?:\*|_)?Spec:\s*(TS|TR)\s*(\d{2}\.\d{3}(?:-\d+)?)\s*(?:§\s*([\w.]+))?", re.I)
FRONT_SPEC = re.compile(r"(TS|TR)?\s*(\d{2}\.\d{3}(?:-\d+)?)", re.I)


def _front_matter(text: str) -> tuple[dict, str]:
    if not text.startswith("---\n"):
        return {}, text
    end = text.find("\n---", 4)
    if end < 0:
        return {}, text
    try:
        meta = yaml.safe_load(text[4:end]) or {}
    except yaml.YAMLError:
        meta = {}
    return (meta if isinstance(meta, dict) else {}), text[end + 4 :]


def _sections(body: str) -> list[tuple[str, list[str]]]:
    """(heading text, lines) pairs; text before the first heading has heading ""."""
    sections: list[tuple[str, list[str]]] = [("", [])]
    in_fence = False
    for line in body.splitlines():
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
        match = None if in_fence else HEADING.match(line)
        if match:
            sections.append((match.group(2).strip(), []))
        else:
            sections[-1][1].append(line)
    return sections


def markdown_chunks(text: str, source: str, max_chars: int = DEFAULT_MAX_CHARS) -> list[Chunk]:
    """Chunks of a markdown file, one or more per section, never spanning two sections."""
    meta, body = _front_matter(text)
    spec_field = str(meta.get("spec") or meta.get("tr") or meta.get("ts") or "")
    spec_match = FRONT_SPEC.search(spec_field)
    file_kind = (spec_match.group(1) or "TS").upper() if spec_match else "note"
    file_spec = spec_match.group(2) if spec_match else ""
    release = meta.get("release")
    version = str(meta.get("version") or "").lstrip("v")
    chunks: list[Chunk] = []
    for heading, lines in _sections(body):
        clause, title = "", heading
        numbered = NUMBERED.match(heading)
        if numbered and file_spec:
            clause, title = numbered.group(1), numbered.group(2)
        spec, kind = file_spec, file_kind
        kept = []
        for line in lines:
            ref = SPEC_REF.match(line)
            if ref and not spec_from_line_seen(kept):
                kind, spec, clause = ref.group(1).upper(), ref.group(2), (ref.group(3) or "").rstrip(".")
                continue
            kept.append(line)
        section_text = "\n".join(kept).strip()
        if not section_text:
            continue
        base = Chunk(text="", source=source, clause=clause, title=title or str(meta.get("title") or ""),
                     spec=spec, kind=kind if spec else "note", version=version,
                     release=int(release) if str(release or "").isdigit() else None)
        chunks.extend(clause_chunks(section_text, base, max_chars))
    return chunks


def spec_from_line_seen(kept: list[str]) -> bool:
    """A `Spec:` line counts only before the section's first text line."""
    return any(line.strip() for line in kept)


ABBREVIATION_LINE = re.compile(r"^\s*[-*|]?\s*\**([A-Za-z0-9][\w/-]{1,15})\**\s*[:|\t]\s*(.+?)\s*\|?\s*$")


def note_abbreviations(text: str) -> dict[str, str]:
    """Abbreviations listed in a section titled "Abbreviations": lines like `- **RRC**: Radio Resource
    Control`."""
    _, body = _front_matter(text)
    found: dict[str, str] = {}
    for heading, lines in _sections(body):
        if "abbreviation" not in heading.lower():
            continue
        for line in lines:
            match = ABBREVIATION_LINE.match(line)
            if match and any(c.isupper() for c in match.group(1)) and not set(match.group(2)) <= set("-| "):
                found.setdefault(match.group(1), match.group(2))
    return found
