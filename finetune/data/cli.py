"""`telecomgpt data build-sft|build-dpo` (owned by the finetune package). Heavy imports live in the builders.

Plain command functions: telecomgpt/cli/main.py attaches them, with the pipeline's, to the one `data` group.
Model and endpoint resolve through telecomgpt.config.load_settings (flags > TELECOMGPT_* > --config >
defaults).
"""

from __future__ import annotations

from pathlib import Path

import typer

from finetune.data.build_dpo import DPOBuild
from finetune.data.build_dpo import build_dpo as run_dpo_build
from finetune.data.build_sft import SFTBuild
from finetune.data.build_sft import build_sft as run_sft_build
from telecomgpt.config import DEFAULT_MODEL, load_settings
from telecomgpt.errors import UserError

_CONFIG_HELP = ("YAML settings file (see configs/telecomgpt.yaml; default $TELECOMGPT_CONFIG or "
                "./telecomgpt.yaml).")


def build_sft(
    output: Path = typer.Option(..., "--output", "-o",
                                help="Folder for sft.jsonl.gz, excluded.jsonl.gz, stats.json."),
    specs: list[str] = typer.Option([], "--specs", help="3GPP specs (.docx/.zip/.md files or folders): "
                                    "abbreviation, definition and equation examples."),
    code: list[str] = typer.Option([], "--code",
                                   help="Code repositories (.py/.go): code<->docstring, infilling."),
    text: list[str] = typer.Option([], "--text",
                                   help="Pipeline output or text/markdown files: equation masking "
                                   "and self-instruct passages."),
    benchmarks: list[str] = typer.Option([], "--benchmarks", help="Benchmark files/folders to decontaminate "
                                         "against (default: ../shared/data/benchmarks when present)."),
    no_decontaminate: bool = typer.Option(False, "--no-decontaminate",
                                          help="Skip benchmark decontamination."),
    max_per_builder: int = typer.Option(0, help="Cap per builder (0 = all); a deterministic subset."),
    self_instruct: int = typer.Option(0, help="Passages to send to the LLM for self-instruct (0 = off)."),
    base_url: str | None = typer.Option(None, help="OpenAI-compatible endpoint for self-instruct, e.g. "
                                        "http://127.0.0.1:8000/v1 (from `telecomgpt serve`) [default: "
                                        "`base_url` from --config / TELECOMGPT_BASE_URL]."),
    model: str = typer.Option(None, help="Served model name at --base-url [default: telecomgpt, or "
                              "`served_model_name` from --config / TELECOMGPT_SERVED_MODEL_NAME]."),
    api_key: str | None = typer.Option(None, envvar="OPENAI_API_KEY", help="API key for --base-url [default: "
                                       "`api_key` from --config / TELECOMGPT_API_KEY]."),
    config: str = typer.Option(None, "--config", help=_CONFIG_HELP),
) -> None:
    """Build instruction (SFT) data: deterministic builders plus optional LLM self-instruct."""
    settings = load_settings(config, base_url=base_url, served_model_name=model, api_key=api_key)
    job = SFTBuild(output=output, specs=specs, code=code, text=text, benchmarks=benchmarks,
                   decontaminate=not no_decontaminate, max_per_builder=max_per_builder,
                   self_instruct=self_instruct, base_url=settings.base_url,
                   model=settings.served_model_name, api_key=settings.api_key)
    stats = run_sft_build(job)
    typer.echo(f"sft: {stats['kept']} examples kept of {stats['inputs']} ({stats['kept_by_source']}); "
               f"excluded {stats['excluded']}; {len(stats['errors'])} unreadable files -> {output}")


def build_dpo(
    sft: list[str] = typer.Option(..., "--sft", help="build-sft output (folder or sft.jsonl.gz)."),
    output: Path = typer.Option(..., "--output", "-o",
                                help="Folder for dpo.jsonl.gz, excluded.jsonl.gz, stats.json."),
    backend: str = typer.Option("vllm", help="Policy backend: vllm (in-process engine), hf, or openai "
                                             "(endpoint)."),
    model: str = typer.Option(None, help="Policy model (name/folder), or served name for openai [default: "
                              f"{DEFAULT_MODEL}, or `model` from --config / TELECOMGPT_MODEL]."),
    base_url: str | None = typer.Option(None, help="Endpoint URL for --backend openai [default: `base_url` "
                                        "from --config / TELECOMGPT_BASE_URL]."),
    max_prompts: int = typer.Option(0, help="Use at most this many SFT prompts (0 = all); deterministic "
                                            "subset."),
    max_tokens: int = typer.Option(128, help="Longest policy answer."),
    temperature: float = typer.Option(0.7, help="Policy sampling temperature."),
    threshold: float = typer.Option(0.5, help="Judge score below which the policy answer counts as wrong."),
    corrupt_fraction: float = typer.Option(0.5, help="Share of prompts that also get a corrupted-reference "
                                                     "pair."),
    benchmarks: list[str] = typer.Option([], "--benchmarks", help="Benchmarks to decontaminate against."),
    no_decontaminate: bool = typer.Option(False, "--no-decontaminate",
                                          help="Skip benchmark decontamination."),
    config: str = typer.Option(None, "--config", help=_CONFIG_HELP),
) -> None:
    """Build preference (DPO) pairs: reference vs the policy's wrong answers, plus corrupted references."""
    settings = load_settings(config, model=model, base_url=base_url)
    base_url = settings.base_url if backend == "openai" else None  # the in-process backends take no endpoint
    if backend == "openai" and not base_url:
        raise UserError("--backend openai needs --base-url")
    job = DPOBuild(sft=sft, output=output, backend=backend, model=settings.model, base_url=base_url,
                   max_prompts=max_prompts, max_tokens=max_tokens, temperature=temperature,
                   threshold=threshold, corrupt_fraction=corrupt_fraction, benchmarks=benchmarks,
                   decontaminate=not no_decontaminate)
    stats = run_dpo_build(job)
    typer.echo(f"dpo: {stats['kept']} pairs ({stats['kept_by_source']}) from {stats['prompts']} prompts; "
               f"policy wrong {stats.get('policy_wrong', 0)}, right {stats.get('policy_correct', 0)} -> "
               f"{output}")
