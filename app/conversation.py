"""The standalone question of a chat turn: what retrieval, the lead, the quotes and the checker read.

A follow-up such as "And how is it selected?" names no subject; retrieving for it finds whatever
mentions "selected". The rule-based rewrite puts the conversation's subject back: the subject phrase of the
previous user turn (the noun phrase after its auxiliary: "What data does the UDM manage?" -> "UDM") replaces
the pointing word ("How is it selected?" -> "How is UDM selected?"); a fragment ("And the gNB-CU-UP ID?",
"What about the one between two NG-RAN nodes?") becomes the previous question asked about what it names;
a subject the specs abbreviate is named by its abbreviation ("bandwidth part" -> "BWP"; retrieval expands it
again, app/expansion.py). It needs no model, so it works with the 135M model the demo serves. An LLM
rewrite (`rewrite="llm"`) asks the served model instead, for deployments whose model is strong enough to
follow the instruction. When the rewrite only guessed (the subject appended to a turn that neither points
back nor is a fragment), retrieval fuses its hits with those of the turn as typed (`fuse`), so a wrong
guess costs rank, not recall.

Measured with bench/dialogues.py (docs/benchmarks.md, section dialogues), tuned on bench/dialogues.json and
checked on bench/dialogues_check.json (written before the tuning, never looked at during it): adding the
titles of the clauses the last answer cited pulled retrieval back to those clauses (13 of 40 dialogues in
the top 3 against 21 without), so the cited clauses are not added to the query; fusing a resolved rewrite
with the typed turn lost 4 of 40 (the typed turn's other words, "selected", pushed the answer out of the top
3).
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


_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_./-]*[A-Za-z0-9]|[A-Za-z0-9]|[^\sA-Za-z0-9]")
_AUXILIARIES = {"is", "are", "was", "were", "does", "do", "did", "can", "could", "should", "would", "will",
                "shall"}
_DO = {"does", "do", "did"}
_JOINERS = {"and", "of"}
"""Words that join two content words into one name ("Integrated Access and Backhaul", "architecture of
NG-RAN"); anywhere else a stopword ends the phrase."""


def _is_content(word: str) -> bool:
    return len(word) > 1 and word[0].isalnum() and word.lower() not in STOPWORDS \
        and word.lower() not in QUESTION_WORDS


def _is_suffix(word: str) -> bool:
    """A token that belongs to the name before it: a capital letter or a number ("Point A", "SSC mode 1")."""
    return (len(word) == 1 and word.isupper() and word != "I") or word.replace(".", "").isdigit()


def subject_phrase(question: str) -> str:
    """The noun phrase a question is about, as typed: the first run of content words after the question's
    auxiliary ("What is the Random Access procedure in NR MAC?" -> "Random Access procedure"), where a
    question starts its subject, or after the verb of "What happens at ...". Without POS tags, two cues
    take the verb off the end: in a do-question the last word of a run that ends the clause is the main
    verb ("What data does the UDM manage?" -> "UDM"), and past participles end a passive ("How is the SCP
    discovered and selected?" -> "SCP"). Empty when the question has no content word."""
    tokens = _TOKEN.findall(question)
    lower = [t.lower() for t in tokens]
    start = next((i + 1 for i, t in enumerate(lower) if t in _AUXILIARIES), 0)
    if not start and len(tokens) > 2 and lower[0] in QUESTION_WORDS and lower[1].endswith("s") \
            and lower[2] in STOPWORDS:  # "What happens at a MAC reset?": the verb follows the wh-word
        start = 2
    begin = next((i for i in range(start, len(tokens)) if _is_content(tokens[i])), None)
    if begin is None:
        return ""
    end = begin
    while end < len(tokens) and (_is_content(tokens[end]) or _is_suffix(tokens[end]) or (
            lower[end] in _JOINERS and end + 1 < len(tokens) and _is_content(tokens[end + 1]))):
        end += 1
    run = tokens[begin:end]
    if start and lower[start - 1] in _DO and len(run) >= 2 and run[-1].islower() and (
            end == len(tokens) or not _is_content(tokens[end])):
        run = run[:-1]
    while len(run) >= 2 and (run[-1].lower() in _JOINERS or (run[-1].islower() and run[-1].endswith("ed"))):
        run = run[:-1]
    return " ".join(run)


def subject_of(turns: list[str]) -> list[str]:
    """The subject of the earlier user turns, as words: the subject phrase of the newest one that has one
    ("What is a bandwidth part?" -> bandwidth, part)."""
    for turn in reversed(turns):
        phrase = subject_phrase(turn)
        if phrase:
            return phrase.split()
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


def _without_connectors(question: str) -> str:
    """The turn without its leading connectors ("And what about X?" -> "X?")."""
    text = question.strip()
    while _CONNECTOR.match(text):  # "And what about ..." has two
        text = _CONNECTOR.sub("", text, count=1)
    return text


def _is_fragment(question: str) -> bool:
    """A turn that continues the previous question rather than asking its own ("And the gNB-CU-UP ID?",
    "What about the one between two NG-RAN nodes?", "Those of SDAP?"): it starts with a connector or points
    back, and without its connectors it does not start with a question word or an auxiliary. (A bare
    "handover timers?" is a new search, not a fragment.)"""
    words = _WORD.findall(_without_connectors(question))
    return bool(words) and bool(_CONNECTOR.match(question) or _ANAPHORA.search(question)) \
        and words[0].lower() not in QUESTION_WORDS | _AUXILIARIES


def _rebuild(fragment: str, previous: str) -> str:
    """"What is the NG interface?" + "the one between two NG-RAN nodes" -> "What is the interface between two
    NG-RAN nodes?": the previous question asked again about the fragment, which takes the place of the
    previous subject; "one" in the fragment stands for the subject's head noun ("interface")."""
    phrase = subject_phrase(previous)
    if phrase:
        fragment = re.sub(r"\b(one|ones)\b", phrase.split()[-1], fragment, count=1, flags=re.I)
    fragment = fragment.strip().rstrip("?. ")
    if phrase and phrase in previous:
        # "those of the Xn interface" after "What is the NG interface?": what is asked of X, the whole X
        fragment = re.sub(r"^(those|that|these|this)\s+of\s+", "", fragment, flags=re.I)
        text = previous.replace(phrase, fragment, 1)
    else:
        opening = re.match(r"^\W*(\w+\s+)*?(is|are|was|were|does|do|did)\b", previous, re.I)
        text = f"{opening.group(0) if opening else 'What is'} {fragment}?"
    # the fragment brings its own article ("the the interface", "a the ..." read badly and search the same)
    return re.sub(r"\b(the|a|an)\s+(the|a|an)\b", r"\2", text, flags=re.I)


def _resolved(question: str) -> bool:
    """Whether the rewrite of `question` put its subject where the turn pointed (a pointing word or a
    fragment), rather than guessing by appending it."""
    return bool(_ANAPHORA.search(question) or _is_fragment(question))


def _with_abbreviation(phrase: str, abbreviations: dict[str, str] | None) -> str:
    """"bandwidth part" -> "BWP" when the specs define an abbreviation spelled out as the phrase: their
    clauses use the short form, and retrieval expands it again (app/expansion.py), so the query has both."""
    if not abbreviations or not phrase:
        return phrase
    wanted = phrase.lower()
    short = next((abbr for abbr, text in abbreviations.items()
                  if text.lower() == wanted and _abbreviates(abbr, wanted)), None)
    return short or phrase


def _abbreviates(short: str, text: str) -> bool:
    """Whether `short` can be an abbreviation of `text`: its letters appear in it in order, the first one
    first ("BWP" of "bandwidth part"); rows of a spec's abbreviation table that a conversion misaligned
    ("UTRAN: Registration Area") fail it."""
    letters = [c for c in short.lower() if c.isalnum()]
    if not letters or not text or letters[0] != text[0]:
        return False
    rest = iter(text)
    return all(c in rest for c in letters)


def rule_rewrite(messages: list[dict], abbreviations: dict[str, str] | None = None) -> str:
    """The last user turn as a standalone question (itself when it is one, or when it is the first turn).

    A fragment ("And the gNB-CU-UP ID?", "What about the one between two NG-RAN nodes?") becomes the
    previous question about what the fragment names (the previous question's first name swapped for the
    names it brings, or its subject phrase swapped for the fragment); otherwise the previous question's
    subject phrase (`subject_phrase`) replaces the first pointing word ("How is it selected?" after "What
    does the SMF do?" -> "How is SMF selected?"), or is appended when there is none; a subject the specs
    abbreviate carries its abbreviation (`abbreviations`: the index's, abbreviation -> expansion)."""
    users = [m.get("content") or "" for m in messages if m.get("role") == "user"]
    question = users[-1].strip() if users else ""
    if len(users) < 2 or not is_follow_up(question):
        return question
    previous = users[-2].strip()
    text = _without_connectors(question) or question
    if _is_fragment(question) or (_CONNECTOR.match(question) and not _ANAPHORA.search(question)):
        if not re.search(r"\b(one|ones)\b", text, re.I):
            swapped = _parallel(question, previous)
            if swapped:
                return swapped
        if _is_fragment(question):
            return _rebuild(text, previous)
    subject = subject_of(users[:-1])
    own_words = {w.lower() for w in _WORD.findall(question)}
    if all(t.lower() in own_words for t in subject):  # the turn already names its subject
        return question
    # the whole phrase, in order: "cell selection criterion" stays one phrase even when the turn repeats
    # one of its words ("How is it used in cell reselection?"), and a word is compared as a word, not as a
    # substring ("selection" is not in "reselection")
    phrase = _with_abbreviation(" ".join(subject), abbreviations)
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


def standalone_question(messages: list[dict], rewrite: str = "rule", llm=None,
                        abbreviations: dict[str, str] | None = None) -> str:
    """The question retrieval should search for, by the `rewrite` method (one of REWRITES); `abbreviations`
    (the index's) let the rule-based rewrite name a subject as the specs abbreviate it."""
    if rewrite == "llm" and llm is not None:
        return llm_rewrite(messages, llm)
    if rewrite == "off":
        users = [m.get("content") or "" for m in messages if m.get("role") == "user"]
        return users[-1].strip() if users else ""
    return rule_rewrite(messages, abbreviations)


def search_conversation(search, query: str, question: str, k: int) -> list:
    """The `k` hits of a chat turn: `search(text)` for the standalone `query`. When the rewrite only guessed
    (it appended the subject to a turn that neither points back nor is a fragment) its hits are fused with
    those of the turn as typed, so a wrong guess costs rank, not recall; when the turn points back ("How is
    it selected?") the rewrite alone is searched, because the typed turn's hits are then about its other
    words ("selected") and push the answering clause out of the top 3 (bench/dialogues.py)."""
    hits = search(query)
    if query.strip() == question.strip() or _resolved(question):
        return hits[:k]
    return fuse([hits, search(question)], k)
