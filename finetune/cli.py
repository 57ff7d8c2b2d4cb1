"""`telecomgpt train cpt|sft|dpo|merge|stack-adapters|perplexity|retriever|query-encoder|reader|role-check`
(owned by the finetune package).

Light on purpose: torch, transformers and TRL are imported inside the commands.
"""

from __future__ import annotations

from pathlib import Path

import typer

from finetune.merge import merge_adapter, verify_with_vllm
from finetune.perplexity import perplexity as compute
from finetune.query_encoder import load_settings, train_query_encoder
from finetune.reader import load_reader_recipe, train_reader
from finetune.retriever import train_retriever
from finetune.retriever_config import load_recipe
from finetune.role_check import load_role_check_recipe, train_role_check
from finetune.stack import stack_adapters
from finetune.train import run_stage
from telecomgpt.errors import UserError
from telecomgpt.hardware import DTYPE_CHOICES, dtype_for

train_app = typer.Typer(help="Adapt a model: continual pretraining, QLoRA SFT, DPO, merge.",
                        no_args_is_help=True)

_EXTRA = {"allow_extra_args": True, "ignore_unknown_options": True}
_RECIPE_HELP = (
    "YAML recipe (configs/finetune/<model>/{stage}.yaml). Any recipe key can be overridden after it as "
    "`--key value`, e.g. `--max_steps 20 --output_dir runs/x --dataset_path DIR`. Keys: TelecomGPT's "
    "(model_name_or_path, load_in_4bit, use_peft, lora_r, dataset_path, eval_fraction, resume, ...; see "
    "docs/finetune.md) and every field of TRL's {config}."
)


def _run(stage: str, config: Path, ctx: typer.Context) -> None:
    summary = run_stage(stage, config, ctx.args, announce=typer.echo)
    line = (f"{stage} done: {summary['steps']} steps in {summary['precision']['autocast']}, train loss "
            f"{summary['train_loss']:.4f}")
    if "perplexity" in summary:
        ppl = summary["perplexity"]
        line += f", held-out perplexity {ppl.get('before', float('nan')):.2f} -> {ppl['after']:.2f}"
    from finetune.throughput import describe  # lazy: torch (keeps `telecomgpt --help` fast)

    typer.echo(f"{line}, {describe(summary.get('throughput'))}; saved to {summary['output_dir']}")


@train_app.command("cpt", context_settings=_EXTRA,
                   help="Continual pretraining (all parameters, packed raw text).\n\n"
                   + _RECIPE_HELP.format(stage="cpt", config="SFTConfig"))
def cpt(ctx: typer.Context, config: Path = typer.Option(..., "--config", help="Recipe YAML.")) -> None:
    """Continual pretraining on the pipeline's output (a `text` column)."""
    _run("cpt", config, ctx)


@train_app.command("sft", context_settings=_EXTRA,
                   help="Instruction tuning with (Q)LoRA on prompt/completion or "
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
    base: str = typer.Option(..., "--base",
                             help="Base model the adapter was trained on (name, folder or GGUF)."),
    adapter: Path = typer.Option(..., "--adapter", help="LoRA adapter folder (a stage's output_dir)."),
    output: Path = typer.Option(..., "--output",
                                help="Folder for the merged model (safetensors + tokenizer)."),
    dtype: str = typer.Option("auto", help="dtype of the merged weights: auto (what this machine serves in: "
                              "bf16 where the hardware does it natively, else float32), bfloat16, float16 or "
                              "float32."),
    verify: bool = typer.Option(False, "--verify",
                                help="Load the merged model in vLLM and generate one answer."),
) -> None:
    """Merge a LoRA adapter into its base model, writing a folder vLLM serves."""
    if dtype not in DTYPE_CHOICES:
        raise UserError(f"--dtype must be one of {', '.join(DTYPE_CHOICES)}, got {dtype!r}")
    path = merge_adapter(base, adapter, output, dtype=dtype)
    typer.echo(f"merged model written to {path} in {dtype_for('merge', dtype)}")
    if verify:
        typer.echo(f"vLLM answer: {verify_with_vllm(path)!r}")


@train_app.command("stack-adapters")
def stack(
    base: str = typer.Option(..., "--base", help="Base model of the chain (name, folder or GGUF)."),
    adapter: list[Path] = typer.Option(..., "--adapter", help="LoRA adapter folders in chain order (e.g. the "
                                       "SFT one, then the DPO one trained on the SFT-merged base)."),
    output: Path = typer.Option(..., "--output", help="Folder for the combined adapter + manifest.json."),
    recipe: list[Path] = typer.Option([], "--recipe", help="Recipes of the stages (kept in the manifest)."),
    data: list[Path] = typer.Option([], "--data", help="Training data folders (their stats.json go into the "
                                    "manifest)."),
) -> None:
    """Sum a chain of LoRA adapters into one that `serve --adapter` loads on the plain base, with a
    manifest."""
    manifest = stack_adapters(base, adapter, output, recipes=recipe, data=data)
    typer.echo(f"adapter (rank {manifest['rank']}, {manifest['size_bytes'] / 1e6:.1f} MB) written to "
               f"{output}")


@train_app.command("perplexity")
def perplexity(
    model: str = typer.Option(..., "--model", help="Model name, folder or GGUF."),
    data: list[str] = typer.Option(..., "--data",
                                   help="Held-out text: .jsonl(.gz)/.parquet files or folders."),
    adapter: Path | None = typer.Option(None, "--adapter", help="Optional LoRA adapter."),
    max_docs: int = typer.Option(64, help="Documents to score."),
    max_length: int = typer.Option(512, help="Tokens per document (longer ones are truncated)."),
) -> None:
    """Perplexity of a model on held-out text (e.g. spec clauses kept out of CPT)."""
    result = compute(model, data, adapter=adapter, max_docs=max_docs, max_length=max_length)
    typer.echo(f"perplexity {result['perplexity']:.3f} over {result['tokens']} tokens in {result['docs']} "
               "documents")


@train_app.command("retriever")
def retriever(
    corpus: list[str] = typer.Option([], "--corpus", help="3GPP spec files or folders to mine training pairs "
                                     "from (repeatable); never benchmarks."),
    output: Path = typer.Option(None, "--output", "-o", help="Folder for embedder/, reranker/, pairs/ and "
                                "retriever_summary.json (written only when training completes)."),
    config: Path = typer.Option(None, "--config",
                                help="YAML recipe (configs/finetune/minilm/retriever.yaml); "
                                "flags given here override it."),
    max_pairs: int = typer.Option(None, "--max-pairs", help="Pairs to train on, 0 = all (default 1024)."),
    epochs: float = typer.Option(None, "--epochs", help="Passes over the pairs (default 1)."),
    batch_size: int = typer.Option(None, "--batch-size",
                                   help="Bi-encoder batch, for in-batch negatives (default 32)."),
    max_seq_length: int = typer.Option(None, "--max-seq-length",
                                       help="Bi-encoder training length (default 128)."),
    reranker_batch_size: int = typer.Option(None, "--reranker-batch-size",
                                            help="Cross-encoder batch (default 16)."),
    reranker_epochs: float = typer.Option(None, "--reranker-epochs",
                                          help="Cross-encoder passes (default: --epochs)."),
    reranker_layers: int = typer.Option(None, "--reranker-layers",
                                        help="Cross-encoder layers, 1-6 (default 3)."),
    reranker_max_length: int = typer.Option(None, "--reranker-max-length",
                                            help="Cross-encoder query + passage "
                                            "length in word pieces (default 256)."),
    seed: int = typer.Option(None, "--seed",
                             help="Seed of the pair subset, batch order and head (default 0)."),
    benchmarks: list[str] = typer.Option([], "--benchmarks", help="Benchmarks to decontaminate against "
                                         "(default: ../shared/data/benchmarks + corpus-built eval tasks)."),
    no_decontaminate: bool = typer.Option(False, "--no-decontaminate",
                                          help="Skip benchmark decontamination."),
    no_embedder: bool = typer.Option(False, "--no-embedder", help="Train the reranker only."),
    no_reranker: bool = typer.Option(False, "--no-reranker", help="Train the embedder only."),
) -> None:
    """Train the project's retriever on the specs: a fine-tuned MiniLM embedder and a MiniLM cross-encoder
    reranker.

    Use the results with `telecomgpt index build --embedder OUTPUT/embedder` and `--reranker OUTPUT/reranker`
    on serve, chat and eval run.
    """
    overrides = {"corpus": list(corpus), "output": str(output) if output else None, "max_pairs": max_pairs,
                 "epochs": epochs, "batch_size": batch_size, "max_seq_length": max_seq_length,
                 "reranker_batch_size": reranker_batch_size, "reranker_layers": reranker_layers,
                 "reranker_epochs": reranker_epochs, "reranker_max_length": reranker_max_length, "seed": seed,
                 "benchmarks": list(benchmarks), "decontaminate": False if no_decontaminate else None,
                 "train_embedder": False if no_embedder else None,
                 "train_reranker": False if no_reranker else None}
    summary = train_retriever(load_recipe(config, overrides))
    pairs = summary["pairs"]
    typer.echo(f"pairs: {pairs['kept']} {pairs['kept_by_kind']}; excluded {pairs['excluded']}")
    for part in ("embedder", "reranker"):
        if part in summary:
            result = summary[part]
            typer.echo(f"{part}: {result['steps']} steps, loss {result['first_loss']:.4f} -> "
                       f"{result['last_loss']:.4f}, {result['seconds']:.0f} s")
    typer.echo(f"done in {summary['seconds'] / 60:.1f} min -> {summary['output']}")


@train_app.command("query-encoder")
def query_encoder(
    index: Path = typer.Option(None, "--index", "-i", help="Index folder built by `telecomgpt index build` "
                               "(with dense vectors); the trained encoder is installed into it."),
    config: Path = typer.Option(None, "--config",
                                help="YAML recipe (configs/finetune/minilm/query_encoder.yaml); "
                                "flags given here override it."),
    steps: int = typer.Option(None, "--steps", help="Optimizer steps (default 400: ~5-10 min on 2 cores)."),
    batch_size: int = typer.Option(None, "--batch-size", help="Queries per step (default 32)."),
    learning_rate: float = typer.Option(None, "--learning-rate", help="AdamW learning rate (default 3e-5)."),
    seed: int = typer.Option(None, "--seed", help="Seed of the query mining and batch order (default 0)."),
    no_decontaminate: bool = typer.Option(False, "--no-decontaminate",
                                          help="Skip benchmark decontamination."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Fine-tune the encoder of queries for one index, against its chunk vectors (which stay as they are).

    Queries are mined from the index's own specs (titles, heading paths, definitions, abbreviations,
    sentences). The result goes into INDEX/query_encoder and every command that opens the index uses it
    (`index search --query-encoder off` compares without it).
    """
    overrides = {"index": str(index) if index else None, "steps": steps, "batch_size": batch_size,
                 "learning_rate": learning_rate, "seed": seed,
                 "decontaminate": False if no_decontaminate else None}
    summary = train_query_encoder(load_settings(config, overrides), progress=not quiet)
    queries, recall = summary["queries"], summary["held_out_dense_recall_at_5"]
    typer.echo(f"queries: {queries['kept']} {queries['kept_by_kind']}; dropped {queries['dropped']}")
    typer.echo(f"loss {summary['first_loss']:.3f} -> {summary['last_loss']:.3f}; held-out clause titles, "
               f"dense recall@5 {recall['before']:.3f} -> {recall['after']:.3f} "
               f"({summary['held_out_title_queries']} queries)")
    typer.echo(f"done in {summary['seconds'] / 60:.1f} min -> {Path(summary['index']) / 'query_encoder'}")


@train_app.command("reader")
def reader(
    corpus: list[str] = typer.Option([], "--corpus", help="Spec files or folders to mine from (repeatable)."),
    config: Path = typer.Option(None, "--config",
                                help="YAML recipe (configs/finetune/minilm/reader.yaml); flags override it."),
    output: Path = typer.Option(None, "--output", "-o",
                                help="Output folder (default: the user's cache, where the assistant looks)."),
    per_kind: int = typer.Option(None, "--per-kind",
                                 help="Groups of each question kind (0 = all; default 400)."),
    holdout: list[str] = typer.Option([], "--holdout", help="Spec file stem prefix never trained on."),
    seed: int = typer.Option(None, "--seed"),
    no_decontaminate: bool = typer.Option(False, "--no-decontaminate", help="Skip decontamination."),
) -> None:
    """Train the answer-sentence reader: a ranker of the sentences of the top clauses (which one states the
    fact asked for), fitted on questions mined from the specs; it picks the lead and the extractive quotes of
    every grounded answer once trained. About a minute on 2 CPU cores."""
    overrides = {"corpus": list(corpus), "output": str(output) if output else None, "per_kind": per_kind,
                 "holdout_specs": list(holdout), "seed": seed,
                 "decontaminate": False if no_decontaminate else None}
    summary = train_reader(load_reader_recipe(config, overrides))
    groups = summary["groups"]
    typer.echo(f"groups: {groups['kept']} {groups['by_kind']}; excluded {groups['excluded']}")
    typer.echo(f"weights: {summary['weights']}")
    typer.echo(f"done in {summary['seconds']:.0f} s -> {summary['output']}")


@train_app.command("role-check")
def role_check(
    corpus: list[str] = typer.Option([], "--corpus", help="Spec files or folders to make claims from "
                                     "(repeatable); never benchmarks."),
    config: Path = typer.Option(None, "--config",
                                help="YAML recipe (configs/finetune/role_check.yaml); flags override it."),
    output: Path = typer.Option(None, "--output", "-o",
                                help="Output folder (default: the user's cache, where the assistant looks "
                                "first; app/role_model is the copy shipped with the project)."),
    per_spec: int = typer.Option(None, "--per-spec", help="Sentences taken from each spec (default 300)."),
    holdout: list[str] = typer.Option([], "--holdout", help="Spec file stem prefix never trained on, "
                                      "measured on instead (repeatable)."),
    seed: int = typer.Option(None, "--seed"),
) -> None:
    """Train the role checker of grounded answers: it refuses a supported-looking sentence whose names or
    nouns are swapped, or whose number changed, against its evidence sentence (app/role_check.py)."""
    overrides = {"corpus": list(corpus), "output": str(output) if output else None, "per_spec": per_spec,
                 "holdout_specs": list(holdout), "seed": seed}
    summary = train_role_check(load_role_check_recipe(config, overrides))
    train = summary["train"]
    line = (f"{summary['rows']} claims from {len(summary['trained_on'])} specs; true kept "
            f"{train['true_kept']:.3f}, false refused {train['false_refused']:.3f}")
    if "held_out" in summary:
        held = summary["held_out"]
        line += (f"; held-out specs: true kept {held['true_kept']:.3f} ({held['true_refused']} of "
                 f"{held['true']} refused), false refused {held['false_refused']:.3f}")
    typer.echo(f"{line}; done in {summary['seconds']:.0f} s -> {summary['output']}")
