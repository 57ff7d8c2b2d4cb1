"""The record format of every dataset builder, plus deterministic choice helpers.

SFT records are TRL's conversational prompt-completion format, so `SFTTrainer` applies the model's chat
template and computes the loss on the answer only:

    {"id": "abbreviation-1a2b...", "source": "abbreviation",
     "prompt": [{"role": "user", "content": "..."}], "completion": [{"role": "assistant", "content": "..."}],
     "meta": {"spec": "38.211", ...}}
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from telecomgpt.domain.keys import stable_hash


def pick(options: list[str] | tuple[str, ...], key: str) -> str:
    """Choose one option deterministically from `key` (varied phrasings, reproducible datasets)."""
    return options[stable_hash(key) % len(options)]


def normalize(text: str) -> str:
    """Lower-case, collapse whitespace and drop punctuation: the form used for dedup keys and judging."""
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


@dataclass
class Example:
    """One instruction example before it is written."""

    source: str
    """Builder name: abbreviation, abbreviation_reverse, definition, code_docstring, docstring_code,
    code_infill, equation_mask, self_instruct."""
    question: str
    answer: str
    meta: dict = field(default_factory=dict)
    key: str = ""
    """Dedup key; defaults to the normalised question + answer."""

    def dedup_key(self) -> str:
        return self.key or f"{self.source}:{normalize(self.question)}:{normalize(self.answer)}"

    def to_record(self) -> dict:
        return {
            "id": f"{self.source}-{stable_hash(self.dedup_key()):016x}",
            "source": self.source,
            "prompt": [{"role": "user", "content": self.question}],
            "completion": [{"role": "assistant", "content": self.answer}],
            "meta": self.meta,
        }


def record_text(record: dict) -> str:
    """All the text of an SFT, DPO, retrieval-pair or reader-group record, for decontamination."""
    parts = []
    for key in ("prompt", "completion", "chosen", "rejected", "messages", "query", "positive", "negative",
                "question", "negatives"):
        value = record.get(key)
        if isinstance(value, str):
            parts.append(value)
        elif isinstance(value, list):  # chat messages, or a reader group's negative sentences
            parts.extend(m.get("content", "") if isinstance(m, dict) else str(m) for m in value)
    return "\n".join(parts)
