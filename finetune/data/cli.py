"""`telecomgpt data build-sft|build-dpo` (owned by the finetune package). Heavy imports live in the commands."""

from __future__ import annotations

from pathlib import Path

import typer


def register(data_app: typer.Typer) -> None:
    """Add the dataset builders to `telecomgpt data`."""
    data_app.command("build-sft")(build_sft)
    data_app.command("build-dpo")(build_dpo)


def build_sft(
    output: Path = typer.Option(..., "--output", "-o", help="Folder for sft.jsonl.gz, excluded.jsonl.gz, stats.json."),
    specs: list[str] = typer.Option([], "--specs", help="3GPP specs (.docx/.zip/.md files or folders): "
                                    "abbreviation, definition and equation examples."),
    code: list[str] = typer.Option([], "--code", help="Code repositories (.py/.go): code<->docstring, infilling."),
    text: list[str] = typer.Option([], "--text", help="Pipeline output or text/markdown files: equation masking "
                                   "and self-instruct passages."),
    benchmarks: list[str] = typer.Option([], "--benchmarks", help="Benchmark files/folders to decontaminate "
                                         "against (default: ../shared/data/benchmarks when present)."),
    no_decontaminate: bool = typer.Option(False, "--no-decontaminate", help="Skip benchmark decontamination."),
    max_per_builder: int = typer.Option(0, help="Cap per builder (0 = all); a deterministic subset."),
    self_instruct: int = typer.Option(0, help="Passages to send to the LLM for self-instruct (0 = off)."),
    base_url: str | None = typer.Option(None, help="OpenAI-compatible endpoint for self-instruct, e.g. "
                                        "http://127.0.0.1:8000/v1 (from `telecomgpt serve`)."),
    model: str = typer.Option("telecomgpt", help="Served model name at --base-url."),
    api_key: str | None = typer.Option(None, envvar="OPENAI_API_KEY", help="API key for --base-url."),
) -> None:
    """Build instruction (SFT) data: deterministic builders plus optional LLM self-instruct."""
    from finetune.data.build_sft import SFTBuild
    from finetune.data.build_sft import build_sft as run

    stats = run(SFTBuild(output=output, specs=specs, code=code, text=text, benchmarks=benchmarks,
                         decontaminate=not no_decontaminate, max_per_builder=max_per_builder,
                         self_instruct=self_instruct, base_url=base_url, model=model, api_key=api_key))
    typer.echo(f"sft: {stats['kept']} examples kept of {stats['inputs']} ({stats['kept_by_source']}); "
               f"excluded {stats['excluded']}; {len(stats['errors'])} unreadable files -> {output}")


def build_dpo(
    sft: list[str] = typer.Option(..., "--sft", help="build-sft output (folder or sft.jsonl.gz)."),
    output: Path = typer.Option(..., "--output", "-o", help="Folder for dpo.jsonl.gz, excluded.jsonl.gz, stats.json."),
    backend: str = typer.Option("vllm", help="Policy backend: vllm (in-process engine), hf, or openai (endpoint)."),
    model: str = typer.Option("smollm2-135m-instruct", help="Policy model (name/folder), or served name for openai."),
    base_url: str | None = typer.Option(None, help="Endpoint URL for --backend openai."),
    max_prompts: int = typer.Option(0, help="Use at most this many SFT prompts (0 = all); deterministic subset."),
    max_tokens: int = typer.Option(128, help="Longest policy answer."),
    temperature: float = typer.Option(0.7, help="Policy sampling temperature."),
    threshold: float = typer.Option(0.5, help="Judge score below which the policy answer counts as wrong."),
    corrupt_fraction: float = typer.Option(0.5, help="Share of prompts that also get a corrupted-reference pair."),
    benchmarks: list[str] = typer.Option([], "--benchmarks", help="Benchmarks to decontaminate against."),
    no_decontaminate: bool = typer.Option(False, "--no-decontaminate", help="Skip benchmark decontamination."),
) -> None:
    """Build preference (DPO) pairs: reference vs the policy's wrong answers, plus corrupted references."""
    from finetune.data.build_dpo import DPOBuild
    from finetune.data.build_dpo import build_dpo as run
    from telecomgpt.errors import UserError

    if backend == "openai" and not base_url:
        raise UserError("--backend openai needs --base-url")
    stats = run(DPOBuild(sft=sft, output=output, backend=backend, model=model, base_url=base_url,
                         max_prompts=max_prompts, max_tokens=max_tokens, temperature=temperature,
                         threshold=threshold, corrupt_fraction=corrupt_fraction, benchmarks=benchmarks,
                         decontaminate=not no_decontaminate))
    typer.echo(f"dpo: {stats['kept']} pairs ({stats['kept_by_source']}) from {stats['prompts']} prompts; policy "
               f"wrong {stats.get('policy_wrong', 0)}, right {stats.get('policy_correct', 0)} -> {output}")
