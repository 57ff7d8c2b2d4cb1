"""The model registry: turn a name, folder, .gguf file or hub id into a local HF model folder."""

from telecomgpt.models.registry import DEFAULT_MODEL, EMBEDDED_MODELS, PreparedModel, list_prepared, prepare

__all__ = ["DEFAULT_MODEL", "EMBEDDED_MODELS", "PreparedModel", "list_prepared", "prepare"]
