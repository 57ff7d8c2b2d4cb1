"""Claims built from one spec sentence, true and false, for the role checker (`telecomgpt train role-check`)
and the support calibration (bench/grounding_calibration.py).

Each row is (claim, evidence sentence, label): the claim is made from the evidence sentence itself, so
every word of a false claim is "found" in its evidence and only the arrangement or a number tells it apart,
which is what today's support scorer (app/support.py) cannot see.

true (label 1):   the sentence; with words dropped (never a number or a negation); its comma/semicolon parts
                  in reverse order; its first half; a trailing "through/in/via ..." phrase moved to the front;
                  one noun in the other number (singular/plural).
false (label 0):  two names or two nouns of the sentence swapped ("A frame consists of ten subframes" ->
                  "A subframe consists of ten frames"; gNB-CU-UP <-> gNB-DU); one number changed
                  ("10 ms" -> "5 ms", "ten" -> "eight").

Sentences come from 3GPP spec files only (never a benchmark). The rows hold spec text for training small
trees over a dozen alignment features (app/role_check.py), which keep no text: nothing to decontaminate.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from pathlib import Path

from app.role_check import NEGATIONS, NUMBER_WORDS, REFERENCE
from app.sentences import TABLE_ROW, split_sentences, terms
from telecomgpt.domain.tgpp import read_spec

CHANGEABLE = {word: value for word, value in NUMBER_WORDS.items() if word != "one"}
"""Number words a claim may change ("one" is left out: "one or more" is rarely a count)."""
_DETERMINERS = frozenset({"the", "a", "an", "each", "every", "its", "their", "this", "that", "one", "two",
                          *CHANGEABLE})
_NAME = re.compile(r"(?<![\w-])(?=[\w-]*[A-Z][\w-]*[A-Z0-9])[A-Za-z][\w]*(?:-[\w]+)*(?![\w-])")
"""Names: gNB-CU-UP, F1-U, AMF, RRC_IDLE, T310 (two capitals, or a capital and a digit)."""
_WORD = re.compile(r"(?<![\w-])[A-Za-z][A-Za-z-]*(?![\w-])")
"""Whole words only ("Msg" is no word of "Msg1")."""
_NOTE = re.compile(r"^NOTE\s*\d*:\s*")
_NUMBER = re.compile(r"(?<![\w.\-])\d+(?![\w.\-]*\d)(?![\w-])")
_FRONTABLE = re.compile(r"^(?P<head>.+?\w)\s+(?P<tail>(?:through|via|over|in|on|for|from|at|by|during|with|"
                        r"when|if|after|before|upon)\s+[^,;:]{6,}?)\.?$")
_SYMMETRIC = re.compile(r"^\W*(?:and|or|,|/|and the|or the|and a|or a)\W*$", re.I)


def sentences_of(path: Path, max_chars: int = 400) -> list[str]:
    """Body sentences of a spec that state something: at least 6 content words, no table rows, headings,
    procedure or list units (a swap inside a list of steps is not one claim)."""
    _, clauses = read_spec(path)
    out = []
    for clause in clauses:
        prose = "\n".join(line for line in clause.text.splitlines() if not TABLE_ROW.match(line))
        for sentence in split_sentences(prose, soft_wraps=True):
            sentence = _NOTE.sub("", sentence)
            if (len(sentence) <= max_chars and "|" not in sentence and not sentence.startswith(("#", "-"))
                    and not re.match(r"^\d>", sentence) and len(terms(sentence)[0]) >= 6
                    and sentence[0].isupper() and sentence.endswith(".")):
                out.append(sentence)
    return list(dict.fromkeys(out))


# ---------------------------------------------------------------------------------------------- true claims


def drop_words(sentence: str, rng: random.Random) -> str:
    """About a fifth of the words left out, never a number, a name or a negation (dropping "not" is a
    different claim)."""
    words = sentence.split()
    keep = [w for w in words if rng.random() > 0.2 or any(c.isdigit() or c.isupper() for c in w)
            or w.lower().strip(".,;:") in NEGATIONS | CHANGEABLE.keys()]
    return " ".join(keep)


def reorder(sentence: str) -> str | None:
    """The sentence's comma/semicolon/colon parts in reverse order, or None when it has one part."""
    parts = [p.strip(" .") for p in re.split(r"[,;:]\s+", sentence) if p.strip(" .")]
    return (", ".join(reversed(parts)) + ".") if len(parts) >= 2 else None


def partial(sentence: str) -> str | None:
    """The first half of a long sentence."""
    words = sentence.split()
    return " ".join(words[: len(words) // 2]) + "." if len(words) >= 12 else None


def front(sentence: str, rng: random.Random) -> str | None:
    """A trailing prepositional phrase moved to the front, with or without a comma ("The gNB-CU-UP is
    connected to the gNB-DU through the F1-U interface" -> "Through the F1-U interface the gNB-CU-UP is
    connected to the gNB-DU"): the same claim in another order."""
    match = _FRONTABLE.match(sentence.rstrip())
    if not match or "," in match.group("tail"):
        return None
    head, tail = match.group("head"), match.group("tail")
    if not re.match(r"^(?:The|A|An)\b", head):
        return None
    head = head[0].lower() + head[1:]
    return f"{tail[0].upper()}{tail[1:]}{rng.choice([', ', ' '])}{head}."


def change_form(sentence: str, rng: random.Random) -> str | None:
    """One noun's number flipped ("the functions" -> "the function"): a paraphrase may inflect a word
    differently, and that alone must not look like a swap."""
    nouns = [n for n in _nouns(sentence) if not _is_name(n[2])]
    if not nouns:
        return None
    start, end, word = rng.choice(nouns)
    return sentence[:start] + (_base(word) if _plural(word) else word + "s") + sentence[end:]


# ---------------------------------------------------------------------------------------------- false claims


def swap_roles(sentence: str, rng: random.Random) -> str | None:
    """Two names, or two related words (frame/subframe, uplink/downlink), or else two nouns after a
    determiner, of the sentence swapped, each keeping its place's plural ("A frame consists of ten subframes"
    -> "A subframe consists of ten frames"; gNB-CU-UP <-> gNB-DU). None when the sentence has no such pair,
    or only pairs joined by "and"/"or" (a symmetric relation stays true when swapped) or next to each other
    (a compound name)."""
    words = [(m.start(), m.end(), m.group()) for m in _WORD.finditer(sentence)]
    related = [(a, b) for i, a in enumerate(words) for b in words[i + 1:] if _related(a[2], b[2])]
    pairs = [p for p in [*_pairs(_names(sentence)), *related] if _swappable(sentence, *p)]
    if not pairs:
        pairs = [p for p in _pairs(_nouns(sentence)) if _swappable(sentence, *p)]
    if not pairs:
        return None
    (s1, e1, w1), (s2, e2, w2) = rng.choice(pairs)
    new1, new2 = _inflect(w2, like=w1), _inflect(w1, like=w2)
    if s1 == 0 and not _is_name(new1):  # a sentence's first word keeps its capital
        new1, new2 = new1[0].upper() + new1[1:], new2 if _is_name(new2) else new2[0].lower() + new2[1:]
    swapped = sentence[:s1] + new1 + sentence[e1:s2] + new2 + sentence[e2:]
    if terms(swapped)[0] == terms(sentence)[0] or _number_blind(swapped) != _number_blind(sentence):
        return None  # nothing moved, or the inflection made a new word ("the left-most bits" -> "left-mosts")
    return swapped


def _number_blind(text: str) -> Counter:
    """The content words of `text`, singular and plural as one: a swap must keep them all."""
    return Counter(t[:-1] if t.endswith("s") and len(t) > 3 else t for t in terms(text)[0])


def _pairs(spans: list) -> list:
    return [(a, b) for i, a in enumerate(spans) for b in spans[i + 1:]]


def _swappable(sentence: str, a: tuple, b: tuple) -> bool:
    between = sentence[a[1]:b[0]]
    return (_base(a[2]).lower() != _base(b[2]).lower() and terms(a[2])[0] != terms(b[2])[0]
            and re.search(r"\w", between) is not None and not _SYMMETRIC.match(between))


def _related(a: str, b: str) -> bool:
    """Words that differ by a prefix only: frame/subframe, uplink/downlink, carrier/subcarrier."""
    if _is_name(a) or _is_name(b):
        return False
    a, b = _base(a).lower(), _base(b).lower()
    if a == b:
        return False
    short, long = sorted((a, b), key=len)
    common = 0
    while common < len(short) and short[-1 - common] == long[-1 - common]:
        common += 1
    return common >= 4 and (common == len(short) or len(long) - common <= 4)


def change_number(sentence: str, rng: random.Random) -> str | None:
    """One count or quantity changed: a digit number ("10 ms" -> "5 ms"; not a clause, table or spec
    number) or a number word ("ten" -> "eight")."""
    spots = []
    for match in _NUMBER.finditer(sentence):
        if not REFERENCE.search(sentence[max(0, match.start() - 12):match.start()]):
            spots.append((match.start(), match.end(), match.group()))
    for match in _WORD.finditer(sentence):
        if match.group().lower() in CHANGEABLE:
            spots.append((match.start(), match.end(), match.group()))
    if not spots:
        return None
    start, end, old = rng.choice(spots)
    if old.isdigit():
        value = int(old)
        choices = {value * 2, value + 1, value // 2 if value > 2 else value + 2, max(0, value - 1)} - {value}
        new = str(rng.choice(sorted(choices)))
    else:
        value = CHANGEABLE[old.lower()]
        new = rng.choice(sorted(w for w, v in CHANGEABLE.items() if v != value and v <= 12))
        new = new.capitalize() if old[0].isupper() else new
    return sentence[:start] + new + sentence[end:]


def _names(sentence: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group()) for m in _NAME.finditer(sentence)]


def _nouns(sentence: str) -> list[tuple[int, int, str]]:
    """Words right after a determiner or a number: nouns or their adjectives, the roles of a sentence."""
    words = [(m.start(), m.end(), m.group()) for m in _WORD.finditer(sentence)]
    out = []
    for (_, _, before), (start, end, word) in zip(words, words[1:], strict=False):
        if (before.lower() in _DETERMINERS and len(word) >= 3 and terms(word)[0]
                and word.lower() not in _DETERMINERS and not word.endswith(("ed", "ing", "ly"))):
            out.append((start, end, word))
    return out


def _is_name(word: str) -> bool:
    return bool(_NAME.fullmatch(word))


def _base(word: str) -> str:
    return word[:-1] if _plural(word) else word


def _plural(word: str) -> bool:
    return not _is_name(word) and len(word) > 3 and word.endswith("s") and not word.endswith("ss")


def _inflect(word: str, like: str) -> str:
    """`word` in the number (singular/plural) of `like`; names stay as written."""
    if _is_name(word) or _is_name(like):
        return word
    base = _base(word)
    return base + "s" if _plural(like) else base


# ---------------------------------------------------------------------------------------------- rows


TRUE_KINDS = ("verbatim", "words dropped", "reordered", "partial", "fronted", "form changed")
FALSE_KINDS = ("roles swapped", "number changed")


def claims_of(sentence: str, rng: random.Random) -> list[tuple[str, int, str]]:
    """(claim, label, kind) made from one sentence."""
    made = [(sentence, 1, "verbatim"), (drop_words(sentence, rng), 1, "words dropped"),
            (reorder(sentence), 1, "reordered"), (partial(sentence), 1, "partial"),
            (front(sentence, rng), 1, "fronted"), (change_form(sentence, rng), 1, "form changed"),
            (swap_roles(sentence, rng), 0, "roles swapped"),
            (change_number(sentence, rng), 0, "number changed")]
    kept, seen = [], set()
    for claim, label, kind in made:
        if claim and claim not in seen and (label or claim != sentence):
            seen.add(claim)
            kept.append((claim, label, kind))
    return kept


def role_rows(spec_paths: list[Path], per_spec: int = 400, seed: int = 0) -> list[dict]:
    """Labelled {"claim", "evidence", "label", "kind", "spec"} rows from up to `per_spec` sentences of each
    spec (a seeded sample)."""
    rng = random.Random(seed)
    rows = []
    for path in spec_paths:
        sentences = sentences_of(path)
        rng.shuffle(sentences)
        for sentence in sentences[:per_spec]:
            for claim, label, kind in claims_of(sentence, rng):
                rows.append({"claim": claim, "evidence": sentence, "label": label, "kind": kind,
                             "spec": path.name})
    return rows
