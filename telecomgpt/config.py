"""Typed settings shared by every command.

Values come, highest priority first, from command-line flags, `TELECOMGPT_*` environment variables,
a YAML file (`--config FILE`, `$TELECOMGPT_CONFIG`, or `./telecomgpt.yaml`), and the defaults below.
pydantic validates the merged result, so a bad value fails with one clear line.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from telecomgpt.errors import UserError

DEFAULT_MODEL = "smollm2-135m-instruct"


class ServeSettings(BaseModel):
    """How the vLLM server is started."""

    model_config = ConfigDict(extra="forbid")

    host: str = Field("127.0.0.1", description="Address to bind; loopback by default.")
    port: int = Field(8000, ge=1, le=65535, description="Port of the vLLM OpenAI-compatible server.")
    max_model_len: int = Field(2048, ge=128, description="Longest prompt + answer in tokens.")
    kv_cache_gb: float = Field(2.0, gt=0, description="KV cache size in GiB (VLLM_CPU_KVCACHE_SPACE on CPU).")
    startup_timeout_s: float = Field(300.0, gt=0, description="Seconds to wait for /health.")
    max_lora_rank: int = Field(16, ge=1, description="Largest LoRA rank an adapter may have.")


class RAGSettings(BaseModel):
    """How the assistant (`serve --index`, `chat --index`) answers; see app.pipeline.RAGConfig."""

    model_config = ConfigDict(extra="forbid")

    passages: int = Field(3, ge=1, le=20, description="Retrieved chunks put in the prompt.")
    passage_chars: int = Field(600, ge=100, description="Each chunk in the prompt cut to about this many characters.")
    max_tokens: int = Field(128, ge=1, description="Longest generated answer in tokens.")
    temperature: float = Field(0.0, ge=0, le=2, description="Sampling temperature of answers.")
    unsupported: str = Field("drop", pattern="^(drop|mark)$",
                             description="Answer sentences the cited clauses do not support: drop or mark.")


class Settings(BaseModel):
    """Top-level TelecomGPT settings."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(DEFAULT_MODEL, description="Registry name, HF folder, .gguf file or hub id.")
    served_model_name: str = Field("telecomgpt", description="Name the server gives the base model.")
    base_url: str | None = Field(None, description="Use an existing OpenAI-compatible endpoint instead.")
    api_key: str | None = Field(None, description="Bearer key for the endpoint (or for our own API).")
    temperature: float = Field(0.2, ge=0, le=2, description="Sampling temperature for chat.")
    max_tokens: int = Field(256, ge=1, description="Longest answer in tokens.")
    request_timeout_s: float = Field(120.0, gt=0, description="Timeout of one request to the endpoint.")
    serve: ServeSettings = Field(default_factory=ServeSettings)
    rag: RAGSettings = Field(default_factory=RAGSettings)


def _env_overrides() -> dict[str, Any]:
    """TELECOMGPT_MODEL=x -> {"model": "x"}; TELECOMGPT_SERVE__PORT=9 -> {"serve": {"port": "9"}}."""
    out: dict[str, Any] = {}
    skip = {"HOME", "CONFIG", "SHARED", "ONLINE"}
    for key, value in os.environ.items():
        if not key.startswith("TELECOMGPT_") or key[len("TELECOMGPT_") :] in skip:
            continue
        path = key[len("TELECOMGPT_") :].lower().split("__")
        node = out
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
    return out


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        elif value is not None:
            merged[key] = value
    return merged


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise UserError(f"config file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise UserError(f"config file {path} is not valid YAML: {exc}".splitlines()[0]) from None
    if not isinstance(data, dict):
        raise UserError(f"config file {path} must hold a mapping at the top level")
    return data


def load_settings(config_file: str | Path | None = None, **overrides: Any) -> Settings:
    """Merge defaults, YAML, environment and flag overrides (None means "not given") into Settings."""
    data: dict[str, Any] = {}
    config_file = config_file or os.environ.get("TELECOMGPT_CONFIG")
    if config_file:
        data = _read_yaml(Path(config_file))
    elif Path("telecomgpt.yaml").is_file():
        data = _read_yaml(Path("telecomgpt.yaml"))
    data = _merge(data, _env_overrides())
    data = _merge(data, overrides)
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise UserError(f"invalid setting {where!r}: {first['msg']}") from None
