"""Split 3GPP markdown into numbered clauses; read the spec's own abbreviation and definition lists.

Handles both heading styles seen in real files: pandoc's "### 4.3.1 Frames and subframes" and the
Release-19 markdown's "### 4.3.1Frames and subframes" (no space), plus lettered sub-clauses
("4.2.5aRadio ...", "4.2.8.1A General"), annexes ("# Annex A (informative): Change history") and
annex clauses ("# D.1Introduction").
"""

from __future__ import annotations

import dataclasses
import re

_HEADING_RE = re.compile(r"^(#{1,6})[ \t]*(.*?)[ \t#]*$")
_ANNEX_RE = re.compile(r"^Annex\s+([A-Z]{1,2})\b\s*(?:\([A-Za-z]+\))?\s*:?\s*(.*)$")
# "4.3.1", "5.35A.1", "D.1", "4.2.5a" / "4.2.8.1A" (lettered insertions); what follows must not extend it
_NUMBER_RE = re.compile(r"^((?:\d+|[A-Z])(?:[a-zA-Z]?\.\d+)+|\d+)"
                        r"([a-z](?=[A-Z ]|$)|[A-Z](?=[A-Z][a-z]| |$))?(?![\d.\-])")
_COMPONENT_RE = re.compile(r"^(\d*)([A-Za-z]?)$")


GENERIC_TITLES = frozenset({
    "general", "introduction", "overview", "scope", "references", "void", "definitions", "abbreviations",
    "symbols", "foreword", "description", "requirements", "procedure", "procedures", "general description",
    "change history", "definitions of terms, symbols and abbreviations", "definitions and abbreviations",
    "terms", "principles", "architecture", "functions", "parameters", "contents", "annex", "examples",
})
"""Clause titles shared by many clauses of many specs: alone they name no clause."""


def is_generic_title(title: str) -> bool:
    """Whether a clause title names no clause by itself ("General", "Void", a title under six characters):
    a query, a training pair or a benchmark item needs the clause's parents to say which one is meant."""
    title = title.strip().lower().strip(" .")
    return title in GENERIC_TITLES or len(title) < 6


@dataclasses.dataclass
class Clause:
    """One clause: number "5.3.7" ("" for the front matter, "A" for an annex), title, depth, body text."""

    number: str
    title: str
    level: int
    text: str

    @property
    def heading(self) -> str:
        return f"{self.number} {self.title}".strip()


def _candidates(text: str) -> list[tuple[str, str]]:
    """(number, title) readings of a heading, most likely first. Release-19 markdown glues number and
    title ("4.4.65G LAN-type Services", "5.8.2.2.4IPv6 ..."), so shorter numbers are alternatives."""
    match = _NUMBER_RE.match(text)
    if not match:
        return []
    number = match.group(1) + (match.group(2) or "")
    readings = [number]
    if match.group(2):
        readings.append(match.group(1))
    glued = len(text) > len(match.group(1)) and text[len(match.group(1))] != " "
    last = match.group(1).rsplit(".", 1)[-1]
    if glued and "." in match.group(1) and len(last) > 1:
        readings += [match.group(1)[: -len(last) + cut] for cut in range(len(last) - 1, 0, -1)]
    return [(reading, text[len(reading):].strip(" :\t")) for reading in readings]


def _component(text: str) -> tuple[int, str]:
    match = _COMPONENT_RE.match(text)
    if not match:
        return (-1, "")
    digits, letter = match.groups()
    return (int(digits) if digits else ord(letter.upper()) - 64, "" if not digits else letter.upper())


def _follows(previous: str, number: str) -> bool:
    """Could `number` be the heading after `previous`? (next sibling, next lettered sibling, first child)"""
    if not previous:
        return True
    prev, new = previous.split("."), number.split(".")
    if len(new) == len(prev) + 1 and new[:-1] == prev:
        return _component(new[-1]) in ((0, ""), (1, ""))
    if len(new) > len(prev) or new[:-1] != prev[: len(new) - 1]:
        return False
    (a_num, a_letter), (b_num, b_letter) = _component(prev[len(new) - 1]), _component(new[-1])
    if b_num == a_num:  # 5.35 → 5.35A, 5.35A → 5.35B
        return bool(b_letter) and ord(b_letter) == (ord(a_letter) + 1 if a_letter else ord("A"))
    return not b_letter and a_num < b_num <= a_num + 3  # small gaps: deleted clauses


def parse_heading(line: str, previous: str = "") -> tuple[str, str, int] | None:
    """(number, title, level) of a numbered clause heading line, or None for any other line.
    `previous` (the last clause number) picks between readings of glued headings."""
    match = _HEADING_RE.match(line)
    if not match:
        return None
    text = match.group(2).replace("**", "").replace("\\", "").strip()
    annex = _ANNEX_RE.match(text)
    if annex:
        return annex.group(1), annex.group(2).strip(" :"), 1
    readings = _candidates(text)
    if not readings:
        return None
    number, title = next((r for r in readings if _follows(previous, r[0])), readings[0])
    return number, title, number.count(".") + 1


def split_clauses(markdown: str) -> list[Clause]:
    """Clauses in document order; text before the first numbered heading is clause "" (front matter)."""
    clauses: list[Clause] = []
    number, title, level, body = "", "", 0, []
    in_fence = False
    for line in markdown.splitlines():
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
        heading = None if in_fence else parse_heading(line, number)
        if heading is None:
            body.append(line)
            continue
        clauses.append(Clause(number, title, level, "\n".join(body).strip()))
        (number, title, level), body = heading, []
    clauses.append(Clause(number, title, level, "\n".join(body).strip()))
    if clauses and not clauses[0].number and not clauses[0].text:
        clauses.pop(0)
    return clauses
