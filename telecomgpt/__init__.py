"""TelecomGPT: the shared core (config, model registry, LLM access, CLI)."""

import logging

__version__ = "0.1.0"


def _drop_kernels_hub_warning(record: logging.LogRecord) -> bool:
    """bitsandbytes warns on import, on any AVX-512-bf16 CPU, that it cannot fetch an optional kernel from the
    Hugging Face hub (the `kernels` package downloads it at run time). Nothing here may download, and its
    built-in CPU path is what the project measured, so that one message is noise on every command."""
    return "kernels-community" not in record.getMessage()


logging.getLogger("bitsandbytes.backends.cpu.ops").addFilter(_drop_kernels_hub_warning)
