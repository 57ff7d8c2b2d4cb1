"""Hybrid retrieval over an index folder: BM25 + dense (FAISS), fused by reciprocal rank.

The query is first expanded with the abbreviations the indexed specs define (as Telco-RAG does),
e.g. "RLF" -> "RLF (Radio Link Failure)". Each fused candidate is then checked against a minimum
cosine similarity to the query, so an unrelated question returns no hits and the assistant can say
it does not know.

An index may carry its own query encoder (`telecomgpt train query-encoder`): queries are then embedded by it
for the dense ranking, while the cosine floor stays measured with the chunks' own embedder.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from app.chunks import citation_of
from app.embedder import embedder_of_index, get_embedder, query_embedder_of_index
from app.endpoints import asked_link, links
from app.expansion import expand_query
from app.index_store import bm25_tokens, import_bm25s, merged_abbreviations, read_built_index
from app.messages import asked_message, sending_closeness
from app.owners import asked_owner, owns
from app.reranker import Reranker
from app.sentences import split_sentences
from app.source_rules import clause_key, never_answers
from app.term_lookup import (
    ABBREVIATION_TITLE,
    VOCABULARY_SPEC,
    AskedTerm,
    Glossary,
    asked_condition,
    asked_event,
    asked_manner,
    asked_pair,
    asked_term,
    asks_contents,
    closest_event,
    defines_in_line,
    defining_lines,
    event_forms,
    lists_contents,
    reference_point_name,
    refers_elsewhere,
    says_role,
    special_cases,
    states_manner,
    states_purpose_here,
    states_what,
    step_closeness,
    with_alias,
)
from telecomgpt.errors import UserError

PER_CLAUSE = 2
"""At most this many chunks of one clause in a result list, so that five hits cover several clauses."""
RRF_K = 60
"""The constant of Cormack et al. (2009); ranks deeper than ~60 matter little."""
MODES = ("hybrid", "dense", "bm25")
DEFAULT_MODE = "hybrid"
"""FUSION: the mode every command uses unless told otherwise: the weighted fusion below (see BM25_WEIGHT for
how it was chosen and what it measured on the whole corpus)."""
BM25_WEIGHT = 1.0
"""FUSION: weight of the BM25 ranking in weighted reciprocal-rank fusion, weight / (RRF_K + rank).

BM25_WEIGHT, DENSE_WEIGHT and CANDIDATES were chosen with `bench/retrieval.py --sweep` on the clause-title and
definition query sets ONLY (the TeleQnA-labelled set is checked, never tuned on): dense weight 1.0 / 0.7 / 0.5
/ 0.3 / 0.2 x candidates 20 / 50 / 100, best by mean recall@5, ties by MRR@10. On the whole shared corpus
(100,453 chunks with 128-word-piece vectors and the index's trained query encoder, 150 + 150 queries from
held-out clauses, 2026-11-30; docs/benchmarks.md sections retrieval_sweep and retrieval) BM25 1 / dense 0.2
with 20 candidates scored mean R@5 0.880, BM25 alone 0.837, equal weights 0.877 (20 candidates) to 0.823
(100).

Checked on the TeleQnA-labelled set with the trained query encoder: R@5 0.488 against 0.452 for BM25 alone
(+0.036), while equal weights reach 0.679 there but lose one definition query to BM25. Dense retrieval is the
stronger ranking on real questions and the weaker one on the constructed title/definition queries (which
favour BM25 by construction); the weights stay what the tuning sets chose."""
DENSE_WEIGHT = 0.2
"""FUSION: weight of the dense (MiniLM; the index's trained query encoder when it has one) ranking; see
BM25_WEIGHT."""
CANDIDATES = 20
"""FUSION: how deep each ranking is read before fusing; see BM25_WEIGHT."""
STATING_CANDIDATES = 50
"""How deep the ranking of the asked term alone is read for a sentence saying what it is (`_stating_rows`)."""
ROLE_WORDS = " following functions functionality"
"""Added to a role question's term where `_stating_rows` looks for the sentence listing what X does."""
CONTENTS_WORDS = "parameters"
"""Added to the message a question asks the contents of, where `_stating_rows` looks for its parameters."""
RERANK_TOP = 20
"""With a reranker loaded (`--reranker`), the fused hits it reorders: 20 keep reranking near 150 ms on 2 cores
(30 would take ~1.5x as long; see app/reranker.py)."""


@dataclass
class Hit:
    """One retrieved chunk."""

    text: str
    score: float
    """Fused score (reciprocal-rank fusion in hybrid mode; cosine or BM25 score otherwise)."""
    metadata: dict = field(default_factory=dict)
    """spec, version, release, clause, title, source, kind, chunk_id, similarity (cosine to the query);
    looked_up: True where a lookup of the question's form chose the chunk (app/term_lookup.py)."""

    @property
    def citation(self) -> str:
        """"TS 38.331 §5.3.7" (or the file name and section for non-spec text)."""
        return citation_of(self.metadata)

    def to_dict(self) -> dict:
        return {"text": self.text, "score": self.score, "citation": self.citation, "metadata": self.metadata}


class Retriever:
    """Loaded index + search. Thread-safe for concurrent searches (read-only after load).

    On a BM25-only index (`index build --dense off`) hybrid searches run as BM25 (see `note`), without the
    cosine floor; asking it for dense search is a UserError.
    """

    def __init__(self, index_dir: Path, records, vectors, dense, bm25, abbreviations, min_similarity: float):
        self.index_dir = index_dir
        self.records = records
        self.vectors = vectors
        self.dense = dense
        self.bm25 = bm25
        self.abbreviations = abbreviations
        self.min_similarity = min_similarity
        self._releases = np.array([r.get("release") or 0 for r in records], dtype=np.int32)
        self._specs = np.array([r.get("spec") or "" for r in records], dtype=object)
        # chunks of Abbreviations clauses: BM25 scores them on the query as typed (see _bm25), and a lookup
        # that finds only such a line reads on to the clause saying what the thing is (see search)
        self._glossary = np.array(["abbreviation" in (r.get("title") or "").lower() for r in records],
                                  dtype=bool)
        self._rows = {r["chunk_id"]: i for i, r in enumerate(records)}
        self._terms: Glossary | None = None
        self._answering: np.ndarray | None = None
        self._embed_lock = threading.Lock()
        self.file_count = len({r["source"] for r in records})
        self.manifest: dict = {}  # set by load(); names the embedder that made `vectors` (queries must match)
        # app.reranker.Reranker when loaded with reranker=DIR: search reorders its top hits
        self.reranker = None
        # the index's trained query encoder, when it has one (load(query_encoder=))
        self.use_query_encoder = True

    @classmethod
    def load(cls, index_dir: str | Path, min_similarity: float = 0.25, reranker: str | Path | None = None,
             query_encoder: bool = True) -> Retriever:
        """Open an index built by `telecomgpt index build`; `query_encoder=False` embeds queries with the
        chunks' own embedder even when `telecomgpt train query-encoder` trained one for this index."""
        import faiss

        bm25s = import_bm25s()
        index_dir = Path(index_dir)
        manifest, records = read_built_index(index_dir)
        vectors = dense = None  # a BM25-only index (`index build --dense off`) has neither
        if manifest.get("dense", True):
            vectors = np.load(index_dir / "vectors.npy", mmap_mode="r")
            dense = faiss.read_index(str(index_dir / "dense.faiss"))
        bm25 = bm25s.BM25.load(str(index_dir / "bm25"), show_progress=False) if records else None
        # merged from the manifest, not read from abbreviations.json: an index built before a change of
        # the merge rule expands queries by the rule of the code that reads it
        abbreviations = merged_abbreviations(manifest.get("files") or {})
        retriever = cls(index_dir, records, vectors, dense, bm25, abbreviations, min_similarity)
        retriever.manifest = manifest
        retriever.use_query_encoder = query_encoder
        # a cross-encoder folder (`train retriever`'s OUTPUT/reranker); bad -> UserError
        if reranker is not None:
            retriever.reranker = Reranker.load(reranker)
        if dense is not None:
            _ = retriever.query_embedder  # a missing or corrupt embedder folder fails here, as a UserError
        return retriever

    @property
    def note(self) -> str | None:
        """What a user should know about this index's searches (None when nothing)."""
        if self.dense is None:
            return (f"index {self.index_dir} is BM25 only (built with --dense off): hybrid searches run as "
                    "BM25")
        return None

    @property
    def embedder(self):
        """The Embedder that made this index's vectors (None for a BM25-only index)."""
        return embedder_of_index(self.manifest) if self.dense is not None else None

    @property
    def query_embedder(self):
        """The Embedder of queries: the index's trained query encoder when it has one (and it is not turned
        off), else the embedder of its chunks (None for a BM25-only index)."""
        if self.dense is None:
            return None
        if not self.use_query_encoder:
            return self.embedder
        return query_embedder_of_index(self.manifest, self.index_dir)

    def embed_query(self, text: str) -> np.ndarray:
        """`text` as a (1, dim) vector by the index's query embedder (the default MiniLM for a bare
        Retriever)."""
        return (self.query_embedder if self.manifest else get_embedder()).embed_query(text)

    def __len__(self) -> int:
        return len(self.records)

    def chunk(self, chunk_id: str) -> dict | None:
        """One stored chunk (text and metadata) by id, with its citation; None if absent."""
        row = self._rows.get(chunk_id)
        if row is None:
            return None
        record = dict(self.records[row])
        record["citation"] = citation_of(record)
        return record

    def release_mask(self, release: int, per_spec: bool = False) -> np.ndarray:
        """Chunks of `release`; with `per_spec`, also every chunk of a spec the index holds in no version of
        that release (a question about "Rel-17" is answered from Rel-17 text where the index has it, and from
        the versions it holds of the other specs, not from the one Rel-17 document it happens to hold)."""
        mask = self._releases == release
        if per_spec:
            mask |= ~np.isin(self._specs, list(set(self._specs[mask]) - {""}))
        return mask

    def search(self, query: str, k: int = 5, release: int | None = None, mode: str = DEFAULT_MODE,
               expand: bool = True, candidates: int = CANDIDATES, bm25_weight: float = BM25_WEIGHT,
               dense_weight: float = DENSE_WEIGHT, rrf_k: int = RRF_K,
               rerank_top: int = RERANK_TOP, release_per_spec: bool = False,
               lookup: bool = True, asked: str | None = None, answering_only: bool = True) -> list[Hit]:
        """The `k` best chunks for `query`, optionally only from 3GPP `release` (`release_per_spec`: each spec
        at that release where the index holds it; see `release_mask`).

        Hybrid mode reads the top `candidates` of each ranking and fuses them by weighted reciprocal rank:
        score = bm25_weight / (rrf_k + bm25 rank) + dense_weight / (rrf_k + dense rank).
        With a reranker loaded, the first `rerank_top` hits are reordered by it (0: no reranking).
        `lookup`: a question asking what a term means or stands for gets the glossary chunk defining it
        first (app/term_lookup.py), whatever its rank; `asked` is the question whose form decides that when
        `query` is more than the question (a multiple-choice query with its options appended; default:
        `query`). `answering_only`: chunks that never answer a question (`answering`) are not searched."""
        if mode not in MODES:
            raise UserError(f"unknown retrieval mode {mode!r}; choose one of {', '.join(MODES)}")
        if self.dense is None:  # BM25-only index: hybrid falls back to BM25 (see `note`), dense can't
            if mode == "dense":
                raise UserError(f"index {self.index_dir} has no dense vectors (built with --dense off)",
                                hint="use --mode bm25 or build a new index with --dense on")
            mode = "bm25"
        if not query.strip() or not self.records:
            return []
        text = expand_query(query, self.abbreviations) if expand else query
        mask = self.release_mask(release, release_per_spec) if release is not None else None
        if answering_only:
            mask = self.answering if mask is None else mask & self.answering
        if mask is not None and not mask.any():
            return []
        query_vector = floor_vector = None
        if self.dense is not None:
            with self._embed_lock:  # one forward pass at a time; concurrent ones only contend for 2 cores
                query_vector = floor_vector = self.embed_query(text)
                if self.manifest and self.query_embedder is not self.embedder:
                    # The cosine floor keeps the meaning it was set with: similarity under the chunks' own
                    # embedder. A trained query encoder moves queries to rank better, not to score alike.
                    floor_vector = self.embedder.embed_query(text)
        ranked: dict[str, list[int]] = {}
        if mode in ("hybrid", "dense"):
            ranked["dense"] = self._dense(query_vector, candidates, mask)
        if mode in ("hybrid", "bm25"):
            ranked["bm25"] = self._bm25(text, candidates, mask, typed=query)
        fused: dict[int, float] = {}
        weights = {"bm25": bm25_weight, "dense": dense_weight} if mode == "hybrid" else {}
        for name, ids in ranked.items():
            weight = weights.get(name, 1.0)
            for rank, row in enumerate(ids):
                fused[row] = fused.get(row, 0.0) + weight / (rrf_k + rank + 1)
        rows = sorted(fused, key=fused.get, reverse=True)
        looked_up = ((self._compared_rows(asked or query, mask, fused, rows)
                      or self._link_rows(asked or query, mask, rows)
                      or self._owner_rows(asked or query, mask, rows)
                      or self._message_rows(asked or query, mask, rows)
                      or self._defining_rows(asked or query, mask, fused)
                      or self._stating_rows(asked or query, mask, rows)
                      or self._condition_rows(asked or query, mask, rows)
                      or self._event_rows(asked or query, mask, rows)
                      or self._manner_rows(asked or query, mask, rows)) if lookup else [])
        if looked_up and self._glossary[looked_up[0]]:
            # an Abbreviations line only spells the name out ("CORESET Control Resource Set"): the clause
            # saying what it is comes next ("A control-resource set consists of ...", TS 38.211 §7.3.2.2)
            stating = self._stating_rows(asked or query, mask, rows)
            looked_up += [row for row in stating if row not in looked_up]
        rows = looked_up + [row for row in rows if row not in looked_up]
        # no vectors: no cosine floor (BM25 only returns chunks sharing a query word)
        if query_vector is None:
            similarity = np.full(len(rows), np.nan)
        else:
            similarity = np.asarray(self.vectors[rows]) @ floor_vector[0] if rows else np.zeros(0)
        hits = []
        per_clause: dict[tuple, int] = {}
        for row, sim in zip(rows, similarity, strict=True):
            record = self.records[row]
            clause = clause_key(record)
            # the defining line of the term asked about answers it, however unlike the question the rest
            # of its glossary chunk reads
            if (sim < self.min_similarity and row not in looked_up) or (
                    record.get("clause") and per_clause.get(clause, 0) >= PER_CLAUSE):
                continue
            per_clause[clause] = per_clause.get(clause, 0) + 1
            meta = {key: value for key, value in record.items() if key != "text"}
            meta["similarity"] = None if np.isnan(sim) else round(float(sim), 4)
            if row in looked_up:  # chosen by the question's form, not by likeness (`choose_sources` keeps it)
                meta["looked_up"] = True
            hits.append(Hit(text=record["text"], score=round(fused.get(row, 0.0), 6), metadata=meta))
            if len(hits) == (max(k, rerank_top) if self.reranker is not None else k):
                break
        if self.reranker is not None and rerank_top:  # the cross-encoder reorders the fused top `rerank_top`
            hits = self.reranker.rerank(query, hits, top_n=k)
            first = [h for h in hits if self._rows.get(h.metadata.get("chunk_id")) in looked_up]
            hits = first + [h for h in hits if h not in first]
        return hits

    @property
    def answering(self) -> np.ndarray:
        """Rows whose chunk may answer a question: not a cover page, References, Foreword, contents list,
        bare captions or "Void" (app/source_rules.never_answers; computed on first use, ~0.7 s per 100k
        chunks). They are left out before ranking, not after: each ranking is read only CANDIDATES deep, and
        a question naming a release ("... [3GPP Release 17]") ranks the spec cover pages ("3GPP TS 38.323
        V18.4.0 (Release 18)") above every clause, so that the top 20 of both rankings held no chunk that
        answers and the assistant said it knew nothing (22 of 150 TeleQnA questions, docs/benchmarks.md)."""
        if self._answering is None:
            self._answering = np.array([never_answers(SimpleNamespace(text=r["text"], metadata=r)) is None
                                        for r in self.records], dtype=bool)
        return self._answering

    @property
    def glossary(self) -> Glossary:
        """The terms the index's Definitions and Abbreviations clauses define (built on first use)."""
        if self._terms is None:
            self._terms = Glossary(self.records, self.abbreviations)
        return self._terms

    def _defining_rows(self, query: str, mask: np.ndarray | None, fused: dict[int, float]) -> list[int]:
        """The glossary chunk defining the term `query` asks about (at most one; none when it asks no
        term or no glossary line defines it): not one whose line only points to another spec (TS 37.340's
        "Ng-eNB: as defined in TS 38.300."), one that holds the sense the index's specs use for an
        abbreviation (`merged_abbreviations`), then the best ranked, then TR 21.905's, then the first."""
        asked = self._asked(query)
        if asked is None:
            return []
        rows = [r for r in self.glossary.rows_defining(asked) if mask is None or mask[r]]
        if asked.wanted:  # "Which RRC states does NR support?": only a line naming RRC states answers
            rows = [r for r in rows if defining_lines(self.records[r]["text"], asked)]
        sense = self.abbreviations.get(asked.term)
        lines = {row: defining_lines(self.records[row]["text"], asked) for row in rows}
        # the sense in the defining line itself: TR 21.905's chunk with "MIB Management Information Base"
        # has "Master Information Block" on another line, and led "What is the MIB?" on the 8-file index
        rows.sort(key=lambda r: (bool(lines[r]) and all(map(refers_elsewhere, lines[r])),
                                 not (sense and any(sense in line for line in lines[r])), -fused.get(r, 0.0),
                                 self.records[r].get("spec") != VOCABULARY_SPEC, r))
        return rows[:1]

    def _compared_rows(self, query: str, mask: np.ndarray | None, fused: dict[int, float],
                       ranked: list[int]) -> list[int]:
        """For "What is the difference between the MCG and the SCG?": the chunks "What is the MCG?" and "What
        is the SCG?" look up (`_defining_rows`, else `_stating_rows`), the first term's first. A spec says
        what each is ("Master Cell Group: in MR-DC, a group of serving cells associated with the Master Node
        ..."), seldom how the two differ: the question's own ranking led with "This procedure can also be
        used to configure an SN terminated MCG bearer ...", and for SSC modes 1 and 3 with mode 2's line."""
        pair = asked_pair(query)
        if pair is None:
            return []
        found: list[int] = []
        for term in pair:
            question = f"What is {term.term}?"
            rows = self._defining_rows(question, mask, fused)
            # a name spelt out says nothing of how it differs ("SUPI Subscription Permanent Identifier"):
            # prose saying what it is, where there is some, answers
            if not rows or ABBREVIATION_TITLE.search(self.records[rows[0]].get("title") or ""):
                rows = self._stating_rows(question, mask, ranked) or rows
            found += [row for row in rows if row not in found]
        return found

    def _asked(self, query: str) -> AskedTerm | None:
        """The term `query` asks about, with its other name from the index's abbreviation table."""
        return with_alias(asked_term(query), self.abbreviations)

    def _stating_rows(self, query: str, mask: np.ndarray | None, ranked: list[int]) -> list[int]:
        """For "What is X?" (or "What is the role of X?") where no glossary line defines X: the chunk with a
        sentence saying what X is (or does) in a clause's prose (`term_lookup.states_what`: "RRC_INACTIVE is
        a state where a UE remains in CM-CONNECTED ...", "The Network Exposure Function (NEF) supports the
        following independent functionality: ..."), at most one; the best ranked of the question's
        candidates, else of the chunks that match X alone. The question's other words ("What is
        RRC_INACTIVE?" has none) rank the chunks that only mention X ("RRC_INACTIVE state is part of RRC
        state machine ...") as high as it."""
        asked = self._asked(query)
        if asked is None or asked.kind == "abbreviation" or self.bm25 is None:
            return []
        # X alone, then with its full name, which matches where a clause introduces it ("The Access and
        # Mobility Management function (AMF) includes ..."), and for its role the words of a functions list
        # (the AMF is named in thousands of chunks, and the shortest of them rank first on "AMF" alone)
        wanted = (expand_query(f"{asked.term} {asked.alias}".strip(), self.abbreviations)
                  + (ROLE_WORDS if asked.kind == "role" else ""))
        candidates = self._then_matching(self._then_matching(ranked, asked.term, mask), wanted, mask)
        reference_point = reference_point_name(asked.term)
        if reference_point:  # "N3 interface": "N3:Reference point between ..." (TS 23.501)
            candidates = self._then_matching(candidates, reference_point, mask)
        if asked.kind == "role" and asks_contents(query):  # a call flow's "(AN parameters, Registration
            # Request (Registration type, ..., Security parameters, ...))": the Registration Request is named
            # in hundreds of TS 23.502's chunks
            candidates = self._then_matching(candidates, f"{asked.term} {CONTENTS_WORDS}", mask)
        # a clause's own statement first ("The AMF includes the following functionality: ..."); else a
        # sentence saying what X does ("...; the SMF manages PDU sessions ...", "SIB1 defines ..."); never one
        # about a special case the question does not ask about (`term_lookup.special_cases`: "The MAC
        # sublayer provides the following services and functions over the PC5 interface ..." for "Which
        # functions does the NR MAC sublayer support?")
        cases = special_cases(query)
        candidates = self._general(candidates, query)  # nor one of a clause titled with such a case

        def general(states):  # a sentence test, never passed by a sentence about a case not asked
            return lambda sentence, record: states(sentence, asked) and not special_cases(sentence) - cases

        def purpose_here(sentence, record):  # the clause's title read with its text: TS 23.502 §4.2.3.3,
            # titled "Network Triggered Service Request", opens "This procedure is used when the network needs
            # to signal ... with a UE." and names the procedure nowhere else in that chunk
            return states_purpose_here(sentence, record["text"], asked, record.get("title") or "")

        # where the question names what X has ("Which transmission modes does RLC support?"), a sentence whose
        # verb has it ("The RLC sublayer supports three transmission modes") before a functions list; for a
        # procedure, what "this procedure" is for in a clause about it before a sentence naming it in passing
        def listed_here(sentence, record):  # a definition line in a clause's own list: "N3:Reference point
            # between the (R)AN and the UPF." (TS 23.501 §4.2.7) for "What is the N3 interface?"
            return asked.kind == "definition" and defines_in_line(sentence, asked)

        def contents(sentence, record):  # what a message holds: "Registration Request (Registration type ..."
            return asked.kind == "role" and asks_contents(query) and lists_contents(sentence, asked)

        split: dict[int, list[str]] = {}  # each candidate's sentences, split once for every test
        for states in ((general(contents), general(says_role), general(states_what)) if asked.wanted else
                       (general(contents), general(states_what), general(listed_here), purpose_here,
                        general(says_role))):
            for row in candidates:
                record = self.records[row]
                if row not in split:
                    split[row] = split_sentences(record["text"], soft_wraps=True)
                if any(states(sentence, record) for sentence in split[row]):
                    return [row]
        return []

    def _condition_rows(self, query: str, mask: np.ndarray | None, ranked: list[int]) -> list[int]:
        """For "What does the MAC entity do when the timeAlignmentTimer associated with the PTAG expires?":
        the chunk of a procedure whose step tests that condition ("1>when a timeAlignmentTimer expires:"),
        at most one: of the question's candidates and the chunks matching the condition alone, the one whose
        step tests it most closely (`term_lookup.step_closeness`), the best ranked among equals. A long
        procedure is cut into many chunks (TS 38.321 §5.2 into 16), all alike to the question, and the one
        with the step was not among them."""
        condition = asked_condition(query)
        if condition is None or self.bm25 is None:
            return []
        best, closest = None, None
        for row in self._general(self._then_matching(ranked, condition, mask), query):  # first of the closest
            key = step_closeness(self.records[row]["text"], condition)
            if key is not None and (closest is None or key > closest
                                    or (key == closest and self._earlier_part(row, best))):
                best, closest = row, key
        return [] if best is None else [best]

    def _earlier_part(self, row: int, other: int) -> bool:
        """Whether chunk `row` comes before chunk `other` of the same clause: of two pieces of one procedure
        that test a condition alike (each repeats "1>when a timeAlignmentTimer expires:"), the first holds
        its first branch, the rule ("2>if the timeAlignmentTimer is associated with a PTAG ...: 3>flush all
        HARQ buffers ..."), not the "2>else:" after it, which led "What happens when the timeAlignmentTimer
        expires?"."""
        mine, theirs = self.records[row], self.records[other]
        return ((mine.get("source"), mine.get("clause")) == (theirs.get("source"), theirs.get("clause"))
                and int(mine.get("part") or 0) < int(theirs.get("part") or 0))

    def _event_rows(self, query: str, mask: np.ndarray | None, ranked: list[int]) -> list[int]:
        """For "When does the MAC entity stop the ra-ResponseWindow?": the chunk with a sentence stating that
        event (`term_lookup.event_closeness`: "The MAC entity may stop ra-ResponseWindow ... after successful
        reception of a Random Access Response ..."), at most one: of the question's candidates and the chunks
        matching the event's words alone, the first of those stating it most closely. TS 38.321 §5.1.4 is
        cut into several chunks alike to the question, and the one with that sentence was not among them."""
        event = asked_event(query)
        if event is None or self.bm25 is None:
            return []
        events = event_forms(event, self.abbreviations)  # "a Buffer Status Report" is "a BSR" in TS 38.321
        best, closest = None, None
        matching = ranked
        for form in events:
            matching = self._then_matching(matching, f"{form.verb} {form.object}", mask)
        for row in self._general(matching, query):
            keys = [key for sentence in split_sentences(self.records[row]["text"], soft_wraps=True)
                    if (key := closest_event(sentence, events)) is not None]
            if keys and (closest is None or min(keys) < closest):
                best, closest = row, min(keys)
        return [] if best is None else [best]

    def _manner_rows(self, query: str, mask: np.ndarray | None, ranked: list[int]) -> list[int]:
        """For "How is a QoS Flow identified?": the chunk with a sentence saying so in the passive
        (`term_lookup.states_manner`: "A QoS flow is identified within a PDU session by a QoS Flow ID (QFI)
        ..."), at most one, the first of the question's candidates and the chunks matching the thing and the
        participle alone. TS 38.300 §12.1 is cut into chunks alike to the question, and the one with that
        sentence was not among them."""
        manner = asked_manner(query)
        if manner is None or self.bm25 is None:
            return []
        for row in self._general(self._then_matching(ranked, f"{manner.object} {manner.participle}", mask),
                                 query):
            if any(states_manner(sentence, manner)
                   for sentence in split_sentences(self.records[row]["text"], soft_wraps=True)):
                return [row]
        return []

    def _link_rows(self, query: str, mask: np.ndarray | None, ranked: list[int]) -> list[int]:
        """For "Which reference point connects the AMF and the SMF?": the chunk with a line naming both ends
        after "between" (`endpoints.links`: "N11: Reference point between the AMF and the SMF."), at most one,
        the best ranked of the question's candidates and of the chunks matching the two ends alone. TS 23.501
        §4.2.7's list of reference points is cut into several chunks, each naming the AMF and the SMF, and
        the one with N11 was not among the question's top three."""
        link = asked_link(query, self.abbreviations)
        if link is None or self.bm25 is None:
            return []
        ends = " ".join(min(names, key=len) for names in (link.a, link.b))
        for row in self._then_matching(ranked, f"between {ends}", mask):
            if any(links(sentence, link) for sentence in self.records[row]["text"].splitlines()):
                return [row]
        return []

    def _owner_rows(self, query: str, mask: np.ndarray | None, ranked: list[int]) -> list[int]:
        """For "Which network function allocates the UE IP address?": the chunk with a list of what one
        function does holding that deed, or a sentence naming the doer after it (`owners.owns`: TS 23.501
        §6.2.2's "The Session Management function (SMF) includes the following functionality ...: ... -UE IP
        address allocation & management ..."), at most one, the best ranked of the question's candidates and
        of the chunks matching the deed and a functions list. The question ranked §5.8.2.2.1's DHCP text and
        the NEF's functions (which store data in the UDR) first."""
        owner = asked_owner(query)
        if owner is None or self.bm25 is None:
            return []
        deed = f"{' '.join(sorted(owner.object_terms))} {owner.deed}{ROLE_WORDS}"
        for row in self._general(self._then_matching(ranked, deed, mask), query):
            if any(owns(unit, owner) for unit in split_sentences(self.records[row]["text"], soft_wraps=True)):
                return [row]
        return []

    def _message_rows(self, query: str, mask: np.ndarray | None, ranked: list[int]) -> list[int]:
        """For "Which message does the UE send to request an RRC connection?": the chunk with a step in which
        the asked node sends a message (to the asked one) saying most of the asked end (`messages.
        sending_closeness`: TS 38.401 §8.1's "1. The UE sends an RRCSetupRequest message to the gNB-DU."),
        at most one, the first of the closest among the question's candidates and the chunks matching the
        sender, the end and "sends message". The question ranked the clauses on RRC states and MR-DC's
        single RRC connection first."""
        asked = asked_message(query)
        if asked is None or self.bm25 is None:
            return []
        wanted = f"{asked.sender} sends message {asked.receiver} {' '.join(sorted(asked.end_terms))}"
        best, closest, cases = None, 0, special_cases(query)
        for row in self._general(self._then_matching(ranked, wanted, mask), query):
            record = self.records[row]
            keys = [key for sentence in split_sentences(record["text"], soft_wraps=True)
                    if not special_cases(sentence) - cases
                    and (key := sending_closeness(sentence, record.get("title") or "", asked))]
            if keys and max(keys) > closest:
                best, closest = row, max(keys)
        return [] if best is None else [best]

    def _general(self, rows: list[int], query: str) -> list[int]:
        """`rows` less those of a clause titled with a special case `query` does not ask about
        (`term_lookup.special_cases`): a lookup's sentence there states the case, not the rule. "5.7b
        Discontinuous Reception (DRX) for MBS Multicast" has "1>if a DRX Command MAC CE indicated by PDCCH
        addressed to a G-RNTI ... is received:", as close a step to the reception of a DRX Command MAC CE as
        §5.7's unicast one."""
        cases = special_cases(query)
        return [row for row in rows if not special_cases(self.records[row].get("title") or "") - cases]

    def _then_matching(self, ranked: list[int], text: str, mask: np.ndarray | None) -> list[int]:
        """`ranked` (the question's candidates, best first), then the STATING_CANDIDATES best chunks for
        `text` alone (the asked term, condition or event) that it lacks: where the lookups read past the
        question's ranking."""
        return ranked + [row for row in self._bm25(text, STATING_CANDIDATES, mask) if row not in ranked]

    def _dense(self, query_vector: np.ndarray, n: int, mask: np.ndarray | None) -> list[int]:
        import faiss

        params = None
        if mask is not None:
            selector = faiss.IDSelectorBatch(np.flatnonzero(mask).astype(np.int64))
            hnsw = getattr(self.dense, "hnsw", None)
            params = (faiss.SearchParametersHNSW(sel=selector, efSearch=hnsw.efSearch) if hnsw is not None
                      else faiss.SearchParameters(sel=selector))
        _, ids = self.dense.search(query_vector, min(n, len(self.records)), params=params)
        return [int(i) for i in ids[0] if i >= 0]

    def _bm25(self, text: str, n: int, mask: np.ndarray | None, typed: str | None = None) -> list[int]:
        """Top `n` rows by BM25 for the (expanded) `text`; Abbreviations-clause chunks are scored on `typed`,
        the query before expansion.

        The expansion ("AMF" -> "AMF (Access and Mobility Management Function)") is read from those very
        lists, so matching it back against them is circular: every question that names an abbreviation
        would rank a glossary above the clauses about it (on the starter notes, TR 21.905 §3 outranked
        TS 23.501 §4.2.3 for "What does the AMF do in the 5G core?" and entered the top 3 for "Which RRC
        states does a UE have in NR?"). The expansion still helps every other chunk match the long form,
        Definitions clauses' included: scored on the question as typed, TS 37.340's Definitions ("Master
        node: ...", "Secondary node: ...") left the sources of "In EN-DC, which nodes act as master node and
        secondary node?" (the answer benchmark lost 4 facts of 85)."""
        if self.bm25 is None:
            return []
        vocab = self.bm25.vocab_dict
        tokens = [t for t in bm25_tokens([text])[0] if t in vocab]
        if not tokens:
            return []
        weights = mask.astype(np.float32) if mask is not None else None
        scores = self.bm25.get_scores(tokens, weight_mask=weights)
        if typed is not None and typed != text and self._glossary.any():
            plain = [t for t in bm25_tokens([typed])[0] if t in vocab]
            plain_scores = (self.bm25.get_scores(plain, weight_mask=weights) if plain
                            else np.zeros_like(scores))
            scores = np.where(self._glossary, plain_scores, scores)
        n = min(n, len(scores))
        top = np.argpartition(-scores, n - 1)[:n]
        top = top[np.argsort(-scores[top])]
        return [int(i) for i in top if scores[i] > 0]
