"""Turn a free-text answer into an option index (generate-and-extract scoring for chat-only endpoints)."""

from __future__ import annotations

import re

_OPTION = re.compile(r"\boption\s*[:#]?\s*(\d)\b", re.I)
_LEADING_NUMBER = re.compile(r"^\W*(\d)\b")
_ANSWER_IS = re.compile(r"\banswer\s*(?:is|:)?\s*(?:option\s*)?\(?(\d)\b", re.I)
_DIGIT = re.compile(r"(?<![\d.,])\b(\d)\b(?![\d.,]\d)")
_LETTER = re.compile(r"^\W*\(?([A-E])\)?(?:[.):\s]|$)")


def extract_choice(answer: str, choices: list[str], letters: bool = False) -> int | None:
    """The chosen option's index, or None when the answer names none (an extraction failure).

    Accepts "option 3", "the answer is 3", a leading "3"/"3." (or "C"/"(C)" when `letters`), a single option
    number standing alone, or the exact text of one option."""
    text = answer.strip()
    if letters:
        found = _LETTER.match(text)
        index = ord(found.group(1)) - ord("A") if found else None
    else:
        found = _OPTION.search(text) or _ANSWER_IS.search(text) or _LEADING_NUMBER.match(text)
        index = int(found.group(1)) - 1 if found else None
        if index is None:
            alone = {int(d) for d in _DIGIT.findall(text) if 1 <= int(d) <= len(choices)}
            index = alone.pop() - 1 if len(alone) == 1 else None
    if index is not None and 0 <= index < len(choices):
        return index
    lowered = text.lower()
    hits = [i for i, choice in enumerate(choices) if choice and choice.lower() in lowered]
    return hits[0] if len(hits) == 1 else None
