"""Retrieval benchmark: recall@1/5/10, MRR@10 and latency of each retrieval configuration on three query sets.

    .venv/bin/python bench/retrieval.py [--corpus ../shared/data/corpus] [--index DIR] [--max-queries 150]
        [--reranker DIR] [--trained-index DIR [--trained-reranker DIR]] [--sweep] [--skip-build]
        [--print-only]

The index (default: $TELECOMGPT_HOME/bench/retrieval-index) is built or resumed with the same code as
`telecomgpt index build`, so a second run only measures. Three labelled query sets:
  - definition: "What is the definition of <term>?" -> a chunk of a Definitions clause holding that term
    (terms from each indexed spec's clause 3.1 via telecomgpt.domain.tgpp.find_definitions);
  - title: a paraphrase of a clause title that is unique in the index (synonym swaps, question form)
    -> that spec and clause;
  - teleqna: TeleQnA dev questions (Standards overview/specifications, Lexicon), the question text as asked,
    -> the chunk of the clause its explanation was written from (labels in the user's cache,
    $TELECOMGPT_HOME/bench/teleqna_clause_labels.jsonl, built from ../shared by bench/label_teleqna.py on
    first use, never stored in the repository; the questions are read from ../shared at run time; see
    CHUNK_CONTAINMENT). Only labels whose clause is in the index count. Not built from the index and
    labelled without any retriever, so it checks what the first two sets (built from titles and terms,
    which favour BM25) may flatter.
Configurations: BM25 only, dense only, hybrid with today's equal-weight RRF, the project's default
(app/retrieval.py), and, when given, the default plus a reranker (--reranker), and an index built with a
trained embedder (--trained-index, optionally with --trained-reranker).

--sweep instead evaluates a grid of fusion weights and candidate depths on the definition and title sets
ONLY (the TeleQnA set is never tuned on) and prints the table the defaults in app/retrieval.py come from.
Results go to docs/benchmarks.md (sections `retrieval` and `retrieval_sweep`) unless --print-only.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import retrieval
from app.index_store import read_manifest
from app.indexer import update_index
from app.retrieval import Retriever
from bench.label_teleqna import LABELS_PATH, labels_at, load_questions, pairs  # noqa: E402
from bench.report import machine_line, write_section  # noqa: E402
from finetune.data.query_pairs import held_out
from telecomgpt import paths
from telecomgpt.domain.tgpp import find_definitions, read_spec
from telecomgpt.domain.tgpp_clauses import is_generic_title

SYNONYMS = {"procedure": "process", "procedures": "processes", "reception": "receiving",
            "transmission": "sending",
            "configuration": "setup", "initiation": "starting", "general": "overview",
            "handling": "treatment",
            "selection": "choice", "release": "releasing", "establishment": "setting up",
            "modification": "change",
            "information": "info", "request": "asking", "indication": "notification", "failure": "failing",
            "management": "control", "determination": "deciding", "actions": "steps", "update": "refresh"}
KINDS = ("definition", "title", "teleqna")
CHUNK_CONTAINMENT = 0.3
"""A TeleQnA hit counts when it is in the labelled clause AND holds this share of the explanation's word
pairs (bench/label_teleqna.py): a long clause (TR 21.905 clause 3 holds hundreds of definitions) spans
many chunks, and only the chunk with the explained text answers the question."""
CUTOFFS = (1, 5, 10)
"""recall@n for these n; MRR is computed over the deepest cut-off."""
TODAY = {"mode": "hybrid", "bm25_weight": 1.0, "dense_weight": 1.0, "candidates": 50, "rrf_k": 60}
"""Plain reciprocal-rank fusion as it was before the sweep (equal weights, 50 candidates each, k = 60)."""
SWEEP_DENSE_WEIGHTS = (1.0, 0.7, 0.5, 0.3, 0.2)
SWEEP_CANDIDATES = (20, 50, 100)


@dataclass
class Config:
    """One retrieval configuration: which index, which reranker, which search options."""

    label: str
    index: Path
    options: dict = field(default_factory=dict)
    reranker: Path | None = None
    query_encoder: bool = False
    """Embed queries with the index's trained query encoder (`telecomgpt train query-encoder`)."""


def paraphrase(title: str, rng: random.Random) -> str:
    words = [SYNONYMS.get(w.lower(), w.lower()) for w in re.findall(r"[\w/-]+", title)]
    template = rng.choice(["How does {t} work?", "Explain {t}.", "What happens in {t}?", "Describe the {t}."])
    return template.format(t=" ".join(words))


def build_queries(records: list[dict], max_queries: int, seed: int = 0) -> list[dict]:
    """Definition and title queries from the indexed specs (see module docstring), at most `max_queries` each.

    Only clauses of the held-out fifth (`finetune.data.query_pairs.held_out`) are asked about: `telecomgpt
    train query-encoder` trains on the titles and terms of the other four fifths."""
    rng = random.Random(seed)
    spec_files = sorted({r["source"] for r in records if r.get("spec") and r.get("kind") in ("TS", "TR")
                         and r["source"].endswith((".docx", ".md", ".zip"))
                         and "tr-library" not in r["source"]})
    definition_chunks: dict[str, list[dict]] = {}
    for r in records:
        if "definition" in (r.get("title") or "").lower():
            definition_chunks.setdefault(r["source"], []).append(r)
    definitions: list[dict] = []
    for path in spec_files:
        _, clauses = read_spec(path)
        for term, _text in find_definitions(clauses).items():
            home = next((r for r in definition_chunks.get(path, []) if term in r["text"]), None)
            if 4 <= len(term) <= 60 and home is not None and held_out(path, home.get("clause")):
                definitions.append({"kind": "definition", "query": f"What is the definition of {term}?",
                                    "term": term})
    titles = Counter(r["title"].strip().lower() for r in records if r.get("clause"))
    seen, title_queries = set(), []
    for r in records:
        key = (r["source"], r.get("clause"))
        title = (r.get("title") or "").strip()
        if (not r.get("spec") or not r.get("clause") or key in seen or titles[title.lower()] != 1
                or len(title.split()) < 3 or is_generic_title(title) or not held_out(*key)):
            continue
        seen.add(key)
        title_queries.append({"kind": "title", "query": paraphrase(title, rng), "spec": r["spec"],
                              "clause": r["clause"]})
    rng.shuffle(definitions)
    rng.shuffle(title_queries)
    return definitions[:max_queries] + title_queries[:max_queries]


def teleqna_queries(records: list[dict], data_dir: Path, labels: list[dict],
                    max_queries: int) -> list[dict]:
    """The TeleQnA-labelled queries whose labelled clause (or an alternative) is in the index."""
    indexed = {(r.get("spec"), r.get("clause")) for r in records if r.get("spec") and r.get("clause")}
    questions = {q["id"]: q for q in load_questions(data_dir)}
    queries = []
    for label in labels:
        targets = {(label["spec"], label["clause"])} | {(a["spec"], a["clause"])
                                                        for a in label["alternatives"]}
        question = questions.get(label["id"])
        if question is not None and targets & indexed:
            queries.append({"kind": "teleqna", "query": question["question"], "targets": targets,
                            "id": label["id"], "pairs": pairs(question["explanation"])})
    return queries[:max_queries]


def relevant(hit, query: dict) -> bool:
    meta = hit.metadata
    if query["kind"] == "definition":
        return "definition" in (meta.get("title") or "").lower() and query["term"].lower() in hit.text.lower()
    if query["kind"] == "teleqna":
        if (meta.get("spec"), meta.get("clause")) not in query["targets"]:
            return False
        shared = pairs(f"{meta.get('title') or ''}\n{hit.text}") & query["pairs"]
        return len(shared) >= CHUNK_CONTAINMENT * len(query["pairs"])
    return meta.get("spec") == query["spec"] and meta.get("clause") == query["clause"]


def evaluate(retriever, queries: list[dict], options: dict) -> dict:
    """Per query kind: recall@n for CUTOFFS and MRR@max(CUTOFFS); plus latency percentiles over all
    queries."""
    depth = max(CUTOFFS)
    ranks: dict[str, list[int | None]] = {kind: [] for kind in KINDS}
    latencies = []
    for query in queries:
        started = time.perf_counter()
        hits = retriever.search(query["query"], k=depth, **options)
        latencies.append((time.perf_counter() - started) * 1000)
        ranks[query["kind"]].append(next((i for i, h in enumerate(hits, start=1) if relevant(h, query)),
                                         None))
    result = {"p50": float(np.percentile(latencies, 50)) if latencies else float("nan"),
              "p95": float(np.percentile(latencies, 95)) if latencies else float("nan")}
    for kind, found in ranks.items():
        if not found:
            continue
        metrics = {f"R@{n}": sum(r is not None and r <= n for r in found) / len(found) for n in CUTOFFS}
        metrics[f"MRR@{depth}"] = sum(1 / r for r in found if r is not None) / len(found)
        metrics["n"] = len(found)
        result[kind] = metrics
    return result


def configurations(args, default_options: dict) -> list[Config]:
    """The labelled configurations this run compares (the trained and reranked ones only when given)."""
    configs = [Config("BM25 only", args.index, {"mode": "bm25"}),
               Config("dense only", args.index, {"mode": "dense"}),
               Config("hybrid, equal-weight RRF (before)", args.index, dict(TODAY)),
               Config(f"default ({describe(default_options)})", args.index, {})]
    reranked = f"reranker (top {getattr(retrieval, 'RERANK_TOP', '?')})"  # the library's default depth
    if has_query_encoder(args.index):
        configs += [Config("dense only, trained query encoder", args.index, {"mode": "dense"},
                           query_encoder=True),
                    Config("hybrid, equal-weight RRF, trained query encoder", args.index, dict(TODAY),
                           query_encoder=True),
                    Config(f"default, trained query encoder ({describe(default_options)})", args.index, {},
                           query_encoder=True)]
    if args.other_index:
        tokens = index_tokens(args.other_index)
        configs += [Config(f"dense only, other index ({tokens}-token vectors)", args.other_index,
                           {"mode": "dense"}),
                    Config(f"default, other index ({tokens}-token vectors)", args.other_index, {})]
    if args.reranker:
        configs.append(Config(f"default + {reranked}", args.index, {}, args.reranker))
    if args.trained_index:
        configs.append(Config("trained embedder, default", args.trained_index, {}))
        if args.trained_reranker:
            configs.append(Config(f"trained embedder + trained {reranked}", args.trained_index, {},
                                  args.trained_reranker))
    return configs


def describe(options: dict) -> str:
    """"hybrid, BM25 1.0 / dense 0.5, 50 candidates" for a row label."""
    if options.get("mode", "hybrid") != "hybrid":
        return f"{options['mode']} only"
    return (f"hybrid, BM25 {options['bm25_weight']:g} / dense {options['dense_weight']:g}, "
            f"{options['candidates']} candidates, k {options['rrf_k']}")


def load_retriever(index: Path, reranker: Path | None, query_encoder: bool = False):
    return Retriever.load(index, reranker=reranker, query_encoder=query_encoder)


def has_query_encoder(index: Path) -> bool:
    """Whether `telecomgpt train query-encoder` trained one for this index."""
    return bool(read_manifest(index).get("query_encoder"))


def index_tokens(index: Path) -> int:
    """Word pieces of each chunk the index's embedder read (256, MiniLM's own limit, when not recorded)."""
    return int(read_manifest(index).get("embedder_max_tokens") or 256)


def target_lines(rows: list[tuple[str, dict]]) -> list[str]:
    """Issue 11's retrieval targets, read off the rows: the default (with the index's query encoder when it
    has one) against BM25 alone, R@5 on each query set."""
    results = dict(rows)
    bm25 = results.get("BM25 only")
    default = next((r for label, r in rows if label.startswith("default, trained query encoder")),
                   next((r for label, r in rows if label.startswith("default (")), None))
    if not bm25 or not default or "teleqna" not in bm25:
        return []
    gain = {k: default[k]["R@5"] - bm25[k]["R@5"] for k in KINDS if k in default and k in bm25}
    met = gain["teleqna"] >= 0.05 and all(gain[k] > 0 for k in ("definition", "title") if k in gain)
    return ["Target (issue 11): the default beats BM25 alone by at least 0.05 R@5 on the TeleQnA-labelled "
            f"set and beats it on the definition and title sets: {'met' if met else 'NOT met'} ("
            + ", ".join(f"{k} {g:+.3f}" for k, g in gain.items()) + ")."]


def metric_table(rows: list[tuple[str, dict]], kind: str) -> list[str]:
    depth = max(CUTOFFS)
    head = " | ".join(f"R@{n}" for n in CUTOFFS)
    lines = [f"| configuration | n | {head} | MRR@{depth} |", "|---|---|" + "---|" * (len(CUTOFFS) + 1)]
    for label, result in rows:
        m = result.get(kind)
        if m:
            values = " | ".join(f"{m[f'R@{n}']:.3f}" for n in CUTOFFS)
            lines.append(f"| {label} | {m['n']} | {values} | {m[f'MRR@{depth}']:.3f} |")
    return lines


def run_sweep(retriever, queries: list[dict]) -> tuple[list[str], dict]:
    """Fusion settings on the definition and title queries; the best by mean R@5 (ties: mean MRR)."""
    tuning = [q for q in queries if q["kind"] in ("definition", "title")]
    grid = [{"mode": "bm25"}, {"mode": "dense"}]
    grid += [{"mode": "hybrid", "bm25_weight": 1.0, "dense_weight": w, "candidates": c,
              "rrf_k": TODAY["rrf_k"]}
             for w in SWEEP_DENSE_WEIGHTS for c in SWEEP_CANDIDATES]
    depth = max(CUTOFFS)
    lines = ["| setting | definition R@5 | title R@5 | mean R@5 | mean R@1 | mean MRR@10 |",
             "|---|---|---|---|---|---|"]
    scored = []
    for options in grid:
        result = evaluate(retriever, tuning, options)
        mean = {m: np.mean([result[k][m] for k in ("definition", "title") if k in result])
                for m in ("R@1", "R@5", f"MRR@{depth}")}
        scored.append(((mean["R@5"], mean[f"MRR@{depth}"]), options))
        lines.append(f"| {describe(options)} | {result.get('definition', {}).get('R@5', float('nan')):.3f} | "
                     f"{result.get('title', {}).get('R@5', float('nan')):.3f} | {mean['R@5']:.3f} | "
                     f"{mean['R@1']:.3f} | {mean[f'MRR@{depth}']:.3f} |")
        print(lines[-1], flush=True)
    best = max(scored, key=lambda item: item[0])[1]
    return lines, best


def main() -> None:
    shared = paths.shared_dir() or Path("../shared")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, nargs="+", default=[shared / "data" / "corpus"],
                        help="files/folders to index")
    parser.add_argument("--index", type=Path, default=paths.home() / "bench" / "retrieval-index")
    parser.add_argument("--reranker", type=Path, help="a cross-encoder folder: adds 'default + reranker'")
    parser.add_argument("--trained-index", type=Path, help="an index built with `index build --embedder DIR`")
    parser.add_argument("--trained-reranker", type=Path, help="a reranker to use with --trained-index")
    parser.add_argument("--other-index", type=Path, help="the same corpus indexed otherwise (e.g. another "
                        "--embed-tokens): adds its dense-only and default rows")
    parser.add_argument("--data-dir", type=Path, default=shared / "data" / "benchmarks",
                        help="where TeleQnA.zip is (the labelled questions are read from it)")
    parser.add_argument("--labels", type=Path, default=LABELS_PATH)
    parser.add_argument("--max-queries", type=int, default=150, help="at most this many queries per set")
    parser.add_argument("--sweep", action="store_true",
                        help="tune fusion on the definition/title sets instead")
    parser.add_argument("--skip-build", action="store_true", help="use the index as it is")
    parser.add_argument("--print-only", action="store_true",
                        help="print the tables, leave docs/benchmarks.md alone")
    parser.add_argument("--note", default="", help="a line to add to the report (e.g. what else was running)")
    args = parser.parse_args()
    if args.trained_reranker and not args.trained_index:
        parser.error("--trained-reranker needs --trained-index")

    if not args.skip_build:
        report = update_index(args.index, args.corpus, prune=True, progress=True)
        print(report.summary())
    retriever = load_retriever(args.index, None)
    queries = build_queries(retriever.records, args.max_queries)
    retriever.search("warm-up query about RRC", k=5)
    where = "the index as it was" if args.skip_build else ", ".join(str(c) for c in args.corpus)
    index_line = (f"Index: {len(retriever)} chunks from {retriever.file_count} files ({where}); chunk "
                  f"vectors from the first {index_tokens(args.index)} word pieces.")
    if args.sweep:  # with the index's trained query encoder when it has one (what its searches will use)
        tuned = has_query_encoder(args.index)
        lines, best = run_sweep(load_retriever(args.index, None, tuned) if tuned else retriever, queries)
        if tuned:
            index_line += " Queries embedded by the index's trained query encoder."
        kinds = Counter(q["kind"] for q in queries)
        body = "\n".join(["## bench/retrieval.py --sweep (fusion settings)", "", machine_line(),
                          *([args.note] if args.note else []), "", index_line + f" Tuning queries: "
                          f"{kinds['definition']} definition + {kinds['title']} title (never the TeleQnA "
                          "set).",
                          "", *lines, "", f"Best by mean R@5 (ties: MRR@10): {describe(best)}."])
        if not args.print_only:
            write_section("retrieval_sweep", body)
        print(body)
        return
    labels = labels_at(args.labels, args.data_dir.parent / "corpus" / "3gpp", args.data_dir)
    queries += teleqna_queries(retriever.records, args.data_dir, labels, args.max_queries)
    default_options = {"mode": retrieval.DEFAULT_MODE, "bm25_weight": retrieval.BM25_WEIGHT,
                       "dense_weight": retrieval.DENSE_WEIGHT, "candidates": retrieval.CANDIDATES,
                       "rrf_k": retrieval.RRF_K}
    rows = []
    loaded = {(args.index, None, False): retriever}
    for config in configurations(args, default_options):
        key = (config.index, config.reranker, config.query_encoder)
        if key not in loaded:
            loaded[key] = load_retriever(*key)
            loaded[key].search("warm-up query about RRC", k=5, **config.options)
        result = evaluate(loaded[key], queries, config.options)
        rows.append((config.label, result))
        print(config.label, {k: round(v["R@5"], 3) for k, v in result.items() if isinstance(v, dict)},
              f"p50 {result['p50']:.1f} ms", flush=True)
    kinds = Counter(q["kind"] for q in queries)
    lines = [index_line
             + f" Queries: {kinds['definition']} definition, {kinds['title']} clause-title paraphrase, "
             f"{kinds['teleqna']} TeleQnA-labelled (of {len(labels)} labels; the rest "
             f"point at clauses outside this index). Each search returns 10 hits.", "",
             "| configuration | R@5 definition | R@5 title | R@5 TeleQnA | latency p50 | latency p95 |",
             "|---|---|---|---|---|---|"]
    for label, result in rows:
        r5 = [f"{result[k]['R@5']:.3f}" if k in result else "-" for k in KINDS]
        lines.append(f"| {label} | {' | '.join(r5)} | {result['p50']:.1f} ms | {result['p95']:.1f} ms |")
    lines += ["", *target_lines(rows)]
    names = {"definition": "Definition queries", "title": "Clause-title paraphrases",
             "teleqna": "TeleQnA-labelled questions (checked, never tuned on)"}
    for kind in KINDS:
        if kinds[kind]:
            lines += ["", f"{names[kind]}:", "", *metric_table(rows, kind)]
    body = "\n".join(["## bench/retrieval.py", "", machine_line(), *([args.note] if args.note else []), "",
                      *lines])
    if not args.print_only:
        write_section("retrieval", body)
    print(body)


if __name__ == "__main__":
    main()
