"""The standalone question of a chat turn: what retrieval, the lead, the quotes and the checker read.

A follow-up such as "And how is it selected?" names no subject; retrieving for it finds whatever
mentions "selected". The rule-based rewrite puts the conversation's subject back: the first content words
of the previous user turn replace the pronoun ("How is it selected?" after "What does the UPF do?" ->
"How is UPF selected?"), and a parallel question ("And the gNB-CU-UP ID?" after "What is the gNB-DU ID?")
takes the previous question with its name swapped. It needs no model, so it works with the 135M model the
demo serves. An LLM rewrite (`rewrite="llm"`) asks the served model instead, for deployments whose model is
strong enough to follow the instruction. Retrieval then fuses the hits of the rewrite with those of the
turn as typed (`fuse`), because a rewrite that guessed the subject wrong must not lose what the turn itself
finds.

Measured with bench/dialogues.py (docs/benchmarks.md, section dialogues): adding the titles of the clauses
the last answer cited pulled retrieval back to those clauses (13 of 40 dialogues in the top 3 against 21
without), so the cited clauses are not added to the query.
"""

from __future__ import annotations

import re

from app.sentences import STOPWORDS

REWRITES = ("rule", "llm", "off")
"""How a follow-up becomes a standalone question: rule-based (default), by the served LLM, or not at all
(retrieve for the last user turn as typed)."""

_ANAPHORA = re.compile(r"\b(it|its|itself|they|them|their|this|that|these|those|there|one|ones)\b", re.I)
_CONNECTOR = re.compile(r"^\s*(and|also|what about|how about|then|so|but|or)\b[\s,]*", re.I)
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9_./-]*[A-Za-z0-9]|[A-Za-z0-9]")
QUESTION_WORDS = {"what", "which", "who", "whom", "whose", "when", "where", "why", "how", "does", "do", "did",
                  "is", "are", "was", "were", "can", "could", "should", "would", "will", "shall", "explain",
                  "describe", "tell", "define", "list", "give", "role", "purpose", "function", "functions",
                  "mean", "means", "meaning", "used", "use", "responsible", "about", "please", "me", "us"}
SUBJECT_WORDS = 3
"""At most this many words of the previous question are carried into a follow-up (bench/dialogues.py: 3
words found 22 of 40 answering clauses, 4 and 6 words 21: more drown the follow-up's own words)."""
FUSION_K = 60
"""Reciprocal-rank constant of `fuse` (app/retrieval.py's RRF_K)."""


def _key_terms(text: str) -> list[str]:
    """Names a spec would use as they were typed: acronyms and names with capitals, digits, '-' or '_'
    (AMF, gNB-CU-UP, SSC, 5QI, T310), in order, without repeats."""
    seen, out = set(), []
    for word in _WORD.findall(text):
        capitals = sum(c.isupper() for c in word)
        if word.replace(".", "").isdigit():  # a bare number belongs to its own question ("mode 1")
            continue
        if (capitals >= 2 or any(c.isdigit() for c in word) or "_" in word) and word.lower() not in seen:
            seen.add(word.lower())
            out.append(word)
    return out


def _content_words(text: str) -> list[str]:
    """The words of a question that are neither stopwords nor question words, in order."""
    words = [w for w in _WORD.findall(text) if w.lower() not in STOPWORDS and w.lower() not in QUESTION_WORDS]
    return [w for w in words if len(w) > 1]


def subject_of(turns: list[str]) -> list[str]:
    """The subject of the earlier user turns: the first content words of the newest one that has any
    ("What is a bandwidth part?" -> bandwidth, part)."""
    for turn in reversed(turns):
        words = _content_words(turn)
        if words:
            return words[:SUBJECT_WORDS]
    return []


def _parallel(question: str, previous: str) -> str | None:
    """"And the gNB-CU-UP ID?" after "What is the gNB-DU ID?" -> "What is the gNB-CU-UP ID?": the previous
    question with its first name replaced by the names this turn brings (None when either has none)."""
    own = [t for t in _key_terms(question) if t.lower() not in previous.lower()]
    theirs = _key_terms(previous)
    if not own or not theirs:
        return None
    return previous.replace(theirs[0], " ".join(own), 1)


def is_follow_up(question: str) -> bool:
    """A turn that leans on the conversation: it points back (it, its, they, this...), starts with a
    connector ("And ...", "What about ..."), or names nothing a spec would name."""
    return bool(_ANAPHORA.search(question) or _CONNECTOR.match(question) or not _key_terms(question))


def rule_rewrite(messages: list[dict]) -> str:
    """The last user turn as a standalone question (itself when it is one, or when it is the first turn).

    A parallel question ("And X?", "What about X?" naming something new) becomes the previous question
    about X; otherwise the subject's words replace the first pointing word ("How is it selected?" after
    "What does the SMF do?" -> "How is SMF selected?"), or are appended when there is none."""
    users = [m.get("content") or "" for m in messages if m.get("role") == "user"]
    question = users[-1].strip() if users else ""
    if len(users) < 2 or not is_follow_up(question):
        return question
    if _CONNECTOR.match(question) and not _ANAPHORA.search(question):
        swapped = _parallel(question, users[-2].strip())
        if swapped:
            return swapped
    subject = subject_of(users[:-1])
    own_words = {w.lower() for w in _WORD.findall(question)}
    if all(t.lower() in own_words for t in subject):  # the turn already names its subject
        return question
    # the whole phrase, in order: "cell selection criterion" stays one phrase even when the turn repeats
    # one of its words ("How is it used in cell reselection?"), and a word is compared as a word, not as a
    # substring ("selection" is not in "reselection")
    text = _CONNECTOR.sub("", question) or question
    phrase = " ".join(subject)
    text, replaced = _ANAPHORA.subn(phrase, text, count=1)
    if not replaced:
        text = f"{text.rstrip('?. ')} {phrase}?" if text.rstrip().endswith("?") else f"{text} {phrase}"
    return text[0].upper() + text[1:]


def fuse(rankings: list[list], k: int) -> list:
    """Reciprocal-rank fusion of hit lists (app.retrieval.Hit) by chunk id: the first `k`."""
    score: dict[str, float] = {}
    first: dict[str, object] = {}
    for hits in rankings:
        for rank, hit in enumerate(hits):
            key = hit.metadata.get("chunk_id") or hit.text
            first.setdefault(key, hit)
            score[key] = score.get(key, 0.0) + 1.0 / (FUSION_K + rank)
    return [first[key] for key in sorted(score, key=lambda key: -score[key])][:k]


LLM_REWRITE_PROMPT = ("Rewrite the user's last question so that it can be understood without the "
                      "conversation: replace pronouns with what they refer to and keep every technical term. "
                      "Reply with the question only.")


def llm_rewrite(messages: list[dict], llm) -> str:
    """The standalone question written by `llm` (a LangChain chat model); falls back to the rule-based
    rewrite when the reply is empty or a paragraph rather than one question."""
    from langchain_core.messages import HumanMessage, SystemMessage  # lazy: langchain_core

    users = [m.get("content") or "" for m in messages if m.get("role") == "user"]
    if len(users) < 2:
        return users[-1].strip() if users else ""
    lines = [f"{m['role']}: {(m.get('content') or '').rsplit('Sources:', 1)[0].strip()}" for m in messages
             if m.get("role") in ("user", "assistant")]
    reply = llm.invoke([SystemMessage(LLM_REWRITE_PROMPT), HumanMessage("\n".join(lines))])
    text = str(reply.content).strip().strip('"').strip()
    if not text or "\n" in text or len(text) > 3 * len(users[-1]) + 200:
        return rule_rewrite(messages)
    return text


def standalone_question(messages: list[dict], rewrite: str = "rule", llm=None) -> str:
    """The question retrieval should search for, by the `rewrite` method (one of REWRITES)."""
    if rewrite == "llm" and llm is not None:
        return llm_rewrite(messages, llm)
    if rewrite == "off":
        users = [m.get("content") or "" for m in messages if m.get("role") == "user"]
        return users[-1].strip() if users else ""
    return rule_rewrite(messages)


def search_conversation(search, query: str, question: str, k: int) -> list:
    """The `k` hits of a chat turn: `search(text)` for the standalone `query`, fused with the hits of the
    turn as typed when the rewrite changed it (a wrong guess of the subject then costs rank, not recall)."""
    hits = search(query)
    if query.strip() == question.strip():
        return hits[:k]
    return fuse([hits, search(question)], k)
