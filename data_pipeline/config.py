"""Typed pipeline configuration, loaded from YAML (configs/data/telecom.yaml is the shipped default).

A pydantic model read through telecomgpt.config's YAML helper, like the TelecomGPT settings: a missing
file, bad YAML, an unknown key or a wrong type is a one-line UserError naming the key (exit code 2 from the
CLI).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from data_pipeline.line_rules import LineRules
from telecomgpt.config import load_yaml_model


def default_line_rules() -> dict[str, LineRules]:
    """Per-source line rules; arXiv and StackExchange prose has more capitals and digits, code is not
    prose."""
    return {"3gpp": LineRules(), "arxiv": LineRules(max_uppercase=0.5, max_digits=0.35),
            "stackexchange": LineRules(max_uppercase=0.5), "markdown": LineRules(),
            "code": LineRules(enabled=False)}


class MinhashSettings(BaseModel):
    """Near-duplicate removal (datatrove's MinHash LSH)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    n_grams: int = Field(5, ge=1)
    """Word n-gram (shingle) size."""
    buckets: int = Field(14, ge=1)
    """LSH bands; with rows=8 a pair at Jaccard 0.8 is caught with probability ~0.92."""
    rows: int = Field(8, ge=1)
    """Hashes per band."""


class PipelineConfig(BaseModel):
    """Everything `telecomgpt data run` does, stage by stage."""

    model_config = ConfigDict(extra="forbid")

    tasks: int = Field(2, ge=1)
    """Shards per parallel stage (outputs are per shard; keep it fixed to resume or compare runs)."""
    clause_mode: Literal["clause", "document"] = "clause"
    """3GPP documents: one per "clause" (dedup sees clauses across releases) or one per "document"."""
    min_chars: int = 50
    """Documents shorter than this after the line rules are excluded (too_short)."""
    line_rules: dict[str, LineRules] = Field(default_factory=default_line_rules)
    """Per source; a source named in the YAML replaces its defaults, the others keep theirs."""
    english_only: bool = True
    language_threshold: float = Field(0.65, ge=0, le=1)
    exact_dedup: bool = True
    minhash: MinhashSettings = Field(default_factory=MinhashSettings)
    decontamination_ngram: int = Field(13, ge=1)
    validation_fraction: float = Field(0.01, ge=0, lt=1)
    split_seed: int = 0
    max_code_bytes: int = 1_000_000
    """Code files larger than this are skipped (huge)."""
    max_line_bytes: int = 8 << 20
    """Text files with a longer line go to errors/."""
    tokenizer: str = "default"
    """Tokenizer for the token counts: "default" (the default model's), a model folder, or "none"."""

    @field_validator("line_rules", mode="before")
    @classmethod
    def _keep_unnamed_defaults(cls, value):
        return {**default_line_rules(), **value} if isinstance(value, dict) else value


def load_config(path: str | Path | None) -> PipelineConfig:
    """Read a YAML config (None: the built-in defaults); mistakes are one-line errors, typos are never
    ignored."""
    return PipelineConfig() if path is None else load_yaml_model(PipelineConfig, path)
