"""The unit the index stores: a `Chunk` of text inside one clause, with where it came from.

Chunks never cross clause boundaries: a long clause is cut at paragraph (then line, then word)
boundaries into pieces of at most `max_chars`, and every piece keeps the clause's number and title.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field

from app.procedure_text import headed_units

DEFAULT_MAX_CHARS = 1000
"""About 250 word pieces: all-MiniLM-L6-v2 reads at most 256, so a chunk is embedded whole."""


@dataclass
class Chunk:
    """One retrievable piece of a document."""

    text: str
    """The chunk's own text (no heading)."""
    source: str
    """Path of the file it came from."""
    clause: str = ""
    """Clause number ("5.3.7"), "" for front matter or non-spec text; "p.3" for a PDF page."""
    title: str = ""
    """Clause (or section) title."""
    spec: str = ""
    """Spec number ("38.331") when the text is a 3GPP document or cites one."""
    kind: str = ""
    """"TS"/"TR" for 3GPP documents, "note", "pdf", "code", "text" otherwise."""
    version: str = ""
    """Spec version ("18.0.0")."""
    release: int | None = None
    """3GPP release (18) when known."""
    part: int = 0
    """Index of this piece inside its clause."""
    extra: dict = field(default_factory=dict)
    """Anything else a reader wants to keep (e.g. the note's spec document title)."""

    @property
    def chunk_id(self) -> str:
        """Stable id from the source, clause, piece and text: the same file re-indexed gives the same ids."""
        key = f"{self.source}\x00{self.clause}\x00{self.part}\x00{self.text}"
        return hashlib.sha1(key.encode()).hexdigest()[:16]

    @property
    def heading(self) -> str:
        """"TS 38.331 5.3.7 RRC connection re-establishment": prefixed to the text for both retrievers,
        so a query naming a clause title or spec number finds it."""
        spec = f"{self.kind} {self.spec}".strip() if self.spec else ""
        return " ".join(p for p in (spec, self.clause, self.title) if p)

    def metadata(self) -> dict:
        """Everything but the text, as stored in the index and returned with a hit."""
        data = asdict(self)
        data.pop("text")
        data["chunk_id"] = self.chunk_id
        return data


def citation_of(meta: dict) -> str:
    """"TS 38.331 §5.3.7" for a spec clause, else the file name with the section title."""
    clause = meta.get("clause") or ""
    spec = meta.get("spec") or ""
    if spec:
        kind = meta.get("kind") if meta.get("kind") in ("TS", "TR") else "TS"
        if clause and not clause.startswith("p."):
            return f"{kind} {spec} §{clause}"
        return f"{kind} {spec}" + (f" {clause}" if clause else "")
    name = (meta.get("source") or "").rsplit("/", 1)[-1]
    where = clause or meta.get("title") or ""
    return f"{name} {where}".strip() if where and where != name else name


def split_text(text: str, max_chars: int = DEFAULT_MAX_CHARS) -> list[str]:
    """Cut `text` into pieces of at most `max_chars`, preferring paragraph, then line, then word breaks.

    Paragraphs and lines are first grouped into units that stay together where they fit
    (app/procedure_text.py): a procedure step with its nested steps ("1>when ...:" with its "2>" lines), a
    list stem with its items. A chunk that opens inside a procedure too long for one chunk starts with the
    stem and conditions above its first step, where they fit (`procedure_text.headed_units`): "3>start or
    restart retxBSR-Timer." alone was retrieved and quoted without saying when. Written here rather than
    taken from a text-splitter library because it is twenty lines and the rules (never merge across a
    clause, keep a condition with its actions) are ours; the recursive-separator idea is LangChain's.
    """
    text = text.strip()
    if len(text) <= max_chars:
        return [text] if text else []
    for sep in ("\n\n", "\n", " "):
        parts = [p for p in text.split(sep) if p.strip()]
        if len(parts) > 1:
            break
    else:
        return [text[i : i + max_chars] for i in range(0, len(text), max_chars)]
    heads_of: dict[int, str] = {}  # a group cut off a long procedure: the heads above it, by part number
    if sep != " ":  # a unit that cannot fit (one huge condition) is cut at its parts below, as before
        grouped, parts = headed_units(parts, max_chars), []
        for heads, unit in grouped:
            if heads:
                heads_of[len(parts)] = sep.join(heads)
            whole = sep.join(unit)
            parts += [whole] if len(whole) <= max_chars else unit
    pieces: list[str] = []
    current = ""
    for i, part in enumerate(parts):
        if len(part) > max_chars:
            if current:
                pieces.append(current)
                current = ""
            pieces.extend(split_text(part, max_chars))
            continue
        if current and len(current) + len(sep) + len(part) > max_chars:
            pieces.append(current)
            current = ""
        if current:
            current = f"{current}{sep}{part}"
        else:  # a chunk opening inside a procedure repeats the conditions it sits under, where they fit
            headed = f"{heads_of[i]}{sep}{part}" if i in heads_of else part
            current = headed if len(headed) <= max_chars else part
    if current:
        pieces.append(current)
    return [p.strip() for p in pieces if p.strip()]


def clause_chunks(text: str, base: Chunk, max_chars: int = DEFAULT_MAX_CHARS) -> list[Chunk]:
    """Pieces of one clause, each a copy of `base` (same metadata) with its own text and part."""
    out = []
    for i, piece in enumerate(split_text(text, max_chars)):
        chunk = Chunk(**{**asdict(base), "text": piece, "part": i})
        out.append(chunk)
    return out
