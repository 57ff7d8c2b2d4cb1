"""Grounded answers: every sentence of a generated answer is checked against the clause it cites.

The model is asked for inline [n] markers. Its answer is split into sentences; each one is scored
against the sentences of the chunk(s) it cites (or, when it cites nothing valid, of every chunk in
the prompt) by a `SupportScorer`. Unsupported sentences are dropped (or shown marked as unverified,
`unsupported="mark"`), sentences that repeat an 8-gram of the answer are dropped (a looping model),
and when too little supported text survives the answer becomes *extractive*: the sentences of the
top clauses that best answer the question, quoted verbatim with their [n].

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
      "threshold": 0.84,            # support score at or above which a sentence counts as supported
      "unsupported": "drop" | "mark" | "keep",
      "sentences": [                # what is shown, in order (the answer text is these joined by " ")
        {"text": "In RRC_INACTIVE the RRC connection is suspended [1].",
         "citations": [1],          # source numbers n (1-based, as in `sources`)
         "support": 0.93,           # SupportScorer score against the cited chunk(s), 0..1
         "supported": true,         # false only with unsupported="mark" ("(unverified) …") or "keep"
         "origin": "generated" | "extractive",
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
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Literal

import numpy as np

SUPPORT_THRESHOLD = 0.84
"""Calibrated by bench/grounding_calibration.py on claims built from the starter notes and two real specs
(precision >= 0.97 on the calibration half; held-out precision 0.988, recall 1.0; see docs/assistant.md)."""
NGRAM = 8

# ---------------------------------------------------------------------------------------------- splitting

CITATION = re.compile(r"\[(\d{1,2}(?:\s*[,;]\s*\d{1,2})*)\]")
_BOUNDARY = re.compile(r"(?<=[.!?])((?:\s*\[\d{1,2}(?:\s*[,;]\s*\d{1,2})*\])*)[ \t]+(?=[A-Z0-9(\"'])")
_NO_BREAK_BEFORE = re.compile(r"(?:\b(?:e\.g|i\.e|cf|vs|Fig|No|Sec|Ref|Eq|approx|al)\.|\b[A-Z]\.|^\d{1,2}\.)$")
_LABEL = re.compile(r"^\s*(?:\*\*)?answer(?:\*\*)?\s*:\s*", re.I)
"""The few-shot prompt's "Answer:" label, which a small model sometimes repeats."""
_META = re.compile(r"^\s*question\s*:|\b(?:the|this|these|that|each|provided|given)\s+(?:documents?|texts?|passages?|context|"
                   r"user'?s? message|question)\b", re.I)
"""A sentence about the documents themselves ("The document is referring to ...") states no fact."""
_ENDS_SENTENCE = re.compile(r"[.!?:;)\]]\s*$")
_LIST_MARK = re.compile(r"^\s*(?:[-*\u2022]|\d{1,2}[.)])\s+")


def split_sentences(text: str, soft_wraps: bool = False) -> list[str]:
    """Sentences of `text`, whitespace collapsed. Citation markers after a full stop stay with the
    sentence they follow ("… state. [1] Next" -> "… state. [1]", "Next").

    Model output (soft_wraps=False): every line break ends a sentence (lists come one item a line).
    Stored chunks (soft_wraps=True): single line breaks are wrapping; blank lines and list items break.
    The split of a prefix never moves a boundary it has already decided, which is what lets a stream
    release sentences as they complete.
    """
    if soft_wraps:
        blocks = re.split(r"\n\s*\n|\n(?=\s*(?:[-*\u2022]|\d{1,2}[.)])\s)", text)
    else:
        blocks = text.split("\n")
    out: list[str] = []
    for block in blocks:
        block = " ".join(block.split())
        if not block:
            continue
        start = 0
        pieces = []
        for match in _BOUNDARY.finditer(block):
            end = match.start() + len(match.group(1) or "")
            pieces.append(block[start:end])
            start = match.end()
        pieces.append(block[start:])
        merged: list[str] = []
        for piece in pieces:
            if merged and _NO_BREAK_BEFORE.search(merged[-1].rstrip()):
                merged[-1] = f"{merged[-1]} {piece}"
            else:
                merged.append(piece)
        out.extend(p.strip() for p in merged if p.strip())
    return out


def citations_of(sentence: str) -> list[int]:
    """[n] numbers in a sentence, in order, without repeats."""
    numbers: list[int] = []
    for group in CITATION.findall(sentence):
        for part in re.split(r"[,;]", group):
            n = int(part)
            if n not in numbers:
                numbers.append(n)
    return numbers


def strip_citations(sentence: str) -> str:
    return " ".join(CITATION.sub(" ", sentence).split())


# ---------------------------------------------------------------------------------------------- tokens

STOPWORDS = frozenset("""
a an the and or but nor of to in on at by for with from into onto over under about as is are was were be been
being am do does did done has have had having it its it's this that these those there here which who whom whose
what when where why how than then so such not no can could may might must shall should will would also only
just very more most less least each every any all both either neither some same other another one ones own
i you he she we they them his her our their your my me us him if while after before during until between
through up down out off again further once per via s whether upon within without too many much few
""".split())
_TOKEN = re.compile(r"[A-Za-z0-9_]+(?:\.[0-9]+)*")
_NUMBER_UNIT = re.compile(r"^(\d+(?:\.\d+)*)([a-z]+)$", re.I)


def _stem(word: str) -> str:
    """A deliberately light stem: lower case, and the first 5 letters of long ordinary words ("selects",
    "selection" -> "selec"): lenient on inflection, strict on content. Names (gNB, RRCSetup) stay whole."""
    if word.isalpha() and len(word) > 5 and sum(c.isupper() for c in word) <= 1:
        return word[:5].lower()
    return word.lower()


def terms(text: str) -> tuple[list[str], list[str]]:
    """(content terms, key terms) of a text, both stemmed.

    Key terms are the ones a claim must not get wrong: numbers and names with digits, underscores or
    two capitals (RRC_IDLE, T310, 38.331, AMF, gNB, N2; "15 kHz" -> key "15", content "khz").
    """
    content, keys = [], []
    for raw in _TOKEN.findall(strip_citations(text)):
        match = _NUMBER_UNIT.match(raw)
        parts = [match.group(1), match.group(2)] if match and not raw.isupper() else [raw]
        for part in parts:
            lower = part.lower()
            if lower in STOPWORDS or (len(part) == 1 and part.isalpha()):
                continue
            stem = _stem(part)
            content.append(stem)
            if any(c.isdigit() for c in part) or "_" in part or sum(c.isupper() for c in part) >= 2:
                keys.append(stem)
    return content, keys


# ---------------------------------------------------------------------------------------------- embeddings

_CACHE: OrderedDict[str, np.ndarray] = OrderedDict()
_CACHE_SIZE = 8192
_EMBED_LOCK = threading.Lock()


def embed_texts(texts: list[str]) -> np.ndarray:
    """Unit vectors of `texts` with app.embedder's model, cached by text (evidence sentences recur)."""
    missing = list(dict.fromkeys(t for t in texts if t not in _CACHE))
    if missing:
        with _EMBED_LOCK:
            vectors = _embed(missing)
            for text, vector in zip(missing, vectors, strict=True):
                _CACHE[text] = vector
            while len(_CACHE) > _CACHE_SIZE:
                _CACHE.popitem(last=False)
    return np.stack([_CACHE[t] for t in texts]) if texts else np.zeros((0, 1), dtype=np.float32)


def _embed(texts: list[str]) -> np.ndarray:
    from app.embedder import embed  # the default embedder (all-MiniLM-L6-v2), whatever its backend

    return np.asarray(embed(texts), dtype=np.float32)


# ---------------------------------------------------------------------------------------------- scoring


@dataclass
class SupportScorer:
    """How well evidence supports a claim, 0..1: token overlap combined with embedding similarity.

    score = key_factor * (lexical_weight * coverage + (1 - lexical_weight) * cosine), where
    coverage is the share of the claim's content terms found anywhere in the evidence, cosine the
    similarity of the claim to its best evidence sentence, and key_factor = 0.5 ** (key terms of the
    claim missing from the evidence), so one invented number or identifier sinks the claim.
    `context` (e.g. the source's citation and title) counts as evidence for terms, not as a sentence.
    A trained cross-encoder can replace this class: only `score` is used.
    """

    lexical_weight: float = 0.7

    def score(self, claim: str, evidence_sentences: list[str], context: str = "") -> tuple[float, str]:
        """(support score, best evidence sentence) of `claim` against `evidence_sentences`."""
        if not evidence_sentences:
            return 0.0, ""
        content, keys = terms(claim)
        if not content:
            return 0.0, ""
        evidence_terms = [set(terms(s)[0]) for s in evidence_sentences]
        union = set().union(*evidence_terms, terms(context)[0])
        coverage = sum(t in union for t in content) / len(content)
        key_factor = 0.5 ** sum(k not in union for k in set(keys))
        vectors = embed_texts([strip_citations(claim), *evidence_sentences])
        cosines = vectors[1:] @ vectors[0]
        local = np.array([sum(t in sentence for t in content) / len(content) for sentence in evidence_terms])
        best = int(np.argmax(cosines + local))
        cosine = float(max(0.0, cosines[best]))
        value = key_factor * (self.lexical_weight * coverage + (1 - self.lexical_weight) * cosine)
        return round(float(value), 4), evidence_sentences[best]


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
    """Top chunks the extractive answer may quote from: the first, and the next only while fewer than two
    sentences are available (one clause quoted reads as one answer)."""
    ngram: int = NGRAM
    """A sentence repeating an n-gram of this length (of the answer so far, or of itself) is dropped."""
    stop_after_dropped: int = 2
    """After this many dropped sentences in a row the rest of the generation is ignored (`gave_up`; the
    pipeline stops generating): a small model that has drifted rarely comes back."""


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
            return {"text": self.text, "citations": self.citations, "support": self.support, "reason": self.reason}
        return {"text": self.text, "citations": self.citations, "support": self.support,
                "supported": self.supported, "origin": self.origin,
                "evidence": self.evidence.to_dict() if self.evidence else None}


def _ngrams(sentence: str, n: int) -> list[tuple[str, ...]]:
    words = re.findall(r"\w+", strip_citations(sentence).lower())
    return [tuple(words[i:i + n]) for i in range(len(words) - n + 1)]


def _contains(words: tuple[str, ...], part: tuple[str, ...]) -> bool:
    return any(words[i:i + len(part)] == part for i in range(len(words) - len(part) + 1))


def _hit_fields(hit) -> tuple[str, str | None, str]:
    meta = getattr(hit, "metadata", {}) or {}
    return hit.text, meta.get("chunk_id"), getattr(hit, "citation", "")


class GroundingSession:
    """Checks one answer as it streams in. `hits` are the prompt's documents, numbered from 1."""

    def __init__(self, question: str, hits: list, scorer: SupportScorer | None = None,
                 config: GroundingConfig | None = None):
        self.question = question
        self.hits = hits
        self.scorer = scorer or SupportScorer()
        self.config = config or GroundingConfig()
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
        self._chunk_sentences: dict[int, list[str]] = {}

    # -- evidence

    def sentences_of(self, n: int) -> list[str]:
        """Sentences of the n-th document (1-based), headings, "Spec:" lines and instruction-like text
        left out (what the model never saw is neither evidence nor quoted)."""
        from app.prompting import sanitize

        if n not in self._chunk_sentences:
            text, _, _ = _hit_fields(self.hits[n - 1])
            sentences = [s for s in split_sentences(text, soft_wraps=True)
                         if not s.startswith(("#", "Spec:")) and len(terms(s)[0]) >= 2 and sanitize(s) == s]
            self._chunk_sentences[n] = sentences
        return self._chunk_sentences[n]

    def _header(self, n: int) -> str:
        """What the prompt shows above document n: its citation and title (a claim may name them)."""
        hit = self.hits[n - 1]
        return f"{getattr(hit, 'citation', '')} {(getattr(hit, 'metadata', {}) or {}).get('title') or ''}"

    # -- streaming interface

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
        if last is not None and truncated and not _ENDS_SENTENCE.search(last):
            sentences.pop()
            self.dropped.append(Checked(last, citations_of(last), 0.0, False, reason="incomplete"))
        pieces = [self._check(s) for s in sentences[self._done:] if not self.gave_up]
        self._done = len(sentences)
        if self.mode in ("idk", "unchecked") or self._released:
            return [p for p in pieces if p]
        if self._supported_chars >= self.config.min_chars:
            return [p for p in [*pieces, self._release()] if p]
        self.mode = "extractive"
        self.dropped.extend(Checked(c.text, c.citations, c.support, c.supported, reason="too_little_supported")
                            for c in self._held)
        self._held = []
        return [p for p in [*pieces, *self._extractive()] if p]

    def check_all(self, text: str, truncated: bool = False) -> str:
        """The whole checked answer of a finished generation."""
        return self.feed(text) + self.finish(truncated)

    def result(self) -> dict:
        """The API's `grounding` field."""
        return {"mode": self.mode, "threshold": self.config.threshold, "unsupported": self.config.unsupported,
                "sentences": [c.to_dict() for c in self.shown], "dropped": [c.to_dict() for c in self.dropped]}

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
        sentence = _LABEL.sub("", sentence)
        cited = citations_of(sentence)
        if re.match(r"^\W*(?:sources?|references?)\s*:", sentence, re.I):
            self._in_sources = True
        if self._in_sources:
            return Checked(sentence, cited, 0.0, False, reason="sources_list")
        grams = _ngrams(sentence, self.config.ngram)
        repeated = len(set(grams)) < len(grams) or any(g in self._seen for g in grams)
        words = tuple(re.findall(r"\w+", strip_citations(sentence).lower()))
        if not grams and len(words) >= 3:  # a short sentence: repeated when an earlier one contains it
            repeated = any(_contains(earlier, words) for earlier in self._earlier)
        self._earlier.append(words)
        self._seen.update(grams)
        if repeated:
            return Checked(sentence, cited, 0.0, False, reason="repeated")
        claim = _LIST_MARK.sub("", strip_citations(sentence))
        if len(terms(claim)[0]) < 2 or _META.search(claim):
            return Checked(sentence, cited, 0.0, False, reason="no_claim")
        if not self.hits:
            return Checked(sentence, cited, 0.0, False, reason="unsupported")
        valid = [n for n in cited if 1 <= n <= len(self.hits)]
        candidates = valid or list(range(1, len(self.hits) + 1))
        best: tuple[float, int, str] = (0.0, candidates[0], "")
        if valid:  # judged against the cited chunks together (a claim may join two of them)
            evidence = [s for n in valid for s in self.sentences_of(n)]
            header = " ".join(self._header(n) for n in valid)
            score, sentence_text = self.scorer.score(claim, evidence, context=header)
            owner = next(n for n in valid if sentence_text in self.sentences_of(n)) if sentence_text else valid[0]
            best = (score, owner, sentence_text)
        else:  # uncited: the best single chunk
            for n in candidates:
                score, sentence_text = self.scorer.score(claim, self.sentences_of(n), context=self._header(n))
                if score > best[0]:
                    best = (score, n, sentence_text)
        score, n, evidence_sentence = best
        supported = score >= self.config.threshold
        text = sentence if valid or not supported else f"{sentence.rstrip()} [{n}]"
        _, chunk_id, citation = _hit_fields(self.hits[n - 1])
        evidence_obj = Evidence(n, chunk_id, citation, evidence_sentence) if evidence_sentence else None
        if not supported:
            if self.config.unsupported == "drop":
                return Checked(sentence, valid, score, False, evidence=evidence_obj, reason="unsupported")
            text = f"(unverified) {sentence}"
        return Checked(text, valid or ([n] if supported else []), score, supported, evidence=evidence_obj)

    def _extractive(self) -> list[str]:
        """Quote the sentences of the top chunks that best answer the question, each with its [n]."""
        pool: list[tuple[int, int, str]] = []
        for n in range(1, min(self.config.extractive_chunks, len(self.hits)) + 1):
            if len(pool) >= 2:  # the top clause alone, unless it has too little to quote
                break
            pool += [(n, i, s) for i, s in enumerate(self.sentences_of(n)) if not s.endswith(":")]  # no lead-ins
        if not pool:
            return []
        vectors = embed_texts([self.question, *[s for _, _, s in pool]])
        cosines = vectors[1:] @ vectors[0]
        question_terms = set(terms(self.question)[0])
        scores = []
        for (_, _, s), cosine in zip(pool, cosines, strict=True):
            overlap = len(question_terms & set(terms(s)[0])) / max(1, len(question_terms))
            scores.append(float(cosine) + 0.5 * overlap)
        chosen, size, seen = [], 0, set()
        for i in np.argsort(scores)[::-1].tolist():
            if len(chosen) == self.config.extractive_sentences:
                break
            if chosen and size + len(pool[i][2]) > self.config.extractive_chars:
                continue
            grams = _ngrams(pool[i][2], self.config.ngram)
            if len(set(grams)) < len(grams) or seen.intersection(grams):
                continue  # the same boilerplate in two chunks: quoting both would show a repeated 8-gram
            seen.update(grams)
            chosen.append(i)
            size += len(pool[i][2])
        chosen.sort(key=lambda i: (pool[i][0], pool[i][1]))  # reading order: by source, then within it
        out = []
        for i in chosen:
            n, _, sentence = pool[i]
            _, chunk_id, citation = _hit_fields(self.hits[n - 1])
            support, _ = self.scorer.score(sentence, [sentence])
            out.append(self._show(Checked(f"{sentence} [{n}]", [n], support, True, origin="extractive",
                                      evidence=Evidence(n, chunk_id, citation, sentence))))
        return out

