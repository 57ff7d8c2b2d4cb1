"""Retrieved text treated as data: chat-template control tokens stripped, instruction-like sentences replaced,
references to other documents written so that they do not read as the answer's citations.

Its own module because two modules need it: app/prompting.py cleans what goes into the prompt, and
app/grounding.py quotes only sentences that came through unchanged (what the model never saw is neither
evidence nor quoted).
"""

from __future__ import annotations

import re

CONTROL_TOKENS = re.compile(r"<\|[^|>]{1,40}\|>|</?(?:s|system|assistant|user|documents?)>", re.I)
INSTRUCTION_LIKE = re.compile(
    r"[^.!?\n]*\b(?:(?:ignore|disregard|forget|override)\s+(?:all\s+|any\s+|the\s+|your\s+)*"
    r"(?:previous|prior|above|earlier|preceding|system|other)\s+(?:instructions?|prompts?|rules|directions|messages?)"
    r"|you\s+are\s+now\b|new\s+instructions?\s*:|system\s+prompt|respond\s+only\s+with|reply\s+only\s+with"
    r"|answer\s+only\s+with)[^.!?\n]*[.!?]?",
    re.I,
)
REMOVED = "[instruction-like text removed]"


NAMED_REFERENCE = re.compile(r"(\b(?:TS|TR)\s?\d{2}\.\d{3}(?:-\d+)?|\bRFC\s?\d{3,5}"
                             r"|\bIEEE\s+(?:Std\s+)?[\d.]+\w*)\s*\[\d{1,3}\]")
"""A spec's reference to another document with its number in the spec's References clause ("as specified in
TS 38.331 [3]", "RFC 2131 [95]"): the name says which document, and the number read as the answer's own
citation: a quote from source [3] ended "... as specified in TS 38.331 [3] [3]"."""
BARE_REFERENCE = re.compile(r"\[(\d{1,3})\]")
"""A reference by number alone ("the procedures in [9]"): kept, but no longer in the form of a citation."""


def plain_references(text: str) -> str:
    """`text` with its references to other documents in a form no reader takes for a citation of the
    answer's sources: the number after a named document left out, a bare number written "[ref. N]"."""
    return BARE_REFERENCE.sub(r"[ref. \1]", NAMED_REFERENCE.sub(r"\1", text))


def sanitize(text: str) -> str:
    """Retrieved text made safe to quote: no control tokens, no instruction-like sentences."""
    return INSTRUCTION_LIKE.sub(REMOVED, CONTROL_TOKENS.sub(" ", text))
