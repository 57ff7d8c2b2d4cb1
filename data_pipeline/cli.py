"""`telecomgpt data run|stats` (owned by the data pipeline package). Heavy imports stay inside commands.

Plain command functions: telecomgpt/cli/main.py attaches them, with finetune's builders, to the one `data`
group.
"""

from __future__ import annotations

from pathlib import Path

import typer

from data_pipeline.stats import read_stats
from telecomgpt.errors import UserError


def run(
    input: list[Path] = typer.Option(..., "--input", "-i",
                                     help="Files or folders: 3GPP .docx/.zip/.md, arXiv .jsonl(.gz)/.tex/"
                                          ".tar.gz/.pdf, code repositories, StackExchange Posts.xml."),
    output: Path = typer.Option(..., "--output", "-o", help="Run folder: data/, excluded/, errors/, "
                                                            "stats.json, report.md. Re-run to resume."),
    config: Path = typer.Option(None, "--config", "-c", help="Pipeline YAML (default: built-in settings, "
                                                             "same as configs/data/telecom.yaml)."),
    executor: str = typer.Option("local", "--executor", help="local (default) or ray (a local Ray cluster "
                                                             "unless RAY_ADDRESS points at one)."),
    workers: int = typer.Option(None, "--workers", "-w", help="Parallel tasks (default: min(tasks, cores))."),
    benchmarks: list[Path] = typer.Option(None, "--benchmarks", "-b",
                                          help="Benchmark files/folders to decontaminate against "
                                               "(TeleQnA.zip, ORAN fin_*.json, srsRANBench.json, *.jsonl)."),
) -> None:
    """Clean, filter, deduplicate and decontaminate a telecom corpus (datatrove stages)."""
    from data_pipeline.config import load_config  # lazy: datatrove (keeps `telecomgpt --help` fast)
    from data_pipeline.run import run_pipeline

    if workers is not None and workers < 1:
        raise UserError("--workers must be at least 1")
    settings = load_config(config)
    run_pipeline(settings, [str(p) for p in input], output, executor=executor, workers=workers,
                 benchmarks=[str(b) for b in benchmarks or []])
    typer.echo(f"report: {output / 'report.md'}")


def stats(
    directory: Path = typer.Argument(..., help="A run folder written by `telecomgpt data run`."),
) -> None:
    """Print the report of a pipeline run."""
    typer.echo(read_stats(directory))
