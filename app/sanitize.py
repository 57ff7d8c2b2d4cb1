"""Retrieved text treated as data: chat-template control tokens stripped, instruction-like sentences replaced.

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


def sanitize(text: str) -> str:
    """Retrieved text made safe to quote: no control tokens, no instruction-like sentences."""
    return INSTRUCTION_LIKE.sub(REMOVED, CONTROL_TOKENS.sub(" ", text))
