"""`telecomgpt data build-sft|build-dpo` (owned by the finetune package). Heavy imports live in the builders.

Plain command functions: telecomgpt/cli/main.py attaches them, with the pipeline's, to the one `data` group.
Model and endpoint resolve through telecomgpt.config.load_settings (flags > TELECOMGPT_* > --config >
defaults).
"""

from __future__ import annotations

import shlex
import sys
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
    max_per_builder: int = typer.Option(0, help="Cap per builder (0 = all); a deterministic subset. "
                                 "With --rag: the most reading items kept."),
    self_instruct: int = typer.Option(0, help="Passages to send to the LLM for self-instruct (0 = off)."),
    base_url: str | None = typer.Option(None, help="OpenAI-compatible endpoint for self-instruct, e.g. "
                                        "http://127.0.0.1:8000/v1 (from `telecomgpt serve`) [default: "
                                        "`base_url` from --config / TELECOMGPT_BASE_URL]."),
    model: str = typer.Option(None, help="Served model name at --base-url [default: telecomgpt, or "
                              "`served_model_name` from --config / TELECOMGPT_SERVED_MODEL_NAME]."),
    api_key: str | None = typer.Option(None, envvar="OPENAI_API_KEY", help="API key for --base-url [default: "
                                       "`api_key` from --config / TELECOMGPT_API_KEY]."),
    rag: bool = typer.Option(False, "--rag", help="Build reading data instead: questions mined from the "
                             "--index's spec chunks (of --specs when given), asked through the assistant's "
                             "retrieval and prompt; the answering clause among distractors, or left out."),
    index: str = typer.Option(None, "--index", help="With --rag: the index to retrieve from (`telecomgpt "
                              "index build`)."),
    max_per_kind: int = typer.Option(0, help="With --rag: the most items of one mined kind (definition, "
                                     "abbreviation, node, interface, functions, procedure; 0 = no cap), so "
                                     "the specs' many glossary lines do not set the answers' shape."),
    no_answer_fraction: float = typer.Option(0.2, help="With --rag: share of items whose answering clause "
                                             "is left out (target: the 'sources do not say' sentence)."),
    hold_out: str = typer.Option(None, "--hold-out", help="With --rag: a YAML/JSON file of items with "
                                 "'spec', 'clauses' and 'facts' (e.g. bench/answer_questions.yaml): no "
                                 "question is mined from the chunks of those clauses that state those facts, "
                                 "so a benchmark about the same specs stays unseen."),
    config: str = typer.Option(None, "--config", help=_CONFIG_HELP),
) -> None:
    """Build instruction (SFT) data: deterministic builders plus optional LLM self-instruct (or, with --rag,
    reading data in the assistant's prompt format)."""
    settings = load_settings(config, base_url=base_url, served_model_name=model, api_key=api_key)
    if rag:
        _build_rag_sft(settings, output, index, specs, benchmarks, no_decontaminate, max_per_builder,
                       no_answer_fraction, bool(code or text or self_instruct), hold_out, max_per_kind)
        return
    job = SFTBuild(output=output, specs=specs, code=code, text=text, benchmarks=benchmarks,
                   decontaminate=not no_decontaminate, max_per_builder=max_per_builder,
                   self_instruct=self_instruct, base_url=settings.base_url,
                   model=settings.served_model_name, api_key=settings.api_key)
    stats = run_sft_build(job)
    typer.echo(f"sft: {stats['kept']} examples kept of {stats['inputs']} ({stats['kept_by_source']}); "
               f"excluded {stats['excluded']}; {len(stats['errors'])} unreadable files -> {output}")


def _command() -> str:
    return shlex.join(["telecomgpt", *sys.argv[1:]])


def _build_rag_sft(settings, output: Path, index: str | None, specs: list[str], benchmarks: list[str],
                   no_decontaminate: bool, max_items: int, no_answer_fraction: float,
                   other_inputs: bool, hold_out: str | None = None, max_per_kind: int = 0) -> None:
    from app.pipeline import RAGConfig  # lazy: langchain (keeps `telecomgpt --help` fast)
    from finetune.data.rag_reading import RAGBuild, build_rag_sft, held_out_clauses

    if other_inputs:
        raise UserError("--rag builds reading data from --index only; build --code/--text/--self-instruct "
                        "data with a separate build-sft")
    if not index:
        raise UserError("--rag needs --index (an index built by `telecomgpt index build`)")
    if max_per_kind < 0:
        raise UserError(f"--max-per-kind must be >= 0, got {max_per_kind}")
    if not 0 <= no_answer_fraction < 1:
        raise UserError(f"--no-answer-fraction must be in [0, 1), got {no_answer_fraction}")
    # The builder only prepares prompts and never generates, so the endpoint is not contacted; RAGConfig just
    # needs one. The rest (passages, passage_chars, context length) comes from the same settings as `serve`.
    rag = RAGConfig.from_settings(settings, base_url=settings.base_url or "http://127.0.0.1:1/v1")
    stats = build_rag_sft(RAGBuild(output=output, index=index, rag=rag, specs=specs, benchmarks=benchmarks,
                                   decontaminate=not no_decontaminate, max_items=max_items,
                                   max_per_kind=max_per_kind,
                                   no_answer_fraction=no_answer_fraction, command=_command(),
                                   held_out=held_out_clauses(hold_out) if hold_out else []))
    typer.echo(f"sft --rag: {stats['kept']} examples kept of {stats['inputs']} ({stats['kept_by_source']}); "
               f"excluded {stats['excluded']}; answering clause retrieved {stats['answer_retrieved']}, "
               f"placed {stats['answer_placed']} -> {output}")


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
    rag: bool = typer.Option(False, "--rag", help="Reading pairs from `build-sft --rag` data: the target "
                             "vs the policy's own answer where the assistant's checker rejects it."),
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
                   decontaminate=not no_decontaminate, rag=rag, command=_command())
    stats = run_dpo_build(job)
    if rag:
        typer.echo(f"dpo --rag: {stats['kept']} pairs from {stats['prompts']} prompts; policy answers served "
                   f"as they are {stats['policy_served']}, rejected {stats['policy_rejected']}; excluded "
                   f"{stats['excluded']} -> {output}")
        return
    typer.echo(f"dpo: {stats['kept']} pairs ({stats['kept_by_source']}) from {stats['prompts']} prompts; "
               f"policy wrong {stats.get('policy_wrong', 0)}, right {stats.get('policy_correct', 0)} -> "
               f"{output}")
