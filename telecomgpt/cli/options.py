"""Command-line options shared by several commands."""

from __future__ import annotations

from pathlib import Path

import typer

from telecomgpt.errors import UserError

ModelOption = typer.Option(None, "--model", "-m", help="Registry name, HF folder, .gguf file or hub id "
                           "[default: smollm2-135m-instruct, or `model` from the config file / TELECOMGPT_MODEL].")
ConfigOption = typer.Option(None, "--config", help="YAML settings file (see configs/telecomgpt.yaml).")
AdapterOption = typer.Option(None, "--adapter", "-a", help="LoRA adapter to serve as NAME=PATH (repeatable).")


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
