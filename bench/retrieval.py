"""Retrieval benchmark: latency and recall@5 of hybrid vs dense-only vs BM25-only on a labelled query set.

    .venv/bin/python bench/retrieval.py [--corpus ../shared/data/corpus] [--index DIR] [--max-queries 300]

The index (default: $TELECOMGPT_HOME/bench/retrieval-index) is built or resumed with the same code as
`telecomgpt index build`, so a second run only measures. The labelled queries are built from the
indexed 3GPP specs themselves, two kinds:
  - definition: "What is the definition of <term>?" -> a chunk of a Definitions clause holding that term
    (terms from each spec's clause 3.1 via data_pipeline.tgpp.find_definitions);
  - title: a paraphrase of a clause title that is unique in the corpus (synonym swaps, question form)
    -> that spec and clause.
Each query counts as found when a relevant chunk is among the top 5. Results go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.report import machine_line, write_section  # noqa: E402

SYNONYMS = {"procedure": "process", "procedures": "processes", "reception": "receiving", "transmission": "sending",
            "configuration": "setup", "initiation": "starting", "general": "overview", "handling": "treatment",
            "selection": "choice", "release": "releasing", "establishment": "setting up", "modification": "change",
            "information": "info", "request": "asking", "indication": "notification", "failure": "failing",
            "management": "control", "determination": "deciding", "actions": "steps", "update": "refresh"}
SKIP_TITLES = {"general", "introduction", "overview", "scope", "references", "definitions", "abbreviations",
               "void", "foreword", "description"}
MODES = {"hybrid": {"mode": "hybrid"}, "hybrid, no expansion": {"mode": "hybrid", "expand": False},
         "dense only": {"mode": "dense"}, "BM25 only": {"mode": "bm25"}}


def paraphrase(title: str, rng: random.Random) -> str:
    words = [SYNONYMS.get(w.lower(), w.lower()) for w in re.findall(r"[\w/-]+", title)]
    template = rng.choice(["How does {t} work?", "Explain {t}.", "What happens in {t}?", "Describe the {t}."])
    return template.format(t=" ".join(words))


def build_queries(records: list[dict], max_queries: int, seed: int = 0) -> list[dict]:
    """Labelled queries from the indexed specs (see module docstring)."""
    from data_pipeline.tgpp import find_definitions, read_spec

    rng = random.Random(seed)
    spec_files = sorted({r["source"] for r in records if r.get("spec") and r.get("kind") in ("TS", "TR")
                         and r["source"].endswith((".docx", ".md", ".zip")) and "tr-library" not in r["source"]})
    definitions: list[dict] = []
    for path in spec_files:
        _, clauses = read_spec(path)
        for term, _text in find_definitions(clauses).items():
            if 4 <= len(term) <= 60:
                definitions.append({"kind": "definition", "query": f"What is the definition of {term}?", "term": term})
    titles = Counter(r["title"].strip().lower() for r in records if r.get("clause"))
    seen, title_queries = set(), []
    for r in records:
        key = (r["source"], r.get("clause"))
        title = (r.get("title") or "").strip()
        if (not r.get("spec") or not r.get("clause") or key in seen or titles[title.lower()] != 1
                or len(title.split()) < 3 or title.lower() in SKIP_TITLES):
            continue
        seen.add(key)
        title_queries.append({"kind": "title", "query": paraphrase(title, rng), "spec": r["spec"], "clause": r["clause"]})
    rng.shuffle(definitions)
    rng.shuffle(title_queries)
    half = max_queries // 2
    return definitions[:half] + title_queries[: max_queries - min(half, len(definitions))]


def relevant(hit, query: dict) -> bool:
    meta = hit.metadata
    if query["kind"] == "definition":
        return "definition" in (meta.get("title") or "").lower() and query["term"].lower() in hit.text.lower()
    return meta.get("spec") == query["spec"] and meta.get("clause") == query["clause"]


def main() -> None:
    from telecomgpt import paths

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_corpus = (paths.shared_dir() or Path("../shared")) / "data" / "corpus"
    parser.add_argument("--corpus", type=Path, nargs="+", default=[default_corpus], help="files/folders to index")
    parser.add_argument("--index", type=Path, default=paths.home() / "bench" / "retrieval-index")
    parser.add_argument("--max-queries", type=int, default=300)
    parser.add_argument("--skip-build", action="store_true", help="use the index as it is")
    parser.add_argument("--print-only", action="store_true", help="print the table, leave docs/benchmarks.md alone")
    parser.add_argument("--note", default="", help="a line to add to the report (e.g. what else was running)")
    args = parser.parse_args()

    from app.indexer import update_index
    from app.retrieval import Retriever

    if not args.skip_build:
        report = update_index(args.index, args.corpus, prune=True, progress=True)
        print(report.summary())
    retriever = Retriever.load(args.index)
    queries = build_queries(retriever.records, args.max_queries)
    retriever.search("warm-up query about RRC", k=5)
    rows = []
    for label, options in MODES.items():
        found: Counter[str] = Counter()
        latencies = []
        for query in queries:
            started = time.perf_counter()
            hits = retriever.search(query["query"], k=5, **options)
            latencies.append((time.perf_counter() - started) * 1000)
            found[query["kind"]] += any(relevant(h, query) for h in hits)
        rows.append((label, found, np.percentile(latencies, 50), np.percentile(latencies, 95)))
        print(label, dict(found), f"p50 {rows[-1][2]:.1f} ms")
    from app.embedder import embed_query

    embed_times = []
    for query in queries[:100]:
        started = time.perf_counter()
        embed_query(query["query"])
        embed_times.append((time.perf_counter() - started) * 1000)
    embed_p50 = float(np.percentile(embed_times, 50))
    kinds = Counter(q["kind"] for q in queries)
    where = "the index as it was" if args.skip_build else ", ".join(str(c) for c in args.corpus)
    lines = [f"Index: {len(retriever)} chunks from {retriever.file_count} files ({where}). "
             f"Queries: {len(queries)} ({kinds['definition']} definition, "
             f"{kinds['title']} clause-title paraphrase), k = 5.", "",
             f"Every mode embeds the query once (the relevance gate compares cosines); that MiniLM forward pass "
             f"alone takes {embed_p50:.1f} ms at p50 here.", "",
             "| retriever | recall@5 all | definition | title | latency p50 | latency p95 |", "|---|---|---|---|---|---|"]
    for label, found, p50, p95 in rows:
        total = sum(found.values()) / max(len(queries), 1)
        per = [found[k] / kinds[k] if kinds[k] else float("nan") for k in ("definition", "title")]
        lines.append(f"| {label} | {total:.3f} | {per[0]:.3f} | {per[1]:.3f} | {p50:.1f} ms | {p95:.1f} ms |")
    body = "\n".join(["## bench/retrieval.py", "", machine_line(), *( [args.note] if args.note else []), "", *lines])
    if not args.print_only:
        write_section("retrieval", body)
    print(body)


if __name__ == "__main__":
    main()
