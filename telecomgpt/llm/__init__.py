"""LLM access: backends registered by name (imported lazily), the vLLM server manager and an OpenAI client."""

from telecomgpt.llm.base import GenerationParams, LLMBackend, available_backends, get_backend

__all__ = ["GenerationParams", "LLMBackend", "available_backends", "get_backend"]
