"""Sentences, citation markers and content terms: the text units that the answer checker
(app/grounding.py) works on.

`split_sentences` cuts model output and stored chunks into sentences the same way a stream and a whole
text are cut (a boundary, once decided, never moves); `terms` gives the stemmed content words and the
key terms (numbers, identifiers) a claim must not get wrong.
"""

from __future__ import annotations

import re

from app.procedure_text import ITEM, PARAGRAPH_LABEL, STEP, headed_units, is_marked, labelled, level, steps

CITATION = re.compile(r"\[(\d{1,2}(?:\s*[,;]\s*\d{1,2})*)\]")
# no break before a procedure step ("…this TAG. 3>start …"): a unit of app/procedure_text.py stays one
# sentence, also when a shown quote is read back
_BOUNDARY = re.compile(r"(?<=[.!?])((?:\s*\[\d{1,2}(?:\s*[,;]\s*\d{1,2})*\])*)[ \t]+"
                       r"(?=[A-Z(\"']|[0-9](?!>))")
_NO_BREAK_BEFORE = re.compile(r"(?:\b(?:e\.g|i\.e|cf|vs|Fig|No|Sec|Ref|Eq|approx|al)\.|"
                              r"\b[A-Z]\.|^\d{1,2}\.)$")
LABEL = re.compile(r"^\s*(?:\*\*)?answer(?:\*\*)?\s*:\s*", re.I)
"""The few-shot prompt's "Answer:" label, which a small model sometimes repeats."""
META = re.compile(r"^\s*question\s*:|\b(?:the|this|these|that|each|provided|given)\s+"
                  r"(?:documents?|texts?|passages?|context|user'?s? message|question)\b", re.I)
"""A sentence about the documents themselves ("The document is referring to ...") states no fact."""
ENDS_SENTENCE = re.compile(r"[.!?:;)\]]\s*$")
ANNOUNCES_LIST = re.compile(r"\b(?:the\s+following|as\s+follows)\b", re.I)
"""A head sentence that announces the list after it even when another sentence comes between them ("The SMF
includes the following functionality. Some or all of the SMF functionalities may be supported in a single
instance of a SMF:" -- TS 23.501 clause 6.2.2): the list stays with the announcement."""
INLINE_LIST = re.compile(r":\s*\w.*[.;]$")
"""A sentence that gives its own list after the colon ("The layer 2 of NR is split into the following
sublayers: Medium Access Control (MAC), ... and Service Data Adaptation Protocol (SDAP).")."""


def announces_list_after(sentence: str) -> bool:
    """Whether `sentence` announces the list items after it (see ANNOUNCES_LIST); one that lists its own
    items inline does not: TS 38.300 §6.1's "... split into the following sublayers: MAC, RLC, PDCP and
    SDAP." was joined to the next sentence's figure and list ("The two figures below depict ..., where: -The
    physical layer offers ...") as one quote."""
    return bool(ANNOUNCES_LIST.search(sentence)) and not INLINE_LIST.search(sentence)


LIST_MARK = re.compile(r"^\s*(?:[-*\u2022]|\d{1,2}[.)])\s+")
NGRAM = 8
"""Words in the n-grams that mark text as shown already: an answer never shows one twice (a repeat reads as a
loop; app/grounding.py), and a passage or quote leaves out the procedure steps it has shown
(`after_shown_steps`)."""


def split_sentences(text: str, soft_wraps: bool = False, repeat_heads: bool = True,
                    clip_items: bool = False) -> list[str]:
    """Sentences of `text`, whitespace collapsed. Citation markers after a full stop stay with the
    sentence they follow ("… state. [1] Next" -> "… state. [1]", "Next").

    Model output (soft_wraps=False): every line break ends a sentence (lists come one item a line).
    Stored chunks (soft_wraps=True): single line breaks are wrapping; blank lines, list items and procedure
    steps ("2>...") break, and a procedure step keeps the steps nested under it, a list stem ("... the
    following functions:") its items, as one unit of at most UNIT_CHARS (app/procedure_text.py): a quote
    never shows a condition without its actions, nor a step cut off a long procedure without the conditions
    above it (they are repeated before it; `repeat_heads=False` gives such a step as the spec writes it,
    which the answer checker also reads as evidence). A label and its paragraph read as a definition line
    ("*t-PollRetransmit*: This timer is used by ...", `procedure_text.labelled`). With `clip_items`, a
    list's long item shows its first clause in the list's unit and comes whole after it (ITEM_CHARS): what
    an answer quotes; a passage cut to a budget (app/prompting.py) would read its text twice.
    The split of a prefix never moves a boundary it has already decided, which is what lets a stream
    release sentences as they complete.
    """
    if not soft_wraps:
        return [s for block in text.split("\n") for s in _block_sentences(block)]
    out: list[str] = []
    whole: dict[str, str] = {}  # a long list item as a unit shows it -> as the spec writes it
    parts = _soft_parts(text)
    if clip_items:
        parts = [_clipped_item(part, whole) if _in_list(parts, i) else part for i, part in enumerate(parts)]
    for heads, unit in headed_units(parts, UNIT_CHARS):
        unit = heads + unit if repeat_heads else unit
        # a long item alone is quoted whole; beside others, its first clause, and then whole after the unit
        spelled = [whole[part] for part in unit if part in whole] if len(unit) > 1 else []
        unit = [whole.get(part, part) for part in unit] if len(unit) == 1 else unit
        if len(unit) > 1 and PARAGRAPH_LABEL.match(unit[0]):  # a label and its paragraph: one entry
            unit = [f"{labelled(unit[0])} {' '.join(unit[1].split())}", *unit[2:]]
        sentences = _block_sentences(unit[0])
        if len(unit) > 1:  # the head's last sentence leads into what it owns, from the one announcing it
            rest = " ".join(" ".join(part.split()) for part in unit[1:])
            first = next((i for i, s in enumerate(sentences) if announces_list_after(s)),
                         max(0, len(sentences) - 1))
            # a head repeated above a cut-off piece (`headed_units`) was quoted once already
            before = [s for s in sentences[:first] if s not in out]
            sentences = [*before, " ".join([*sentences[first:], rest])]
        out.extend(sentences)
        out.extend(sentence for item in spelled for sentence in _block_sentences(item))
    return out


ITEM_CHARS = 200
"""A list item longer than this shows its first clause in its list's quote ("... -Supports service discovery
function. Receive NF Discovery Request from NF instance or SCP and provides the information of the discovered
NF instances … -Supports P-CSCF discovery ..."), and whole as a sentence after it: TS 23.501 §6.2.6.1's
350-character item filled the unit of the NRF's list, and "What are the functions of the NRF?" was answered
with one of them."""


def _in_list(parts: list[str], i: int) -> bool:
    """Whether part i is a list item (not a procedure step) beside another item."""
    def item(j: int) -> bool:
        return 0 <= j < len(parts) and bool(ITEM.match(parts[j])) and not STEP.match(parts[j])
    return item(i) and (item(i - 1) or item(i + 1))


def _clipped_item(part: str, whole: dict[str, str]) -> str:
    """A list item longer than ITEM_CHARS cut after its first clause (a comma, semicolon or bracket from a
    third of ITEM_CHARS on; else the words that fit), marked with an ellipsis; `whole` maps it back."""
    text = " ".join(part.split())
    if len(text) <= ITEM_CHARS:
        return part
    cut = next((m.start() for m in re.finditer(r"[,;]\s|\s\(", text)
                if ITEM_CHARS // 3 <= m.start() <= ITEM_CHARS), None)
    clipped = f"{text[:cut or text.rfind(' ', 0, ITEM_CHARS)].rstrip(' ,;')} {ELIDED}"
    whole[clipped] = part
    return clipped


UNIT_CHARS = 450
"""Longest procedure or list unit quoted as one sentence: about a lead's size (an extractive answer quotes at
most 650 characters); a longer one is cut at its nested steps (app/procedure_text.py)."""


TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
"""A Markdown table row, as the readers write the specs' tables ("| C-RNTI | unique UE identification |")."""
TABLE_RULE = re.compile(r"\|\s*:?-{3,}:?\s*(?:\||$)")
"""The rule under a Markdown table's header ("| --- | --- |")."""


def _soft_parts(text: str) -> list[str]:
    """Paragraphs of stored text, and within them one part per list item or procedure step: a line that
    starts one begins a new part; any other line wraps onto the part before it, unless that part ended a
    sentence after a list item or step (the text after a list)."""
    parts: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        current: list[str] = []
        for line in paragraph.split("\n"):
            if not line.strip():
                continue
            ends = current and is_marked(current[0]) and re.search(r"[.;:]\s*$", current[-1])
            # a table row is a part of its own, its header with the "| --- |" rule under it: run together,
            # they read as one sentence ("| WLAN-NameList field descriptions | | --- | | WLAN-Name If ...")
            row = not TABLE_RULE.search(line) and (TABLE_ROW.match(line)
                                                   or (current and TABLE_ROW.match(current[-1])))
            if current and (is_marked(line) or ends or row):
                parts.append("\n".join(current))
                current = []
            current.append(line)
        if current:
            parts.append("\n".join(current))
    return parts


def _block_sentences(block: str) -> list[str]:
    """Sentences of one block of text (line breaks already mean nothing in it)."""
    block = " ".join(block.split())
    if not block:
        return []
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
    return [p.strip() for p in merged if p.strip()]


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


def ngrams(sentence: str, n: int) -> list[tuple[str, ...]]:
    """Word n-grams of a sentence (lower case, citations left out): what a loop repeats."""
    words = re.findall(r"\w+", strip_citations(sentence).lower())
    return [tuple(words[i:i + n]) for i in range(len(words) - n + 1)]


_ITEM_START = re.compile(r"(?<=[;:.,])\s+(?=[-\u2022]\s?\w)")
"""Where a list item begins in a unit joined onto one line ("... following: -Selecting ...; -Determining")."""


def without_repeats(sentence: str, n: int) -> str | None:
    """The longest prefix of a list unit (a stem ending in ":" and its items, joined by `split_sentences`)
    that ends with a whole item and repeats none of its own n-grams; None when `sentence` is no such unit or
    even its stem and first item repeat one.

    Parallel items repeat phrases ("-Determining the Allowed NSSAI and, if needed, the mapping to the
    Subscribed S-NSSAIs; -Determining the Configured NSSAI and, if needed, the mapping to ..."), and a quote
    repeating an 8-gram reads as a loop, so the whole unit is never quoted; without its prefix the answer lost
    "The Network Slice Selection Function (NSSF) supports the following functionality: -Selecting the set of
    Network Slice instances serving the UE;" too. Procedure steps are not cut: a condition would lose its
    actions (app/procedure_text.py)."""
    starts = [m.start() for m in _ITEM_START.finditer(sentence)]
    if not starts or not sentence[:starts[0]].rstrip().endswith(":"):
        return None
    repeat = _first_repeat(sentence, n)
    limit = len(sentence) if repeat is None else repeat[n - 1].start()  # up to just before its last word
    cuts = [c for c in starts[1:] if c <= limit] + ([len(sentence)] if limit == len(sentence) else [])
    if not cuts:
        return None
    prefix = sentence[:cuts[-1]].rstrip()
    return prefix if prefix.endswith((";", ".")) else None


def with_first_heading_prose(sentences: list[str]) -> list[str]:
    """`sentences` with a list stem whose first item is a heading over prose joined to that prose: "The
    Network Exposure Function (NEF) supports the following independent functionality: -Exposure of
    capabilities and events:" + "NF capabilities and events may be securely exposed by NEF ...". A lead-in
    ending in ":" is never quoted, and this one says what the NEF does; with its heading's first sentence it
    is a quote, which the checker finds as one sentence of its evidence."""
    out: list[str] = []
    skip = False
    for at, sentence in enumerate(sentences):
        if skip:
            skip = False
            continue
        after = sentences[at + 1] if at + 1 < len(sentences) else ""
        if (sentence.endswith(":") and ANNOUNCES_LIST.search(sentence) and _ITEM_START.search(sentence)
                and after and not after.endswith(":") and not LIST_MARK.match(after)):
            sentence, skip = f"{sentence} {after}", True
        out.append(sentence)
    return out


def before_repeat(sentence: str, n: int, min_words: int = 8) -> str | None:
    """Of a sentence in prose that repeats one of its own n-grams, the part before the clause holding the
    repeat: up to the last comma before it, when that part has `min_words` words or more; None otherwise, and
    for list units (`without_repeats`) and procedure steps ("1>if ...: 2>...": a condition would lose its
    actions). A definition's parallel halves repeat a phrase ("gNB-CU-User Plane (gNB-CU-UP): a logical node
    hosting the user plane part of the PDCP protocol of the gNB-CU for an en-gNB, and the user plane part of
    the PDCP protocol and the SDAP protocol ..."); the answer may not show the repeat (it reads as a loop) but
    needs the definition, whose first half says what was asked."""
    if re.search(r"\d>", sentence) or _ITEM_START.search(sentence):
        return None
    repeat = _first_repeat(sentence, n)
    if repeat is None:
        return None
    prefix = sentence[:repeat[0].start()]
    cut = prefix.rfind(",")
    part = prefix[:cut].rstrip() if cut > 0 else ""
    return part if len(re.findall(r"\w+", part)) >= min_words else None


ELIDED = "\u2026"
"""Marks where a quote leaves part of its text out (`without_repeated_steps`)."""


def procedure_steps(sentence: str) -> list[str]:
    """The lines of a procedure unit quoted as one sentence, a step each (`procedure_text.steps`), maybe after
    a stem ("The MAC entity shall: 1>when ..."); [] when it holds no step."""
    parts = steps(sentence.strip())
    return parts if any(STEP.match(part) for part in parts) else []


_BARE_ELSE = re.compile(r"^\s*\d>\s*else\s*:?\s*$", re.I)


def orphan_else(sentence: str) -> bool:
    """Whether a procedure unit has an "else" step whose "if" it does not show: a piece cut off a long
    procedure repeats the conditions above it (`split_sentences`), and of an "else" branch that is only
    "3>else:" ("2>if the PDCCH indicates a UL transmission: 3>else: 4>else: 5>start the
    drx-HARQ-RTT-TimerUL ...", TS 38.321 §5.7): no reader can tell what it is the other case of."""
    parts = procedure_steps(sentence)
    for i, part in enumerate(parts):
        if _BARE_ELSE.match(part):
            depth = level(part)
            before = [level(p) for p in parts[:i] if STEP.match(p)]
            # a sibling "if" at the same depth, after the last step above this one
            shallower = max((j for j, d in enumerate(before) if d < depth), default=-1)
            if depth not in before[shallower + 1:]:
                return True
    return False


def without_repeated_steps(sentence: str, n: int) -> str | None:
    """Of a procedure unit ("1>when ...: 2>if ...; or 2>if ...: 3>...", kept as one sentence by
    app/procedure_text.py) whose parallel steps repeat a phrase, the unit with each step that repeats an
    n-gram of the steps before it left out, marked with an ellipsis; None when it is no procedure unit, its
    first step repeats itself, or the rest still repeats. TS 38.321 §5.2 tests "2>if the timeAlignmentTimer
    is associated with a PTAG and ...; or 2>if the timeAlignmentTimer is associated with a PTAG, ...": the
    answer may not show an 8-gram twice (it reads as a loop), and without this the whole step, the condition
    with its actions ("3>flush all HARQ buffers ..."), was never quoted, only its actions one by one."""
    parts = procedure_steps(sentence)
    if len(parts) < 2:
        return None
    kept: list[str] = []
    seen: set[tuple[str, ...]] = set()
    for step in parts:
        grams = ngrams(step, n)
        if len(set(grams)) < len(grams) or seen.intersection(grams):
            if not kept:
                return None
            if kept[-1] != ELIDED:
                kept.append(ELIDED)
            continue
        seen.update(grams)
        kept.append(step)
    quote = " ".join(kept).removesuffix(f" {ELIDED}")
    return quote if ELIDED in quote and _first_repeat(quote, n) is None else None


def after_shown_steps(sentence: str, shown: set[tuple[str, ...]], n: int) -> str | None:
    """Of a procedure unit whose first steps were quoted already (the conditions `split_sentences` repeats
    above a step cut off a long procedure), the steps after them behind an ellipsis: "… 3>start or restart
    retxBSR-Timer." after a quote of the same conditions with "3>instruct the Multiplexing and Assembly
    procedure to generate the BSR MAC CE(s)". None when it is no procedure unit, no step before the new ones
    was shown (`shown`: the n-grams quoted so far), or what follows repeats them."""
    parts = procedure_steps(sentence)
    if len(parts) < 2:
        return None
    k = 0  # after the last step shown; a line too short for an n-gram ("2>else:") is neither
    for i, part in enumerate(parts):
        grams = set(ngrams(part, n))
        if grams and not grams <= shown:
            break
        k = i + 1 if grams else k
    rest = " ".join(parts[k:])
    later = ngrams(rest, n)
    if not k or not rest or shown.intersection(later) or len(set(later)) < len(later):
        return None
    return f"{ELIDED} {rest}"


def _first_repeat(sentence: str, n: int) -> list[re.Match] | None:
    """The words (matches in `sentence`, lower-cased) of the first n-gram that repeats an earlier one of the
    sentence, None when none does."""
    words = list(re.finditer(r"\w+", sentence.lower()))
    seen: set[tuple[str, ...]] = set()
    for i in range(len(words) - n + 1):
        gram = tuple(w.group() for w in words[i:i + n])
        if gram in seen:
            return words[i:i + n]
        seen.add(gram)
    return None


# ---------------------------------------------------------------------------------------------- terms

STOPWORDS = frozenset("""
a an the and or but nor of to in on at by for with from into onto over under about as is are was were be been
being am do does did done has have had having it its it's this that these those there here which who whom
whose what when where why how than then so such not no can could may might must shall should will would also
only just very more most less least each every any all both either neither some same other another one ones
own i you he she we they them his her our their your my me us him if while after before during until between
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
