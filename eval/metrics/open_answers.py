"""Open answers to multiple-choice questions: which option does a free answer support?

A question is asked *without* its options; the answer is then mapped to the option it supports, so an
open answer can be scored like a multiple-choice one. `OptionScorer` is the one place this is done:
`bench/answers.py` and the lm-eval task `teleqna_open` both import it, so their accuracies compare.

How an answer is mapped (the weights were fixed before any measurement and are never tuned on
benchmark questions):

  - the answer is cleaned first: the "Sources:" list the assistant appends and the inline [n] markers
    are removed (they name documents, not an answer);
  - an abstention ("I don't know ...", or an empty answer) supports no option: it counts as wrong, and
    is reported apart;
  - every option gets `0.5 * semantic + 0.5 * lexical`:
      semantic: cosine of the MiniLM sentence embeddings of answer and option (app.embedder);
      lexical: the share of the option's *distinctive* words that the answer contains. Distinctive
      words are the option's content words that are neither in the question (an answer echoing the
      question says nothing about the options) nor in every option (they cannot tell options apart).
      Numbers and identifiers ("30", "38.331", "rrc_idle") are words too, so "15 kHz" vs "30 kHz" is
      decided by the number;
  - the highest score wins; ties go to the earlier option (deterministic).

Embeddings catch paraphrases ("handover" vs "mobility between cells"); the lexical term catches the
short, symbol-heavy options of 3GPP questions, where sentence embeddings of e.g. "15 kHz" and
"30 kHz" are nearly the same vector.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from app.embedder import embed

SOURCES_BLOCK = re.compile(r"\n\s*Sources:\s*\n.*\Z", re.S)
CITATION_MARK = re.compile(r"\s*\[\d+(?:\s*[,;-]\s*\d+)*\]")
ABSTENTION = re.compile(
    r"\bI\s+(?:do\s+not|don['’]t)\s+know\b|\bI\s+(?:cannot|can['’]t|am\s+unable\s+to)\s+answer\b"
    r"|\bunable\s+to\s+answer\b|\bnot\s+enough\s+information\s+to\s+answer\b",
    re.I,
)
WORD = re.compile(r"[a-z0-9]+(?:[._/-][a-z0-9]+)*")
STOP_WORDS = frozenset(
    "a an the of to in on for by with and or is are was were be been being it its this that these those as "
    "at from which what who whom whose when where why how not no all any each both none above below other "
    "than can could may might must shall should will would do does did has have had into over under about "
    "between only also such their there they them he she his her we you your our i".split()
)
WORDS_PER_NGRAM_LOOP = 8


def clean_answer(text: str) -> str:
    """The answer text alone: no appended "Sources:" list, no [n] citation markers."""
    return CITATION_MARK.sub("", SOURCES_BLOCK.sub("", text or "")).strip()


def is_abstention(text: str) -> bool:
    """True when the answer declines ("I don't know ...") or says nothing."""
    cleaned = clean_answer(text)
    return not cleaned or bool(ABSTENTION.search(cleaned))


def words(text: str) -> list[str]:
    """Lower-cased word tokens, stop words dropped, a plural "s" stripped from longer words."""
    out = []
    for token in WORD.findall(text.lower()):
        if token in STOP_WORDS:
            continue
        out.append(token[:-1] if len(token) > 3 and token.endswith("s") and not token.endswith("ss")
                   else token)
    return out


def has_loop(text: str, n: int = WORDS_PER_NGRAM_LOOP) -> bool:
    """True when some run of `n` words occurs twice in the answer (the looping a small model falls into)."""
    tokens = re.findall(r"\w+", clean_answer(text).lower())
    seen: set[tuple[str, ...]] = set()
    for i in range(len(tokens) - n + 1):
        gram = tuple(tokens[i:i + n])
        if gram in seen:
            return True
        seen.add(gram)
    return False


@dataclass
class OptionMatch:
    """Where one answer landed: the chosen option (None for an abstention) and every option's score."""

    choice: int | None
    scores: list[float]
    abstained: bool

    def correct(self, gold: int) -> bool:
        return self.choice is not None and self.choice == gold


@dataclass
class OptionScorer:
    """Maps a free answer to the multiple-choice option it supports (see the module docstring)."""

    semantic_weight: float = 0.5
    """Weight of the embedding cosine; the lexical term gets 1 - this. Fixed a priori, never tuned."""

    def lexical(self, question: str, options: list[str], answer: str) -> list[float]:
        """Per option: the share of its distinctive words that occur in the answer."""
        answer_words, question_words = set(words(answer)), set(words(question))
        option_words = [set(words(option)) for option in options]
        shared = set.intersection(*option_words) if option_words else set()
        scores = []
        for option in option_words:
            distinctive = option - question_words - shared
            scores.append(len(distinctive & answer_words) / len(distinctive) if distinctive else 0.0)
        return scores

    def semantic(self, options: list[str], answer: str) -> list[float]:
        """Per option: cosine of answer and option embeddings (MiniLM, unit vectors)."""
        vectors = embed([answer, *options])
        return [float(v) for v in np.clip(vectors[1:] @ vectors[0], -1.0, 1.0)]

    def match(self, question: str, options: list[str], answer: str) -> OptionMatch:
        """The option `answer` supports, or None when it abstains."""
        if is_abstention(answer):
            return OptionMatch(None, [0.0] * len(options), True)
        cleaned = clean_answer(answer)
        semantic, lexical = self.semantic(options, cleaned), self.lexical(question, options, cleaned)
        w = self.semantic_weight
        scores = [w * s + (1 - w) * lx for s, lx in zip(semantic, lexical, strict=True)]
        return OptionMatch(int(np.argmax(scores)), scores, False)
