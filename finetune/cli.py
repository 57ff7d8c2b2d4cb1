"""`telecomgpt train cpt|sft|dpo|merge|perplexity` (owned by the finetune package).

Light on purpose: torch, transformers and TRL are imported inside the commands.
"""

from __future__ import annotations

from pathlib import Path

import typer

train_app = typer.Typer(help="Adapt a model: continual pretraining, QLoRA SFT, DPO, merge.", no_args_is_help=True)

_EXTRA = {"allow_extra_args": True, "ignore_unknown_options": True}
_RECIPE_HELP = (
    "YAML recipe (configs/finetune/<model>/{stage}.yaml). Any recipe key can be overridden after it as "
    "`--key value`, e.g. `--max_steps 20 --output_dir runs/x --dataset_path DIR`. Keys: TelecomGPT's "
    "(model_name_or_path, load_in_4bit, use_peft, lora_r, dataset_path, eval_fraction, resume, ...; see "
    "docs/finetune.md) and every field of TRL's {config}."
)


def _run(stage: str, config: Path, ctx: typer.Context) -> None:
    from finetune.train import run_stage

    summary = run_stage(stage, config, ctx.args)
    line = f"{stage} done: {summary['steps']} steps, train loss {summary['train_loss']:.4f}"
    if "perplexity" in summary:
        ppl = summary["perplexity"]
        line += f", held-out perplexity {ppl.get('before', float('nan')):.2f} -> {ppl['after']:.2f}"
    typer.echo(f"{line}; saved to {summary['output_dir']}")


@train_app.command("cpt", context_settings=_EXTRA, help="Continual pretraining (all parameters, packed raw text).\n\n"
                   + _RECIPE_HELP.format(stage="cpt", config="SFTConfig"))
def cpt(ctx: typer.Context, config: Path = typer.Option(..., "--config", help="Recipe YAML.")) -> None:
    """Continual pretraining on the pipeline's output (a `text` column)."""
    _run("cpt", config, ctx)


@train_app.command("sft", context_settings=_EXTRA, help="Instruction tuning with (Q)LoRA on prompt/completion or "
                   "messages data.\n\n" + _RECIPE_HELP.format(stage="sft", config="SFTConfig"))
def sft(ctx: typer.Context, config: Path = typer.Option(..., "--config", help="Recipe YAML.")) -> None:
    """Supervised fine-tuning (QLoRA by default)."""
    _run("sft", config, ctx)


@train_app.command("dpo", context_settings=_EXTRA, help="Preference alignment with DPO and (Q)LoRA on "
                   "prompt/chosen/rejected data.\n\n" + _RECIPE_HELP.format(stage="dpo", config="DPOConfig"))
def dpo(ctx: typer.Context, config: Path = typer.Option(..., "--config", help="Recipe YAML.")) -> None:
    """Direct preference optimisation (QLoRA by default)."""
    _run("dpo", config, ctx)


@train_app.command("merge")
def merge(
    base: str = typer.Option(..., "--base", help="Base model the adapter was trained on (name, folder or GGUF)."),
    adapter: Path = typer.Option(..., "--adapter", help="LoRA adapter folder (a stage's output_dir)."),
    output: Path = typer.Option(..., "--output", help="Folder for the merged model (safetensors + tokenizer)."),
    dtype: str = typer.Option("bfloat16", help="dtype of the merged weights."),
    verify: bool = typer.Option(False, "--verify", help="Load the merged model in vLLM and generate one answer."),
) -> None:
    """Merge a LoRA adapter into its base model, writing a folder vLLM serves."""
    from finetune.merge import merge_adapter, verify_with_vllm

    path = merge_adapter(base, adapter, output, dtype=dtype)
    typer.echo(f"merged model written to {path}")
    if verify:
        typer.echo(f"vLLM answer: {verify_with_vllm(path)!r}")


@train_app.command("perplexity")
def perplexity(
    model: str = typer.Option(..., "--model", help="Model name, folder or GGUF."),
    data: list[str] = typer.Option(..., "--data", help="Held-out text: .jsonl(.gz)/.parquet files or folders."),
    adapter: Path | None = typer.Option(None, "--adapter", help="Optional LoRA adapter."),
    max_docs: int = typer.Option(64, help="Documents to score."),
    max_length: int = typer.Option(512, help="Tokens per document (longer ones are truncated)."),
) -> None:
    """Perplexity of a model on held-out text (e.g. spec clauses kept out of CPT)."""
    from finetune.perplexity import perplexity as compute

    result = compute(model, data, adapter=adapter, max_docs=max_docs, max_length=max_length)
    typer.echo(f"perplexity {result['perplexity']:.3f} over {result['tokens']} tokens in {result['docs']} documents")
