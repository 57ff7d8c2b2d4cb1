"""Grounded answers: every sentence of a generated answer is checked against the clause it cites.

The model is asked for inline [n] markers. Its answer is split into sentences; each one is scored
against the sentences of the chunk(s) it cites (or, when it cites nothing valid, of every chunk in
the prompt) by a `SupportScorer`. Unsupported sentences are dropped (or shown marked as unverified,
`unsupported="mark"`), sentences that repeat an 8-gram of the answer are dropped (a looping model),
and when too little supported text survives the answer becomes *extractive*: the sentences of the
top clauses that best answer the question, quoted verbatim with their [n].

The lead (`GroundingConfig.lead`, on by default): before the model's first token, the answer opens with
the top clause's sentence that best answers the question, quoted verbatim with its [n] and marked
`"origin": "lead"`; it is evidence, not generated text. It exists for latency: on 2 CPU cores the first
*generated* sentence needs prefill + ~25 tokens + its check (2-3 s), while the lead is ready right after
retrieval. The model's checked sentences follow it; a generated sentence that copies it is dropped.

Streaming: `GroundingSession.feed(piece)` returns the text that may be shown now (sentences are
released once checked); `finish()` returns the rest. After `stop_after_dropped` dropped sentences in
a row the session ignores the rest (`gave_up`), and the pipeline stops generating. Feeding the whole
answer at once goes through the same code, so streaming and non-streaming give the same checked answer
for the same generation.

Response shape (model `telecomgpt-rag`; a top-level field next to `sources`, in the last SSE chunk
when streaming; `GroundingSession.result()` builds it)::

    "grounding": {
      "mode": "generated" | "extractive" | "idk" | "unchecked",
          # generated: the model's checked sentences; extractive: quotes from the top clauses
          # (too little of the generation was supported, or the request asked for it);
          # idk: nothing relevant was retrieved; unchecked: request field grounding="off", the raw
          # generation is shown and each sentence's score is only reported
      "threshold": 0.88,            # support score at or above which a sentence counts as supported
      "unsupported": "drop" | "mark" | "keep",
      "abstained": false,           # the model said the documents do not answer (an "abstention" sentence)
      "sentences": [                # what is shown, in order (the answer text is these joined by " ")
        {"text": "In RRC_INACTIVE the RRC connection is suspended [1].",
         "citations": [1],          # source numbers n (1-based, as in `sources`)
         "support": 0.93,           # SupportScorer score against the cited chunk(s), 0..1
         "supported": true,         # false only with unsupported="mark" ("(unverified) …") or "keep"
         "origin": "lead" | "generated" | "extractive" | "abstention",
             # lead and extractive: quoted, not generated; abstention: the model says the documents do not
             # hold the answer (app.prompting.abstains), shown as it is, and no quotes are added after it
         "evidence": {"n": 1, "chunk_id": "…", "citation": "TS 38.331 §4.2.1",
                      "sentence": "In RRC_INACTIVE the RRC connection is suspended: …"}},  # or null
        …],
      "dropped": [                  # generated sentences not shown
        {"text": "…", "citations": [2], "support": 0.12,
         "reason": "unsupported" | "repeated" | "no_claim" | "sources_list" | "incomplete"
                   | "too_little_supported"}, …]
    }

`evidence.sentence` is a sentence of that chunk's stored text with whitespace collapsed to single
spaces (the web UI highlights it in /chunks/{chunk_id}?hl=...). The request may carry the extension
field `"grounding": "drop" | "mark" | "off" | "extractive"` (default: the server's setting, "drop").
In Python: `RAGPipeline.answer(messages, mode=...)` returns {"content", "sources", "grounding"}.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from app.endpoints import asked_link, links
from app.messages import asked_message, sending_closeness
from app.owners import asked_owner, owns
from app.prompting import NOT_IN_SOURCES, abstains, echoes_instructions
from app.reader import FIGURE, NOTE, POINTER, default_reader
from app.role_check import default_role_checker
from app.sanitize import plain_references, sanitize
from app.sentences import (
    ANNOUNCES_LIST,
    ENDS_SENTENCE,
    LABEL,
    LIST_MARK,
    META,
    NGRAM,
    STOPWORDS,
    TABLE_RULE,
    after_shown_steps,
    before_repeat,
    citations_of,
    ngrams,
    orphan_else,
    procedure_steps,
    split_sentences,
    strip_citations,
    terms,
    with_first_heading_prose,
    without_repeated_steps,
    without_repeats,
)
from app.support import SUPPORT_THRESHOLD, SupportScorer, embed_texts
from app.term_lookup import (
    ABBREVIATION_TITLE,
    GLOSSARY_TITLE,
    MAX_TERM_WORDS,
    WORD,
    asked_condition,
    asked_count,
    asked_event,
    asked_interfaces,
    asked_manner,
    asked_pair,
    asked_term,
    asks_contents,
    calls_it,
    closest_event,
    defines,
    defines_another,
    definitions_apart,
    entries_apart,
    event_forms,
    glossary_entry,
    hyphenated_names,
    line_terms,
    lists_contents,
    mentions_wanted,
    names,
    normalize_term,
    opens_with,
    opens_with_condition,
    opens_with_kind,
    other_forms,
    says_role,
    says_what_it_is,
    singular,
    spaced,
    special_cases,
    states_count,
    states_manner,
    states_purpose_here,
    states_what,
    step_closeness,
    with_alias,
)
from telecomgpt.domain.markdown_clean import LOST_FORMULA

__all__ = ["SUPPORT_THRESHOLD", "NGRAM", "Checked", "Evidence", "GroundingConfig", "GroundingSession",
           "SupportScorer", "citations_of", "embed_texts", "split_sentences", "strip_citations", "terms"]
"""Splitting and scoring live in app/sentences.py and app/support.py; their public names are
re-exported here."""


# ---------------------------------------------------------------------------------------------- the session


@dataclass
class GroundingConfig:
    """How answers are checked."""

    threshold: float = SUPPORT_THRESHOLD
    """Support score at or above which a sentence is shown as supported."""
    unsupported: Literal["drop", "mark", "keep"] = "drop"
    """Unsupported sentences: dropped, shown with an "(unverified)" mark, or kept as generated ("keep":
    nothing is removed or added, the scores are only reported; mode "unchecked")."""
    min_chars: int = 40
    """Less supported generated text than this (characters) and the answer becomes extractive."""
    extractive_sentences: int = 4
    """Most sentences quoted by an extractive answer."""
    extractive_chars: int = 650
    """Most characters quoted by an extractive answer (the best sentence is always quoted)."""
    extractive_chunks: int = 2
    """Top chunks the lead and the extractive answer may quote from. With the trained reader (app/reader.py)
    all of them compete: it tells an answering sentence from its neighbours well enough that pooling the top
    two clauses showed the fact for 36 of the answer benchmark's 59 dev questions against 31 for the top
    clause alone (33 for the top three; docs/benchmarks.md). Without it, the first clause, and the next only
    while fewer than two sentences are available (cosine + overlap picked worse leads from a pool, e.g.
    RRCRelease for "How does a UE resume from RRC_INACTIVE?"). Past them, the next source is read only while
    these have nothing quotable (see `GroundingSession._quotes`)."""
    informative_terms: int = 4
    """A quote that names fewer content words than this beyond the question's ("An NR UE is always in one
    of three RRC states") introduces the topic without answering; quotes with more rank first. Fixed a
    priori and checked on the starter dev questions (bench/rag_ttft.py QUESTIONS), not on benchmark items."""
    lead: bool = True
    """Show the top clause's sentence that best answers the question first, quoted verbatim with its [n]
    (origin "lead"), as soon as retrieval is done; the model's checked sentences follow it. The reader gets
    checked text at once instead of after prefill + a whole generated sentence + its check. Not with
    unsupported="keep" (the raw generation, shown as it is). When the top chunk is a list of names (an
    abbreviations clause), the second chunk's sentences compete for the lead too."""
    reader: bool = True
    """Order the quotable sentences with the answer-sentence reader (app/reader.py: the one `train reader`
    wrote to the user's cache, else the weights shipped with the project); off: cosine to the question + word
    overlap, informative sentences first (the order before the reader)."""
    ngram: int = NGRAM
    """A sentence repeating an n-gram of this length (of the answer so far, or of itself) is dropped."""
    stop_after_dropped: int = 2
    """After this many dropped sentences in a row the rest of the generation is ignored (`gave_up`; the
    pipeline stops generating): a small model that has drifted rarely comes back."""
    role_check: bool = True
    """A sentence the scorer supports must also keep the roles and numbers of its evidence sentence
    (app/role_check.py: "A subframe consists of ten frames" is refused against "A frame consists of ten
    subframes"), when a role checker is there (shipped in app/role_model/, or trained into the user's
    cache)."""


@dataclass
class Evidence:
    n: int
    chunk_id: str | None
    citation: str
    sentence: str

    def to_dict(self) -> dict:
        return {"n": self.n, "chunk_id": self.chunk_id, "citation": self.citation, "sentence": self.sentence}


@dataclass
class Checked:
    """One sentence of the answer after its check."""

    text: str
    citations: list[int]
    support: float
    supported: bool
    origin: str = "generated"
    evidence: Evidence | None = None
    reason: str | None = None
    """Why it is not shown (dropped sentences only)."""

    def to_dict(self) -> dict:
        if self.reason:
            return {"text": self.text, "citations": self.citations, "support": self.support,
                    "reason": self.reason}
        return {"text": self.text, "citations": self.citations, "support": self.support,
                "supported": self.supported, "origin": self.origin,
                "evidence": self.evidence.to_dict() if self.evidence else None}


def _contains(words: tuple[str, ...], part: tuple[str, ...]) -> bool:
    return any(words[i:i + len(part)] == part for i in range(len(words) - len(part) + 1))


def _hit_fields(hit) -> tuple[str, str | None, str]:
    meta = getattr(hit, "metadata", {}) or {}
    return hit.text, meta.get("chunk_id"), getattr(hit, "citation", "")


NAME_LABEL = re.compile(r"\*{1,2}[^*:]+:?\*{1,2}:?")
"""A line that is one bold or italic name and nothing else: a term a spec lists as borrowed from another, a
heading, the message name above an ASN.1 definition ("*MasterInformationBlockSidelink*"), a definition's
label whose text the file put in the next paragraph ("**reserved cell:**", TS 38.304 §4.5)."""
ENDS_IN_LOST_FORMULA = re.compile(rf"(?:{re.escape(LOST_FORMULA)}|\b(?:is|are|by|of|to|as|with|from|than|"
                                  r"where|equals?))[\s.;,]*$", re.I)
"""A sentence whose statement was the formula its source lost (telecomgpt/domain/markdown_clean.py): "The
number of consecutive OFDM symbols per subframe is […].", or one stopping at the word before a lost
displayed formula ("The relation between the physical resource block […] in bandwidth part […] and the
common resource block […] is given by", which led the answer to how many sub-carriers form a resource
block). It says nothing."""
ASN1_SYNTAX = re.compile(r"^\s*--\s|::=")
"""ASN.1 in a spec's text (TS 38.331's message definitions): a comment or delimiter ("-- TAG-MIB-START") or a
type assignment ("MasterInformationBlockSidelink ::= SEQUENCE {"). It names the message asked about and states
nothing of it: "-- TAG-MASTERINFORMATIONBLOCKSIDELINK-STOP" led the answer to "What is the purpose of the
MasterInformationBlockSidelink message?", ahead of the clause's own sentence ("... includes the system
information transmitted by a UE via SL-BCH")."""


SAYS_WHERE = re.compile(r"\bis\s+identified\s+by\s+(?:a\s+|the\s+)?MAC\s+subheader\b"
                        r"|\b(?:defined|described|specified)\s+in\s+(?:this|the\s+(?:following|next))\s+clauses?"
                        r"\W*$", re.I)
"""A sentence on how a thing is marked (TS 38.321's "The ... MAC CE is identified by MAC subheader with LCID
as specified in Table 6.2.1-1.", one per MAC CE) or that it is described in the clause it opens."""
ASKS_WHERE = re.compile(r"\bidentif|\blcid\b|\bsubheader|\bwhere\b", re.I)
"""A question for which such a sentence may be the answer ("How is the ... MAC CE identified?")."""


ASKS_AFTER = re.compile(r"\bafter\s+(?:(?:receiving|sending|the|an?)\s+)*(?P<event>[^?,]+?)\s*\??\s*$", re.I)
"""A question on what comes after an event of a procedure, the event last ("What does the target gNB send to
the source gNB after admission control?", "What does the source gNB do after receiving the HANDOVER REQUEST
ACKNOWLEDGE?": the step names the message, with its own verb)."""
_STATES = re.compile(r"\b(?:is|are|was|were|shall|should|may|can|will|following|where|when|if)\b", re.I)
"""A word that makes a line's head before its colon a statement, not a term ("The MAC entity shall", "The
following downlink physical channels are defined")."""
FLOW_STEP = re.compile(r"^\s*(?P<number>\d{1,2})[a-z]?\.\s*\S")
"""A numbered step of a call flow ("5.The target gNB prepares the handover ..."), unlike a "1>" step of a
MAC or RRC procedure."""


def only_points(sentence: str, question_terms: set[str]) -> bool:
    """A pointer to another clause or spec (app/reader.py POINTER) that adds at most two content words
    beyond the question's and the pointer's own: the fact is elsewhere. Not a glossary line ("Master node:
    as defined in TS 37.340"): for a term a spec only borrows, that is its definition there."""
    text = strip_citations(sentence)
    if not POINTER.search(text) or line_terms(text):
        return False
    added = set(terms(POINTER.sub(" ", text))[0]) - question_terms
    return len({w for w in added if not any(c.isdigit() for c in w)}) <= 2


def order_sentences(question: str, sentences: list[str],
                    informative_terms: int = GroundingConfig.informative_terms,
                    reader=None) -> list[tuple[bool, float]]:
    """(ranks first, score) of each candidate sentence as an answer to `question`; sort by both, descending.

    With a trained reader (app/reader.py) its score alone decides: it was trained to tell the sentence that
    states the fact from its clause's other sentences. Without one: cosine to the question + 0.5 x share of
    its words, and informative sentences (at least `informative_terms` content words beyond the question's)
    first."""
    if not sentences:
        return []
    vectors = embed_texts([question, *sentences])
    cosines = vectors[1:] @ vectors[0]
    question_terms = set(terms(question)[0])
    if reader is not None:
        # a sentence that only points elsewhere ("An antenna port is defined in clause 4.4.1.") names the
        # question's topic and so scores well, but states nothing: it waits behind the ones that do
        scores = reader.scores(question, sentences, cosines)
        return [(not only_points(sentence, question_terms), score)
                for sentence, score in zip(sentences, scores, strict=True)]
    out = []
    for sentence, cosine in zip(sentences, cosines, strict=True):
        words = set(terms(sentence)[0])
        overlap = len(question_terms & words) / max(1, len(question_terms))
        out.append((len(words - question_terms) >= informative_terms, float(cosine) + 0.5 * overlap))
    return out


RESTATED_SHARE = 0.6
"""Share of a sentence's content terms another must say to state the same thing (`lost_formulas`)."""


def lost_formulas(sentences: list[str]) -> set[str]:
    """The sentences that lost a formula (LOST_FORMULA, telecomgpt/domain/markdown_clean.py) where another of
    `sentences` says the same whole, at least RESTATED_SHARE of its content terms: TS 38.211's "frames with
    […] duration, each consisting of ten subframes of […] duration" beside TS 38.300's "frames with 10 ms
    duration, consisting of ten 1 ms subframes", which keeps the values an answer needs. Without such a
    restatement the sentence stays where it ranks: "A resource block is defined as […] consecutive
    subcarriers" is still the best answer the sources have to what a resource block is."""
    content = {s: set(terms(s)[0]) for s in sentences}
    whole = [words for s, words in content.items() if LOST_FORMULA not in s]
    return {s for s, words in content.items() if LOST_FORMULA in s and words and any(
        len(words & other) >= RESTATED_SHARE * len(words) for other in whole)}


def titled_by(question: str, title: str) -> bool:
    """Whether a clause's title names the question's topic: every content word of a title of at least three
    ("RRC connection establishment") is in the question. Two are too few: "Configured grant" in a question
    about the identity used for one led with the grant's clause (a TeleQnA-labelled question of the answer
    benchmark lost its fact)."""
    words = set(terms(title)[0])
    return len(words) >= 3 and words <= set(terms(question)[0])


RESTATED_TERMS = 4
"""Consecutive words of the question a sentence must say in order to restate it (`restates`)."""


def _words(text: str) -> list[str]:
    """The words of a text as written, a name with hyphens one word (`term_lookup.WORD`: "gNB-CU-UP"),
    stopwords left out: `terms` cuts names at hyphens and stems words to five letters, so "the connectivity
    between a gNB-CU-UP and a gNB-DU" would say "connects a gNB-CU and a gNB-DU"."""
    return [w for w in WORD.findall(strip_citations(text)) if w.lower() not in STOPWORDS]


def restates(question: str, sentence: str, run: int = RESTATED_TERMS) -> bool:
    """Whether `sentence` names something the question asks for, then says the question's predicate in its
    words: the question's last `run` words (see `_words`, plurals as singulars), in order, after a name the
    question does not have (`terms`' key terms): "The PCF is responsible for delivery of UE policy." for
    "Which network function is responsible for delivery of UE policy?" (TS 23.503 §6.1.2.2.1, the third
    source, which the answer did not read: it quoted the Definitions clause's "UE policy information" entry).
    Saying the question's words is not enough: "In NG-Flex configuration, each NG-RAN node is connected to all
    AMFs of AMF Sets ... except A-IoT only supporting NG-RAN node" led the answer to "By which interface is an
    NG-RAN node connected to the AMF?", and names no interface."""
    asked, said = _words(question), _words(sentence)
    end = tuple(singular(w) for w in asked[-run:])
    folded = [singular(w) for w in said]
    known = _key_terms(question)
    return len(asked) >= run and any(
        tuple(folded[i:i + run]) == end and bool(_key_terms(" ".join(said[:i])) - known)
        for i in range(len(said) - run + 1))


def _key_terms(text: str) -> set[str]:
    """A text's key terms (`terms`), plurals as their singular ("AMFs" names the AMF)."""
    return {singular(k) for k in terms(text)[1]}


class GroundingSession:
    """Checks one answer as it streams in. `hits` are the prompt's documents, numbered from 1."""

    def __init__(self, question: str, hits: list, scorer: SupportScorer | None = None,
                 config: GroundingConfig | None = None, abbreviations: dict[str, str] | None = None):
        self.question = question
        # "What is X?" / "What does X stand for?": X's glossary line leads; `abbreviations` (the index's
        # table) give X's other name, under which a spec may define it (`term_lookup.with_alias`)
        self._abbreviations = abbreviations or {}
        self.asked = with_alias(asked_term(question), self._abbreviations)
        # "What is the difference between the MCG and the SCG?": each one's definition leads (`_pair_lead`)
        self.pair = asked_pair(question)
        self.condition = asked_condition(question)  # "What does the MAC entity do when X?": X's step leads
        # "When does the MAC entity stop the ra-ResponseWindow?": the sentence stating that event leads
        self.event = None if self.condition else asked_event(question)
        # what a first quote must name, where the question asks no term: the condition or the event's object
        self._named = self.condition or (self.event.object if self.event else "")
        # the condition as asked and as a spec may write it, its full names abbreviated or spelled out
        # (`term_lookup.other_forms`: "After RLF is declared, the UE: ..." for "upon radio link failure")
        self._conditions = ([self.condition, *other_forms(self.condition, self._abbreviations)]
                            if self.condition else [])
        # the event's object likewise ("a Buffer Status Report": "A BSR shall be triggered if ..."), where it
        # names one as asked ("the Random Access procedure" has no key term, and "The Random Access procedure
        # described in this clause is initiated by ..." does not write it "RA")
        self._events = event_forms(self.event, self._abbreviations) if self.event else []
        named = self._conditions or [event.object for event in self._events if terms(self._named)[1]]
        self._named_keys = set().union(*(terms(form)[1] for form in named or [self._named]))
        self.interfaces = asked_interfaces(question)  # "Which node terminates the NG-U interface?": {"ng-u"}
        # "Which reference point connects the AMF and the SMF?": the line naming both ends after "between"
        self.link = asked_link(question, abbreviations)
        # "Which network function allocates the UE IP address?": the list or sentence naming who does it
        self.owner = asked_owner(question)
        # "Which message does the UE send to request an RRC connection?": the step in which it sends it
        self.message = asked_message(question)
        self.counted = asked_count(question)  # "How many REGs ...?": a sentence giving their number leads
        self.manner = asked_manner(question)  # "How is a QoS Flow identified?": "A QoS flow is identified"
        # "What does the target gNB send to the source gNB after admission control?": the flow's next step
        after = ASKS_AFTER.search(question)
        self._after_terms = set(terms(after["event"])[0]) if after else set()
        self._following: set[str] = set()  # those next steps (`_next_steps`), once ranked
        self._purposes: set[str] = set()  # what "this procedure" is for in a clause about the asked one
        self._asked_cases = special_cases(question)  # the special cases it asks about ("sidelink", ...)
        self.hits = hits
        self.scorer = scorer or SupportScorer()
        self.config = config or GroundingConfig()
        self.roles = default_role_checker() if self.config.role_check else None
        self.mode = ("unchecked" if self.config.unsupported == "keep" else "generated") if hits else "idk"
        self.shown: list[Checked] = []
        self.dropped: list[Checked] = []
        self._text = ""
        self._done = 0  # sentences of _text already checked
        self._held: list[Checked] = []  # checked, waiting until enough supported text exists
        self._released = False
        self._supported_chars = 0
        self._seen: set[tuple[str, ...]] = set()
        self._in_sources = False
        self._earlier: list[tuple[str, ...]] = []
        self._dropped_in_row = 0
        self.gave_up = False
        self.abstained = False
        self._chunk_sentences: dict[int, list[str]] = {}
        self._chunk_evidence: dict[int, list[str]] = {}
        self._chunk_quotable: dict[int, list[str]] = {}  # `_quotable`, read by the lead, ranking and fallback
        self._ranked: list[tuple[bool, float, int, int, str]] | None = None
        self._lead_grams: set[tuple[str, ...]] = set()
        self._lead_at: tuple[int, int] | None = None  # (chunk n, index among its quotable sentences)
        self._question_terms: set[str] | None = None

    # -- evidence

    def sentences_of(self, n: int) -> list[str]:
        """Sentences of the n-th document (1-based), headings, "Spec:" lines and instruction-like text
        left out (what the model never saw is neither evidence nor quoted), references to other documents
        as the prompt shows them (`plain_references`: "TS 38.331", not "TS 38.331 [3]")."""
        if n not in self._chunk_sentences:
            self._chunk_sentences[n] = self._split(n)
        return self._chunk_sentences[n]

    def evidence_of(self, n: int) -> list[str]:
        """What a claim citing the n-th document is checked against: its sentences (`sentences_of`) and each
        step cut off a long procedure as the spec writes it, without the conditions repeated before it. A
        quote continuing one that showed them ("… 3>start or restart retxBSR-Timer.") is checked against the
        words it shows; against the whole unit it scored 0.86, under the threshold."""
        if n not in self._chunk_evidence:
            quoted = self.sentences_of(n)
            known = set(quoted)
            cut_off = [s for s in self._split(n, repeat_heads=False) if s not in known]
            self._chunk_evidence[n] = quoted + cut_off
        return self._chunk_evidence[n]

    def _split(self, n: int, repeat_heads: bool = True) -> list[str]:
        """The filtered sentences of the n-th document (see `sentences_of`)."""
        text = plain_references(_hit_fields(self.hits[n - 1])[0])
        # an Abbreviations clause is one entry a line, without a full stop: its line breaks end them
        listed = self._listed(n)
        if listed:
            text = entries_apart(text)
        elif self._glossary(n):
            text = definitions_apart(text)
        split = split_sentences(text, soft_wraps=True, repeat_heads=repeat_heads, clip_items=True)
        sentences = [s.strip("| ") for s in split  # a table row's edges
                     if not s.startswith(("#", "Spec:")) and len(terms(s)[0]) >= 2 and sanitize(s) == s]
        if listed and self.asked:
            sentences = [spaced(s, self.asked.term) for s in sentences]
        return with_first_heading_prose(sentences)

    def _title(self, n: int) -> str:
        return (getattr(self.hits[n - 1], "metadata", {}) or {}).get("title") or ""

    def _listed(self, n: int) -> bool:
        """Whether the n-th document is an Abbreviations clause (one entry a line)."""
        return bool(ABBREVIATION_TITLE.search(self._title(n)))

    def _glossary(self, n: int) -> bool:
        """Whether the n-th document is a clause that defines terms (Definitions, Abbreviations, ...): a
        "name: text" line elsewhere ("sl-PRS-Config: ...") is no glossary entry."""
        return bool(GLOSSARY_TITLE.search(self._title(n)))

    def _header(self, n: int) -> str:
        """What the prompt shows above document n: its citation and title (a claim may name them)."""
        hit = self.hits[n - 1]
        return f"{getattr(hit, 'citation', '')} {(getattr(hit, 'metadata', {}) or {}).get('title') or ''}"

    # -- streaming interface

    def lead(self) -> str:
        """The answer's first sentence, before any generation: the top clause's sentence that best answers
        the question, quoted verbatim with its [n] (origin "lead"). Empty when the config has no lead, the
        session only reports ("keep"), nothing was retrieved, or something is already shown."""
        if not self.config.lead or self.mode != "generated" or self.shown:
            return ""
        if self.pair and (lead := self._pair_lead()):
            return lead
        ranked = self._quotes()
        if len(self.hits) > 1 and self._names_list(1):  # a glossary ranked first: the next clause competes
            ranked = self._rank([1, 2])
        if not ranked or not self._names_asked(ranked[0][4]):
            return ""
        _, _, n, i, sentence = ranked[0]
        return self._lead_quote(n, i, sentence)

    def _lead_quote(self, n: int, i: int, sentence: str) -> str:
        """Quote `sentence` (the i-th quotable one of source n) as (part of) the lead, and remember it: what
        follows it (`after_lead`) and that the model must not repeat it."""
        self._lead_at = (n, i)
        grams = set(ngrams(sentence, self.config.ngram))
        self._lead_grams |= grams
        self._seen.update(grams)  # the model copying the quote would show it twice: "repeated"
        self._earlier.append(tuple(re.findall(r"\w+", sentence.lower())))
        return self._quote(n, sentence, "lead")

    def _pair_lead(self) -> str:
        """The lead of a question asking how two things differ (`asked_pair`): what each one is, as "What is
        X?" would lead on these sources, the first term's first, where that lead says what it is
        (`says_what_it_is`); "" where it says so of neither (then the question leads as any other)."""
        quotes = []
        for term in self.pair:
            single = GroundingSession(f"What is {term.term}?", self.hits, self.scorer, self.config,
                                      self._abbreviations)
            if not single.lead() or single._lead_at is None:
                continue
            n, i = single._lead_at
            sentence = single._quotable(n)[i]
            # only what says what the term is: "What is an SCell?" on sources defining none was led by "For
            # carrier aggregation of cells with unaligned frame boundaries, the slot offset ... between a
            # PCell/PScell and an SCell is determined by ...", which says nothing of how the two differ
            if not says_what_it_is(sentence, single.asked) or any(sentence in quote for quote in quotes):
                continue
            quotes.append(self._lead_quote(n, i, sentence))
        return "".join(quotes)  # `_show` spaces each quote after the first

    def after_lead(self) -> str:
        """The quotable sentence that follows the lead in its source, with its [n] ("" when the lead was not
        quoted or ends its source): what the reading adapter is trained to write after a lead that already
        states the fact (`telecomgpt data build-sft --rag`)."""
        if self._lead_at is None:
            return ""
        n, i = self._lead_at
        quotable = self._quotable(n)
        return f"{quotable[i + 1]} [{n}]" if i + 1 < len(quotable) else ""

    def prime(self) -> None:
        """Embed every evidence sentence now (the pipeline calls this before it asks the model), so the
        check of each generated sentence finds its embeddings cached."""
        embed_texts([s for n in range(1, len(self.hits) + 1) for s in self.evidence_of(n)])

    def feed(self, piece: str) -> str:
        """Add generated text; return what may be shown now."""
        self._text += piece
        sentences = split_sentences(self._text)
        out = [self._check(s) for s in sentences[self._done:-1] if not self.gave_up]
        self._done = max(self._done, len(sentences) - 1)
        return "".join(out)

    def finish(self, truncated: bool = False) -> str:
        """End of generation: check the last sentence, fall back to extractive if needed; the rest to show.
        `truncated`: the generation hit its token limit, so an unfinished last sentence is dropped."""
        return "".join(self.finish_pieces(truncated))

    def finish_pieces(self, truncated: bool = False) -> list[str]:
        """`finish()` as one piece per sentence (a stream sends them one by one)."""
        sentences = split_sentences(self._text)
        last = sentences[-1] if len(sentences) > self._done else None
        if last is not None and truncated and not ENDS_SENTENCE.search(last):
            sentences.pop()
            self.dropped.append(Checked(last, citations_of(last), 0.0, False, reason="incomplete"))
        pieces = [self._check(s) for s in sentences[self._done:] if not self.gave_up]
        self._done = len(sentences)
        if self.mode in ("idk", "unchecked") or self._released or self.abstained:
            return [p for p in pieces if p]
        if self._supported_chars >= self.config.min_chars:
            return [p for p in [*pieces, self._release()] if p]
        self.mode = "extractive"
        self.dropped.extend(Checked(c.text, c.citations, c.support, c.supported,
                                    reason="too_little_supported")
                            for c in self._held)
        self._held = []
        quotes = [p for p in [*pieces, *self._extractive()] if p]
        if not self.shown:  # nothing checked, nothing worth quoting: say so rather than show an empty answer
            self.abstained = True
            return [self._show(Checked(NOT_IN_SOURCES, [], 0.0, True, origin="abstention"))]
        return quotes

    def check_all(self, text: str, truncated: bool = False) -> str:
        """The whole checked answer of a finished generation."""
        return self.feed(text) + self.finish(truncated)

    def result(self) -> dict:
        """The API's `grounding` field."""
        return {"mode": self.mode, "threshold": self.config.threshold, "unsupported": self.config.unsupported,
                "abstained": self.abstained, "sentences": [c.to_dict() for c in self.shown],
                "dropped": [c.to_dict() for c in self.dropped]}

    @property
    def text(self) -> str:
        return " ".join(c.text for c in self.shown)

    # -- internals

    def _show(self, checked: Checked) -> str:
        prefix = " " if self.shown else ""
        self.shown.append(checked)
        return prefix + checked.text

    def _release(self) -> str:
        self._released = True
        out = "".join(self._show(c) for c in self._held)
        self._held = []
        return out

    def _check(self, sentence: str) -> str:
        checked = self.check_sentence(sentence)
        if self.config.unsupported == "keep":  # report only: show the generation as it is
            self._released = True
            return self._show(Checked(sentence, checked.citations, checked.support, checked.supported,
                                      evidence=checked.evidence))
        if checked.reason:
            self.dropped.append(checked)
            if checked.reason in ("unsupported", "repeated"):
                self._dropped_in_row += 1
                self.gave_up = self._dropped_in_row >= self.config.stop_after_dropped
            return ""
        self._dropped_in_row = 0
        if checked.origin == "abstention":  # no claim to check, and no quotes after it: show it now
            self.abstained = True
            return self._release() + self._show(checked)
        if checked.supported:
            self._supported_chars += len(strip_citations(checked.text))
        if self._released:
            return self._show(checked)
        self._held.append(checked)
        if self._supported_chars >= self.config.min_chars:
            return self._release()
        return ""

    def check_sentence(self, sentence: str) -> Checked:
        """One generated sentence: repeated, a sources list, no claim, or scored against its citations."""
        sentence = LABEL.sub("", sentence)
        cited = citations_of(sentence)
        if re.match(r"^\W*(?:sources?|references?)\s*:", sentence, re.I):
            self._in_sources = True
        if self._in_sources:
            return Checked(sentence, cited, 0.0, False, reason="sources_list")
        grams = ngrams(sentence, self.config.ngram)
        repeated = len(set(grams)) < len(grams) or any(g in self._seen for g in grams)
        words = tuple(re.findall(r"\w+", strip_citations(sentence).lower()))
        if not grams and len(words) >= 3:  # a short sentence: repeated when an earlier one contains it
            repeated = any(_contains(earlier, words) for earlier in self._earlier)
        self._earlier.append(words)
        self._seen.update(grams)
        if repeated:
            return Checked(sentence, cited, 0.0, False, reason="repeated")
        claim = LIST_MARK.sub("", strip_citations(sentence))
        if echoes_instructions(claim):
            return Checked(sentence, cited, 0.0, False, reason="no_claim")
        if abstains(claim):
            return Checked(sentence, [], 0.0, True, origin="abstention")
        content = terms(claim)[0]
        if len(content) < 2 or META.search(claim) or claim.rstrip().endswith(":") or self._echoes(content):
            return Checked(sentence, cited, 0.0, False, reason="no_claim")
        if not self.hits:
            return Checked(sentence, cited, 0.0, False, reason="unsupported")
        valid = [n for n in cited if 1 <= n <= len(self.hits)]
        candidates = valid or list(range(1, len(self.hits) + 1))
        best: tuple[float, int, str] = (0.0, candidates[0], "")
        if valid:  # judged against the cited chunks together (a claim may join two of them)
            evidence = [s for n in valid for s in self.evidence_of(n)]
            header = " ".join(self._header(n) for n in valid)
            score, sentence_text = self.scorer.score(claim, evidence, context=header)
            owner = (next(n for n in valid if sentence_text in self.evidence_of(n)) if sentence_text
                     else valid[0])
            best = (score, owner, sentence_text)
        else:  # uncited: the best single chunk
            for n in candidates:
                score, sentence_text = self.scorer.score(claim, self.evidence_of(n), context=self._header(n))
                if score > best[0]:
                    best = (score, n, sentence_text)
        score, n, evidence_sentence = best
        supported = score >= self.config.threshold and (self.roles is None
                                                        or self.roles.agrees(claim, evidence_sentence))
        text = sentence if valid or not supported else f"{sentence.rstrip()} [{n}]"
        _, chunk_id, citation = _hit_fields(self.hits[n - 1])
        evidence_obj = Evidence(n, chunk_id, citation, evidence_sentence) if evidence_sentence else None
        if not supported:
            if self.config.unsupported == "drop":
                return Checked(sentence, valid, score, False, evidence=evidence_obj, reason="unsupported")
            text = f"(unverified) {sentence}"
        return Checked(text, valid or ([n] if supported else []), score, supported, evidence=evidence_obj)

    def _continues(self, first: tuple[int, int] | None, n: int, i: int) -> bool:
        """Whether quotable sentence i of chunk n is one of the two after the answer's first quote `first`
        (n, i) ("**Roaming:** The ability ... The serving network could be a shared network ..."): it goes
        on about that quote's subject without naming it. In a glossary, only up to the next entry (after
        "**Originating network:** ..." came "**Orthogonal Channel Noise Simulator** a mechanism ...")."""
        if first is None or first[0] != n or not 0 < i - first[1] <= 2:
            return False
        after = self._quotable(n)[first[1] + 1:i + 1]
        return not (self._glossary(n) and any(s.startswith("**") or glossary_entry(s, self._listed(n))
                                              for s in after))

    def _defined_first(self, first: tuple[int, int] | None) -> bool:
        """Whether the answer's first quote `first` (n, i) is a definition line or a glossary entry."""
        if first is None:
            return False
        n, i = first
        return self._entry_terms(n, self._quotable(n)[i]) is not None

    def _entry_terms(self, n: int, sentence: str) -> list[str] | None:
        """The terms `sentence` of source n defines where it is a definition line or a glossary entry
        ("N6:Reference point between the UPF and a Data Network.": ["n6"]; in an Abbreviations clause, "IMS
        IP Multimedia Subsystem": ["ims"]), else None. A procedure's stem ("The MAC entity shall: 1>if
        ...") and a list's ("The following downlink physical channels are defined: -...") define nothing."""
        listed = self._listed(n)  # there, a long line too ("SRES Signed RESponse (authentication value ...)")
        if procedure_steps(sentence) or not (glossary_entry(sentence, listed)
                                             or (listed and not sentence.rstrip().endswith("."))):
            return None
        own = line_terms(sentence) or [normalize_term(sentence.split()[0])]
        if own[0] and _STATES.search(own[0]):  # a list's stem with its first item: the item's term
            # ("The 5G System Architecture contains the following reference points: N1:Reference point ...")
            own = line_terms(sentence.split(":", 1)[1]) if ANNOUNCES_LIST.search(sentence) else []
        if not own or not own[0] or len(own[0].split()) > MAX_TERM_WORDS or _STATES.search(own[0]):
            return None
        return own

    def _defines_unasked(self, n: int, sentence: str) -> bool:
        """Whether `sentence` of source n is the definition line (or glossary entry) of a term the question
        does not name: beside a first quote that defines, it defines the thing next to it in the list, which
        nobody asked about ("N6:Reference point between the UPF and a Data Network." after "N3:Reference
        point between the (R)AN and the UPF." for "What is the N3 interface?"; "MCG SRB: in MR-DC, a direct
        SRB between the MN and the UE." beside the MN and SN terminated bearers' lines)."""
        own = self._entry_terms(n, sentence)
        if own is None or (self.link and links(sentence, self.link)):  # "N19:Reference point between two UPFs
            return False  # for direct routing ..." beside N9's line for the reference point between two UPFs
        asked = set(WORD.findall(normalize_term(self.question)))
        return not any(set(WORD.findall(term)) <= asked for term in own if term)

    def _on_subject(self, sentence: str) -> bool:
        """Whether a quote beside the answer's first is about what was asked: it names the asked term
        closely (`term_lookup.names`: "What is a network slice?" was shown "The network sends RRCRelease
        ..." beside its answer; "What is the master node in MR-DC?" "The IAB-node does not support ..."),
        or two content words of the question ("The main services and functions of SDAP include: ..." for
        "What are the main functions of the SDAP sublayer?"); for other questions, one."""
        shared = self._question_words() & set(terms(sentence)[0])  # terms() reads past the [n]
        if self.asked:
            return names(sentence, self.asked, closely=True) or len(shared) >= 2
        return bool(shared)

    def _question_words(self) -> set[str]:
        """The question's content terms (stemmed, app/sentences.py)."""
        if self._question_terms is None:
            self._question_terms = set(terms(self.question)[0])
        return self._question_terms

    def _echoes(self, content: list[str]) -> bool:
        """Whether a claim only repeats the question's words ("The definition of peak bit rate is"): it
        is easily "supported" by a clause that names the topic, and tells the reader nothing."""
        return bool(self._question_words()) and set(content) <= self._question_words()

    def _quotes(self) -> list[tuple[bool, float, int, int, str]]:
        """Sentences of the top chunks that could be quoted, best answer to the question first:
        (informative, score, n, index in chunk, sentence); score = cosine to the question + 0.5 x share of
        its words; informative quotes (see `GroundingConfig.informative_terms`) rank first."""
        if self._ranked is None:
            reader = self._reader()
            chunks: list[int] = []
            quotable = 0  # sentences the chunks taken so far offer
            for n in range(1, len(self.hits) + 1):
                # without a reader, the top clause alone unless too little (see extractive_chunks); past
                # them, the next source only while nothing is quotable (a procedure that repeats its own
                # conditions is not; "What is PREAMBLE_TRANSMISSION_COUNTER?" then had no answer at all)
                if (reader is None and quotable >= 2) or (n > self.config.extractive_chunks and quotable):
                    break
                chunks.append(n)
                quotable += len(self._quotable(n))
            # a source further down whose clause title names the question's topic, or with a sentence that
            # restates the question or names the interface it asks about ("NG-U"), is read as well
            chunks += [n for n in range(len(chunks) + 1, len(self.hits) + 1)
                       if titled_by(self.question, self._title(n)) or any(
                           restates(self.question, sentence) or self.interfaces & hyphenated_names(sentence)
                           for sentence in self._quotable(n))]
            # where every clause read is a special case the question does not ask about ("8.23.3 Mobile
            # IAB-DU migration procedure", "8.12.2 NSA IAB Integration procedure" for the purpose of the F1
            # Setup procedure), the first general source further down is read as well ("8.5 F1 Startup and
            # cells activation": "1. The gNB-DU sends an F1 SETUP REQUEST message to the gNB-CU ...")
            if all(self._special_clause(n) for n in chunks):
                chunks += [n for n in range(1, len(self.hits) + 1)
                           if n not in chunks and not self._special_clause(n)][:1]
            self._ranked = self._rank(chunks)
        return self._ranked

    def _reader(self):
        return default_reader() if self.config.reader else None

    def _quotable(self, n: int) -> list[str]:
        """Sentences of chunk n that may be quoted: no lead-ins (ending in ":"), none that repeats one of
        its own 8-grams (a spec repeating itself would read as a loop, and no answer may show one; of a list
        unit, the prefix before the repeat: `without_repeats`; of prose, the clauses before it:
        `before_repeat`), and no
        line without a full stop that only repeats the question's words (a list of borrowed terms,
        "**5GMM-IDLE mode**", names the term asked about and says nothing of it; a sentence that does may
        answer a yes/no question), no bold or italic label (the same list's "**5GMM-CONNECTED mode**" led
        the answer to "What is the definition of 5GMM-IDLE mode over 3GPP access?"), no ASN.1 syntax, none
        whose statement was a formula its source lost (ENDS_IN_LOST_FORMULA) and no table header (a row with
        the "| --- |" rule under it: column names, no fact)."""
        if n in self._chunk_quotable:
            return self._chunk_quotable[n]
        quotable = []
        for sentence in self.sentences_of(n):
            grams = ngrams(sentence, self.config.ngram)
            if len(set(grams)) < len(grams):  # a list's items repeat phrases: the prefix before the repeat
                sentence = (without_repeats(sentence, self.config.ngram)
                            or without_repeated_steps(sentence, self.config.ngram)
                            or before_repeat(sentence, self.config.ngram) or "")
            text = strip_citations(sentence)
            if (sentence and not sentence.endswith(":") and not FIGURE.search(text)
                    and not NAME_LABEL.fullmatch(text) and not ASN1_SYNTAX.search(text)
                    and not ENDS_IN_LOST_FORMULA.search(text)
                    and not TABLE_RULE.search(text)
                    and (text.rstrip().endswith(".") or not self._echoes(terms(text)[0]))):
                quotable.append(sentence)
        self._chunk_quotable[n] = quotable
        return quotable

    def _names_list(self, n: int) -> bool:
        """Whether chunk n is a list of names (abbreviations, short definitions): most of its sentences
        have at most 8 words. It expands a name rather than saying what the thing does."""
        sentences = self._quotable(n)
        return len(sentences) >= 3 and sum(len(s.split()) <= 8 for s in sentences) >= 2 * len(sentences) / 3

    def _rank(self, chunks: list[int]) -> list[tuple[bool, float, int, int, str]]:
        pool = [(n, i, s) for n in chunks for i, s in enumerate(self._quotable(n))]
        order = order_sentences(self.question, [s for _, _, s in pool], self.config.informative_terms,
                                self._reader())
        ranked = [(first, score, n, i, s) for (first, score), (n, i, s) in zip(order, pool, strict=True)]
        # the glossary line of the term asked about ("What is X?", "What does X stand for?") is the answer
        # (app/term_lookup.py); else the reader's order. Stable: ties keep reading order.
        defining = {q[4]: self._sense(q[2], q[4]) for q in ranked if self.asked and defines(q[4], self.asked)}
        prose = self.asked and self.asked.kind == "definition" and any(states_what(q[4], self.asked)
                                                                        for q in ranked)
        if prose:
            # a clause saying what X is defines it better than a line only expanding its name: "How is SS-RSRQ
            # defined?" was answered "SS-RSRQ Synchronization Signal Reference Signal Received Quality"
            defining = {d: sense for d, sense in defining.items() if line_terms(d)}
        if self.asked:  # the entries of other terms answer nothing (see `_answers_nothing`)
            ranked = [q for q in ranked if not self._answers_nothing(q[2], q[4], bool(defining))]
        # only a sentence naming the asked term can expand it, define it or say its role (`_names_asked`):
        # the others come last, quoted only where they go on from the answer's first quote
        naming = {q[4] for q in ranked if self._names_asked(q[4])}
        # where the question names what X has, a sentence naming all of it ("SSC" and "modes" for "What SSC
        # modes does the 5G System support?") before the ones naming X only, after those saying what X is
        # or does ("The AMF forwards SM related NAS information ..." is no list of its NAS-related functions)
        having = {q[4] for q in ranked if self.asked and mentions_wanted(q[4], self.asked, every=True)}
        # of those, one whose subject is a kind of X ("Conditional handover ...") says what the kind is: it
        # comes after the others (`opens_with_kind`)
        kinds = {q[4] for q in ranked if self.asked and self.asked.kind != "abbreviation"
                 and opens_with_kind(q[4], self.asked)}
        if self.asked and self.asked.kind == "abbreviation":  # an entry's neighbours expand other names
            ranked = [q for q in ranked if q[4] in naming]
        # then a sentence whose subject is the asked term ("The AMF terminates NAS signalling ..." before
        # "... the NAS signalling connection between UE and AMF." for "What is the role of the AMF?")
        subject = {q[4] for q in ranked if self.asked and self.asked.kind != "abbreviation"
                   and opens_with(q[4], self.asked)}
        # and of those, one saying what X is or does ("The QoS Flow is the finest granularity ..." before "A
        # QoS Flow ID (QFI) is used to identify a QoS Flow ...")
        stating = {s for s in subject if states_what(s, self.asked)}
        # or "... is called a resource element" (`calls_it`)
        stating |= {q[4] for q in ranked if self.asked and calls_it(q[4], self.asked)}
        # or for what a message holds, the message with its parameters in brackets (`lists_contents`)
        stating |= {q[4] for q in ranked
                    if self.asked and asks_contents(self.question) and lists_contents(q[4], self.asked)}
        # a sentence about a special case the question does not ask about (the sidelink, ambient IoT, IAB,
        # RedCap, ...: SPECIAL_CASES) after the general ones it would otherwise rank with: "The RRC sublayer
        # provides the following services and functions over the PC5 interface" came before its Uu functions
        # for "What are the main functions of the RRC sublayer?", "The main services and functions of A-IoT
        # MAC layer include ..." led "What are the main services and functions of the MAC sublayer?", and
        # an IAB node's "2>report Extended Short BSR" "When does the MAC entity report a Short BSR?"; so does
        # a sentence of a clause titled with the case ("16.9.10 Sidelink CA": "The duplicated PDCP PDUs ...
        # are submitted to two different RLC entities ..." led "What is PDCP duplication?")
        special = {q[4] for q in ranked
                   if special_cases(q[4]) - self._asked_cases or self._special_clause(q[2])}
        # a glossary entry answers what a term is, not who does something, what a node sends, how many, what
        # follows a condition or when an event happens ("**User Equipment (UE):** Allows a user access to
        # network services." led "How many DRBs can be configured for a UE?", "Which network function stores
        # the UE's policy data?" and "What does the UE do in RRC_INACTIVE when it moves outside the RNA?")
        entries = {q[4] for q in ranked
                   if self._glossary(q[2]) and (self.owner or self.message or self.counted or self.condition
                                                or self.event or self.manner
                                                or self._says_nothing_asked(q[2], q[4]))}
        sending = {q[4]: key for q in ranked if self.message and q[4] not in special
                   and (key := sending_closeness(q[4], self._title(q[2]), self.message))}
        # or "The purpose of this procedure is to ..." in a clause about the asked procedure: it names the
        # procedure as "this procedure" ("If UE Configuration Update is only for this purpose, the following
        # steps are skipped." names it and says nothing of what it is for)
        here = self._purposes = {q[4] for q in ranked if self.asked
                and states_purpose_here(q[4], _hit_fields(self.hits[q[2] - 1])[0], self.asked,
                                        self._title(q[2]))}
        stating |= here
        naming |= here
        # then one saying what X does as its job, though X is not the sentence's first subject ("The AMF
        # terminates NAS signalling ...; the SMF manages PDU sessions ..." for "What does the SMF do?")
        role = {q[4] for q in ranked if self.asked and says_role(q[4], self.asked)}
        # "What does the MAC entity do when X?": the procedure step testing X, with its actions, or a
        # sentence of prose opening with X ("If T310 expires, ..., the UE declares radio link failure")
        # "When does X <verb> Y?": a sentence stating the event ("A BSR shall be triggered if ...")
        testing = self._testing([q[4] for q in ranked]) if self.condition or self.event else {}
        # then the sentences of a clause whose title names the question's topic ("RRC connection
        # establishment" for "What does the UE send to start RRC connection establishment?"): read in its
        # clause, "The UE sends RRCSetupRequest on SRB0 ..." answers; the reader sees sentences alone
        topical = {n for n in chunks if titled_by(self.question, self._title(n))}  # (read past the first two)
        # before them, a sentence restating the question ("The PCF is responsible for delivery of UE policy.")
        restating = {q[4] for q in ranked if restates(self.question, q[4])}
        # and before both, a sentence naming the interface the question asks about ("NG-U: user plane
        # interface between NG-RAN and 5GC." for "Which node terminates the NG-U interface?", not the ng-eNB's
        # entry beside it; not "NG-RAN" for "an NG-RAN node", which most answering sentences call a gNB)
        unnamed = {q[4] for q in ranked if self.interfaces and not self.interfaces & hyphenated_names(q[4])}
        # a sentence whose source lost a formula after another source's whole statement (`lost_formulas`)
        lost = lost_formulas([q[4] for q in ranked])
        # for what a term is or does, a procedure piece with an "else" whose "if" it does not show
        # (`orphan_else`) comes late: read alone it says nothing ("2>if the PDCCH indicates a UL
        # transmission: 3>else: 4>else: 5>start the drx-HARQ-RTT-TimerUL ..." led "What is the purpose of
        # DRX?"). Not for what a procedure does when or whether: there such a piece holds the actions asked
        # for ("4>else: 5>notify RRC to release PUCCH for all Serving Cells; ..." when the timeAlignmentTimer
        # expires, "1>else: 2>if more than one LCG has data ...: 3>report Long BSR ...")
        orphans = {q[4] for q in ranked if self.asked and orphan_else(q[4])}
        # for what a term is, any procedure step comes after prose: "1>if drx-ShortCycleTimer for a DRX group
        # expires: 2>use the Long DRX cycle for this DRX group." led "What is a DRX cycle?"
        steps = {q[4] for q in ranked
                 if self.asked and self.asked.kind == "definition" and procedure_steps(q[4])}
        # a sentence saying only how a thing is marked or where it is described, unless that is asked: "The
        # Timing Advance Command MAC CE is identified by MAC subheader with LCID as specified in Table
        # 6.2.1-1." led what that MAC CE is used for, above its field "used to control the amount of timing
        # adjustment"; "The 5G System supports different SSC modes defined in this clause." led which
        # modes it supports, above the list of the three
        marking = {q[4] for q in ranked if SAYS_WHERE.search(q[4]) and not ASKS_WHERE.search(self.question)}
        # "Which reference point connects the AMF and the SMF?": "N11: Reference point between the AMF and
        # the SMF." before the list's other lines, which name one of the two as often
        linking = {q[4] for q in ranked if self.link and links(q[4], self.link)}
        following = self._following = self._next_steps(chunks) if self._after_terms else set()
        counting = {q[4] for q in ranked if self.counted and states_count(q[4], self.counted)}
        doing = {q[4] for q in ranked if self.manner and states_manner(q[4], self.manner)}
        owning = {q[4] for q in ranked if self.owner and owns(q[4], self.owner)}
        # in each tier, a NOTE (informative: an exception, a reminder) after the normative text: "NOTE 2: If
        # the UP function supports the SSET feature ..." led the answer to why a PFCP entity sends a
        # Heartbeat Request, ahead of its clause's "... to find out if the peer PFCP entity is alive"
        ranked.sort(key=lambda q: (q[4] not in linking, q[4] not in owning, -sending.get(q[4], 0),
                                   q[4] not in following,
                                   q[4] not in counting, q[4] not in doing,
                                   q[4] not in defining,
                                   -defining.get(q[4], 0), q[4] not in naming, q[4] in kinds, q[4] in special,
                                   q[4] in entries,
                                   q[4] in marking,
                                   q[4] not in stating, q[4] not in role, q[4] not in having,
                                   q[4] not in subject, q[4] in lost,
                                   testing.get(q[4], len(testing) + 1), q[4] in orphans, q[4] in steps,
                                   q[4] in unnamed,
                                   q[4] not in restating, q[2] not in topical, bool(NOTE.match(q[4])), -q[0],
                                   -q[1]))
        return ranked

    def _special_clause(self, n: int) -> bool:
        """Whether source n's clause title names a special case the question does not ask about ("16.9.10
        Sidelink CA", "8.23.3 Mobile IAB-DU migration procedure"; `term_lookup.special_cases`)."""
        return bool(special_cases(self._title(n)) - self._asked_cases)

    def _next_steps(self, chunks: list[int]) -> set[str]:
        """The call-flow steps right after a step naming what the question says came before (`ASKS_AFTER`):
        TS 38.300 §9.2.3.2.1's "4.Admission Control may be performed by the target gNB." is followed by
        "5.The target gNB prepares the handover with L1/L2 and sends the HANDOVER REQUEST ACKNOWLEDGE to the
        source gNB, ...", which answers what the target gNB sends after admission control; step 4 led."""
        following = set()
        for n in chunks:
            flow = [(match, s) for s in self._quotable(n) if (match := FLOW_STEP.match(s))]
            for (match, sentence), (later, step) in zip(flow, flow[1:], strict=False):
                if (self._after_terms <= set(terms(sentence)[0])
                        and int(later["number"]) in (int(match["number"]), int(match["number"]) + 1)):
                    following.add(step)
        return following

    def _testing(self, sentences: list[str]) -> dict[str, int]:
        """The sentences that test the asked condition, each with its place (0 first): a procedure step
        testing it (`step_closeness`) or prose opening with it (`opens_with_condition`). Steps that test it
        less closely than the closest one come after it: for "What does the MAC entity do when it has no
        valid PUCCH resource configured for a pending SR?" the step "1>if the MAC entity has no valid PUCCH
        resource configured for the pending SR" with its action, not the "1>else" branch nested under which
        "2>when the MAC entity has an SR transmission occasion on the valid PUCCH resource" also names
        most of the condition's words. For when an event happens, the sentences stating it
        (`event_closeness`): first where it is what its line says, prose and outer steps first, then where its
        line tests it."""
        # a step cut off a long procedure opens with the conditions of the piece before it (`split_sentences`
        # repeats them): tested as closely, it comes after that piece, which holds the first actions
        opened: set[str] = set()
        later: set[str] = set()
        for sentence in sentences:  # in reading order
            parts = procedure_steps(sentence)
            if parts:
                if parts[0] in opened:
                    later.add(sentence)
                opened.add(parts[0])
        if self.event:
            stating = {s: closest_event(s, self._events) for s in sentences}
            order = sorted({key for key in stating.values() if key is not None})
            return {s: order.index(key) + 0.5 * (s in later) for s, key in stating.items() if key is not None}
        closeness = {s: max((key for form in self._conditions
                             if (key := step_closeness(s, form)) is not None), default=None)
                     for s in sentences}
        keys = sorted({key for key in closeness.values() if key is not None}, reverse=True)
        return {s: (keys.index(key) if key is not None else 0) + 0.5 * (s in later)
                for s, key in closeness.items()
                if key is not None or any(opens_with_condition(s, form, one_name=form != self.condition)
                                          for form in self._conditions)}

    def _names_asked(self, sentence: str) -> bool:
        """Whether `sentence` may be the answer's first: any, unless the question asks about a term; then
        its defining line or a sentence naming it. Where no source names it, a sentence on another subject
        is no answer ("What is the ra-ResponseWindow?" on notes without it was answered "Acknowledged mode
        (AM) adds ARQ ..."). Likewise for what happens when a condition holds, a sentence naming one of the
        condition's key terms (timer, message, identifier): "What does the UE do when T310 expires?" on
        specs without T310 was answered "**User Equipment (UE):** Allows a user access to network
        services."; and for when an event happens, one of its object's ("When does the UE start timer T300?"
        on specs without T300 was answered with another timer's expiry). A name written with a hyphen counts
        whole: "drx-InactivityTimer" does not name the bwp-InactivityTimer. The step after one naming what
        the question says came before may, though it names neither (`_next_steps`), and so may what "this
        procedure" is for in a clause titled with the asked one (`term_lookup.states_purpose_here`: TS 38.401
        §8.2.1.1 "Inter-gNB-DU Mobility", "This procedure is used for the case when the UE moves from one
        gNB-DU to another gNB-DU within the same gNB-CU ...", was answered "I don't know")."""
        if sentence in self._following | self._purposes:
            return True
        if self.asked:  # or a list of all that the question asks X has, X left unsaid ("What SSC modes does
            # the 5G System support?": "The following three modes are specified ...: -With SSC mode 1, ...",
            # not "The support for session and service continuity in 5G System architecture enables ...")
            return (defines(sentence, self.asked) or names(sentence, self.asked)
                    or (mentions_wanted(sentence, self.asked, every=True)
                        and bool(ANNOUNCES_LIST.search(sentence))))
        if not self._named_keys:
            return True
        hyphenated = hyphenated_names(self._named)
        return (bool(self._named_keys & set(terms(sentence)[1]))
                and (not hyphenated or bool(hyphenated & hyphenated_names(sentence))))

    def _says_nothing_asked(self, n: int, sentence: str) -> bool:
        """Whether, for a question asking no term, a glossary entry of source n shares none of the question's
        words but its own term's: "**User Equipment (UE):** Allows a user access to network services." led
        "How does the UE obtain system information?" (the question's subject is all it names); "NG-U: user
        plane interface between NG-RAN and 5GC." answers "Which node terminates the NG-U interface?"."""
        if self.asked or not glossary_entry(sentence, self._listed(n)):
            return False
        own = set(terms(" ".join(line_terms(sentence)))[0])
        return not (set(terms(self.question)[0]) - own) & (set(terms(sentence)[0]) - own)

    def _answers_nothing(self, n: int, sentence: str, defined: bool) -> bool:
        """Whether a glossary line of source n is another term's entry that cannot answer what the asked
        term means: beside the asked term's own line (`defined`), any other entry ("What is a Node B?" shown
        "**Network termination:** ..."); where no source has that line, an entry that does not even name the
        term (the starter index has no IMS line, and "What does the abbreviation IMS stand for?" was led by
        "5QI: 5G QoS Identifier"). An entry naming it, every word of it, may still say what it belongs to
        ("P-CSCF ... of the IMS"); one naming a word of it is another thing ("**User Equipment (UE):** Allows
        a user access to network services." led "What is the purpose of UE capability transfer?")."""
        return (self._glossary(n) and defines_another(sentence, self.asked, self._listed(n))
                and (defined or not names(sentence, self.asked, closely=True)))

    def _sense(self, n: int, sentence: str) -> int:
        """How many of a glossary line's words the other sources use: of two lines expanding one
        abbreviation, the sense the rest of the retrieved text is about ("AMF Access and Mobility
        Management Function" beside clauses of TS 23.501, not "AMF Authentication Management Field")."""
        others = " ".join(_hit_fields(h)[0] for i, h in enumerate(self.hits, 1) if i != n).lower()
        return sum(word in others for word in set(terms(sentence)[0]))

    def _quote(self, n: int, sentence: str, origin: str) -> str:
        _, chunk_id, citation = _hit_fields(self.hits[n - 1])
        support, _ = self.scorer.score(sentence, [sentence])
        return self._show(Checked(f"{sentence} [{n}]", [n], support, True, origin=origin,
                                  evidence=Evidence(n, chunk_id, citation, sentence)))

    def _extractive(self) -> list[str]:
        """Quote the sentences of the top chunks that best answer the question, each with its [n]: at most
        `extractive_sentences` / `extractive_chars` (the lead counts), never the lead again, none that names
        no content term of the question unless it continues the lead (after "PSCell: SpCell of a secondary
        cell group." the next source's "The physical layer offers information transfer services ..." was
        quoted). Without a lead (mode "extractive") the best quote comes first, as the lead would ("What
        does the UE do when the dataInactivityTimer expires?" opened with the clause's first sentence, "The UE
        may be configured by RRC with a Data inactivity monitoring functionality ...", and showed the action
        fourth); the others follow in reading order."""
        quoted = {c.evidence.sentence for c in self.shown if c.origin == "lead" and c.evidence}
        chosen, size, seen = [], sum(len(s) for s in quoted), set(self._lead_grams)
        first = self._lead_at  # the answer's first quote: the lead, else the best quote below
        defined = self._defined_first(first)
        for _, _, n, i, sentence in self._quotes():
            if len(chosen) + len(quoted) == self.config.extractive_sentences:
                break
            # a sentence is said once, however often its text appears ("- use the Long DRX cycle." ends three
            # branches of one LTE procedure; too short for the 8-gram check below)
            if sentence in quoted or any(sentence == c[2] for c in chosen):
                continue
            if chosen or quoted:  # beside the answer's first quote, a quote on another subject misleads
                if not (self._on_subject(sentence) or self._continues(first, n, i)):
                    continue
                if defined and self._defines_unasked(n, sentence):
                    continue
            elif not self._names_asked(sentence):
                break  # ranked last: nothing left names what was asked
            grams = ngrams(sentence, self.config.ngram)
            if seen.intersection(grams):
                # a step cut off a procedure repeats the conditions a quote above showed: its new steps
                # after an ellipsis; else the same boilerplate in two chunks, whose repeat would show twice
                sentence = after_shown_steps(sentence, seen, self.config.ngram)
                if sentence is None:
                    continue
                grams = ngrams(sentence, self.config.ngram)
            if len(set(grams)) < len(grams) or (
                    (chosen or quoted) and size + len(sentence) > self.config.extractive_chars):
                continue
            seen.update(grams)
            if first is None:
                first, defined = (n, i), self._defined_first((n, i))
            chosen.append((n, i, sentence))
            size += len(sentence)
        # reading order (by source, then within it), after the answer's first quote: the lead, else the best
        # one chosen here (the asked term's defining line ranks first where one is quoted)
        best = chosen[0] if chosen and not quoted else None
        chosen.sort(key=lambda c: (c is not best, c[0], c[1]))
        return [self._quote(n, sentence, "extractive") for n, _, sentence in chosen]
