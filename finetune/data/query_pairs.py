"""Training queries for an index's query encoder, mined from the index's own chunks (never from benchmarks).

Each query names the chunk rows that answer it (every chunk of its clause, or the one chunk that holds a
definition), so the loss in `finetune.query_encoder` can treat them all as positives. Five kinds, read from
the specs' structure as `finetune.data.retrieval_pairs` does for the bi-encoder, but from chunks already
indexed (no spec is read again, so a 100k-chunk index is mined in seconds):

- `title`: a clause title that names one clause ("Buffer Status Reporting");
- `heading_path`: "TS 38.321 MAC procedures; UL-SCH data transfer; Buffer Status Reporting" (generic titles
  such as "General" get only this kind: the parents disambiguate them);
- `definition`: a defined term of a Definitions clause, alone or asked for ("What is <term>?");
- `abbreviation`: an abbreviation of the index's abbreviation map, with its expansion;
- `sentence`: one sentence from inside a chunk (not its first line), the kind closest to how people ask.

One clause in HELD_OUT_EVERY (chosen by a stable hash of its file name and number) is never a positive: the
retrieval benchmark draws its title and definition queries from those clauses only, so training on titles
and terms cannot flatter it. Queries that share a 13-gram with a benchmark item are dropped, as in
`data build-sft`.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections import defaultdict
from pathlib import Path

from telecomgpt.domain.tgpp_clauses import is_generic_title
from telecomgpt.domain.tgpp_glossary import definition_lines

KINDS = ("title", "heading_path", "definition", "abbreviation", "sentence")
HELD_OUT_EVERY = 5
"""One clause in five is held out of training (see `held_out`)."""
_TERM = re.compile(r"[A-Za-z][\w /()',.-]{2,59}")
"""A defined term as written in prose (ASN.1 fragments such as "ProtocolIE-Container {INTEGER" are not)."""
_SENTENCE = re.compile(r"(?<=[.;])\s+(?=[A-Z])")


def held_out(source: str, clause: str | None) -> bool:
    """Whether a clause belongs to the evaluation fifth: stable across runs, machines and index folders."""
    key = f"{Path(source).name}|{clause or ''}".encode()
    return int(hashlib.sha1(key).hexdigest()[:8], 16) % HELD_OUT_EVERY == 0


def definition_terms(text: str) -> list[str]:
    """Terms defined in a chunk of a Definitions clause ("<term>: <definition>" lines, the term often bold;
    read by the parser that finds the specs' definitions everywhere else) that read as prose terms and have
    a definition of a sentence's length."""
    return [term for term, definition in definition_lines(text).items()
            if _TERM.fullmatch(term) and len(definition) >= 25]


def _sentences(text: str, rng: random.Random) -> list[str]:
    """Up to two sentences of 10-40 words from inside a chunk (its first line is a heading or a lead-in)."""
    body = " ".join(text.split("\n")[1:])
    found = [s.strip() for s in _SENTENCE.split(body) if 10 <= len(s.split()) <= 40 and "|" not in s]
    rng.shuffle(found)
    return found[:2]


def mine_queries(records: list[dict], abbreviations_by_file: dict[str, dict[str, str]], seed: int = 0,
                 ngrams=None) -> tuple[list[dict], dict]:
    """Queries {"query", "kind", "rows"} from indexed chunk records (as in chunks.jsonl) and the per-file
    abbreviation maps of the manifest; returns them with counts of what was kept and dropped."""
    rng = random.Random(seed)
    clauses: dict[tuple[str, str], list[int]] = defaultdict(list)
    titles: dict[tuple[str, str], str] = {}
    for row, record in enumerate(records):
        if record.get("spec") and record.get("clause"):
            key = (record["source"], record["clause"])
            clauses[key].append(row)
            titles[key] = (record.get("title") or "").strip()
    title_count = defaultdict(int)
    for title in titles.values():
        title_count[title.lower()] += 1
    queries: list[dict] = []
    dropped = defaultdict(int)

    def add(kind: str, query: str, rows: list[int], key: tuple[str, str]) -> None:
        if held_out(*key):
            dropped["held_out"] += 1
        elif ngrams is not None and ngrams.matches(query):
            dropped["benchmark_overlap"] += 1
        else:
            queries.append({"query": query, "kind": kind, "rows": rows})

    for key, rows in clauses.items():
        source, clause = key
        record = records[rows[0]]
        title = titles[key]
        generic = is_generic_title(title)
        if title and not generic and title_count[title.lower()] == 1:
            add("title", title, rows, key)
        parents = [titles.get((source, ".".join(clause.split(".")[:depth])), "")
                   for depth in range(1, clause.count(".") + 1)]
        path = "; ".join(t for t in [*parents, title] if t)
        if path:
            add("heading_path", f"{record.get('kind') or 'TS'} {record['spec']} {path}", rows, key)
        lowered = title.lower()
        for row in rows:
            text = records[row]["text"]
            if "definition" in lowered:
                for term in definition_terms(text):
                    add("definition", rng.choice([term, f"What is {term}?", f"definition of {term}"]), [row],
                        key)
            elif "abbreviation" in lowered:
                for abbreviation, expansion in (abbreviations_by_file.get(source) or {}).items():
                    if f"{abbreviation}{expansion}" in text or f"{abbreviation} {expansion}" in text:
                        add("abbreviation", f"{abbreviation} {expansion}", [row], key)
            else:
                for sentence in _sentences(text, rng):
                    add("sentence", sentence, rows, key)
    counts = defaultdict(int)
    for query in queries:
        counts[query["kind"]] += 1
    return queries, {"kept": len(queries), "kept_by_kind": dict(counts), "dropped": dict(dropped),
                     "clauses": len(clauses), "held_out_clauses": sum(held_out(*k) for k in clauses)}


def balanced_stream(queries: list[dict], seed: int):
    """An endless seeded stream that draws each kind equally often (kinds differ in size by 100x)."""
    rng = random.Random(seed)
    by_kind = {kind: [q for q in queries if q["kind"] == kind] for kind in KINDS}
    pools = [pool for pool in by_kind.values() if pool]
    while pools:
        pool = rng.choice(pools)
        yield pool[rng.randrange(len(pool))]
