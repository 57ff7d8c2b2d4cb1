"""Questions that ask what a term means or what an abbreviation stands for, and the glossary lines answering.

3GPP specs answer these in their Definitions and Abbreviations clauses (clause 3 of most specs; TR 21.905 is
the whole vocabulary), one line per term: "**Handover:** The transfer of a user's connection ..." or
"HARQ Hybrid ARQ, Hybrid Automatic Repeat Request". Ranking by likeness finds those lines poorly: a glossary
chunk holds dozens of unrelated terms, and the clauses that *use* the term ("... during handover the UE ...")
outrank the one that *defines* it. Of the answer benchmark's dev questions whose answering clause was not
among the sources, the "What is X according to the 3GPP vocabulary?" and "What does X stand for?" ones were
all of this kind (docs/benchmarks.md). So a question of that form looks its term up, as a reader looks it up
in a glossary:

- `asked_term` reads the term from the question's form alone ("What is a split bearer in MR-DC?" ->
  definition of "split bearer"; "What does HARQ stand for?" -> abbreviation "HARQ");
- `Glossary` maps every term of the index's glossary chunks to the chunks whose line defines it; the
  retriever puts the best such chunk first (`Retriever.search`);
- `defines` tells the grounding which sentence of a source is that line, so it leads the answer.

A term no glossary line defines ("What is the maximum number of ...?") changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from app.expansion import find_abbreviations_in
from app.procedure_text import LABELLED, STEP, owned, steps
from app.sentences import STOPWORDS, strip_citations, terms
from telecomgpt.domain.tgpp_glossary import abbreviation_letters

GLOSSARY_TITLE = re.compile(r"\b(?:definitions?|abbreviations?|terms|vocabulary)\b", re.I)
"""Titles of the clauses that define terms ("Terms and definitions", "Definitions", "Abbreviations")."""
ABBREVIATION_TITLE = re.compile(r"\babbreviations?\b", re.I)
VOCABULARY_SPEC = "21.905"
"""TR 21.905, "Vocabulary for 3GPP Specifications": every spec's clause 3 defers to it, so where retrieval
did not rank any of the defining chunks, its line is the one shown."""
MAX_TERM_WORDS = 6
ABBREVIATION_WORDS = 12
"""Most words of an abbreviation line (the abbreviation and its expansion)."""

_ARTICLE = r"(?:(?:a|an|the)\s+)?"
_TAIL = r"(?:\s+(?:according\s+to|in|within|under|for|as\s+(?:defined|used)\s+(?:in|by))\b.*)?"
_LINKING_WORDS = frozenset({"a", "an", "the", "of", "in", "for", "and", "or", "to", "on", "by", "with"})
_ASKS = (
    ("abbreviation", re.compile(r"^\s*what\s+(?:does|do|is)\s+(?:the\s+)?(?:abbreviation\s+|acronym\s+)?"
                                r"[\"'\u201c]?(?P<term>[A-Za-z0-9][\w/\-]*?)[\"'\u201d]?\s+(?:stand\s+for|"
                                r"short\s+for|abbreviate)\b", re.I)),
    ("abbreviation", re.compile(r"^\s*what\s+is\s+the\s+(?:full\s+form|expansion|expanded\s+form)\s+of\s+"
                                r"(?:the\s+)?(?:abbreviation\s+|acronym\s+)?[\"'\u201c]?(?P<term>[A-Za-z0-9][\w/\-]*?)"
                                r"[\"'\u201d]?(?:\s+(?:in|within)\b.*)?\s*\??\s*$", re.I)),
    ("definition", re.compile(rf"^\s*what\s+does\s+{_ARTICLE}(?P<term>.+?)\s+mean{_TAIL}\s*\??\s*$", re.I)),
    ("definition", re.compile(rf"^\s*how\s+(?:is|are)\s+{_ARTICLE}(?P<term>.+?)\s+defined{_TAIL}\s*\??\s*$",
                              re.I)),
    # "What is the role of X?" asks what X does: X's definition line says it ("**Home Environment:**
    # responsible for overall provision and control of ..."); its expansion does not (see `defines`)
    ("role", re.compile(r"^\s*what\s+(?:is|are)\s+the\s+(?:main\s+)?(?:(?:purpose|role|function|task|job)s?"
                        rf"|functionalit(?:y|ies)|responsibilit(?:y|ies))\s+of\s+{_ARTICLE}(?P<term>.+?)"
                        rf"{_TAIL}\s*\??\s*$", re.I)),
    ("role", re.compile(rf"^\s*what\s+(?:is|are)\s+{_ARTICLE}(?P<term>.+?)\s+(?:used|responsible)\s+for"
                        rf"{_TAIL}\s*\??\s*$", re.I)),
    ("role", re.compile(rf"^\s*what\s+(?:does|do)\s+{_ARTICLE}(?P<term>.+?)\s+do{_TAIL}\s*\??\s*$", re.I)),
    # "Why is PDCP duplication used?", "Why does the UE need a Timing Advance?" ask what X is for
    ("role", re.compile(rf"^\s*why\s+(?:is|are)\s+{_ARTICLE}(?P<term>.+?)\s+(?:used|needed|required)"
                        rf"{_TAIL}\s*\??\s*$", re.I)),
    ("role", re.compile(rf"^\s*why\s+(?:does|do)\s+{_ARTICLE}[^?]+?\s+(?:need|use|require)\s+{_ARTICLE}"
                        rf"(?P<term>.+?){_TAIL}\s*\??\s*$", re.I)),
    # "Which protocol layers does the gNB-DU host?", "What functionality does the SCP include?": what X
    # hosts or offers is its role, which its definition line says ("gNB Distributed Unit (gNB-DU): a
    # logical node hosting RLC, MAC and PHY layers ..."); what a channel carries is its job too ("What does
    # the PUCCH carry?": "Physical uplink control channel (PUCCH) carries the Uplink Control Information ...")
    ("role", re.compile(rf"^\s*(?:what|which)\b(?P<wanted>[^?]*?)\b(?:does|do)\s+{_ARTICLE}"
                        rf"(?P<term>[^?]+?)\s+"
                        rf"(?:(?:host|support|provide|perform|handle|terminate|include|offer|(?:inter)?connect|"
                        rf"comprise|contain)s?|carry|carries|serves?\s+as|consists?\s+of)"
                        rf"(?:\s+(?:to|towards)\b[^?]*)?{_TAIL}\s*\??\s*$",
                        re.I)),
    # "How long is a radio frame in NR?": its definition says ("**Radio frame:** A radio frame is a numbered
    # time interval of 10 ms duration ...", TR 21.905), and TS 38.211's own sentence lost its number
    ("definition", re.compile(rf"^\s*how\s+long\s+(?:is|are)\s+{_ARTICLE}(?P<term>.+?){_TAIL}\s*\??\s*$",
                              re.I)),
    ("definition", re.compile(rf"^\s*(?:what\s+(?:is|are)\s+(?:meant\s+by\s+|the\s+(?:definition|meaning)\s+"
                              rf"of\s+)?|define\s+|definition\s+of\s+){_ARTICLE}(?P<term>.+?){_TAIL}\s*\??\s*$",
                              re.I)),
)
_DEFINITION_LINE = re.compile(r"^\s*(?:[-*\u2022]\s*)?\*{0,2}(?P<term>[^:*\n]{1,80}?)\s*"
                              r"(?::\s*\*{0,2}|\*{0,2}\s*:)\s*(?P<body>\S)")
"""A glossary definition line: "**Handover:** The transfer ...", "Child node: IAB-DU's next hop ...", a
list item of a note's glossary: "- **HARQ**: Hybrid Automatic Repeat Request", or a parameter's line in a
procedure's list (the Markdown specs write the dash without a space: "-ra-ResponseWindow: the time ...")."""
PARAMETER_LINE = re.compile(r"^[ \t]*[-*\u2022]?[ \t]*(?P<name>(?=[\w\-]*[A-Z])[a-z][A-Za-z0-9]*"
                            r"(?:-[A-Za-z0-9]+)*|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)"
                            r"[ \t]*(?:\([^()\n]{1,30}\))?[ \t]*:[ \t]*\S", re.M)
"""A line defining a protocol parameter or variable where a procedure lists them ("The following UE
variables are used for the Random Access procedure: -ra-ResponseWindow: the time window to monitor RA
response(s) ...", "-PREAMBLE_INDEX: ..."), outside any Definitions clause: the name has an inner capital
("preambleTransMax", "sr-ProhibitTimer (per SR configuration)") or is in capitals with underscores, so
ordinary list items ("-Too early PSCell change: ...") are not read as one."""
_PARENTHESIS = re.compile(r"\s*\(([^()]{1,20})\)\s*$")


@dataclass(frozen=True)
class AskedTerm:
    """What a question asks to be defined: `kind` "definition", "role" ("What is the role of X?") or
    "abbreviation", and the term as typed; `wanted`: what a role question asks X has ("protocol layers" in
    "Which protocol layers does the gNB-DU host?"), empty when it asks for X's role as a whole."""

    kind: str
    term: str
    wanted: str = ""
    alias: str = ""
    """The term's other name in the index's abbreviation table (`with_alias`): the expansion of an
    abbreviation asked about ("Secondary Cell Group" for "What is the SCG?") or the abbreviation of a full
    name ("RNA" for "What is a RAN-based Notification Area?"); empty where the table has none."""


def normalize_term(term: str) -> str:
    """Lower case, one space, no markup, no leading article: the key terms are matched by."""
    term = re.sub(r"[*_`\"'\u201c\u201d]", "", term).strip().lower()
    return " ".join(re.sub(r"^(?:a|an|the)\s+", "", term).split())


def asked_term(question: str) -> AskedTerm | None:
    """The term a "What is X?" / "What does X mean?" / "What does X stand for?" question asks about, or None
    when the question is of another form (or the "term" is a whole clause: more than MAX_TERM_WORDS words).
    A request asks as its question does ("Explain the role of the AMF.": `as_question`)."""
    text = as_question(" ".join(question.split())).rstrip(" .!")  # "Define RRC_INACTIVE."
    # "What does the UE do in RRC_INACTIVE when ...?" asks what follows a condition; "What is the difference
    # between the MCG and the SCG?" asks two terms (`asked_pair`)
    if asked_condition(text) or asked_pair(text):
        return None
    for kind, pattern in _ASKS:
        match = pattern.match(text)
        if match:
            term = match["term"].strip(" \"'\u201c\u201d")
            if (term and len(term.split()) <= MAX_TERM_WORDS and re.search(r"[A-Za-z]", term)
                    and normalize_term(term) not in _NOT_A_TERM):
                wanted = match.groupdict().get("wanted") or ""
                # what a procedure is, is what it is for: "What is the Service Request procedure?" was led
                # by TR 21.905's "**Service request:** ... one invocation of the service through a service
                # request primitive.", and its clause's "The Service Request procedure is used by a UE ..."
                # came after; asked what it is for, that sentence leads
                if kind == "definition" and _PROCEDURE.search(normalize_term(term)):
                    kind = "role"
                return AskedTerm(kind, term, " ".join(sorted(_content_words(wanted) - _ANY_ROLE)))
    return None


_PAIR = r"(?P<first>[^?]+?)\s+(?:and|or|vs\.?|versus)\s+(?P<second>[^?]+?)"
_COMPARES = (
    re.compile(rf"^\s*(?:what\s+(?:is|are)\s+)?(?:the\s+)?(?:main\s+|key\s+)?differences?\s+between\s+{_PAIR}"
               rf"{_TAIL}\s*\??\s*$", re.I),
    re.compile(rf"^\s*how\s+(?:does|do|is|are)\s+(?P<first>[^?]+?)\s+(?:differ|different)\s+from\s+"
               rf"(?P<second>[^?]+?){_TAIL}\s*\??\s*$", re.I),
    re.compile(rf"^\s*how\s+do\s+{_PAIR}\s+differ{_TAIL}\s*\??\s*$", re.I),
    re.compile(rf"^\s*compare\s+(?P<first>[^?]+?)\s+(?:and|with|to)\s+(?P<second>[^?]+?){_TAIL}\s*[?.]?\s*$",
               re.I),
    re.compile(r"^\s*(?P<first>[^?]+?)\s+(?:vs\.?|versus)\s+(?P<second>[^?]+?)\s*\??\s*$", re.I),
)
"""Questions asking how two things differ: "What is the difference between the MCG and the SCG?", "How does
SUCI differ from SUPI?", "How do RRC_IDLE and RRC_INACTIVE differ?", "Compare SSC mode 1 and SSC mode 3.",
"PCell vs SCell"."""


def asked_pair(question: str) -> tuple[AskedTerm, AskedTerm] | None:
    """The two terms a question asks the difference of, each as a "What is X?" would ask it (the answer
    leads with each one's definition: a spec says what each is, rarely how they differ); None for other
    forms or where a "term" is a whole clause (more than MAX_TERM_WORDS words)."""
    text = as_question(" ".join(question.split())).rstrip(" .!")  # "Explain the difference between ..."
    for pattern in _COMPARES:
        match = pattern.match(text)
        if match:
            pair = tuple(re.sub(r"^(?:a|an|the)\s+", "", match[part].strip(" \"'\u201c\u201d"), flags=re.I)
                         for part in ("first", "second"))
            if all(term and len(term.split()) <= MAX_TERM_WORDS and re.search(r"[A-Za-z]", term)
                   for term in pair) and normalize_term(pair[0]) != normalize_term(pair[1]):
                return AskedTerm("definition", pair[0]), AskedTerm("definition", pair[1])
    return None


_REQUEST = re.compile(r"^\s*(?:please\s+)?(?:(?:briefly|shortly)\s+)?"
                      r"(?:explain|describe|outline|summari[sz]e|tell\s+me(?:\s+about)?|list|"
                      r"give\s+(?:me\s+)?(?:an?\s+)?(?:overview\s+of\s+)?)\s+"
                      r"(?P<rest>.+?)[\s.?!]*$", re.I)
_EMBEDDED = re.compile(r"^(?:what|which)\s+(?P<subject>.+?)\s+(?P<verb>is|are|does|do)$", re.I)
_PLURAL_ROLE = re.compile(r"^(?:the\s+)?(?:main\s+)?(?:functions|responsibilities|tasks|roles|services)\b",
                          re.I)


def as_question(text: str) -> str:
    """A request put as the question it asks, for the question forms (`asked_term`): "Explain the role of
    the AMF." -> "What is the role of the AMF?", "List the functions of the UPF." -> "What are the functions
    of the UPF?", "Tell me what the NEF does." -> "What does the NEF do?", "Explain what a QoS flow is." ->
    "What is a QoS flow?", "Describe the F1 interface." -> "What is the F1 interface?". Engineers ask so; the
    forms did not, and such a request got no lookup. Any other text is returned as it is."""
    match = _REQUEST.match(text)
    if not match:
        return text
    rest = match["rest"]
    embedded = _EMBEDDED.match(rest)
    if embedded:
        subject, verb = embedded["subject"], embedded["verb"].lower()
        return f"What {verb} {subject} do?" if verb in ("does", "do") else f"What {verb} {subject}?"
    if re.match(r"(?:what|which|how|why|when|where|who)\b", rest, re.I):
        return f"{rest[0].upper()}{rest[1:]}?"
    return f"What {'are' if _PLURAL_ROLE.match(rest) else 'is'} {rest}?"


def with_alias(asked: AskedTerm | None, abbreviations: dict[str, str]) -> AskedTerm | None:
    """`asked` with its other name from `abbreviations` (abbreviation -> expansion, the index's merged
    table): a spec defines a term under one name and writes the other. "What is the SCG?" is answered by
    TS 37.340's "Secondary Cell Group: in MR-DC, a group of serving cells associated with the Secondary
    Node, ...", not by the line "SCG Secondary Cell Group" that only spells it out, and "What is a RAN-based
    Notification Area?" by TS 38.300's sentences on the RNA, which never spell it out. No alias for the
    question what an abbreviation stands for (its expansion is the answer), nor where a full name is the
    expansion of several abbreviations ("Handover": HO, HANDO)."""
    if asked is None or asked.kind == "abbreviation" or not abbreviations:
        return asked
    alias = other_name(asked.term, abbreviations)
    return replace(asked, alias=alias) if alias else asked


def other_name(term: str, abbreviations: dict[str, str]) -> str:
    """The other name of `term` in `abbreviations` (abbreviation -> expansion): its expansion if it is an
    abbreviation, else the one abbreviation it is the full name of; "" where there is none or several."""
    term = term.strip()
    expansion = abbreviations.get(term) or abbreviations.get(term.upper())
    if expansion:
        return expansion
    key = normalize_term(term)
    short = [abbreviation for abbreviation, full in abbreviations.items() if normalize_term(full) == key]
    if len(short) == 1:
        return short[0]
    # a name with one abbreviation among its words, spelt out: "SN Modification procedure" is TS 37.340's
    # "Secondary Node Modification procedure"
    words = term.split()
    spelt = [i for i, word in enumerate(words) if len(words) > 1 and _ABBREVIATION_WORD.fullmatch(word)
             and abbreviations.get(word)]
    if len(spelt) == 1:
        words[spelt[0]] = abbreviations[words[spelt[0]]]
        # "F1-U interface" -> "F1 User plane interface", not "... interface interface"
        return re.sub(r"\b(\w+)\s+\1\b", r"\1", " ".join(words), flags=re.I)
    return ""


_ABBREVIATION_WORD = re.compile(r"[A-Z][A-Z0-9\-]*[A-Z0-9]")
"""A word written as an abbreviation ("SN", "5GC" is not: an abbreviation starts with a letter here)."""


def _alias_keys(asked: AskedTerm) -> set[str]:
    """The normalized keys of the asked term's other name: of an expansion listing several ("Hybrid ARQ,
    Hybrid Automatic Repeat Request"), each part that spells the abbreviation, else the whole."""
    if not asked.alias:
        return set()
    parts = [part.strip() for part in asked.alias.split(",")]
    spelling = [part for part in parts if part and _spells(asked.term, part)]
    return {normalize_term(part) for part in (spelling if len(parts) > 1 and spelling else [asked.alias])}


_ANY_ROLE = frozenset({"function", "functionality", "functionalitie", "service", "feature", "task", "role",
                       "job", "capabilitie", "capability", "thing", "main", "key", "other", "kind", "type",
                       "following"})
"""Words of a role question that ask for X's role as a whole ("Which functions does the AMF host?"), after
`_content_words` took a plural's "s" off."""


def _content_words(text: str) -> set[str]:
    """The words of `text` that carry content, lower case, hyphenated words split, a plural's "s" taken
    off ("NAS-related functions" -> {"nas", "related", "function"})."""
    words = {w for w in re.findall(r"[a-z0-9_]+", text.lower()) if w not in _LINKING_WORDS and len(w) > 1}
    return {singular(w) for w in words}


def singular(word: str) -> str:
    """A word lower case with a plural's "s" taken off ("functions" -> "function", "AMFs" -> "amf")."""
    word = word.lower()
    return word[:-1] if len(word) > 3 and word.endswith("s") else word


_NOT_A_TERM = frozenset({"term", "name", "word", "acronym", "abbreviation"})
""""What is the term for a cell that a UE camps on?" asks for a name, not what "term" means."""


def line_terms(line: str) -> list[str]:
    """The normalized terms a definition line defines: its head, and for "Full name (ABBR)" both names."""
    match = _DEFINITION_LINE.match(line)
    if not match:
        return []
    head = match["term"].strip()
    keys = [normalize_term(head)]
    short = _PARENTHESIS.search(head)
    if short:
        keys += [normalize_term(head[:short.start()]), normalize_term(short.group(1))]
    return [k for k in keys if k]


def expands(line: str, abbreviation: str) -> bool:
    """Whether `line` is an abbreviation line for `abbreviation`: the abbreviation, then its expansion after
    a space or tab or glued to it (the Markdown specs lose the table's column break: "AMFAccess and Mobility
    Management Function"); short and unpunctuated, which tells it from a sentence that starts with the name
    ("gNB provides NR user plane ... towards the UE.")."""
    line = line.strip()
    if not line[:len(abbreviation)].lower() == abbreviation.lower() or len(line) <= len(abbreviation):
        return False
    rest = line[len(abbreviation):]
    return ((rest[0].isspace() or rest[0].isupper() or rest[0].isdigit()) and len(rest.split()) >= 1
            and len(line.split()) <= ABBREVIATION_WORDS and not line.endswith(".")
            and not _longer_abbreviation(abbreviation, rest))


def _longer_abbreviation(abbreviation: str, rest: str) -> bool:
    """Whether an abbreviation line that starts with `abbreviation` (then `rest`) is the entry of a longer
    abbreviation that begins with it: the word after it (glued or not) continues the name, and the words
    after that spell the longer one ("IMS GWF IMS GateWay Function", "IMSI International Mobile Subscriber
    Identity", "RACH Random Access CHannel") or their initials the next word ("IMS ALG Application Level
    Gateway"). Not "IMS IP Multimedia Subsystem", "NGAPNG Application Protocol" (a Markdown table's lost
    column break), "gNB NR Node B" or "PPW PRS Processing Window": nothing there spells the longer name."""
    words = rest.split()
    if len(words) < 2 or any(c.islower() for c in words[0]):
        return False  # the expansion starts at once ("HARQ Hybrid ARQ, ...")
    expansion = " ".join(words[1:])
    if not rest[0].isspace():  # glued: "IMSI International ..."
        return _spells(abbreviation + words[0], expansion)
    initials = "".join(w[0] for w in re.split(r"[\s\-/]+", expansion) if w and w[0].isalnum()).upper()
    return _spells(f"{abbreviation} {words[0]}", expansion) or initials.startswith(words[0].upper())


def _spells(name: str, expansion: str) -> bool:
    """Whether `expansion` spells the abbreviation `name`: its first letter starts the expansion and the
    others follow in order ("RACH" in "Random Access CHannel", "L2R BOP" in "L2R Bit Orientated Protocol")."""
    letters, text = abbreviation_letters(name), abbreviation_letters(expansion)
    rest = iter(text[1:])
    return bool(letters and text) and letters[0] == text[0] and all(c in rest for c in letters[1:])


def entries_apart(text: str) -> str:
    """An Abbreviations clause's text with a blank line after each entry line (short, no full stop), so that
    a sentence splitter reading single line breaks as wrapping keeps "AMF Access and ..." and "AoI Area of
    Interest" apart, and the wrapped prose of its introduction together."""
    return "\n".join(f"{line}\n" if line.strip() and len(line.split()) <= ABBREVIATION_WORDS
                     and not line.rstrip().endswith((".", ",", ";", ":")) else line
                     for line in text.splitlines())


def definitions_apart(text: str) -> str:
    """A Definitions clause's text with a blank line before each definition line, so that a sentence
    splitter reading single line breaks as wrapping does not join an entry that starts in lower case to the
    one before: TS 38.401 §3.1 became "The gNB-CU terminates the F1 interface connected with the gNB-DU.
    gNB Distributed Unit (gNB-DU): a logical node hosting RLC, MAC and PHY layers ...", one sentence that
    defines nothing."""
    return "\n".join(f"\n{line}" if line_terms(line) else line for line in text.splitlines())


def spaced(line: str, abbreviation: str) -> str:
    """An abbreviation line with its expansion glued to it given the space it lost ("AMFAccess and ..." ->
    "AMF Access and ..."); any other line as it is."""
    if expands(line, abbreviation) and not line.strip()[len(abbreviation)].isspace():
        line = line.strip()
        return f"{line[:len(abbreviation)]} {line[len(abbreviation):]}"
    return line


_SUBLAYER = re.compile(r"\b(sub)?layer$")
_PROCEDURE = re.compile(r"\s+procedure$")
"""A procedure is named with or without the word: "Random access gives a UE uplink synchronisation ..." says
what the random access procedure is for, "Paging allows the network to reach UEs ..." (TS 38.300 §9.2.5) what
the paging procedure is for."""
_INTERFACE = re.compile(r"^(?P<name>[a-z][a-z0-9]*(?:-[a-z0-9]+)*)\s+interface$")
"""An interface is named with or without the word: "Xn-U provides non-guaranteed delivery of user plane PDUs
and supports the following functions" (TS 38.300 §4.3.2.1) says what the Xn-U interface does."""
_SYSTEM = "nr "
"""A qualifier naming the radio system before a thing's name, which the NR specs leave out."""
_SHORTEST_BARE = 6
"""A one-word name left without "procedure" is a key from this many letters: "paging", "registration", not
"setup" or "reset" alone, which open sentences about other things."""


def _keys(asked: AskedTerm, glossary: bool = False) -> set[str]:
    """The asked term's keys (`_name_keys`) and its other name's (`_alias_keys`). What a procedure is for
    is no glossary line's: "**Service request:** This is defined as being one invocation of the service
    through a service request primitive." (TR 21.905) led "What is the purpose of the Service Request
    procedure?", which TS 23.502 answers ("The Service Request procedure is used by a UE in CM-IDLE state
    or the 5GC to request the establishment of a secure connection to an AMF.")."""
    keys = _name_keys(asked.term, glossary) | _alias_keys(asked)
    if glossary and asked.kind == "role" and is_procedure(asked):
        keys = {key for key in keys if _PROCEDURE.search(key)}
    return keys


def _name_keys(term: str, glossary: bool = False) -> set[str]:
    """A term's keys: itself, without a plural's "s" ("split bearers"), a sublayer as a layer and
    back (TS 38.323 §4.4: "The PDCP layer supports the following functions", asked about its sublayer), and a
    procedure without the word "procedure" (`_PROCEDURE`), an interface without the word "interface"
    (`_INTERFACE`), a sublayer named by its abbreviation alone ("The main services and functions of SDAP
    include: ..."), a name after "NR" without it (`_SYSTEM`). For a glossary line (`glossary`), a one-word
    name left without "procedure" is no key: "**Paging:** The act of seeking a User Equipment." says what the
    word means, not what the paging procedure is for, and would come first as the asked term's definition."""
    key = normalize_term(term)
    keys = {key, key[:-1]} if key.endswith("s") and len(key) > 4 else {key}
    # "the NR RLC sublayer": NR names the system, which TS 38.300 never repeats ("The RLC sublayer supports
    # three transmission modes")
    keys |= {k.removeprefix(_SYSTEM) for k in keys if k.startswith(_SYSTEM) and len(k) > len(_SYSTEM) + 2}
    keys |= {bare for bare in (_PROCEDURE.sub("", k) for k in keys if _PROCEDURE.search(k))
             if " " in bare or (not glossary and len(bare) >= _SHORTEST_BARE)}
    keys |= {match["name"] for match in map(_INTERFACE.match, keys) if match and len(match["name"]) >= 2}
    layer = re.match(r"^(?:NR\s+)?([A-Z]{2,5})\s+(?:sub)?layer$", term.strip())  # "SDAP sublayer": SDAP
    keys |= {layer[1].lower()} if layer else set()
    return keys | {_SUBLAYER.sub(lambda m: "layer" if m[1] else "sublayer", k) for k in keys
                   if _SUBLAYER.search(k) and " " in k}


def defines(sentence: str, asked: AskedTerm) -> bool:
    """Whether `sentence` is the glossary line defining (or expanding) the asked term; for a question about
    its role, only a definition line that says more than the name ("AMF Access and Mobility Management
    Function" says nothing of what the AMF does)."""
    if asked.kind == "role":
        # "Which RRC states does NR support?": "**NR:** fifth generation radio access technology" defines NR
        # but names no RRC state, so it does not answer
        return (bool(_keys(asked, glossary=True) & set(line_terms(sentence)))
                and not _only_expands(sentence, asked.term)
                and (not asked.wanted or mentions_wanted(sentence, asked)))
    return bool(_keys(asked, glossary=True) & set(line_terms(sentence))) or expands(sentence, asked.term)


def says_what_it_is(sentence: str, asked: AskedTerm) -> bool:
    """Whether `sentence` says what the asked term is: its definition or expansion line (`defines`), prose
    saying what it is (`states_what`, `calls_it`), or a sentence with it as its subject (`opens_with`:
    "-The gNB-CU-UP is connected to the gNB-CU-CP through the E1 interface;")."""
    return (defines(sentence, asked) or states_what(sentence, asked) or calls_it(sentence, asked)
            or opens_with(sentence, asked))


def reference_point_name(term: str) -> str:
    """An interface's name as TS 23.501 writes the 5GC's ("N3 interface" -> "N3 reference point", listed as
    "N3:Reference point between the (R)AN and the UPF."); "" for a term naming no interface."""
    match = _INTERFACE.match(normalize_term(term))
    return f"{match['name']} reference point" if match else ""


_FIELD = re.compile(r"^(?:this|the)\s+field\b", re.I)


def defines_in_line(line: str, asked: AskedTerm) -> bool:
    """Whether `line` is a definition line ("name: text") of the asked term as named (not its other name)
    saying more than its expansion, wherever it stands: TS 23.501 lists its reference points in a clause of
    prose ("N3:Reference point between the (R)AN and the UPF."). A MAC CE's field line says what the field
    holds, not what the thing is: "-SUL: This field indicates whether the MAC CE applies to the NUL carrier
    or SUL carrier configuration." led "What is supplementary uplink?"."""
    match = _DEFINITION_LINE.match(line)
    return (bool(match) and bool(_name_keys(asked.term, glossary=True) & set(line_terms(line)))
            and not _only_expands(line, asked.term) and not _FIELD.match(line[match.start("body"):]))


def mentions_wanted(sentence: str, asked: AskedTerm, every: bool = False) -> bool:
    """Whether `sentence` names one of the words of what a role question asks the term has ("layers" for
    "Which protocol layers does the gNB-DU host?"), or with `every` all of them ("SSC" and "modes" for "What
    SSC modes does the 5G System support?"); false when it asks for the role as a whole."""
    wanted, words = set(asked.wanted.split()), _content_words(sentence)
    return bool(wanted) and (wanted <= words if every else bool(wanted & words))


def _only_expands(line: str, term: str) -> bool:
    """Whether a definition line's text is only the term's expansion ("- **AMF**: Access and Mobility
    Management Function", as a note's glossary writes abbreviations): short, no full stop, spelling it."""
    match = _DEFINITION_LINE.match(line)
    body = line[match.start("body"):].strip() if match else ""
    return (bool(body) and len(body.split()) <= ABBREVIATION_WORDS and not body.endswith(".")
            and _spells(term, body))


_NOT_AN_ENTRY = re.compile(r"^\s*(?:[-*\u2022]\s+)?\*{0,2}(?:NOTE|EXAMPLE|Editor'?s\s+note)\b", re.I)


def glossary_entry(line: str, listed: bool = False) -> bool:
    """Whether `line` is one entry of a glossary: a definition line ("**Node B:** A logical node ...") or,
    in an Abbreviations clause (`listed`), a short unpunctuated line ("IMS GWF IMS GateWay Function"). A
    NOTE or EXAMPLE under an entry continues it and is not one."""
    if _NOT_AN_ENTRY.match(line):
        return False
    line = line.strip()
    return bool(line_terms(line)) or (listed and len(line.split()) <= ABBREVIATION_WORDS
                                      and not line.endswith("."))


def defines_another(line: str, asked: AskedTerm, listed: bool = False) -> bool:
    """Whether `line` is the glossary entry of some other term than the asked one: beside the asked term's
    own line it answers a question nobody asked ("What is a Node B?" shown "**Network termination:** ..."
    from the same glossary chunk)."""
    return glossary_entry(line, listed) and not defines(line, asked)


_LOOKED_UP = {"abbreviation": ("abbreviation",), "role": ("definition",)}
"""The glossary lines each kind of question reads, in order (a definition question falls back to the
abbreviation's expansion; a role question never does, see `defines`)."""


WORD = re.compile(r"\w[\w\-]*\w|\w")
"""A word as written, a name with inner hyphens one word ("NR-DC", "gNB-CU-UP")."""
_NAME = re.compile(r"(?=[\w\-]*(?:\d|[-_]|[a-z][A-Z]))[\w\-]+")
"""An identifier, which names one thing alone: a word with an inner capital, a digit, a hyphen or an
underscore ("MasterInformationBlockSidelink", "ra-ResponseWindow", "NR-DC", "T310"), unlike "message", or
an abbreviation that a qualifier may narrow ("PLMN" in "Home PLMN")."""


def names(line: str, asked: AskedTerm, closely: bool = False) -> bool:
    """Whether `line` names the asked term, or one of its words, as a word of its own ("NSSAI" in "S-NSSAI
    Single Network Slice Selection Assistance Information"; "**Handover:** ..." for "What is the definition
    of an Intra PLMN handover?", a term no line defines); `closely`: every word of it ("network slice": not
    a sentence about the network alone), or an identifier in it ("MasterInformationBlockSidelink" for "the
    MasterInformationBlockSidelink message"). A term with an identifier in it is named only with it: "The
    Xn-C interface supports the following functions" does not name the Xn-U interface."""
    text = normalize_term(line)
    words = set(re.findall(r"\w+", text)) | set(WORD.findall(text))  # "NSSAI" and "NR-DC"
    words |= {w[:-1] for w in words if w.endswith("s")}  # "frames" names the frame
    # the other name counts whole: "cell" alone does not name the SCG, its "Secondary Cell Group"
    for key in _alias_keys(asked):
        wanted = set(WORD.findall(key)) - _LINKING_WORDS
        if wanted and wanted <= words:
            return True
    own = {normalize_term(w) for w in WORD.findall(asked.term) if _NAME.fullmatch(w)}
    if own and not own & words:
        return False
    short = _PARENTHESIS.search(asked.term)  # "network allocation vector (NAV)": either name
    for key in _name_keys(asked.term) | ({normalize_term(short.group(1))} if short else set()):
        wanted = set(WORD.findall(key)) - _LINKING_WORDS  # "(NAV)" is the word "nav"
        if wanted and (wanted <= words or (not closely and wanted & words) or own & wanted & words):
            return True
    return False


def opens_with(sentence: str, asked: AskedTerm) -> bool:
    """Whether `sentence` has the asked term as its subject, first after a list marker or an article ("The
    AMF terminates NAS signalling ..." for "What is the role of the AMF?"): it says what the term is or
    does, where a sentence that only mentions it ("... the NAS signalling connection between UE and AMF")
    says something else; "The Session Management function (SMF) hosts ..." has the SMF as its subject)."""
    return _subject_end(sentence, asked) is not None


def _subject_end(sentence: str, asked: AskedTerm) -> tuple[str, int] | None:
    """The sentence as its subject is matched (`_opening`) and where the asked term ends in it when the term
    opens it, as itself, a plural or a full name with it in brackets; else None."""
    # "The purpose of the NG Setup procedure is to ...": the procedure is the subject
    text = _SUBJECT_PREFIX.sub("", _opening(sentence))
    for key in sorted(_keys(asked), key=len, reverse=True):  # the whole name first ("... procedure is to")
        # "The Scheduling Request (SR) is used for ...": the name's abbreviation in brackets is part of it
        # and a protocol is its (sub)layer or entity ("The RLC sublayer supports three transmission modes")
        # a hyphen or a space between its words ("A control-resource set ..." for a Control Resource Set)
        name = re.sub(r"\\[\s\-]", r"[\\s\\-]", re.escape(key))
        match = re.match(rf"(?:[\w\s\-]{{1,80}}\({name}\)|{name}(?:s|es)?\b"
                         r"(?:\s+(?:sub)?layer\b|\s+entity\b)?(?:\s*\([\w\-]{1,12}\))?)", text)
        if match:
            return text, match.end()
    return None


def _opening(sentence: str) -> str:
    """A sentence as its subject is matched: normalized (`normalize_term`), list marker or step left out."""
    return normalize_term(re.sub(r"^[\s\-*\u2022\d.>)]*", "", sentence))


def opens_with_kind(sentence: str, asked: AskedTerm) -> bool:
    """Whether `sentence` has a kind of the asked term as its subject, one or two words before it and not
    itself: "Conditional handover and DAPS handover are variants." says what those kinds are, and led the
    answer to "What is a handover?" above the sentence on what the source gNB and the UE do."""
    if opens_with(sentence, asked):
        return False
    text = _opening(sentence)
    for key in _keys(asked):
        match = re.match(rf"((?:[\w/\-]+\s+){{1,2}}){re.escape(key)}(?:s|es)?\b", text)
        if match and not set(match.group(1).split()) & STOPWORDS:
            return True
    return False


_SUBJECT_PREFIX = re.compile(r"^(?:(?:purpose|role|(?:main\s+)?(?:services\s+and\s+)?functions|functionality)"
                             r"\s+of\s+(?:(?:the|this|an?)\s+)?|definition\s*\|\s*(?:(?:the|an?)\s+)?)")
"""What comes before the subject where 3GPP says what a thing is or is for: "The purpose of the NG Setup
procedure is to exchange application level data ..." (TS 38.413 §8.7.1.1) says what the procedure does,
"The main services and functions of the MAC sublayer include: ..." (TS 38.300 §6.2.1) what the MAC does; a
measurement's table row "| Definition | Secondary synchronization signal reference signal received quality
(SS-RSRQ) is defined as the ratio of ..." (TS 38.215 §5.1.3) what the measurement is."""
_SAYS_WHAT = re.compile(r"\s+(?:is|are)\s+(?:a|an|the|one|defined\s+as)\s|\s+(?:refers?\s+to|denotes?|"
                        r"serves?\s+as|consists?\s+of)\s")
"""After a sentence's subject, the words that say what it is: "RRC_INACTIVE is a state where ...", "A
control-resource set consists of […] resource blocks in the frequency domain ...", "A resource
block is defined as 12 consecutive subcarriers ...", "Point A serves as a common reference point ...", not
"A QoS Flow is associated with ..." or "RRC_INACTIVE is not supported by ..."."""
_LISTS_ROLE = (r"(?:\s+in\s+the\s+case\s+of\s+[^.:;]{1,60}?)?\s+(?:may\s+also\s+)?"
               r"(?:includes?|hosts?|supports?|provides?|performs?)\s+(?:[\w\-]+\s+){0,5}?following\b")
"""A stem listing what its subject does: "... (UDR) supports the following functionality:", "(The
functionality of) N3IWF in the case of untrusted non-3GPP access includes the following:"."""
_SAYS_ROLE = re.compile(_LISTS_ROLE + r"|\s+(?:is|are)\s+responsible\s+for\b|\s+serves?\s+as\s"
                        r"|\s+(?:is|are)\s+to\s|\s+(?:allows?|enables?)\s+(?:[\w\-]+\s+){0,3}?to\s"
                        r"|\s+(?:(?:is|are|may\s+be|can\s+be)\s+(?:initiated|triggered)\s[^.;:]{1,80}?\s+and\s+"
                        r"(?:is|are|be)|is|are)\s+(?:(?:used|needed)\s+(?:for|to)|required\s+for)\s"
                        r"|\s+allows?\s*:|\s+interacts?\s+with\s[^.;:]{1,60}?\s+in\s+order\s+to\s"
                        r"|\s+(?:is|are)\s+used\s+by\s[^.;:]{1,80}?\sto\s"
                        r"|\s+(?:depend\s+on\s+(?:[\w\-]+\s+){1,4}and\s+|over\s+the\s+[\w\-]+\s+interface\s+)?"
                        r"include\s*(?:\([^)]*\)\s*)?:")
"""After a sentence's subject, the words that say what it does: "The Network Repository Function (NRF)
supports the following functionality: ...", "The AMF hosts the following main functions ...", "The Service
Communication Proxy (SCP) includes one or more of the following functionalities", "(The purpose of) the NG
Setup procedure is to exchange ...", "Paging allows the network to reach UEs ...", "The Scheduling Request
(SR) is used for requesting UL-SCH resources ..." (not what it is "also used for"), "Power headroom reports
(PHR) are needed to provide support for power-aware packet scheduling.", "The Secondary Node Release procedure
may be initiated either by the MN or by the SN and is used to initiate the release of the UE context at the
SN." (or "... and be used to modify, establish or release bearer contexts ..."), "The Deregistration
procedure allows: -the UE to inform the network ...", "The Application Function (AF) interacts with the
3GPP Core Network in order to provide services ...", "The Service Request procedure is used by a UE in
CM-IDLE state or the 5GC to request ...", "(The main services and functions of) the RLC sublayer depend on
the transmission mode and include: ...". Not what it must do ("The AF is required to provide such
reference(s) in the AF requests ...")."""


def states_list(stem: str) -> bool:
    """Whether a list's stem says what its subject does (`_LISTS_ROLE`): "The Session Management function
    (SMF) includes the following functionality.", "The Unified Data Repository (UDR) supports the following
    functionality:"."""
    return bool(re.search(_LISTS_ROLE, stem, re.I))


def states_what(sentence: str, asked: AskedTerm) -> bool:
    """Whether `sentence` says what the asked term is (or for a role question, what it does), in a clause's
    prose rather than a glossary line: the term is its subject (`opens_with`) and a copula with an article
    follows ("The QoS Flow is the finest granularity of QoS differentiation in the PDU Session."), or for
    its role a verb that lists its functions ("The AMF hosts the following main functions: ..."). Where no
    glossary defines a term (TS 38.300 defines RRC_INACTIVE in §9.2.2.1, TS 23.501 the QoS Flow in
    §5.7.1.1, and says what the NEF does in §6.2.5.0) this is its definition."""
    subject = None if asked.kind == "abbreviation" else _subject_end(sentence, asked)
    if subject is None:
        return False
    says = _SAYS_ROLE if asked.kind == "role" else _SAYS_WHAT
    return bool(says.match(*subject))


def calls_it(sentence: str, asked: AskedTerm) -> bool:
    """Whether `sentence` defines the asked term by naming what it describes last: "Each element in the
    resource grid for antenna port [...] and subcarrier spacing configuration [...] is called a resource
    element and is uniquely identified by ..." (TS 38.211 §4.4.3) for "What is a resource element?", where
    "Resource-element groups within a control-resource set are numbered ..." led."""
    if asked.kind != "definition":
        return False
    text = normalize_term(sentence)
    return any(re.search(rf"\b(?:is|are)\s+(?:called|referred\s+to\s+as|known\s+as)\s+(?:an?\s+|the\s+)?"
                         rf"{re.escape(key)}s?\b", text) for key in _keys(asked))


_THIS_PROCEDURE = re.compile(r"^\W*the\s+purpose\s+of\s+this\s+procedure\s+is\s+to\b", re.I)
_THIS_PROCEDURE_USE = re.compile(r"^\W*this\s+procedure\s+(?:is|may\s+be|can\s+be)\s+"
                                 r"(?:used|initiated|invoked)\s+(?:by\s+[^.;:]{1,60}?\s+)?(?:to|when|for)\s",
                                 re.I)
"""Where the asked term is a procedure, "This procedure is used to / initiated when ..." says what it is for;
for another term it is a procedure in the term's clause ("This procedure is used to hand over a UE ..." in
a handover clause naming the UPF)."""


def is_procedure(asked: AskedTerm) -> bool:
    """Whether the asked term names a procedure ("Xn Setup procedure")."""
    return bool(_PROCEDURE.search(normalize_term(asked.term)))


def states_purpose_here(sentence: str, clause_text: str, asked: AskedTerm, title: str = "") -> bool:
    """Whether `sentence` says what the asked procedure is for, in the words of a clause about it: "The
    purpose of this procedure is to establish an RRC connection." (TS 38.331 §5.3.3.1, titled "General",
    whose text names RRC connection establishment) for "What is the purpose of the RRC connection
    establishment procedure?"; "This procedure is initiated by the AMF when the AMF wants to update access and
    mobility management related parameters in the UE configuration." (TS 23.502 §4.2.4.2) for what the UE
    Configuration Update procedure is for. A clause `title`d with the asked name is about it, though the
    question leaves out the word "procedure" ("What is the purpose of the Network Triggered Service
    Request?": TS 23.502 §4.2.3.3, "This procedure is used when the network needs to signal ... with a
    UE."); one titled with another name is about that one, whatever its text names (§4.2.4.2 names the
    Registration procedure, §4.4.2.2 "N4 Session Level Reporting Procedure" the PDU Session Modification)."""
    titled = titled_with(title, asked)
    about = titled or (not title or _GENERIC_TITLE.match(title)) and names(clause_text, asked, closely=True)
    procedure = is_procedure(asked) or titled
    # what a procedure is is what it is for ("Describe the AN Release procedure."); of anything else, its role
    asks = asked.kind == "role" or (asked.kind == "definition" and procedure)
    return (asks and bool(about) and bool(
        _THIS_PROCEDURE.match(sentence) or (procedure and _THIS_PROCEDURE_USE.match(sentence))))


_GENERIC_TITLE = re.compile(r"^\W*(?:general|overview|introduction|description|principles?)\b", re.I)
"""A clause title that names nothing: the clause is about what its text (and its parent) names."""


def titled_with(title: str, asked: AskedTerm) -> bool:
    """Whether a clause title opens with the asked name (either name, "procedure" aside): "AN Release" for
    the AN Release procedure, "UE Configuration Update procedure for transparent UE Policy delivery" for the
    UE Configuration Update procedure."""
    def name(text: str) -> str:
        return " ".join(re.sub(r"\bprocedures?\b", " ", normalize_term(text)).split())

    heading = name(title)
    return any(key and re.match(rf"{re.escape(key)}\b", heading)
               for key in {name(asked.term), name(asked.alias)})


_ROLE_VERB = re.compile(r"\s+(?:also\s+)?(?:manage|handle|terminate|control|host|provide|support|perform|"
                        r"include|maintain|allocate|store|enforce|forward|route|offer|expose|hold|define|contain|"
                        r"carrie)s\s")
"""After a subject, a verb saying what it does as its job, in the present tense ("the SMF manages PDU
sessions ...", "Physical uplink control channel (PUCCH) carries the Uplink Control Information ..."), not
what it does at one step of a procedure ("The SMF gets subscription data ...")."""


def sent_to_do(sentence: str, asked: AskedTerm) -> bool:
    """Whether `sentence` is a step sending the asked message for an end: "9.The target gNB sends a PATH
    SWITCH REQUEST message to AMF to trigger 5GC to switch the DL data path towards the target gNB ..." (TS
    38.300 §9.2.3.2.1) says what the Path Switch Request is for, where no sentence has it as its subject."""
    if is_procedure(asked):  # a procedure is no message ("... sends an RRC Resume message to the UE ...")
        return False
    text = normalize_term(sentence)
    return any(re.search(rf"\bsends\s+(?:an?\s+|the\s+)?{re.escape(key)}(?:\s+message)?\s+to\s+(?:the\s+)?"
                         r"[\w\-()]+\s+(?:in\s+order\s+)?to\s+(?!(?:the|an?)\b)[a-z]", text)
               for key in _keys(asked))


_ASKS_CONTENTS = re.compile(r"\b(?:includes?|contains?|comprises?|carry|carries)\b|\bincluded\s+in\b", re.I)


def asks_contents(question: str) -> bool:
    """Whether a question asks what a message or container holds: "What does the Registration Accept message
    contain?", "What parameters does the Registration Request contain?", "What is included in ...?"."""
    return bool(_ASKS_CONTENTS.search(question))


_PARAMETER_LIST = r"\((?:[^()]|\([^()]*\))*?,(?:[^()]|\([^()]*\))*?,"
"""A bracket listing three or more parameters, one level of brackets inside ("(Target to Source Transparent
Container, List of PDU Sessions ... with N2 SM response (PDU Session ID, ...), ...)"); not a symbol's
bracket ("UE S-NSSAI (DVS-NSSAI,UPF)")."""


def lists_contents(sentence: str, asked: AskedTerm) -> bool:
    """Whether `sentence` gives the asked message with its parameters in brackets, as TS 23.502's call flows
    write a message's contents: "1.UE to (R)AN: AN message (AN parameters, Registration Request (Registration
    type, SUCI or 5G-GUTI or PEI, [last visited TAI (if available)], ...))" for "What parameters does the
    Registration Request contain?", where "5.The UE shall send an IKE_AUTH request, which includes ... a
    Registration Request message." led."""
    text = normalize_term(sentence)
    names = {key.removesuffix(" message") for key in _keys(asked)}
    return any(re.search(rf"\b{re.escape(name)}(?:\s+message)?\s*{_PARAMETER_LIST}", text) for name in names)


def says_role(sentence: str, asked: AskedTerm) -> bool:
    """Whether one of `sentence`'s clauses (split at ";") has the asked term as its subject and says what it
    does (`_ROLE_VERB`): the starter notes name the core network's functions in one sentence, "The AMF
    terminates NAS signalling and handles registration, ...; the SMF manages PDU sessions and selects and
    controls the UPF, ...", with no "includes the following functionality" list to find (`states_what`).
    For a role question, and for what X is where no sentence says it ("SIB1 defines the scheduling of other
    system information blocks and contains information required for initial access." for "What is SIB1?",
    TS 38.300 §7.3.1); where it asks what X has ("Which interfaces does the AMF terminate?"), the clause
    names it. A message's role is also said by the step sending it for an end (`sent_to_do`)."""
    if asked.kind == "abbreviation":
        return False
    if asked.kind == "role" and not asked.wanted and sent_to_do(sentence, asked):
        return True
    for clause in sentence.split(";"):
        subject = _subject_end(clause.strip(), asked)
        if subject and _ROLE_VERB.match(*subject) and (not asked.wanted or mentions_wanted(clause, asked)):
            return True
    return False


_ONLY_REFERS = re.compile(r"^(?:as\s+)?(?:defined|specified|described)\s+in\s+(?:\S+\s*){1,5}$|^see\s", re.I)


def refers_elsewhere(line: str) -> bool:
    """Whether a definition line only points to another spec: "Ng-eNB: as defined in TS 38.300." (TS 37.340)
    says nothing of what it is, where TS 38.300's own line does ("ng-eNB: node providing E-UTRA user plane
    and control plane protocol terminations towards the UE ...")."""
    match = _DEFINITION_LINE.match(line)
    return bool(match) and bool(_ONLY_REFERS.match(line[match.start("body"):].strip()))


def defining_lines(text: str, asked: AskedTerm) -> list[str]:
    """The lines of a glossary chunk's `text` that define the asked term, spaced where a Markdown table lost
    its column break ("AMFAccess and ..." -> "AMF Access and ..."); none when no line does."""
    return [spaced(line.strip(), asked.term) for line in text.splitlines()
            if line.strip() and defines(line, asked)]


class Glossary:
    """Every term the index's glossary chunks define, with the rows (chunk numbers) of the chunks that do;
    `abbreviations` (the index's merged table) names the abbreviations an Abbreviations clause may list."""

    def __init__(self, records: list[dict], abbreviations: dict[str, str]):
        self.rows: dict[tuple[str, str], list[int]] = {}
        known = set(abbreviations)
        longest = max((len(a) for a in known), default=0)
        for row, record in enumerate(records):
            title = record.get("title") or ""
            if not GLOSSARY_TITLE.search(title):
                # a procedure's list of its parameters defines them as a glossary would, and so does a
                # label above its paragraph (a timer of TS 38.322 §7.3, a cell category of TS 38.304 §4.5)
                text = record["text"]
                for name in {normalize_term(m["name"]) for pattern in (PARAMETER_LINE, LABELLED)
                             for m in pattern.finditer(text)}:
                    self.rows.setdefault(("definition", name), []).append(row)
                continue
            listed = ABBREVIATION_TITLE.search(title)
            for line in record["text"].splitlines():
                if listed:
                    line = line.strip()
                    # the longest listed abbreviation the line starts with ("URRP-AMF", not "UR")
                    heads = [line[:n] for n in range(min(longest, len(line)), 0, -1) if line[:n] in known]
                    keys = [normalize_term(h) for h in heads[:1] if expands(line, h)] or line_terms(line)
                else:
                    keys = line_terms(line)
                for key in keys:
                    rows = self.rows.setdefault(("abbreviation" if listed else "definition", key), [])
                    if not rows or rows[-1] != row:
                        rows.append(row)

    def __len__(self) -> int:
        return len(self.rows)

    def rows_defining(self, asked: AskedTerm) -> list[int]:
        """Rows of the chunks whose line defines the asked term. "What is X?" of an abbreviation no
        definition line defines reads its expansion ("What is HARQ?")."""
        found: list[int] = []
        for kind in _LOOKED_UP.get(asked.kind, ("definition", "abbreviation")):
            # a full name's abbreviation line only spells it out ("BWP Bandwidth Part" for "What is a
            # bandwidth part?"): no answer to look up
            keys = _keys(asked, glossary=True) if kind == "definition" else _name_keys(asked.term, True)
            for key in keys:
                found += [r for r in self.rows.get((kind, key), []) if r not in found]
            if found:
                break
        return found


_CONDITION = re.compile(r"^\s*what\s+(?:(?:does|do|shall|should|will|can|could|may|must)\s+.+?\s+do"
                        r"|happens)(?:\s+in\s+[\w\-]+(?:\s+state)?)?\s+(?:when|if|upon|after|once|on)\s+"
                        r"(?P<condition>.+?)\s*\??\s*$", re.I)
"""The outcome asked of a condition, perhaps in a state: "What does the UE do in RRC_INACTIVE when it moves
outside the RNA?" asks what follows "... selects a cell that does not belong to the configured RNA"."""
_TESTS = re.compile(r"^\s*\d>\s*(?:else\s+)?(?:if|when|upon|once|after)\b", re.I)


def asked_condition(question: str) -> str | None:
    """The condition a question asks the outcome of: "What does the MAC entity do when the timeAlignmentTimer
    associated with the PTAG expires?" -> "the timeAlignmentTimer associated with the PTAG expires" (also
    "What happens if/upon ...?", "What can/must the UE do if ...?"); None for other forms."""
    match = _CONDITION.match(" ".join(question.split()))
    return match["condition"] if match else None


_PROSE_TEST = re.compile(r"^\s*(?:[-*\u2022]\s*)?(?:if|when|whenever|upon|once|after)\s+(?P<test>[^,:;]+)"
                         r"[,:;]\s*\S", re.I)


def hyphenated_names(text: str) -> set[str]:
    """The identifiers of `text` written with a hyphen, lower case ("bwp-inactivitytimer"): `terms` splits
    them into their parts, and "drx-InactivityTimer" shares its key part with "bwp-InactivityTimer"."""
    return {w.lower() for w in WORD.findall(text) if "-" in w and _NAME.fullmatch(w)}


def asked_interfaces(question: str) -> set[str]:
    """The hyphenated interface names a question asks about, lower case ("ng-u" in "Which node terminates the
    NG-U interface?"): each names one interface, unlike NG-U's sibling NG-C, where a hyphenated name that
    qualifies a node ("an NG-RAN node") is common to most sentences that answer."""
    return {name for name in hyphenated_names(question)
            if re.search(rf"\b{re.escape(name)}\s+interfaces?\b", question, re.I)}


OTHER_FORMS = 3
"""At most this many other forms of a question's condition (`other_forms`): each is tested against every
sentence of the sources."""


def other_forms(text: str, abbreviations: dict[str, str]) -> list[str]:
    """`text` with a full name in it written as its abbreviation, or an abbreviation as its full name, from
    the index's table: "radio link failure" is "RLF" in TS 38.300's "After RLF is declared, the UE: -stays in
    RRC_CONNECTED; ...", the answer to "What does the UE do upon radio link failure?". A full name of one
    word is left alone (too many senses), as is the UE."""
    forms = [re.sub(rf"\b{re.escape(full.strip())}\b", abbreviation, text, flags=re.I)
             for abbreviation, full in abbreviations.items()
             if len(full.split()) >= 2 and re.search(rf"\b{re.escape(full.strip())}\b", text, re.I)]
    forms += [re.sub(rf"\b{re.escape(abbreviation)}\b", full.strip(), text)
              for abbreviation, full in find_abbreviations_in(text, abbreviations) if len(abbreviation) >= 3]
    return forms[:OTHER_FORMS]


def opens_with_condition(sentence: str, condition: str, one_name: bool = False) -> bool:
    """Whether a prose sentence opens with the asked condition and goes on to what follows from it: "If T310
    expires, or random access fails, ..., the UE declares radio link failure" for "What happens when T310
    expires?". Its opening clause holds the condition's last word (what happens) and one of its key terms,
    as a procedure step's line must (`step_closeness`); a sentence that only names the timer ("The UE starts
    timer T310 ...") does not. A condition of one word is too little, unless it is `one_name`, an
    abbreviation standing for the condition's words ("RLF" for "radio link failure": `other_forms`)."""
    ordered, key_list = terms(condition)
    match = _PROSE_TEST.match(sentence)
    if (len(set(ordered)) < 2 and not one_name) or not match:
        return False
    own, own_keys = terms(match["test"])
    return (ordered[-1] in own and (not key_list or bool(set(key_list) & set(own_keys)))
            and hyphenated_names(condition) <= hyphenated_names(match["test"]))


def step_closeness(text: str, condition: str) -> tuple[int, ...] | None:
    """How closely a procedure in `text` tests `condition`, as a key to maximise (None when no step does).
    A step "k>if/when/upon ..." tests it when its own line holds the condition's last word (what happens:
    "expires", "is received") and one of its key terms (identifiers, numbers), and its lines with the steps
    nested under it hold every key term and all but one of the other words: "1>when a timeAlignmentTimer
    expires:" with "2>if the timeAlignmentTimer is associated with the PTAG:" under it, for "the
    timeAlignmentTimer associated with the PTAG expires"; not "1>when instruction from the upper layer has
    been received for starting the TimeAlignmentTimer associated with PTAG:". Of those, the closest: the
    outermost step (the rule, before its special cases: "2>if the TimeAlignmentTimer associated with PTAG
    expires while the RACH-less CLTM cell switch is ongoing:"), then one that says the condition in its
    words' order ("1>when a Timing Advance Command MAC CE is received", not "1>when an LTM Candidate Timing
    Advance Command MAC CE ... is received") and names what it names as asked (`names_as_asked`: "1>if a
    Long DRX Command MAC CE is received:" is not the reception of a DRX Command MAC CE, nor "1>when an
    (Enhanced) LTM Cell Switch Command MAC CE is received and the Timing Advance Command is not set as FFF:"
    of a Timing Advance Command MAC CE), then the most of its words and the fewest others. A condition
    of fewer than two words tests nothing in particular, and a step naming another identifier of the same
    parts ("1>if drx-InactivityTimer for a DRX group expires:" for "the bwp-InactivityTimer expires") tests
    another condition."""
    ordered, key_list = terms(condition)
    words, keys = set(ordered), set(key_list)
    names_in_it = hyphenated_names(condition)
    if len(words) < 2:
        return None
    best = None
    lines = steps(text)
    for at, line in enumerate(lines):
        head = STEP.match(line)
        if not head or not _TESTS.match(line):
            continue
        own_list, own_keys = terms(STEP.sub("", line))
        own = set(own_list)
        if ordered[-1] not in own or (keys and not keys & set(own_keys)):
            continue
        block = " ".join(owned(lines, at))
        found = set(terms(block)[0])
        if keys <= found and len(words - found) <= 1 and names_in_it <= hyphenated_names(block):
            in_order = any(own_list[i:i + len(ordered)] == ordered for i in range(len(own_list)))
            key = (-int(head.group(1)), names_as_asked(line, condition), in_order, len(words & own),
                   -len(own - words))
            best = key if best is None else max(best, key)
    return best


_HOW_MANY = re.compile(r"^\W*how\s+many\s+(?P<unit>[\w\-/ ]+?)\s+(?:are|is|does|do|can|may|per|in|of|make|"
                       r"form|fit|there)\b", re.I)
_COUNT = r"(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fourteen|sixteen)"
"""A number as the specs write a count: "6 resource-element groups", "ten subframes"."""


def asked_count(question: str) -> str | None:
    """What "How many <things> ...?" counts ("resource element groups"), or None."""
    match = _HOW_MANY.match(question)
    return match.group("unit").strip() if match else None


def states_count(sentence: str, unit: str) -> bool:
    """Whether `sentence` gives a number of `unit` (hyphens and spaces alike, singular or plural): "A
    control-channel element consists of 6 resource-element groups (REGs) ..." for "How many resource
    element groups does a CCE consist of?", where "Each control-resource set is associated with one
    CCE-to-REG mapping only." led."""
    words = [re.escape(singular(word)) for word in re.split(r"[\s\-]+", unit) if word]
    if not words:
        return False
    name = r"[\s\-]+".join(words) + r"(?:s|es)?"
    return bool(re.search(rf"\b{_COUNT}\s+{name}\b", strip_citations(sentence), re.I))


_ASKS_MANNER = re.compile(rf"^\s*how\s+(?:is|are)\s+{_ARTICLE}(?P<object>[^?]+?)\s+(?P<participle>[a-z]+ed)"
                          r"(?:\s+(?:by|in|on|for|during|to|with|within|over)\b[^?]*)?\s*\??\s*$", re.I)
""""How is/are X <done> [to/by/in ...]?": the thing and the participle; what follows it is a circumstance."""


@dataclass(frozen=True)
class AskedManner:
    """What a "How is a QoS Flow identified?" question asks the manner of: the thing ("QoS Flow") and what
    is done to it ("identified")."""

    object: str
    participle: str


def asked_manner(question: str) -> AskedManner | None:
    """The thing and the participle of a "How is/are X <done>?" question ("How is a QoS Flow identified?");
    None for other forms ("How is X defined?" asks a term's definition, `asked_term`)."""
    match = _ASKS_MANNER.match(" ".join(question.split()))
    if not match or match["participle"].lower() == "defined":
        return None
    return AskedManner(match["object"].strip(), match["participle"].lower())


def _step_before(sentence: str, at: int) -> str:
    """The text before position `at` of the step it is in ("3>start the ..."), not of the steps above it: a
    verb's subject or modal is read there (`states_manner`, `event_closeness`)."""
    return re.split(r"\d>", sentence[:at])[-1]


def states_manner(sentence: str, manner: AskedManner) -> bool:
    """Whether `sentence` says the asked thing is done, in the passive with it as the subject: "A QoS flow is
    identified within a PDU session by a QoS Flow ID (QFI) carried in an encapsulation header over NG-U."
    for "How is a QoS Flow identified?", which was led by the list item "-Additional QoS Flow Information."
    of the same clause. The subject names every word of the thing: "the same Alternative S-NSSAI mapping
    ... is provided" says nothing of how the Allowed NSSAI is."""
    ordered, key_list = terms(manner.object)
    if not ordered:
        return False
    for match in re.finditer(rf"\b{re.escape(manner.participle)}\b", sentence, re.I):
        line = re.sub(r"\s+\w+ly\s*$", " ", _step_before(sentence, match.start()))  # "is uniquely identified"
        passive = _PASSIVE.search(line)
        if passive:
            found_words, found_keys = terms(passive["object"])
            if set(key_list) <= set(found_keys) and set(ordered) <= set(found_words):
                return True
    return False


_NAME_RUN = re.compile(r"\b[A-Z][\w\-]*(?:\s+[A-Z][\w\-]*)+")
"""Two or more capitalised words in a row: a name ("DRX Command MAC CE")."""


def names_as_asked(line: str, condition: str) -> bool:
    """Whether `line` has each name of `condition` (`_NAME_RUN`: "Timing Advance Command MAC CE") as written
    and not as the end of a longer name, one more capitalised word before it ("Long DRX Command MAC CE" for
    "reception of a DRX Command MAC CE"). True for a condition without such names."""
    return all(re.search(rf"(?:^|[^\w\s]\s*|\b[a-z][\w\-]*\s+){re.escape(name)}\b", line)
               for name in _NAME_RUN.findall(condition))


_EVENT_FORMS = {
    "start": ("start", "starts", "started", "starting"),
    "restart": ("restart", "restarts", "restarted", "restarting"),
    "stop": ("stop", "stops", "stopped", "stopping"),
    "trigger": ("trigger", "triggers", "triggered", "triggering"),
    "cancel": ("cancel", "cancels", "cancelled", "canceled", "cancelling"),
    "initiate": ("initiate", "initiates", "initiated", "initiating"),
    "send": ("send", "sends", "sent", "sending"),
    "transmit": ("transmit", "transmits", "transmitted", "transmitting"),
    "release": ("release", "releases", "released", "releasing"),
    "reset": ("reset", "resets", "resetting"),
    "discard": ("discard", "discards", "discarded", "discarding"),
    "flush": ("flush", "flushes", "flushed", "flushing"),
    "activate": ("activate", "activates", "activated", "activating"),
    "deactivate": ("deactivate", "deactivates", "deactivated", "deactivating"),
    "suspend": ("suspend", "suspends", "suspended", "suspending"),
    "resume": ("resume", "resumes", "resumed", "resuming"),
    "establish": ("establish", "establishes", "established", "establishing"),
}
"""The verbs of an event a "When does ...?" question asks the cause of, with the forms a spec writes them in
(written out: seventeen verbs do not need an inflection library)."""
_FORM_OF = {form: verb for verb, forms in _EVENT_FORMS.items() for form in forms}
_ANY_FORM = "|".join(sorted(_FORM_OF, key=len, reverse=True))
_ASKS_EVENT = re.compile(
    rf"^\s*when\s+(?:(?:does|do|shall|should|will|would|can|may|must)\s+.+?\s+(?P<verb>{_ANY_FORM})"
    rf"\s+(?P<object>.+?)|(?:is|are)\s+(?P<passive_object>.+?)\s+(?P<participle>{_ANY_FORM})){_TAIL}\s*\??\s*$",
    re.I)
_PASSIVE = re.compile(r"(?:^|[,;:(]|\bthat\b|\bwhich\b)\s*(?P<object>[^,;:(]*?(?:\([^()]*\))?)\s+"
                      r"(?:(?:shall|should|may|can|must|will|is|are|has|have|be|been|not|also)\s+)+$", re.I)
"""Before a participle, its subject after the line's last clause boundary: "A BSR shall be triggered",
"the ra-ResponseWindow is started"."""
_ACTIVE = re.compile(r"(?:^|[,;:]|\b(?:shall|should|may|can|must|will|to|and|or|also|then))\s*$", re.I)
"""Before a verb in its plain form, what makes the verb the line's own action: nothing ("3>start the
ra-ResponseWindow"), a modal ("The MAC entity may stop ra-ResponseWindow"), "to" or a conjunction; not a
subject of its own ("each logical channel triggers one separate Regular BSR", a NOTE's remark)."""
_IN_A_TEST = re.compile(r"\b(?:if|when|whether|while|unless)\b", re.I)


@dataclass(frozen=True)
class AskedEvent:
    """What a "When does the MAC entity stop the ra-ResponseWindow?" / "When is t-StatusProhibit started?"
    question asks the cause of: the event's verb ("stop") and its object ("the ra-ResponseWindow")."""

    verb: str
    object: str


def asked_event(question: str) -> AskedEvent | None:
    """The event a "When does X <verb> Y?" or "When is Y <verb>ed?" question asks about (`_EVENT_FORMS`'s
    verbs); None for other forms."""
    match = _ASKS_EVENT.match(" ".join(question.split()))
    if not match:
        return None
    verb = _FORM_OF[(match["verb"] or match["participle"]).lower()]
    return AskedEvent(verb, (match["object"] or match["passive_object"]).strip())


def event_forms(event: AskedEvent, abbreviations: dict[str, str]) -> list[AskedEvent]:
    """The event as asked and with its object as a spec may write it, a full name abbreviated or an
    abbreviation spelt out (`other_forms`): TS 38.321 answers "When does the MAC entity trigger a Buffer
    Status Report?" with "A BSR shall be triggered if any of the following events occur ..."."""
    return [event, *(AskedEvent(event.verb, form) for form in other_forms(event.object, abbreviations))]


def closest_event(sentence: str, events: list[AskedEvent]) -> tuple[int, int, int] | None:
    """`event_closeness` under the closest of the event's forms (`event_forms`); None where none is stated."""
    return min((key for event in events if (key := event_closeness(sentence, event)) is not None),
               default=None)


def event_closeness(sentence: str, event: AskedEvent) -> tuple[int, int, int] | None:
    """How a sentence (or a procedure step) states the asked event, as a key to minimise (None when it does
    not): its verb as the line's own action with the object just after it ("The MAC entity may stop
    ra-ResponseWindow ... after successful reception of a Random Access Response ...", "6>start the
    sr-ProhibitTimer"), or in the passive with the object as its subject ("A BSR shall be triggered if any
    of the following events occur: ..." for "When does the MAC entity trigger a Regular BSR?"). The object is
    named with its key terms and hyphenated names and its words but perhaps the first (a qualifier: "Regular"
    in "a Regular BSR", "timer" in "timer T300"; "An SL-BSR shall be triggered" names another report, "the
    logical channel that triggered a BSR" says what a channel did). First where the event is what its line
    says, then where its line only tests it ("2>if a Regular BSR has been triggered ..."); then the outermost
    (prose, then "1>": a nested step may be quoted without the condition above it, "3>else: 4>flush the HARQ
    buffer ..."); then the fewest other words beside the object."""
    ordered, key_list = terms(event.object)
    keys, named = set(key_list), hyphenated_names(event.object)
    # a parameter's line says what the parameter is, not when the event happens: "-ps-Wakeup (optional):
    # the configuration to start associated drx-onDurationTimer ..." led "When is drx-onDurationTimer
    # started?" above TS 38.321 §5.7's "3>start drx-onDurationTimer for this DRX group after drx-SlotOffset
    # from the beginning of the subframe."
    if not ordered or PARAMETER_LINE.match(sentence):
        return None
    best = None
    forms = "|".join(_EVENT_FORMS[event.verb])
    for match in re.finditer(rf"\b(?:{forms})\b", sentence, re.I):
        line = _step_before(sentence, match.start())
        form = match[0].lower()
        if form.endswith("ing"):
            continue
        passive = _PASSIVE.search(line) if form != _EVENT_FORMS[event.verb][0] else None
        if passive:
            phrase = passive["object"]
        elif form in _EVENT_FORMS[event.verb][:2] and _ACTIVE.search(line):
            phrase = " ".join(sentence[match.end():].split()[:len(ordered) + 3])
        else:
            continue
        # another name built on the object's words is another thing: "An SL-BSR shall be triggered ..."
        phrase = " ".join(w for w in phrase.split() if w.lower().strip(".,;:()") in named
                          or not hyphenated_names(w))
        found_words, found_keys = terms(phrase)
        if (keys <= set(found_keys) and set(ordered[1:]) <= set(found_words)
                and named <= hyphenated_names(phrase)):
            depth = int((re.findall(r"(\d)>", sentence[:match.start()]) or ["0"])[-1])
            key = (int(bool(_IN_A_TEST.search(line))), depth, len(set(found_words) - set(ordered)))
            best = key if best is None else min(best, key)
    return best


SPECIAL_CASES = {
    # UE to UE over PC5 (TS 38.300 §16.9), and the UE-to-Network and UE-to-UE relays over it (§16.12)
    "sidelink": re.compile(r"\b(?:PC5|[Ss]idelink|SL(?:-[\w\-]+)?|U2[NU])\b"),
    "ambient IoT": re.compile(r"\bA-IoT\b"),
    "NB-IoT": re.compile(r"\bNB-IoT\b"),
    "IAB": re.compile(r"\b(?:IAB|mobile IAB|MWAB)(?:-[\w\-]+)?\b|\w+IAB-Ext\b"),
    "NTN": re.compile(r"\bNTN\b|\bnon-terrestrial\b", re.I),
    "RedCap": re.compile(r"(?:\(e\)|\be)?RedCap\b"),
    "MBS": re.compile(r"\bMBS\b"),
    "V2X": re.compile(r"\bV2X\b"),
    "repeater": re.compile(r"\bNCR(?:-[\w\-]+)?\b"),
}
"""The special cases most NR and 5GC functions have, each a family of names: a sentence about one answers for
that case only (`special_cases`)."""
SCOPE_WORDS = 15
"""The opening words of a sentence that say what it is about (`special_cases`)."""
_NOT_THE_CASE = re.compile(r"^\W*(?:\w+\W+){0,3}?not\b", re.I)
_AMONG_DIRECTIONS = re.compile(r"\b(?:up|down)link\W+(?:and|or)\W+$", re.I)


def special_cases(text: str) -> set[str]:
    """The special cases (SPECIAL_CASES) a sentence is about: named in its opening (SCOPE_WORDS) or as the
    scope it ends on (`_SCOPE_AT_END`), not as the
    case it excludes ("the MAC entity for which logicalChannelGroupIAB-Ext is not configured ... shall: ...
    report Long BSR" is the general procedure) nor as one direction among the others ("Downlink, uplink, and
    sidelink transmissions are organized into frames ..."). Named further on, the case is a branch of a
    general statement: the bwp-InactivityTimer's expiry step has a RedCap branch under its general one."""
    opening = " ".join(strip_citations(text).split()[:SCOPE_WORDS])
    scope = _SCOPE_AT_END.search(strip_citations(text))
    return {case for case, pattern in SPECIAL_CASES.items() if any(
        not _NOT_THE_CASE.match(opening[m.end():]) and not _AMONG_DIRECTIONS.search(opening[:m.start()])
        for m in pattern.finditer(opening)) or (scope and pattern.search(scope.group("case")))}


_SCOPE_AT_END = re.compile(r"\b(?:in|for|over|on|via)\s+(?:the\s+)?(?P<case>\S+(?:\s+\S+)?)\W*$")
"""A sentence ending on the case it is about: "For unicast, channel state information reference signal
(CSI-RS) is supported for CSI measurement and reporting in sidelink." (TS 38.300 §5.7.4.3)."""
