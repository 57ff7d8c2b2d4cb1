"""Typed pipeline configuration, loaded from YAML (configs/data/telecom.yaml is the shipped default)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import yaml

from data_pipeline.line_rules import LineRules
from telecomgpt.errors import UserError


@dataclasses.dataclass
class MinhashSettings:
    enabled: bool = True
    n_grams: int = 5
    """Word n-gram (shingle) size."""
    buckets: int = 14
    """LSH bands; with rows=8 a pair at Jaccard 0.8 is caught with probability ~0.92."""
    rows: int = 8
    """Hashes per band."""


@dataclasses.dataclass
class PipelineConfig:
    """Everything `telecomgpt data run` does, stage by stage."""

    tasks: int = 2
    """Shards per parallel stage (outputs are per shard; keep it fixed to resume or compare runs)."""
    clause_mode: str = "clause"
    """3GPP documents: one per "clause" (dedup sees clauses across releases) or one per "document"."""
    min_chars: int = 50
    """Documents shorter than this after the line rules are excluded (too_short)."""
    line_rules: dict[str, LineRules] = dataclasses.field(default_factory=lambda: {
        "3gpp": LineRules(), "arxiv": LineRules(max_uppercase=0.5, max_digits=0.35),
        "stackexchange": LineRules(max_uppercase=0.5), "markdown": LineRules(), "code": LineRules(enabled=False)})
    english_only: bool = True
    language_threshold: float = 0.65
    exact_dedup: bool = True
    minhash: MinhashSettings = dataclasses.field(default_factory=MinhashSettings)
    decontamination_ngram: int = 13
    validation_fraction: float = 0.01
    split_seed: int = 0
    max_code_bytes: int = 1_000_000
    """Code files larger than this are skipped (huge)."""
    max_line_bytes: int = 8 << 20
    """Text files with a longer line go to errors/."""
    tokenizer: str = "default"
    """Tokenizer for the token counts: "default" (the default model's), a model folder, or "none"."""


def load_config(path: str | Path | None) -> PipelineConfig:
    """Read a YAML config; unknown keys are a user error (typos must not be silently ignored)."""
    if path is None:
        return PipelineConfig()
    path = Path(path)
    if not path.is_file():
        raise UserError(f"config file not found: {path}")
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise UserError(f"config is not valid YAML: {path} ({str(exc).splitlines()[0]})") from None
    try:
        rules = {name: LineRules(**values) for name, values in raw.pop("line_rules", {}).items()}
        minhash = MinhashSettings(**raw.pop("minhash", {}))
        config = PipelineConfig(minhash=minhash, **raw)
    except TypeError as exc:
        raise UserError(f"invalid setting in {path}: {exc}") from None
    config.line_rules.update(rules)
    if config.tasks < 1 or config.clause_mode not in ("clause", "document"):
        raise UserError(f"invalid config {path}: tasks must be >= 1 and clause_mode 'clause' or 'document'")
    return config
