"""TelecomGPT: the shared core (config, model registry, LLM access, CLI)."""

__version__ = "0.1.0"
