"""`telecomgpt eval run`: load the tasks through lm-eval, run them on one model, write the outputs.

Outputs in OUT/: results.json (per task and category: metric, stderr, n, extraction failures, malformed
input items), samples/<task>.jsonl (every prompt, answer and score), report.md and per-category plots.
"""

from __future__ import annotations

import functools
import inspect
import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from eval.catalog import resolve_tasks, task_manager
from eval.data.store import default_data_dir
from eval.report import summarize, write_outputs
from telecomgpt.config import DEFAULT_MODEL, JudgeSettings
from telecomgpt.errors import UserError


@dataclass
class EvalRequest:
    """What to evaluate, on which data, and where to write the results."""

    model: str = DEFAULT_MODEL
    """Model name (registry), local folder, GGUF, or the served name for --backend openai."""
    tasks: list[str] = field(default_factory=lambda: ["all"])
    data_dir: Path | None = None
    """Folder with the official benchmark files; default: shared/data/benchmarks."""
    output: Path = Path("eval-out")
    backend: str = "vllm"
    adapter: str | None = None
    base_url: str | None = None
    api_key: str | None = None
    limit: int | None = None
    """At most this many items per (sub)task, for quick runs."""
    index: str | None = None
    """RAG index folder: when given, every prompt gets retrieved context first."""
    passages: int | None = None
    """RAG context budget: passages put before each prompt; default eval.models.lm.DEFAULT_PASSAGES."""
    passage_chars: int | None = None
    """RAG context budget: characters per passage; default eval.models.lm.DEFAULT_PASSAGE_CHARS."""
    context_weight: float | None = None
    """RAG multiple choice: weight of what the context adds to each option's score (0 = plain log-likelihood);
    default eval.models.lm.DEFAULT_CONTEXT_WEIGHT."""
    reranker: str | None = None
    """Cross-encoder folder (`train retriever` OUTPUT/reranker) reranking the retrieved chunks; needs
    `index`."""
    chat: bool = True
    """Send generation prompts as a chat turn (instruct models, chat endpoints)."""
    cache_dir: Path | None = None
    """Where built task data is cached; default ~/.cache/telecomgpt/cache/eval."""
    specs_dir: str | None = None
    """3GPP spec folder for the WG-classification and math-modeling tasks; default: shared corpus."""
    code_dir: str | None = None
    """Code folder for the telecom_code task; default: shared corpus (sionna, free5gc-nas)."""

    max_gen_toks: int | None = None
    """Cap on generated tokens for every generation task (quick checks); default: each task's own."""
    judge: JudgeSettings = field(default_factory=JudgeSettings)
    dtype: str | None = None
    """Compute dtype of the vllm/hf backends; None or auto = the machine's choice (telecomgpt.hardware)."""
    """The LLM judge of judge-scored tasks (telecom_open_qna_judge); handed to their scorer in
    `load_tasks`."""

    def corpus_options(self) -> dict[str, str]:
        return {k: str(v) for k, v in {"specs_dir": self.specs_dir, "code_dir": self.code_dir}.items() if v}


def _quiet_logs() -> None:
    for name in ("lm_eval", "lm-eval", "datasets", "httpx"):
        logging.getLogger(name).setLevel(logging.ERROR)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    import datasets

    datasets.disable_progress_bars()


def build_model(request: EvalRequest, llm=None):
    """The registered lm-eval model: `telecomgpt`, or `telecomgpt-rag` when an index is given."""
    from eval.models.lm import TelecomLM, TelecomRAGLM  # lazy: lm_eval (keeps `telecomgpt --help` fast)

    kwargs = dict(model=request.model, backend=request.backend, adapter=request.adapter,
                  base_url=request.base_url, api_key=request.api_key, chat=request.chat, llm=llm,
                  dtype=request.dtype)
    if not request.index:
        if request.reranker:
            raise UserError("--reranker needs --index (it reorders retrieved chunks)")
        return TelecomLM(**kwargs)
    budget = {k: v for k, v in {"passages": request.passages, "passage_chars": request.passage_chars,
                                "context_weight": request.context_weight}.items() if v is not None}
    lm = TelecomRAGLM(index=request.index, reranker=request.reranker, **budget, **kwargs)
    # the budget and scoring used, for results.json
    request.passages, request.passage_chars = lm.passages, lm.passage_chars
    request.context_weight = lm.context_weight
    return lm


def load_tasks(request: EvalRequest) -> list:
    """Resolve names and build every task (and its data) before any model is loaded, so a missing file or
    wrong password fails in seconds; returns the top-level Task/Group objects."""
    names = resolve_tasks(",".join(request.tasks))
    request.data_dir = Path(request.data_dir) if request.data_dir else default_data_dir()
    if not request.data_dir.is_dir():
        raise UserError(f"data directory not found: {request.data_dir}",
                        hint="pass --data-dir with the benchmark files")
    manager = task_manager(request.data_dir, request.cache_dir, **request.corpus_options())
    loaded = manager.load(names)
    bind_judge(loaded["tasks"].values(), request.judge)
    return [loaded["groups"].get(name) or loaded["tasks"][name] for name in names]


def bind_judge(tasks, judge: JudgeSettings) -> None:
    """Give judge-scored tasks their judge as an argument: lm-eval calls `process_results(doc, results)` only,
    so a scorer with a `judge` parameter gets it bound here (checked before any model loads)."""
    for task in tasks:
        scorer = task.config.process_results
        if not callable(scorer) or "judge" not in inspect.signature(scorer).parameters:
            continue
        if not judge.url:
            raise UserError(f"{task.config.task} needs an LLM judge endpoint",
                            hint="`telecomgpt eval run --judge-url URL --judge-model NAME` or "
                                 "TELECOMGPT_JUDGE_URL")
        task.config.process_results = functools.partial(scorer, judge=judge)


def evaluate(tasks: list, lm, limit: int | None, max_gen_toks: int | None = None) -> dict:
    """lm-eval's simple_evaluate on already loaded tasks; returns its raw results dict."""
    import lm_eval

    # Without a manager of our own, simple_evaluate indexes lm-eval's ~14,000 built-in YAMLs (~10-30 s).
    return lm_eval.simple_evaluate(model=lm, tasks=tasks, limit=limit, log_samples=True, bootstrap_iters=1000,
                                   task_manager=task_manager(),
                                   gen_kwargs={"max_gen_toks": max_gen_toks} if max_gen_toks else None,
                                   random_seed=0, numpy_random_seed=0, torch_random_seed=0,
                                   fewshot_random_seed=0)


def run(request: EvalRequest, llm=None) -> dict:
    """Evaluate and write every output; returns the summary written to results.json."""
    _quiet_logs()
    started = time.time()
    tasks = load_tasks(request)
    lm = build_model(request, llm)
    try:
        raw = evaluate(tasks, lm, request.limit, request.max_gen_toks)
    finally:
        if llm is None:
            lm.llm.close()
    summary = summarize(raw, request, seconds=time.time() - started)
    write_outputs(raw, summary, Path(request.output), render=lm.augment)
    return summary


def load_results(folder: str | Path) -> dict:
    """results.json of an earlier run, or a one-line error."""
    path = Path(folder) / "results.json"
    if not path.is_file():
        raise UserError(f"no results.json in {folder}", hint="run `telecomgpt eval run --output DIR` first")
    return json.loads(path.read_text())
