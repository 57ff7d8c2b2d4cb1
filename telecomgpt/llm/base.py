"""The one interface every LLM backend implements, and the registry that finds them by name.

Backends are registered as "module:Class" strings and imported only when asked for, so that
`telecomgpt --help` does not import torch or vLLM (the lm-evaluation-harness model registry works
the same way).
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field

from telecomgpt.errors import UserError

Message = dict[str, str]


@dataclass
class GenerationParams:
    """Sampling settings shared by every backend."""

    max_tokens: int = 256
    """Longest continuation in tokens."""
    temperature: float = 0.0
    """0 means greedy decoding."""
    top_p: float = 1.0
    """Nucleus sampling mass."""
    stop: list[str] = field(default_factory=list)
    """Strings that end generation (not included in the output)."""
    seed: int | None = None
    """Seed for sampling, for reproducible data generation."""


class LLMBackend(ABC):
    """Batch text generation and log-likelihood scoring over one model (plus an optional LoRA adapter)."""

    name: str = "base"

    @abstractmethod
    def generate(self, prompts: Sequence[str], params: GenerationParams | None = None) -> list[str]:
        """Continue each raw prompt; returns only the new text."""

    def chat(self, conversations: Sequence[Sequence[Message]],
             params: GenerationParams | None = None) -> list[str]:
        """Answer each conversation; the default applies the model's chat template and calls generate."""
        prompts = [self.apply_chat_template(conv) for conv in conversations]
        return self.generate(prompts, params)

    @abstractmethod
    def apply_chat_template(self, messages: Sequence[Message]) -> str:
        """Render messages with the model's own chat template, ready for the assistant's turn."""

    @abstractmethod
    def loglikelihood(self, requests: Sequence[tuple[str, str]]) -> list[tuple[float, bool]]:
        """For each (context, continuation): summed log-probability of the continuation, and whether
        it is the greedy continuation (the contract of lm-eval's `loglikelihood`)."""

    def close(self) -> None:  # noqa: B027 - optional hook: backends without resources need not free any
        """Free the model; the backend is unusable afterwards."""

    def __enter__(self) -> LLMBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_BACKENDS: dict[str, str] = {
    "vllm": "telecomgpt.llm.vllm_engine:VLLMEngineBackend",
    "hf": "telecomgpt.llm.hf_backend:HFBackend",
    "openai": "telecomgpt.llm.openai_backend:OpenAIBackend",
}


def available_backends() -> list[str]:
    return sorted(_BACKENDS)


def get_backend(name: str, **kwargs: object) -> LLMBackend:
    """Build the backend registered as `name` (kwargs go to its constructor)."""
    if name not in _BACKENDS:
        raise UserError(f"unknown backend {name!r}; choose one of: {', '.join(available_backends())}")
    module_name, class_name = _BACKENDS[name].split(":")
    return getattr(importlib.import_module(module_name), class_name)(**kwargs)
