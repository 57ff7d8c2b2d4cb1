"""TelecomGPT's line rules: drop noisy lines from prose, leave tables, math, ASN.1 and code alone.

The TelecomGPT paper cleans 3GPP/arXiv text line by line: lines with too many upper-case letters,
digits, punctuation, repeated words or spaces, lines with e-mail addresses or phone numbers, and
incomplete sentences go. Spec tables, formulas, ASN.1 and source code are not prose: such lines are
recognised first and kept verbatim. Thresholds are per source (`LineRules` in the YAML config).
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter

from datatrove.data import Document
from datatrove.pipeline.filters.base_filter import BaseFilter
from datatrove.pipeline.writers.disk_base import DiskWriter

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
PHONE = re.compile(r"(?:\b(?:tel|fax|phone)\b\.?:?\s*\+?\d)|(?:\+\d{1,3}[ .-]\d{1,4}(?:[ .-]\d{2,4}){2,})",
                   re.I)
COPYRIGHT = re.compile(r"©|\bcopyright\b|all rights reserved|\btrade ?mark\b|registered and owned by", re.I)
URL_ONLY = re.compile(r"^\W*(https?://|www\.)\S+\W*$")
ASN1 = re.compile(r"::=|^\s*--|^\s*[\w-]+\s+(SEQUENCE|ENUMERATED|INTEGER|BIT STRING|OCTET "
                  r"STRING|CHOICE|BOOLEAN|NULL|SIZE)\b|^\s*[{}],?\s*$|^\s*\.\.\.,?$")
_LETTER, _UPPER, _DIGIT = re.compile(r"[^\W\d_]"), re.compile(r"[A-ZÀ-ÖØ-Þ]"), re.compile(r"\d")
_PUNCT, _SPACE = re.compile(r"[^\w\s]|_"), re.compile(r"\s")
TERMINAL = tuple(".:;!?)]\"'”")


@dataclasses.dataclass
class LineRules:
    """Thresholds of one source's line rules (a ratio above its limit drops the line)."""

    enabled: bool = True
    max_uppercase: float = 0.6
    """Upper-case share of letters (counted on lines with at least 12 letters)."""
    max_digits: float = 0.45
    max_punctuation: float = 0.35
    max_spaces: float = 0.5
    min_unique_words: float = 0.3
    """Lines of 8+ words whose distinct-word share is below this repeat themselves."""
    min_words_without_end: int = 0
    """Incomplete sentence: fewer words than this and no terminal punctuation (0 disables)."""
    drop_contacts: bool = True
    drop_copyright: bool = True


def is_structured(line: str) -> bool:
    """Tables, headings, math and ASN.1 are kept verbatim: they are not prose."""
    stripped = line.lstrip()
    return stripped.startswith(("|", "#", "$$", "<")) or "$" in line or bool(ASN1.search(line))


def line_problem(line: str, rules: LineRules) -> str | None:
    """The reason to drop one prose line, or None to keep it."""
    text = line.strip()
    if rules.drop_contacts and (EMAIL.search(text) or PHONE.search(text)):
        return "contact"
    if rules.drop_copyright and COPYRIGHT.search(text):
        return "copyright"
    if URL_ONLY.match(text):
        return "url_only"
    # character classes counted by C-level regex scans: a Python loop per character is 5x slower
    n_letters = len(_LETTER.findall(text))
    if n_letters >= 12 and len(_UPPER.findall(text)) / n_letters > rules.max_uppercase:
        return "uppercase"
    if len(text) >= 20 and len(_DIGIT.findall(text)) / len(text) > rules.max_digits:
        return "digits"
    if len(text) >= 10 and len(_PUNCT.findall(text)) / len(text) > rules.max_punctuation:
        return "punctuation"
    if len(line) >= 20 and len(_SPACE.findall(line)) / len(line) > rules.max_spaces:
        return "spaces"
    words = text.lower().split()
    if len(words) >= 8 and len(set(words)) / len(words) < rules.min_unique_words:
        return "repeated_words"
    if (rules.min_words_without_end and len(words) < rules.min_words_without_end
            and not text.endswith(TERMINAL)):
        return "incomplete_sentence"
    return None


def clean_text(text: str, rules: LineRules) -> tuple[str, Counter]:
    """Text with noisy prose lines removed, and how many characters each rule removed."""
    kept, removed, in_code = [], Counter(), False
    for line in text.split("\n"):
        if line.lstrip().startswith("```"):
            in_code = not in_code
        if in_code or not line.strip() or is_structured(line):
            kept.append(line)
            continue
        reason = line_problem(line, rules)
        if reason:
            removed[reason] += len(line) + 1
        else:
            kept.append(line)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip(), removed


class TelecomLineFilter(BaseFilter):
    """Apply the source's LineRules to each document; drop documents left with too little text."""

    name = "✂️ TelecomGPT line rules"

    def __init__(self, rules_by_source: dict[str, LineRules], min_chars: int = 50,
                 exclusion_writer: DiskWriter | None = None):
        super().__init__(exclusion_writer)
        self.rules_by_source = rules_by_source
        self.min_chars = min_chars

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        rules = self.rules_by_source.get(doc.metadata.get("source", ""), self.rules_by_source.get("default"))
        if rules is not None and rules.enabled:
            cleaned, removed = clean_text(doc.text, rules)
            for reason, chars in removed.items():
                self.stat_update(f"chars_removed_{reason}", value=chars)
            doc.metadata["chars_removed"] = sum(removed.values())
            doc.text = cleaned
        if len(doc.text.strip()) < self.min_chars:
            return False, "too_short"
        return True
