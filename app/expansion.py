"""Query expansion with the abbreviations the specs define themselves (the Telco-RAG recipe).

3GPP text is dense with abbreviations ("RLF", "BWP", "SSB"); a question that uses the short form
misses chunks that spell it out and vice versa. Appending each expansion found in the indexed
abbreviation clauses (TR 21.905 first) helps both BM25 and the dense retriever.
"""

from __future__ import annotations

import re

TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9/-]*[A-Za-z0-9]|[A-Z]")
MAX_EXPANSIONS = 6


def find_abbreviations_in(query: str, abbreviations: dict[str, str]) -> list[tuple[str, str]]:
    """(abbreviation, expansion) for each known abbreviation in the query, in order, without repeats.

    Only tokens with at least two capitals or digits count ("RRC", "5GC", "gNB"), so everyday words
    that happen to be abbreviations ("AS", "IT" aside) are not expanded when written in lower case.
    """
    found: list[tuple[str, str]] = []
    seen: set[str] = set()
    for token in TOKEN.findall(query):
        if token in seen or sum(c.isupper() or c.isdigit() for c in token) < 2:
            continue
        expansion = abbreviations.get(token)
        if expansion and expansion.lower() not in query.lower():
            found.append((token, expansion))
            seen.add(token)
        if len(found) == MAX_EXPANSIONS:
            break
    return found


def expand_query(query: str, abbreviations: dict[str, str]) -> str:
    """"How is RLF detected?" -> "How is RLF detected? (RLF: Radio Link Failure)"."""
    found = find_abbreviations_in(query, abbreviations)
    if not found:
        return query
    return query + " (" + "; ".join(f"{abbr}: {text}" for abbr, text in found) + ")"
