"""Command-line options shared by several commands."""

from __future__ import annotations

from pathlib import Path

import typer

from telecomgpt.config import ADAPTER_NAME, DEFAULT_MODEL
from telecomgpt.errors import UserError
from telecomgpt.hardware import DTYPE_HELP

# Options left at None mean "not given": telecomgpt.config.load_settings then takes TELECOMGPT_* env, the YAML
# settings file, then the defaults, in that order, so every command resolves them the same way.
ModelOption = typer.Option(None, "--model", "-m", help="Registry name, HF folder, .gguf file or hub id "
                           f"[default: {DEFAULT_MODEL}, or `model` from the config file / TELECOMGPT_MODEL].")
ConfigOption = typer.Option(None, "--config", help="YAML settings file (see configs/telecomgpt.yaml; default "
                            "$TELECOMGPT_CONFIG or ./telecomgpt.yaml).")
DtypeOption = typer.Option(None, "--dtype", help=DTYPE_HELP)
AdapterOption = typer.Option(None, "--adapter", "-a", help="LoRA adapter to serve as NAME=PATH (repeatable); "
                             "with --index the assistant answers with the first one.")
NoAdapterOption = typer.Option(False, "--no-adapter", help="With --index: answer with the base model, not "
                               "the adapter that `rag.adapter` names.")

# The assistant's retrieval settings, shared by `serve --index` and `chat --index`.
ReleaseOption = typer.Option(None, "--release", help="With --index: retrieve only from this 3GPP release.")
RerankerOption = typer.Option(None, "--reranker",
                              help="With --index: rerank the top 20 retrieved chunks with "
                              "this cross-encoder (`telecomgpt train retriever` OUTPUT/reranker).")
PassagesOption = typer.Option(None, "--passages", help="With --index: retrieved chunks put in the prompt "
                              "(default 3); fewer answer faster.")
PassageCharsOption = typer.Option(None, "--passage-chars", help="With --index: each chunk in the prompt cut "
                                  "to about this many characters (default 600).")


def assistant_adapters(values: list[str] | None, setting: str | None, no_adapter: bool,
                       index: Path | None) -> tuple[dict[str, Path], str | None]:
    """(adapters vLLM serves, the one the assistant answers with or None for the base): the --adapter
    values (with --index the first answers), else the `rag.adapter` setting when an index is served, unless
    --no-adapter."""
    adapters = parse_adapters(values)
    if no_adapter:
        if adapters:
            raise UserError("--no-adapter serves the base model only; leave out --adapter")
        return {}, None
    if index is None:
        return adapters, None
    if adapters:
        return adapters, next(iter(adapters))
    if not setting:
        return {}, None
    from app.pipeline import SHIPPED_ADAPTER  # lazy: the app layer (keeps `telecomgpt --help` fast)

    path = SHIPPED_ADAPTER if setting == "shipped" else Path(setting).expanduser()
    if not path.is_dir():
        raise UserError(f"rag.adapter: folder {path} does not exist",
                        hint="--no-adapter answers with the base model")
    return {ADAPTER_NAME: path}, ADAPTER_NAME


def parse_adapters(values: list[str] | None) -> dict[str, Path]:
    """["name=path", ...] -> {"name": Path}; a malformed value is a one-line error."""
    adapters: dict[str, Path] = {}
    for value in values or []:
        name, sep, path = value.partition("=")
        if not sep or not name or not path:
            raise UserError(f"--adapter expects NAME=PATH, got {value!r}")
        if not Path(path).expanduser().is_dir():
            raise UserError(f"adapter {name!r}: folder {path} does not exist")
        adapters[name] = Path(path).expanduser()
    return adapters
