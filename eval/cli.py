"""`telecomgpt eval run|compare|baselines|list` (owned by the evaluation package; heavy imports inside
the runner)."""

from __future__ import annotations

from pathlib import Path

import typer

from eval.baselines import BASELINES, baselines_table, cell, task_baselines
from eval.catalog import EXTRA_TASKS, TASKS, resolve_tasks
from eval.compare import compare_runs
from eval.data.store import default_data_dir
from eval.runner import EvalRequest, _quiet_logs
from eval.runner import run as run_eval
from telecomgpt.config import DEFAULT_MODEL, load_settings
from telecomgpt.errors import UserError
from telecomgpt.hardware import DTYPE_HELP

eval_app = typer.Typer(help="Run telecom benchmarks (lm-evaluation-harness tasks) and compare models.",
                       no_args_is_help=True)


@eval_app.command("run")
def run(
    model: str = typer.Option(None, "--model", "-m",
                              help="Model name, local folder or GGUF; the served name for "
                              f"--backend openai [default: {DEFAULT_MODEL}, or `model` from --config / "
                              "TELECOMGPT_MODEL]."),
    tasks: str = typer.Option("all", help="Comma-separated task names (see `telecomgpt eval list`) or "
                              "`all`."),
    data_dir: Path = typer.Option(None, help="Folder with the official benchmark files (TeleQnA.zip, "
                                  "fin_*.json, ...). Default: shared/data/benchmarks."),
    output: Path = typer.Option(Path("eval-out"),
                                help="Where results.json, samples/, report.md and plots go."),
    backend: str = typer.Option("vllm", help="vllm (in-process engine), hf (transformers) or openai (any "
                                             "endpoint)."),
    adapter: str = typer.Option(None, help="LoRA adapter folder (vllm and hf backends)."),
    base_url: str = typer.Option(None, help="OpenAI-compatible endpoint for --backend openai, e.g. "
                                 "http://127.0.0.1:8000/v1 [default: `base_url` from --config / "
                                 "TELECOMGPT_BASE_URL]."),
    api_key: str = typer.Option(None, envvar="OPENAI_API_KEY", help="API key for the endpoint [default: "
                                "`api_key` from --config / TELECOMGPT_API_KEY]."),
    limit: int = typer.Option(None, help="At most N items per (sub)task, for a quick look."),
    max_gen_toks: int = typer.Option(None, help="Cap generated tokens of every generation task (quick "
                                                "checks)."),
    index: str = typer.Option(None, help="RAG index folder: retrieve context for every prompt, put "
                                         "before it (after the options of a prompt that lists them; model + "
                                         "RAG)."),
    passages: int = typer.Option(None, help="RAG context budget: passages before each prompt (default 3, or "
                                 "rag.passages from --config / TELECOMGPT_RAG__PASSAGES)."),
    passage_chars: int = typer.Option(None, help="RAG context budget: characters per passage (default 800, "
                                      "or rag.passage_chars from --config / TELECOMGPT_RAG__PASSAGE_CHARS)."),
    context_weight: float = typer.Option(None, help="With --index, multiple choice: score each option "
                                         "(1 + W) log p(option | context) - W log p(option | no context), "
                                         "so what the retrieved context adds counts (default 0: plain "
                                         "log-likelihood; context-aware decoding uses 1)."),
    reranker: str = typer.Option(None, help="With --index: rerank the top 20 retrieved chunks with this "
                                 "cross-encoder (`telecomgpt train retriever` OUTPUT/reranker)."),
    chat: bool = typer.Option(True, help="Send generation prompts as a chat turn (instruct models, chat "
                                         "endpoints)."),
    specs_dir: str = typer.Option(None, help="3GPP spec folder (.docx/.zip/.md) for tgpp_wg_classification "
                                  "and telecom_math_modeling. Default: the shared corpus."),
    code_dir: str = typer.Option(None, help="Code folder (Python/Go) for telecom_code. Default: the shared "
                                            "corpus."),
    cache_dir: Path = typer.Option(None, help="Where built task data is cached. Default: "
                                              "~/.cache/telecomgpt/cache/eval."),
    judge_url: str = typer.Option(None, help="Endpoint of the LLM judge for telecom_open_qna_judge [default: "
                                  "judge.url from --config / TELECOMGPT_JUDGE_URL]."),
    judge_model: str = typer.Option(None, help="Model name of the LLM judge [default: telecomgpt, or "
                                    "judge.model from --config / TELECOMGPT_JUDGE_MODEL]."),
    config: str = typer.Option(None, "--config",
                               help="YAML settings file (see configs/telecomgpt.yaml; default "
                               "$TELECOMGPT_CONFIG or ./telecomgpt.yaml)."),
    dtype: str = typer.Option(None, "--dtype", help=DTYPE_HELP),
) -> None:
    """Evaluate one model on telecom tasks; writes OUT/results.json, OUT/samples/, OUT/report.md,
    OUT/*.png."""
    settings = load_settings(config, model=model, base_url=base_url, api_key=api_key, dtype=dtype,
                             judge={"url": judge_url, "model": judge_model})
    # eval keeps its own RAG budget defaults (measured for these prompts) unless the settings name one
    rag = {name: getattr(settings.rag, name) for name in ("passages", "passage_chars")
           if name in settings.rag.model_fields_set}
    request = EvalRequest(model=settings.model, tasks=[t for t in tasks.split(",") if t], data_dir=data_dir,
                          output=output, backend=backend, adapter=adapter, base_url=settings.base_url,
                          api_key=settings.api_key, limit=limit, index=index,
                          passages=passages if passages is not None else rag.get("passages"),
                          passage_chars=(passage_chars if passage_chars is not None
                                         else rag.get("passage_chars")),
                          context_weight=context_weight, reranker=reranker, chat=chat, cache_dir=cache_dir,
                          max_gen_toks=max_gen_toks,
                          specs_dir=specs_dir, code_dir=code_dir, judge=settings.judge, dtype=settings.dtype)
    summary = run_eval(request)
    for name, task in summary["tasks"].items():
        metric = task["primary_metric"]
        value = task["metrics"].get(metric, {}).get("value")
        shown = f"{value:.4f}" if isinstance(value, (int, float)) else value
        rules = task.get("baselines") or {}
        beside = "".join(f", {BASELINES[key]} {cell(rules, key)}" for key in BASELINES if rules)
        typer.echo(f"{name:28s} {metric:>18s} {shown}  (n={task['n']}, extraction "
                   f"failures={task['extraction_failures']}, malformed inputs={task['malformed_items']}"
                   f"{beside})")
    typer.echo(f"wrote {output}/results.json, report.md, samples/ and plots")


@eval_app.command("compare")
def compare(
    runs: list[Path] = typer.Argument(..., help="Output folders of `telecomgpt eval run` (e.g. base sft dpo "
                                                "rag)."),
    plot: Path = typer.Option(Path("compare.png"), help="Where to write the side-by-side bar chart."),
) -> None:
    """Print the runs side by side (primary metric per task and category) and plot them."""
    typer.echo(compare_runs(runs, plot))


@eval_app.command("baselines")
def baselines(
    tasks: str = typer.Option("all", help="Comma-separated task names or `all`; tasks without options are "
                              "left out."),
    data_dir: Path = typer.Option(None, help="Folder with the official benchmark files. Default: "
                                  "shared/data/benchmarks."),
    limit: int = typer.Option(None, help="The first N items per (sub)task, as `eval run --limit`."),
    cache_dir: Path = typer.Option(None, help="Where built task data is cached."),
) -> None:
    """Print the no-read heuristic and the majority answer of the multiple-choice tasks (no model)."""
    names, data_dir = resolve_tasks(tasks), data_dir or default_data_dir()
    if not data_dir.is_dir():
        raise UserError(f"data directory not found: {data_dir}",
                        hint="pass --data-dir with the benchmark files")
    _quiet_logs()
    found = task_baselines(names, data_dir, cache_dir, limit)
    typer.echo(baselines_table(found))


@eval_app.command("list")
def list_tasks() -> None:
    """Show the tasks and what each measures."""
    for name, what in {**TASKS, **EXTRA_TASKS}.items():
        typer.echo(f"{name:26s} {what}")
