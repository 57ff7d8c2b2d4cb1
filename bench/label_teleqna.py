"""Label TeleQnA dev questions with the 3GPP clause their explanation was written from (a retrieval test set).

    .venv/bin/python bench/label_teleqna.py [--corpus ../shared/data/corpus/3gpp] [--data-dir
    ../shared/data/benchmarks]
                                           [--output ~/.cache/telecomgpt/bench/teleqna_clause_labels.jsonl]

TeleQnA questions of the categories Standards overview, Standards specifications and Lexicon come with an
explanation that often quotes or closely paraphrases a specification. Each explanation is matched against
every numbered clause of the 3GPP specs of the shared corpus, parsed as the index parses them
(`telecomgpt.domain.tgpp.read_spec`), and the question is labelled with the best clause when the match is
confident. The matching is independent of the retrievers under test (it reads the explanation, never the
question, and counts shared word pairs, not BM25 terms or embeddings):

  - words: lower-cased alphanumeric tokens, English stop words dropped, plural "s" stripped;
  - containment: the share of the explanation's distinct adjacent word pairs (bigrams of the remaining
    words) that occur in the clause (heading + text); the same spec clause in two releases counts once,
    with its better version;
  - RULE: keep the label when the best clause contains >= MIN_CONTAINMENT of the pairs, the explanation
    has >= MIN_PAIRS pairs, and the best clause beats every other clause by >= MIN_MARGIN; clauses that
    contain the explanation as well as the best one (within TIE), e.g. a definition repeated in several
    specs, are kept as alternatives (at most MAX_ALTERNATIVES; more means the text is boilerplate) and
    the margin is measured to the best clause outside them. "Change history" and "Void" clauses are
    skipped (a table of change requests names every topic of the spec).

On the shared corpus (rel18-docx, rel19-md, TR 21.905; 2026-11-30) 84 of 350 questions keep a label:
Standards overview 10 of 100 (a third are about IEEE, TCP/IP or other standards, a quarter about the
Release 14-16 overviews, which are not in the corpus; 9 of the 11 Release-17 ones keep a label),
Standards specifications 50 of 200 (none of the 58 IEEE ones), Lexicon 24 of 50 (20 in TR 21.905 clause 3).

The output holds only question ids, categories, clause references and the confidence numbers: no
question, option or explanation text (benchmark text stays in ../shared). bench/retrieval.py reads the
questions at run time and counts a hit as relevant when its spec and clause are the label's (or an
alternative's) and the chunk itself holds part of the explanation (its CHUNK_CONTAINMENT). The labels
measure retrieval only; never train on them.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from app.readers import SPEC_FILE, iter_files  # noqa: E402
from eval.data.benchmarks import build_teleqna  # noqa: E402
from telecomgpt import paths  # noqa: E402
from telecomgpt.domain.tgpp import SpecFileError, read_spec  # noqa: E402

LABELS_PATH = paths.home() / "bench" / "teleqna_clause_labels.jsonl"
"""Where the labels live: the user's cache, never the repository (they are derived from benchmark data and
rebuilt from ../shared on first use, see `labels_at`)."""
CATEGORIES = ("Standards overview", "Standards specifications", "Lexicon")
MIN_CONTAINMENT = 0.6
"""Share of the explanation's word pairs the clause must contain (by hand, 0.5-0.6 held about one wrong
label in three, 0.6-0.7 one in five, above 0.7 none in fourteen)."""
MIN_PAIRS = 4
"""Explanations shorter than this (in distinct word pairs) match too many clauses by chance."""
MIN_MARGIN = 0.15
"""The best clause must contain this much more of the explanation than any other clause."""
TIE = 0.02
"""Clauses this close to the best one are equally good answers (the same text in several specs)."""
MAX_ALTERNATIVES = 3

SKIP_TITLE = re.compile(r"change history|^void$", re.I)
"""Clauses that are never the source of an explanation (tables of CRs list every topic)."""
_WORD = re.compile(r"[a-z0-9]+")
_STOPWORDS = frozenset("""a an and are as at be been being but by can could do does for from has have how if
in into is it its may might must no not of on or shall should such than that the their them then there these
they this those to was were what when where which while who will with would also each other any all both
either used using use""".split())


def words(text: str) -> list[str]:
    """Content words: lower-cased, stop words dropped, a plural "s" stripped (so "events" meets "event")."""
    out = []
    for word in _WORD.findall(text.lower()):
        if word in _STOPWORDS:
            continue
        out.append(word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word)
    return out


def pairs(text: str) -> set[tuple[str, str]]:
    """Distinct adjacent pairs of content words."""
    tokens = words(text)
    return set(zip(tokens, tokens[1:], strict=False))


@dataclass
class ClauseRef:
    """One numbered clause of one spec (all versions of it in the corpus)."""

    spec: str
    clause: str
    title: str
    files: list[str] = field(default_factory=list)


def spec_files(corpus: Path) -> list[Path]:
    """The 3GPP spec files under `corpus` that the index reads as specs (docx/zip, spec-named markdown)."""
    return [p for p in iter_files([corpus]) if p.suffix.lower() in (".docx", ".zip")
            or (p.suffix.lower() == ".md" and SPEC_FILE.match(p.stem))]


def iter_clauses(files: Iterable[Path], progress: bool = False) -> Iterable[tuple[str, str, str, str, str]]:
    """(file name, spec, clause number, title, heading + text) of every numbered clause with text."""
    for path in files:
        try:
            info, clauses = read_spec(path)
        except SpecFileError as exc:
            print(f"skipped {path.name}: {exc}", file=sys.stderr)
            continue
        if not info.spec:
            continue
        if progress:
            print(f"  {path.name}: TS/TR {info.spec}, {len(clauses)} clauses", file=sys.stderr, flush=True)
        for clause in clauses:
            if clause.number and clause.text.strip():
                yield path.name, info.spec, clause.number, clause.title, f"{clause.title}\n{clause.text}"


def load_questions(data_dir: Path, categories: Iterable[str] = CATEGORIES) -> list[dict]:
    """TeleQnA questions of `categories`, read with the evaluation's own reader (eval/data/benchmarks.py)."""
    wanted = set(categories)
    return [r for r in build_teleqna(data_dir).splits["all.jsonl"] if r["category"] in wanted]


def score(questions: list[dict], clauses: Iterable[tuple[str, str, str, str, str]]
          ) -> tuple[dict[str, dict[tuple[str, str], float]], dict[tuple[str, str], ClauseRef]]:
    """Containment of every question's explanation in every clause sharing a word pair with it.

    Returns (question id -> {(spec, clause): containment}, (spec, clause) -> ClauseRef). A clause that is
    in the corpus twice (two releases of one spec) scores with its better version."""
    wanted = {q["id"]: pairs(q["explanation"]) for q in questions}
    by_pair: dict[tuple[str, str], list[str]] = defaultdict(list)
    for qid, qpairs in wanted.items():
        for pair in qpairs:
            by_pair[pair].append(qid)
    scores: dict[str, dict[tuple[str, str], float]] = defaultdict(dict)
    refs: dict[tuple[str, str], ClauseRef] = {}
    for name, spec, number, title, text in clauses:
        if SKIP_TITLE.search(title):
            continue
        key = (spec, number)
        ref = refs.setdefault(key, ClauseRef(spec, number, title))
        if name not in ref.files:
            ref.files.append(name)
        shared: Counter[str] = Counter()
        for pair in pairs(text) & by_pair.keys():
            shared.update(by_pair[pair])
        for qid, count in shared.items():
            scores[qid][key] = max(scores[qid].get(key, 0.0), count / len(wanted[qid]))
    return scores, refs


def choose(question: dict, clause_scores: dict[tuple[str, str], float], refs: dict[tuple[str, str], ClauseRef]
           ) -> tuple[dict | None, str]:
    """The label record of one question (None when not confident) and the reason it was kept or dropped
    (the RULE of the module docstring)."""
    n_pairs = len(pairs(question["explanation"]))
    ranked = sorted(clause_scores.items(), key=lambda item: (-item[1], item[0]))
    if n_pairs < MIN_PAIRS:
        return None, "short explanation"
    if not ranked or ranked[0][1] < MIN_CONTAINMENT:
        return None, "no clause contains it"
    best = ranked[0][1]
    tied = [key for key, value in ranked if value >= best - TIE]
    if len(tied) > MAX_ALTERNATIVES:
        return None, "in too many clauses"
    runner_up = next((value for _key, value in ranked if value < best - TIE), 0.0)
    if best - runner_up < MIN_MARGIN:
        return None, "no margin"
    (spec, clause), *others = tied
    record = {"id": question["id"], "category": question["category"], "spec": spec, "clause": clause,
              "title": refs[(spec, clause)].title, "files": sorted(refs[(spec, clause)].files),
              "containment": round(best, 3), "margin": round(best - runner_up, 3), "pairs": n_pairs,
              "alternatives": [{"spec": s, "clause": c, "title": refs[(s, c)].title,
                                "files": sorted(refs[(s, c)].files)} for s, c in others]}
    return record, "kept"


def build_labels(corpus: Path, data_dir: Path, progress: bool = False) -> tuple[list[dict], Counter]:
    """Confident labels (sorted by question number) and a count of (category, reason) for the report."""
    questions = load_questions(data_dir)
    scores, refs = score(questions, iter_clauses(spec_files(corpus), progress))
    labels, reasons = [], Counter()
    for question in questions:
        record, reason = choose(question, scores.get(question["id"], {}), refs)
        reasons[(question["category"], reason)] += 1
        if record:
            labels.append(record)
    labels.sort(key=lambda r: int(r["id"].split()[-1]))
    return labels, reasons


def read_labels(path: Path = LABELS_PATH) -> list[dict]:
    """The labels stored at `path`."""
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def labels_at(path: Path, corpus: Path, data_dir: Path) -> list[dict]:
    """The labels at `path`, built from `corpus` and the TeleQnA file in `data_dir` first if absent."""
    if not path.is_file():
        write_labels(build_labels(corpus, data_dir, progress=True)[0], path)
    return read_labels(path)


def write_labels(labels: list[dict], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in labels))


def main() -> None:
    shared = paths.shared_dir() or Path("../shared")
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=shared / "data" / "corpus" / "3gpp")
    parser.add_argument("--data-dir", type=Path, default=shared / "data" / "benchmarks")
    parser.add_argument("--output", type=Path, default=LABELS_PATH)
    args = parser.parse_args()
    labels, reasons = build_labels(args.corpus, args.data_dir, progress=True)
    write_labels(labels, args.output)
    print(f"{len(labels)} labels -> {args.output}")
    print(f"rule: containment >= {MIN_CONTAINMENT}, >= {MIN_PAIRS} word pairs, margin >= {MIN_MARGIN} "
          f"over the best other clause, <= {MAX_ALTERNATIVES} tied clauses")
    for category in CATEGORIES:
        counts = {reason: n for (cat, reason), n in sorted(reasons.items()) if cat == category}
        print(f"  {category}: {counts.get('kept', 0)} of {sum(counts.values())} kept; dropped: "
              + ", ".join(f"{reason} {n}" for reason, n in counts.items() if reason != "kept"))


if __name__ == "__main__":
    main()
