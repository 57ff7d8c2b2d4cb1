"""Which retrieved chunks become an answer's sources: explicit rules, applied after retrieval.

Retrieval ranks text by likeness to the question, and some spec text is like every question while answering
none: the References clause lists the titles of all related specs ("NR; Medium Access Control (MAC) protocol
specification" matches any question about NR MAC), the cover page, the Foreword and the contents list name
everything, a
figure or table caption alone names a topic without saying anything about it, and a "Void" clause is empty.
As sources they take the place of a clause that answers, and the lead quotes them. So (`choose_sources`):

  1. chunks that never answer (`never_answers` says why) are left out; when that leaves fewer than
     `passages`, a deeper search (`deeper`) fills the budget, and if it too finds none that answers, there
     are no sources (the assistant says it does not know rather than quote a reference list);
  2. at most one source per clause (spec + clause number): the next chunk of a clause already chosen waits
     behind every other clause, so it is used only when the budget of `passages` is not filled otherwise.
     Three chunks of one clause read as one source and leave out the other clauses retrieval found. A
     Scope clause waits there too (`is_scope`). A chunk the retriever looked up for the question's form
     (`looked_up` in its metadata) never waits: "What is the difference between the MCG and the SCG?"
     looks up each one's definition, in two chunks of TS 37.340 §3.1.

Order is kept otherwise (the retriever's ranking).

The retriever applies rule 1 before ranking too (`Retriever.answering`, `search(answering_only=True)`, the
default): each ranking is read only a few dozen deep, and a question naming a release ranks every spec's
cover page above the clauses, so leaving them out after retrieval could leave nothing. `choose_sources` still
applies it, for hits searched with `answering_only=False` or from elsewhere.
"""

from __future__ import annotations

import re
from collections.abc import Callable

NO_ANSWER_TITLES = re.compile(r"^\s*(?:normative\s+|informative\s+)?references\s*$|^\s*foreword\s*$|"
                              r"^\s*(?:table of\s+)?contents\s*$|^\s*change history\s*$|^\s*\(?void\)?\s*$",
                              re.I)
"""Clause titles whose text answers no technical question."""
REFERENCE_LINE = re.compile(r"^\s*\[\d{1,3}\]")
"""A line of a reference list: "[12]3GPP TS 38.331: ..."."""
CAPTION_LINE = re.compile(r"^\s*(?:\*\*)?(?:Figure|Table)\s+[A-Z]?\d+(?:\.\d+)*(?:-\d+)?[a-z]?\s*(?::|\.\s)",
                          re.I)
"""A figure or table caption: "Figure 4.1-1: Overall Architecture", "Figure 6.1.2-1. Overall ..." (not a
sentence about a figure: "Figure 4.2.3-4 depicts the non-roaming architecture ...")."""
CONTENTS_LINE = re.compile(r"^\s*(?:\d+(?:\.\d+)*|[A-Z](?:\.\d+)+)\s*[A-Za-z].*?\D\d{1,4}\s*$")
"""A contents-list line: clause number, title, page number ("5.3.7RRC connection re-establishment123")."""
COVER_PAGE = re.compile(r"The present document has been developed within the 3rd Generation Partnership "
                        r"Project|^\W*3GPP\s+T[SR]\s+\d{2}\.\d{3}\s+V\d+\.\d+\.\d+", re.I | re.M)
"""A spec's cover page (title block, "3GPP TS 23.502 V19.7.0 (2026-03)", the 3GPP disclaimer): text before
clause 1, with no clause number, that names the spec and its release and answers nothing else."""
CHANGE_ROW = re.compile(r"^\s*\|\s*\d{4}[-.]\d{2}\s*\|")
"""A row of a spec's change history table ("| 2017.06 | RAN2 98 | R2-1706204 | ... | 0.4.0 |"), which the
Markdown specs carry at the end of their last annex, under that annex's clause number."""
MOSTLY = 0.6
"""Share of a chunk's lines that must be reference, caption or contents lines for the chunk to be one."""


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip() and not line.strip().startswith("|")]


def never_answers(hit) -> str | None:
    """Why a retrieved chunk cannot answer a question (None when it may): "references", "foreword",
    "contents", "change history", "void" (by its clause title), or by its text "cover page", "change
    history" (mostly its table's rows), "reference list", "captions only", "contents list", "void"."""
    meta = getattr(hit, "metadata", {}) or {}
    title = (meta.get("title") or "").strip()
    if NO_ANSWER_TITLES.search(title):
        return re.sub(r"[^a-z ]", "", title.lower()).strip() or "void"
    text = hit.text.strip()
    if re.fullmatch(r"\(?void\)?\.?", text, re.I) or not text:
        return "void"
    if not meta.get("clause") and COVER_PAGE.search(text):
        return "cover page"
    rows = [line for line in text.splitlines() if line.strip().startswith("|")]
    if len(rows) >= 2 and sum(bool(CHANGE_ROW.match(row)) for row in rows) >= MOSTLY * len(rows):
        return "change history"
    lines = _lines(text)
    if not lines:
        return None  # a table alone may answer ("which channels are ...")
    for reason, pattern in (("reference list", REFERENCE_LINE), ("contents list", CONTENTS_LINE)):
        if len(lines) >= 2 and sum(bool(pattern.match(line)) for line in lines) >= MOSTLY * len(lines):
            return reason
    if all(CAPTION_LINE.match(line) for line in lines) and "|" not in text:
        return "captions only"
    return None


def is_scope(hit) -> bool:
    """A spec's Scope clause: it says what the document covers ("The present document ..."), which matches
    the words of many questions about its subject and answers only a question about the document itself;
    it waits behind every other clause, like a clause's second chunk."""
    meta = getattr(hit, "metadata", {}) or {}
    return bool(re.fullmatch(r"\s*scope\s*", meta.get("title") or "", re.I))


def clause_key(hit) -> tuple:
    """The clause a chunk belongs to: spec and clause number, whichever file (release) holds it, since an
    index with two versions of a spec returned the same clause of both as two sources; a chunk without a
    clause number is its own clause. Takes a hit or an index record."""
    meta = hit if isinstance(hit, dict) else (getattr(hit, "metadata", None) or {})
    clause = meta.get("clause")
    if not clause:
        return ("chunk", meta.get("chunk_id") or id(hit))
    return (meta.get("spec") or meta.get("source"), clause)


def _identity(hit) -> str:
    return (getattr(hit, "metadata", {}) or {}).get("chunk_id") or hit.text


def choose_sources(hits: list, passages: int | None, deeper: Callable[[], list] | None = None) -> list:
    """`hits` reordered for the prompt (see the module docstring): those that never answer left out, the
    first chunk of each clause first, further chunks of a clause only after every other clause."""
    kept = [h for h in hits if never_answers(h) is None]
    if deeper is not None and len(kept) < min(len(hits), passages or 1):
        # chunks were left out and the budget is not filled: the deeper search fills it (its first hits
        # are those already kept)
        chosen = {_identity(h) for h in kept}
        kept += [h for h in deeper() if never_answers(h) is None and _identity(h) not in chosen]
    first, later, seen = [], [], set()
    for hit in kept:
        key = clause_key(hit)
        looked_up = (getattr(hit, "metadata", {}) or {}).get("looked_up")
        (later if (key in seen or is_scope(hit)) and not looked_up else first).append(hit)
        seen.add(key)
    if passages is not None and len(first) >= passages:
        return first
    return first + later
