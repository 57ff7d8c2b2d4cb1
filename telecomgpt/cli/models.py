"""`telecomgpt models prepare|list`."""

from __future__ import annotations

import typer

from telecomgpt.cli.options import ConfigOption, ModelOption
from telecomgpt.config import load_settings
from telecomgpt.models import EMBEDDED_MODELS, list_prepared, prepare

app = typer.Typer(help="Prepare and list local models (the embedded default needs no download).",
                  no_args_is_help=True)


@app.command("prepare")
def prepare_cmd(model: str = ModelOption, config: str = ConfigOption) -> None:
    """Make MODEL a local HF folder (converting a GGUF once, to bf16 safetensors) and print its path.

    A hub id downloads only with TELECOMGPT_ONLINE=1."""
    typer.echo(str(prepare(load_settings(config, model=model).model)))


@app.command("list")
def list_cmd() -> None:
    """Show the models prepared in $TELECOMGPT_HOME/models, with their sizes."""
    from rich.console import Console
    from rich.table import Table

    table = Table("name", "size", "path", "source")
    prepared = list_prepared()
    for item in prepared:
        table.add_row(item.name, f"{item.size_bytes / 2**20:.0f} MiB", str(item.path), item.source)
    for name in EMBEDDED_MODELS:
        if name not in {p.name for p in prepared}:
            table.add_row(name, "-", "(not prepared yet: telecomgpt models prepare)", "embedded")
    Console().print(table)
