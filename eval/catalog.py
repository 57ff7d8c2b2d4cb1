"""The telecom tasks this package ships, and the lm-eval TaskManager that finds them (`include_path`)."""

from __future__ import annotations

from pathlib import Path

from telecomgpt.errors import UserError

TASKS_DIR = Path(__file__).resolve().parent / "tasks"

TASKS: dict[str, str] = {
    "teleqna": "TeleQnA MCQ by category (Lexicon, Research overview/publications, Standards "
               "overview/specifications); log-likelihood",
    "teleqna_cloze": "TeleQnA, cloze (question alone, options scored as continuations; lm-eval's ARC style); "
                     "the RAG default",
    "teleqna_gen": "TeleQnA, generate-and-extract (for chat-only endpoints); accuracy + extraction failures",
    "teleqna_open": "TeleQnA Standards + Lexicon asked without options; the free answer mapped to the option "
                    "it supports (as bench/answers.py)",
    "oran_bench": "ORAN-Bench-13K MCQ by difficulty (fin_E/M/H.json); log-likelihood",
    "srsran_bench": "srsRANBench code-understanding MCQ (srsRANBench.json); log-likelihood",
    "wireless_math": "WirelessMathBench-XL S0: MCQ (log-likelihood) + fill-in-the-blank equations "
                     "(normalized / sympy match)",
    "tgpp_wg_classification": "3GPP clause excerpt -> working group of its spec (built from a spec folder); "
                              "log-likelihood",
    "telecom_math_modeling": "fill the masked equation in system-model text (3GPP + papers); exact match + "
                             "similarity",
    "telecom_open_qna": "open answers vs TeleQnA explanations; ROUGE-L + MiniLM embedding similarity",
    "telecom_code": "sionna/free5GC code: function -> docstring (ROUGE-L), masked-line infilling (exact, "
                    "edit similarity)",
}
"""Top-level task (or group) names, as `--tasks` takes them; `all` means every one of them."""

EXTRA_TASKS: dict[str, str] = {
    "telecom_open_qna_judge": "telecom_open_qna scored by an LLM judge (TELECOMGPT_JUDGE_URL / _MODEL); not "
                              "in `all`",
}


def task_manager(data_dir: str | Path | None = None, cache_dir: str | Path | None = None, **options: str):
    """An lm-eval TaskManager over eval/tasks only; data/cache folders and corpus options (specs_dir,
    code_dir) reach every task's `custom_dataset` hook as metadata."""
    from lm_eval.tasks import TaskManager

    given = {"data_dir": data_dir, "cache_dir": cache_dir, **options}
    metadata = {k: str(v) for k, v in given.items() if v}
    return TaskManager(include_path=str(TASKS_DIR), include_defaults=False, metadata=metadata or None)


def resolve_tasks(spec: str) -> list[str]:
    """`all` or a comma-separated list of task names (top-level or single subtasks) -> names."""
    names = [n.strip() for n in spec.split(",") if n.strip()]
    if names == ["all"]:
        return list(TASKS)
    if not names:
        raise UserError("--tasks is empty; use `all` or names from `telecomgpt eval list`")
    known = set(TASKS) | set(EXTRA_TASKS) | set(leaf_tasks())
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UserError(f"unknown task(s): {', '.join(unknown)}", hint="see `telecomgpt eval list`")
    return names


def leaf_tasks() -> list[str]:
    """Every task name defined by a YAML file (cheap: reads the YAML, no data)."""
    import yaml

    names = []
    for path in sorted(TASKS_DIR.glob("*/*.yaml")):
        text = path.read_text()
        for line in text.splitlines():
            if line.startswith(("task: ", "group: ")):
                names.append(yaml.safe_load(line).popitem()[1])
                break
    return names
