"""Retrieval training pairs mined from 3GPP specs (never from benchmarks), with BM25-mined hard negatives.

Four kinds of (query, positive passage), all read from the specs' own structure:
- `title`: a clause title -> the clause's first chunk (text only: with its heading the match would be
  trivial);
- `definition`: a defined term -> its definition (`telecomgpt.domain.tgpp.find_definitions`);
- `abbreviation`: an abbreviation -> its line in the Abbreviations clause ("RLF Radio Link Failure");
- `heading_path`: "TS 38.321 MAC procedures; UL-SCH data transfer; Buffer Status Reporting" -> a paragraph
  of that clause (a later piece when the clause has several; clauses with generic titles such as "General"
  only get this kind, where the parent titles disambiguate them).

Passages are the index's own chunks (`app.readers.read_file`), so the models train on what they will rank.
The hard negative of a pair is the best BM25 chunk (the index's tokenizer and heading-weighted text) from
another clause that does not itself contain the positive. Pairs are deduplicated and decontaminated against
the benchmarks with build-sft's `Finalizer` (13-gram overlap), capped in a seeded, kind-balanced order, and
written with a full account (`pairs.jsonl.gz`, `excluded.jsonl.gz`, `stats.json`).

Hard-negative mining for bi-encoders follows Karpukhin et al. 2020 (DPR: BM25 negatives that miss the answer).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from app.index_store import bm25_text, bm25_tokens, import_bm25s
from app.readers import SPEC_FILE, read_file
from finetune.data.filtering import Finalizer, default_benchmarks, load_benchmark_ngrams
from finetune.data.glossary import spec_files
from finetune.data.records import normalize
from telecomgpt.domain.keys import stable_hash
from telecomgpt.domain.tgpp import find_definitions, read_spec
from telecomgpt.domain.tgpp_clauses import is_generic_title
from telecomgpt.errors import UserError

log = logging.getLogger("telecomgpt.finetune.data")

KINDS = ("title", "definition", "abbreviation", "heading_path")
MIN_PASSAGE_CHARS = 120
NEGATIVE_DEPTH = 30
"""BM25 candidates searched for a hard negative."""


@dataclass
class PairMining:
    """What to mine from, and how much to keep."""

    corpus: list[str]
    """Spec files or folders (.docx, .zip, .md named like a spec)."""
    max_pairs: int = 0
    """Keep at most this many pairs (0 = all), in a seeded order that alternates the four kinds."""
    seed: int = 0
    """Seed of that order: the same corpus and seed always give the same pairs."""
    max_chars: int = 1000
    """Chunk size, as `telecomgpt index build --max-chars` (passages look like indexed chunks)."""
    benchmarks: list[str] = field(default_factory=list)
    """Benchmark files/folders to decontaminate against (default: build-sft's, ../shared/data/benchmarks
    plus the corpus-built eval tasks)."""
    decontaminate: bool = True


@dataclass
class _Chunk:
    text: str
    clause_key: tuple[str, str]
    spec: str
    bm25: str
    title: str


def _clean(text: str) -> str:
    return " ".join(text.split())


def _read_specs(paths: list[str], errors: list[dict], max_chars: int):
    """(chunks of every spec, candidate pairs) in file order."""
    from tqdm import tqdm

    chunks: list[_Chunk] = []
    candidates: list[dict] = []
    for path in tqdm(spec_files(paths), desc="mining pairs", unit="spec"):
        if path.suffix.lower() == ".md" and not SPEC_FILE.match(path.stem):
            errors.append({"file": str(path), "error": "not named like a 3GPP spec (e.g. 38.321_MAC_j20.md)"})
            continue
        try:
            pieces, abbreviations = read_file(path, max_chars)
            info, clauses = read_spec(path)  # pandoc output is cached: the second read is cheap
        except Exception as exc:  # noqa: BLE001 - one broken spec must not stop the build
            errors.append({"file": str(path),
                           "error": str(exc).splitlines()[0] if str(exc) else type(exc).__name__})
            continue
        first = len(chunks)
        for piece in pieces:
            record = {**piece.metadata(), "text": piece.text}
            chunks.append(_Chunk(piece.text, (path.name, piece.clause), info.spec or path.stem,
                                 bm25_text(record), piece.title.lower()))
        ref = f"{info.kind or 'TS'} {info.spec}" if info.spec else path.stem
        candidates += _structure_pairs(pieces, clauses, ref, path.name, first)
        glossary = {"abbreviation": abbreviations, "definition": find_definitions(clauses)}
        candidates += _glossary_pairs(glossary, pieces, ref, path.name, first)
    return chunks, candidates


def _structure_pairs(pieces, clauses, ref: str, file: str, first: int) -> Iterator[dict]:
    """`title` and `heading_path` candidates of one spec; `row` counts from `first`, the spec's first
    chunk."""
    titles = {c.number: _clean(c.title) for c in clauses if c.number}
    by_clause: dict[str, list[int]] = {}
    for i, piece in enumerate(pieces):
        if piece.clause and len(piece.text) >= MIN_PASSAGE_CHARS:
            by_clause.setdefault(piece.clause, []).append(i)
    for number, rows in by_clause.items():
        title = titles.get(number, "")
        if not title or title.lower().startswith("void"):
            continue
        generic = is_generic_title(title)
        meta = {"file": file, "clause": number, "ref": ref}
        if not generic and pieces[rows[0]].part == 0:
            yield {"kind": "title", "query": title, "row": first + rows[0], "meta": meta}
        later = [r for r in rows if pieces[r].part > 0]
        if generic or later:
            path = [titles.get(".".join(number.split(".")[:depth]), "")
                    for depth in range(1, number.count(".") + 1)]
            query = "; ".join(p for p in [ref, *path, title] if p)
            row = (later or rows)[stable_hash(f"{file}:{number}") % len(later or rows)]
            yield {"kind": "heading_path", "query": query, "row": first + row, "meta": meta}


def _glossary_pairs(glossary: dict[str, dict[str, str]], pieces, ref: str, file: str,
                    first: int) -> Iterator[dict]:
    """`definition` and `abbreviation` candidates: the passage is the entry itself; its chunk is the
    clause."""
    for kind, table in glossary.items():
        word = "definition" if kind == "definition" else "abbreviation"
        home = next((first + i for i, p in enumerate(pieces) if word in p.title.lower()), None)
        for key, value in sorted(table.items()):
            value = _clean(value)
            if kind == "definition" and (len(value) < 30 or len(key) > 120):
                continue
            if kind == "abbreviation" and (not value or len(value) > 200
                                           or normalize(key) == normalize(value)):
                continue
            passage = value if kind == "definition" else f"{key} {value}"
            yield {"kind": kind, "query": key, "passage": passage, "home": home,
                   "meta": {"file": file, "ref": ref,
                            "clause": pieces[home - first].clause if home is not None
                            else ""}}


def _balanced(candidates: list[dict], seed: int) -> list[dict]:
    """Each kind in a seeded hash order, then interleaved (title, definition, abbreviation, heading_path,
    ...)."""
    groups = {kind: sorted((c for c in candidates if c["kind"] == kind),
                           key=lambda c: stable_hash(f"{seed}:{c['kind']}:{c['query']}:{c['meta']['file']}"))
              for kind in KINDS}
    out: list[dict] = []
    for i in range(max((len(g) for g in groups.values()), default=0)):
        out += [g[i] for g in groups.values() if i < len(g)]
    return out


class _NegativeMiner:
    """The best-scoring BM25 chunk from another clause that does not contain the positive."""

    def __init__(self, chunks: list[_Chunk], banned: set[int]):
        self.chunks, self.banned, self.tokens = chunks, banned, bm25_tokens
        self.bm25 = import_bm25s().BM25()
        self.bm25.index(bm25_tokens([c.bm25 for c in chunks]), show_progress=False)
        self.normalized: dict[int, str] = {}

    def _norm(self, row: int) -> str:
        if row not in self.normalized:
            self.normalized[row] = normalize(self.chunks[row].text)
        return self.normalized[row]

    def negative(self, query: str, positive: str, home: tuple[str, str] | None, kind: str) -> str | None:
        vocab = self.bm25.vocab_dict
        tokens = [t for t in self.tokens([query])[0] if t in vocab]
        if not tokens:
            return None
        scores = self.bm25.get_scores(tokens)
        depth = min(NEGATIVE_DEPTH, len(scores))
        top = np.argpartition(-scores, depth - 1)[:depth]
        target = normalize(positive)
        for row in top[np.argsort(-scores[top])]:
            row = int(row)
            chunk = self.chunks[row]
            if scores[row] <= 0 or row in self.banned or chunk.clause_key == home:
                continue
            if kind in ("definition", "abbreviation") and kind in chunk.title:
                # another spec's glossary likely holds the same entry (Release-19 glues "BSRBuffer ...")
                continue
            if target[:200] in self._norm(row) or self._norm(row) in target:
                continue  # the same entry in another spec's glossary, or the positive itself: not a negative
            return chunk.text
        return None


def mine_pairs(job: PairMining, output: Path) -> dict:
    """Mine, decontaminate, deduplicate and cap pairs; writes `pairs.jsonl.gz` etc. into `output`; returns
    stats."""
    for raw in job.corpus:
        if not Path(raw).exists():
            raise UserError(f"corpus not found: {raw}")
    errors: list[dict] = []
    chunks, candidates = _read_specs(job.corpus, errors, job.max_chars)
    if not chunks:
        raise UserError(f"no readable 3GPP specs in {', '.join(job.corpus)}",
                        hint=".docx, .zip or .md files named like a spec (38321-i00.docx, 38.321_MAC_j20.md)")
    benchmarks = [Path(b) for b in job.benchmarks] or (default_benchmarks() if job.decontaminate else [])
    ngrams = load_benchmark_ngrams(benchmarks) if job.decontaminate else None
    if job.decontaminate and ngrams is None:
        log.warning("no benchmark files found to decontaminate against; pass benchmarks")
    banned = {i for i, c in enumerate(chunks) if ngrams is not None and ngrams.matches(c.text)}
    miner = _NegativeMiner(chunks, banned)
    finalizer = Finalizer(ngrams)
    ordered = _balanced(candidates, job.seed)
    for candidate in ordered:
        if job.max_pairs and len(finalizer.kept) >= job.max_pairs:
            break
        kind, query = candidate["kind"], candidate["query"]
        if "row" in candidate:
            positive, home = chunks[candidate["row"]].text, chunks[candidate["row"]].clause_key
        else:
            home_row = candidate["home"]
            positive = candidate["passage"]
            home = chunks[home_row].clause_key if home_row is not None else None
        record = {"id": f"{kind}-{stable_hash(kind + query + positive):016x}", "source": kind, "query": query,
                  "positive": positive, "negative": None, "meta": candidate["meta"]}
        key = f"{kind}:{normalize(query)}:{normalize(positive)[:300]}"
        negative = miner.negative(query, positive, home, kind)
        if negative is None:
            finalizer.exclude(record, "no_hard_negative")
            continue
        record["negative"] = negative
        finalizer.add(record, key)
    stats = finalizer.write(output, "pairs", {
        "candidates_by_kind": dict(Counter(c["kind"] for c in candidates)),
        "chunks": len(chunks), "chunks_contaminated": len(banned), "considered": min(len(ordered), len(
            finalizer.kept) + len(finalizer.excluded)), "seed": job.seed, "max_pairs": job.max_pairs,
        "errors": errors, "benchmarks": [str(b) for b in benchmarks]})
    log.info("pairs: %d kept %s; excluded %s", stats["kept"], stats["kept_by_source"], stats["excluded"])
    return stats


def read_pairs(folder: Path) -> list[dict]:
    """The pairs `mine_pairs` wrote into `folder`."""
    import gzip

    import orjson

    with gzip.open(folder / "pairs.jsonl.gz", "rb") as handle:
        return [orjson.loads(line) for line in handle if line.strip()]

