"""The spec's own glossary: abbreviations and definitions from its clause 3.x (or 21.905's 3 and 4)."""

from __future__ import annotations

import re

from telecomgpt.domain.tgpp_clauses import Clause

_ABBREV_TOKEN_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-/&+.]*(?: [A-Z0-9][A-Za-z0-9\-/&+.]*)?$")
_GLUED_RE = re.compile(r"^[A-Z0-9][A-Z0-9\-/]+[A-Z][a-z]")
_SKIP_PREFIXES = ("For the purposes", "NOTE", "|", "#")


def abbreviation_letters(text: str) -> str:
    """The letters and digits of an abbreviation or expansion, upper case ("L2R BOP" -> "L2RBOP"): what
    an abbreviation and the expansion that spells it are compared by."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


def _lcs(a: str, b: str) -> int:
    row = [0] * (len(b) + 1)
    for ch in a:
        prev = 0
        for j, other in enumerate(b):
            prev, row[j + 1] = row[j + 1], (prev + 1 if ch == other else max(row[j + 1], row[j]))
    return row[-1]


def _split_glued(line: str) -> tuple[str, str]:
    """'CSI-RSCSI Reference Signal' → ('CSI-RS', 'CSI Reference Signal'): the split whose
    abbreviation best matches the initials of the expansion (Release-19 markdown lost the tab)."""
    tokens = line.split(" ")
    first_space = len(tokens[0])
    best, best_score = (line[:first_space], line[first_space:].strip()), -99.0
    # the abbreviation may hold one space ("5G DDNMF5G Direct Discovery ...")
    limit = first_space + 1 + len(tokens[1]) if len(tokens) > 1 else first_space
    for cut in range(2, min(len(line), limit)):
        abbrev, expansion = line[:cut].rstrip(), line[cut:]
        if not expansion[:1].isupper() and not expansion[:1].isdigit():
            continue
        initials = "".join(w if w.isupper() else w[:1] for w in re.findall(r"[A-Za-z0-9]+", expansion))
        letters = abbreviation_letters(abbrev)
        score = 2 * _lcs(letters, initials.upper()) - len(letters) + (0.5 if expansion[1:2].islower() else 0)
        score -= 0.5 * abbrev.count(" ")
        if score > best_score:
            best, best_score = (abbrev, expansion.strip()), score
    return best


def _sections(clauses: list[Clause], words: tuple[str, ...]) -> list[Clause]:
    return [c for c in clauses if any(w in c.title.lower() for w in words)]


def find_abbreviations(clauses: list[Clause]) -> dict[str, str]:
    """{"RRC": "Radio Resource Control", ...} from the spec's own Abbreviations clause(s)."""
    found: dict[str, str] = {}
    for clause in _sections(clauses, ("abbreviation",)):
        lines = [ln.strip() for ln in clause.text.splitlines() if ln.strip()]
        lines = [ln for ln in lines if not ln.startswith(_SKIP_PREFIXES) and len(ln) < 300]
        glued = sum(bool(_GLUED_RE.match(ln)) for ln in lines) > 0.3 * max(len(lines), 1)
        for line in lines:
            if "\t" in line:
                abbrev, _, expansion = line.partition("\t")
            elif glued:
                abbrev, expansion = _split_glued(line)
            else:
                abbrev, _, expansion = line.partition(" ")
            abbrev, expansion = abbrev.strip(), expansion.strip()
            upper = sum(ch.isupper() or ch.isdigit() for ch in abbrev)
            if expansion and _ABBREV_TOKEN_RE.match(abbrev) and upper >= max(1, len(abbrev) / 2) \
                    and not expansion.endswith(":"):
                found.setdefault(abbrev, expansion)
    return found


_DEFINITION_RE = re.compile(r"^\**([^:*]{1,80}?)\**\s*:\**\s*(.+)$")


def find_definitions(clauses: list[Clause]) -> dict[str, str]:
    """{"Access Stratum": "functional grouping ...", ...} from the Definitions / Terms clause(s)."""
    found: dict[str, str] = {}
    for clause in _sections(clauses, ("definition", "terms")):
        for term, definition in definition_lines(clause.text).items():
            found.setdefault(term, definition)
    return found


def definition_lines(text: str) -> dict[str, str]:
    """{term: definition} of the "<term>: <definition>" lines of a Definitions clause's text (or of a piece of
    it, such as an indexed chunk); the term may be bold, as pandoc writes it ("**Access Stratum:** ...")."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(_SKIP_PREFIXES) or line.lower().startswith("example"):
            continue
        match = _DEFINITION_RE.match(line)
        if match and len(match.group(2)) > 3:
            found.setdefault(match.group(1).strip(), match.group(2).strip())
    return found
