"""TelecomGPT: the core every feature builds on, and the CLI that composes the features.

Imports go one way, down these layers (checked by `lint-imports`, contract in pyproject.toml):

    bench | telecomgpt.cli      entry points: benchmark scripts, the `telecomgpt` command (imported by none)
    finetune                    training (decontaminated against eval's items; retrieval pairs from app)
    eval                        benchmarks (app's retriever for `eval run --index`)
    app | data_pipeline         the RAG assistant; corpus building (independent of each other)
    core                        telecomgpt.config, .errors, .hardware, .paths, .quiet, .llm, .models and
                                .domain (the shared telecom knowledge: 3GPP parsing, benchmark files, code
                                functions, equations, stable keys); the core imports no feature package
"""

import logging

__version__ = "0.1.0"


def _drop_kernels_hub_warning(record: logging.LogRecord) -> bool:
    """bitsandbytes warns on import, on any AVX-512-bf16 CPU, that it cannot fetch an optional kernel from the
    Hugging Face hub (the `kernels` package downloads it at run time). Nothing here may download, and its
    built-in CPU path is what the project measured, so that one message is noise on every command."""
    return "kernels-community" not in record.getMessage()


logging.getLogger("bitsandbytes.backends.cpu.ops").addFilter(_drop_kernels_hub_warning)
