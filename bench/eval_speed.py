"""TeleQnA dev (1,000 questions, log-likelihood scoring) with the embedded model: the project's vLLM engine
vs lm-eval's own `hf` backend (HFLM), same tasks, same run. Writes the `eval_speed` section of
docs/benchmarks.md.

    .venv/bin/python bench/eval_speed.py            # full dev split (takes several minutes on 2 cores)
    .venv/bin/python bench/eval_speed.py --limit 20 # 20 per category (100 questions), a quicker measurement
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

# `python bench/eval_speed.py` finds bench.report
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.report import machine_line, write_section
from eval.catalog import task_manager
from eval.data.store import default_data_dir
from eval.runner import _quiet_logs, evaluate
from telecomgpt.llm import get_backend
from telecomgpt.models import prepare


def _teleqna_tasks():
    return [task_manager(default_data_dir()).load(["teleqna"])["groups"]["teleqna"]]


def _timed(label: str, make_lm, limit: int | None) -> dict:
    """Load the model, then evaluate TeleQnA; returns load/eval seconds, questions/s and accuracy."""
    started = time.perf_counter()
    lm = make_lm()
    loaded = time.perf_counter()
    raw = evaluate(_teleqna_tasks(), lm, limit)
    done = time.perf_counter()
    questions = sum(v["effective"] for v in raw["n-samples"].values())
    accuracy = (raw["groups"]["teleqna"]["acc,none"] if "groups" in raw
                else raw["results"]["teleqna"]["acc,none"])
    print(f"{label}: {questions} questions in {done - loaded:.1f} s (+{loaded - started:.1f} s load), acc "
          f"{accuracy:.4f}")
    return {"label": label, "load_s": loaded - started, "eval_s": done - loaded, "questions": questions,
            "qps": questions / (done - loaded), "acc": accuracy, "lm": lm}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=None, help="questions per category (default: all 1,000)")
    parser.add_argument("--hf-batch-size", type=int, default=16, help="batch size of lm-eval's hf backend")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args()
    os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")

    from lm_eval.models.huggingface import HFLM

    from eval.models.lm import TelecomLM  # lazy: lm_eval (keeps `--help` fast)

    _quiet_logs()
    model_dir = prepare()
    load_before = os.getloadavg()[0]
    fast = _timed("vLLM engine (telecomgpt)",
                  lambda: TelecomLM(llm=get_backend("vllm", model=model_dir, kv_cache_gb=1)), args.limit)
    fast["lm"].llm.close()
    slow = _timed("lm-eval hf backend", lambda: HFLM(pretrained=str(model_dir), batch_size=args.hf_batch_size,
                                                      device="cpu", dtype="float32"), args.limit)
    speedup = fast["qps"] / slow["qps"]
    print(f"speed-up {speedup:.2f}x")
    if args.no_write:
        return
    scope = (f"the first {args.limit} questions of each category ({fast['questions']} questions)"
             if args.limit else f"all {fast['questions']} questions")
    rows = "\n".join(f"| {r['label']} | {r['questions']} | {r['eval_s']:.1f} | {r['qps']:.2f} | "
                     f"{r['load_s']:.1f} | {r['acc']:.4f} |" for r in (fast, slow))
    write_section("eval_speed",
                  f"""## bench/eval_speed.py — TeleQnA dev through lm-eval: vLLM engine vs lm-eval `hf`

{machine_line()} Load average when the engine part started: {load_before:.1f}.

SmolLM2-135M-Instruct (embedded), TeleQnA dev split ({scope}; 2-5 options, log-likelihood of each
option), the same lm-eval tasks for both; evaluation time excludes model loading (shown apart).

| backend | questions | eval s | questions/s | load s | accuracy |
|---|---|---|---|---|---|
{rows}

Speed-up of the vLLM engine: **{speedup:.2f}x** (target: at least 3x). The two backends score the same
requests but not bit-identically (the engine runs bf16, hf fp32; the project backend tokenizes context and
continuation apart, HFLM jointly), so near-tied options of a 135M model can flip; accuracy is shown as a
check, not as a result.
""")


if __name__ == "__main__":
    main()
