"""Answer-sentence pairs mined from 3GPP specs (never from benchmarks) for the reader (`train reader`).

Each group is (question, the sentence of an indexed chunk that answers it, hard negatives = other sentences of
the same chunk), so the reader learns which sentence of a retrieved clause holds the fact, not which clause
is on topic. Questions come from the specs' own structure:
- `definition`: "What is <term>?" -> the "<term>: ..." line of a Definitions clause;
- `abbreviation`: "What does <ABBR> stand for?" -> its line of the Abbreviations clause;
- `functions`: "What functions does <X> support?" -> the first item under "<X> supports the following
  functions:" (the stem itself is a negative: it names the topic but states no fact); where the stem and its
  items are one unit (app/procedure_text.py keeps them together), "What does <X> do?" -> that unit;
- `interface`: "What does the <I> interface connect?" -> the sentence saying "<I> interface ... between";
- `node`: "What does the <node> host?" -> "The <node> hosts/terminates/provides ...";
- `procedure`: "What does the MAC entity do when ...?" -> the action line under a "1> when ...:" condition.

Sentences are cut like the answer checker cuts evidence (`app.sentences.split_sentences` on the index's
chunks), so the reader trains on what it will rank. Groups are deduplicated and 13-gram decontaminated
against the benchmarks with build-sft's `Finalizer` (the question, positive and negatives all count).
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from app.readers import SPEC_FILE, read_file
from app.sentences import split_sentences, terms
from finetune.data.filtering import Finalizer, default_benchmarks, load_benchmark_ngrams
from finetune.data.glossary import spec_files
from finetune.data.records import normalize
from telecomgpt.domain.keys import stable_hash
from telecomgpt.domain.tgpp_glossary import definition_lines
from telecomgpt.errors import UserError

KINDS = ("definition", "abbreviation", "functions", "interface", "node", "procedure")
MAX_NEGATIVES = 3

_FUNCTIONS = re.compile(r"^(?:The\s+)?(?P<x>[\w\-/ ]{2,60}?)\s+(?:supports?|hosts?|provides?|performs?)\s+"
                        r"the\s+following\s+(?:main\s+)?(?:functions?|functionalit\w+|services?)\b.*:$", re.I)
_FUNCTIONS_WITH_ITEMS = re.compile(r"^(?:The\s+)?(?P<x>[\w\-/ ]{2,60}?)\s+"
                                   r"(?:supports?|hosts?|provides?|performs?)\s+the\s+following\s+(?:main\s+)?(?:functions?|functionalit\w+|services?)"
                                   r"\b[^:]{0,40}:\s*-\s*\w", re.I)
_CLAUSE_WORDS = re.compile(r"\b(?:is|are|that|which|when|if|provides?|supports?|hosts?)\b", re.I)
"""A subject that is a clause ("The UDSF is an optional function that"), not a name."""
_INTERFACE = re.compile(r"\b(?!(?:The|This|That|These|Each|Such|An?|Any|Which|Its|Their|Same|New)\b)"
                        r"(?P<i>[A-Z][\w\-]{0,8}(?:-[A-Z]+)?)\s+interface\b.*\bbetween\b")
"""An interface named before "interface" ("the Xn interface ... between"), not a determiner ("The
interface between MWAB-UE and ..." was asked as "What does the The interface connect?")."""
_NODE = re.compile(r"^(?:The\s+)?(?P<n>gNB|ng-eNB|en-gNB|eNB|AMF|SMF|UPF|PCF|NRF|AUSF|UDM|NEF|NSSF|"
                   r"gNB-CU(?:-CP|-UP)?|gNB-DU|IAB-node|IAB-donor|MN|SN|UE)\s+(?P<v>hosts|terminates|provides|"
                   r"is responsible for|supports|manages|controls)\b")
_LEVEL = re.compile(r"^(?P<l>\d)>\s*(?P<t>.+)$")
_LIST = re.compile(r"^\s*(?:[-*\u2022]\s*\w|\d{1,2}[.)]\s)")  # spec lists: "-Routing of ..."


@dataclass
class ReaderMining:
    """What to mine from, and how much to keep."""

    corpus: list[str]
    """Spec files or folders (.docx, .zip, .md named like a spec)."""
    max_groups: int = 0
    """Keep at most this many groups (0 = all), in a seeded order that alternates the kinds."""
    seed: int = 0
    max_chars: int = 1000
    """Chunk size, as `telecomgpt index build --max-chars`."""
    benchmarks: list[str] = field(default_factory=list)
    """Benchmark files/folders to decontaminate against (default: build-sft's)."""
    decontaminate: bool = True
    negatives: int = MAX_NEGATIVES
    """Other sentences of the chunk kept per group (the reader ranks whole clauses: it keeps them all)."""


def chunk_sentences(text: str) -> list[str]:
    """The sentences of a chunk that the answer checker could quote (app/grounding.py's `sentences_of`)."""
    return [s for s in split_sentences(text, soft_wraps=True)
            if not s.startswith(("#", "Spec:")) and len(terms(s)[0]) >= 2]


def _group(kind: str, question: str, sentences: list[str], answer: int, spec: str,
           limit: int = MAX_NEGATIVES) -> dict | None:
    negatives = [s for i, s in enumerate(sentences) if i != answer and s != sentences[answer]]
    if not negatives:
        return None
    return {"kind": kind, "question": question, "positive": sentences[answer],
            "negatives": negatives[:limit], "spec": spec}


def groups_of_chunk(text: str, spec: str, abbreviations: dict[str, str], title: str = "",
                    negatives: int = MAX_NEGATIVES) -> Iterator[dict]:
    """Every answer-sentence group one chunk yields, with at most `negatives` other sentences (`title`: its
    clause title; definitions only come from a Definitions / Terms clause, where "<term>: ..." lines are
    definitions and not notes)."""
    group_of = partial(_group, limit=negatives)
    sentences = chunk_sentences(text)
    definitions = definition_lines(text) if re.search(r"definition|terms", title, re.I) else {}
    yield from _procedure_groups(text, spec, negatives)
    for i, sentence in enumerate(sentences):
        plain = sentence.replace("**", "")
        term = next((t for t in definitions if plain.startswith(f"{t}:")), None)
        if term:
            group = group_of("definition", f"What is {term}?", sentences, i, spec)
        elif (abbr := plain.split(" ", 1)[0]) in abbreviations and plain.startswith(
                f"{abbr} {abbreviations[abbr]}"[:len(plain)]) and len(plain.split()) <= 12:
            group = group_of("abbreviation", f"What does {abbr} stand for?", sentences, i, spec)
        elif (match := _FUNCTIONS.match(plain)) and i + 1 < len(sentences) and _LIST.match(sentences[i + 1]):
            question = f"What functions does the {match['x']} support?"
            group = group_of("functions", question, sentences, i + 1, spec)
        elif (match := _FUNCTIONS_WITH_ITEMS.match(plain)) and not _CLAUSE_WORDS.search(match["x"]):
            # the stem and its items are one unit (app/procedure_text.py keeps them together)
            asked = ("What functions does the {} host?", "What does the {} do?")[stable_hash(plain) % 2]
            group = group_of("functions", asked.format(match["x"]), sentences, i, spec)
        elif match := _INTERFACE.search(plain):
            question = f"What does the {match['i']} interface connect?"
            group = group_of("interface", question, sentences, i, spec)
        elif match := _NODE.match(plain):
            group = group_of("node", f"What does the {match['n']} do?", sentences, i, spec)
        else:
            continue
        if group:
            yield group


def _procedure_groups(text: str, spec: str, negatives: int = MAX_NEGATIVES) -> Iterator[dict]:
    """"1>if/when <condition>:" followed by a deeper "2><action>" line: the action answers what is done in
    that condition. Read line by line: the nesting lives in the line breaks."""
    lines = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
    for i, line in enumerate(lines[:-1]):
        match, child = _LEVEL.match(line), _LEVEL.match(lines[i + 1])
        if (match and child and line.endswith(":") and int(child["l"]) == int(match["l"]) + 1
                and not lines[i + 1].endswith(":") and re.match(r"(?:if|when|upon)\b", match["t"], re.I)):
            condition = match["t"].rstrip(":").strip()
            group = _group("procedure", f"What does the MAC entity do {condition}?", lines, i + 1, spec,
                           negatives)
            if group:
                yield group


def read_groups(paths: list[str], errors: list[dict], max_chars: int = 1000,
                negatives: int = MAX_NEGATIVES) -> list[dict]:
    """Every group of the specs under `paths`, in file order (unreadable files are recorded in `errors`)."""
    from tqdm import tqdm

    groups: list[dict] = []
    for path in tqdm(spec_files(paths), desc="mining reader pairs", unit="spec"):
        if path.suffix.lower() == ".md" and not SPEC_FILE.match(path.stem):
            continue
        try:
            pieces, abbreviations = read_file(path, max_chars)
        except Exception as exc:  # noqa: BLE001 - one broken spec must not stop the build
            errors.append({"file": str(path), "error": str(exc).splitlines()[0] if str(exc) else repr(exc)})
            continue
        spec = path.stem
        for piece in pieces:
            groups.extend(groups_of_chunk(piece.text, spec, abbreviations, piece.title, negatives))
    return groups


def _balanced(groups: list[dict], seed: int) -> list[dict]:
    """Seeded shuffle within each kind, then the kinds taken in turn (a cap keeps every kind)."""
    rng = random.Random(seed)
    by_kind = {k: [g for g in groups if g["kind"] == k] for k in KINDS}
    for items in by_kind.values():
        rng.shuffle(items)
    out: list[dict] = []
    while any(by_kind.values()):
        for kind in KINDS:
            if by_kind[kind]:
                out.append(by_kind[kind].pop())
    return out


def mine_reader_pairs(job: ReaderMining, output: Path) -> dict:
    """Mine, decontaminate, deduplicate and cap groups; writes `reader_pairs.jsonl.gz` etc.; returns stats."""
    for raw in job.corpus:
        if not Path(raw).exists():
            raise UserError(f"corpus not found: {raw}")
    errors: list[dict] = []
    groups = read_groups(job.corpus, errors, job.max_chars, job.negatives)
    if not groups:
        raise UserError(f"no answer sentences mined from {', '.join(job.corpus)}",
                        hint=".docx, .zip or .md files named like a spec (38.321_MAC_j20.md)")
    benchmarks = [Path(b) for b in job.benchmarks] or (default_benchmarks() if job.decontaminate else [])
    finalizer = Finalizer(load_benchmark_ngrams(benchmarks) if job.decontaminate else None)
    for group in _balanced(groups, job.seed):
        if job.max_groups and len(finalizer.kept) >= job.max_groups:
            break
        record = {"id": f"{group['kind']}-{stable_hash(group['question'] + group['positive']):016x}",
                  "source": group["kind"], **group}  # Finalizer checks question, positive and negatives
        finalizer.add(record, f"{normalize(group['question'])}:{normalize(group['positive'])[:300]}")
    return finalizer.write(output, "reader_pairs", {
        "candidates_by_kind": dict(Counter(g["kind"] for g in groups)), "errors": errors,
        "benchmarks": [str(b) for b in benchmarks]})


def read_reader_pairs(folder: Path) -> list[dict]:
    import gzip

    import orjson

    with gzip.open(folder / "reader_pairs.jsonl.gz", "rb") as handle:
        return [orjson.loads(line) for line in handle if line.strip()]
