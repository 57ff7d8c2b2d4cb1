"""Training throughput of TelecomGPT's CPU recipes vs a plain TRL script with default settings, same data.

For CPT, QLoRA SFT and LoRA SFT it trains one epoch over the same examples — once with the recipe
(`configs/finetune/smollm2-135m/*.yaml`: CPT packing; SFT length-grouped batches and the LM head only at
answer tokens; no gradient checkpointing, bf16 autocast), once as a plain `SFTTrainer` script would (TRL
defaults: no packing, random batches padded per batch, gradient checkpointing, batch 8) and, for SFT, once as
the recipe with random batches (to separate what batch order does to the loss from what the speed-ups do) —
and reports real (non-padding) tokens/s, peak RSS and the held-out loss after training. Each run is a fresh
subprocess so peak RSS is its own. Writes the `train_speed` section of docs/benchmarks.md.

    .venv/bin/python bench/train_speed.py [--examples 64] [--max-length 256] [--cases cpt,sft-qlora,sft-lora]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.report import machine_line, write_section  # noqa: E402
from finetune.data.build_sft import SFTBuild, build_sft  # noqa: E402
from finetune.recipes import parse_recipe  # noqa: E402
from finetune.train import build_trainer  # noqa: E402
from telecomgpt.config import DEFAULT_MODEL  # noqa: E402
from telecomgpt.domain.tgpp import read_spec  # noqa: E402
from telecomgpt.paths import shared_dir  # noqa: E402

RECIPES = ROOT / "configs" / "finetune" / "smollm2-135m"
CASES = {"cpt": ("cpt", []), "sft-qlora": ("sft", []),
         "sft-lora": ("sft", ["--load_in_4bit", "false"])}


def _peak_rss_sampler() -> tuple[threading.Event, list[int]]:
    import psutil

    stop, peak, proc = threading.Event(), [0], psutil.Process()

    def sample() -> None:
        while not stop.wait(0.2):
            peak[0] = max(peak[0], proc.memory_info().rss)

    threading.Thread(target=sample, daemon=True).start()
    return stop, peak


def run_one(case: str, variant: str, data: str, eval_data: str, max_length: int, out: str) -> dict:
    """Train one epoch of `case` as `variant` (recipe | baseline) in this process; return the measurements."""
    stage, extra = CASES[case]
    overrides = ["--dataset_path", data, "--eval_path", eval_data, "--max_eval_samples", "16", "--output_dir",
                 out, "--num_train_epochs", "1", "--max_length", str(max_length), "--logging_steps", "1",
                 "--save_strategy", "no", "--seed", "0", "--model_name_or_path", DEFAULT_MODEL, *extra]
    if variant == "baseline":  # what `SFTTrainer(model, args=SFTConfig(output_dir), ...)` does by default
        overrides += ["--packing", "false", "--gradient_checkpointing", "true",
                      "--per_device_train_batch_size", "8", "--bf16", "false", "--padding_free", "false",
                      "--lm_head_on_labels_only", "false", "--train_sampling_strategy", "random"]
    if variant == "recipe-random":  # the recipe without length grouping: separates batch order from speed
        overrides += ["--train_sampling_strategy", "random"]
    if stage == "sft":
        overrides += ["--learning_rate", "2e-4"]  # enough steps of signal to compare final losses
    recipe = parse_recipe(stage, RECIPES / f"{stage}.yaml", overrides)
    trainer, _, report = build_trainer(recipe)
    stop, peak = _peak_rss_sampler()
    started = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - started
    stop.set()
    tokens = max(h.get("num_tokens", 0) for h in trainer.state.log_history)
    return {"case": case, "variant": variant, "tokens": tokens, "seconds": seconds,
            "tokens_per_s": tokens / seconds,
            "steps": trainer.state.global_step, "peak_rss_gb": peak[0] / 2**30,
            "eval_loss": trainer.evaluate()["eval_loss"], "train_examples": report["train"]["examples"]}


def make_data(folder: Path, examples: int) -> dict[str, tuple[str, str]]:
    """(train, held-out) paths per stage, from the shared corpus (spec clauses; build-sft output)."""
    import gzip

    corpus = shared_dir() / "data" / "corpus"
    _, clauses = read_spec(corpus / "3gpp/rel19-md/38.321_MAC_j20.md")
    docs = [f"{c.number} {c.title}\n{c.text}" for c in clauses if c.number and len(c.text) > 200]
    for name, part in (("cpt-train", docs[:examples]), ("cpt-eval", docs[examples:examples + 16])):
        (folder / name).mkdir(parents=True)
        with gzip.open(folder / name / "docs.jsonl.gz", "wt") as handle:
            handle.writelines(json.dumps({"text": d}) + "\n" for d in part)
    build_sft(SFTBuild(output=folder / "sft", specs=[str(corpus / "3gpp/rel19-md/38.321_MAC_j20.md")],
                       code=[str(corpus / "code/free5gc-nas")], max_per_builder=examples))
    rows = [json.loads(line) for line in gzip.open(folder / "sft" / "sft.jsonl.gz")]
    # build-sft writes builder by builder; train on the mix, as a real run does
    random.Random(0).shuffle(rows)
    for name, part in (("sft-train", rows[:examples]), ("sft-eval", rows[examples:examples + 16])):
        (folder / name).mkdir()
        with gzip.open(folder / name / "rows.jsonl.gz", "wt") as handle:
            handle.writelines(json.dumps(r) + "\n" for r in part)
    return {"cpt": (str(folder / "cpt-train"), str(folder / "cpt-eval")),
            "sft": (str(folder / "sft-train"), str(folder / "sft-eval"))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=64, help="training examples per run")
    parser.add_argument("--max-length", type=int, default=256)
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--one", nargs=5, metavar=("CASE", "VARIANT", "DATA", "EVAL", "OUT"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        case, variant, data, eval_data, out = args.one
        print("RESULT " + json.dumps(run_one(case, variant, data, eval_data, args.max_length, out)))
        return
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        paths = make_data(Path(tmp), args.examples)
        for case in args.cases.split(","):
            train, held_out = paths[CASES[case][0]]
            for variant in ("baseline", "recipe", *(("recipe-random",) if CASES[case][0] == "sft" else ())):
                proc = subprocess.run([sys.executable, __file__, "--max-length", str(args.max_length),
                                       "--one", case, variant, train, held_out, f"{tmp}/{case}-{variant}"],
                                      capture_output=True, text=True)
                line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None)
                if line is None:
                    sys.exit(f"{case}/{variant} failed:\n{proc.stderr[-3000:]}")
                results.append(json.loads(line[7:]))
                print(results[-1], flush=True)
    write_report(results, args)


def write_report(results: list[dict], args) -> None:
    import psutil

    rows = ["| case | variant | tokens/s | speed-up | steps | peak RSS | held-out loss |",
            "|---|---|---|---|---|---|---|"]
    for r in results:
        base = next(b for b in results if b["case"] == r["case"] and b["variant"] == "baseline")
        rows.append(f"| {r['case']} | {r['variant']} | {r['tokens_per_s']:.0f} | "
                    f"{r['tokens_per_s'] / base['tokens_per_s']:.2f}x | {r['steps']} | "
                    f"{r['peak_rss_gb']:.2f} GB | {r['eval_loss']:.3f} |")
    load = psutil.getloadavg()[0]
    body = "\n".join([
        "## bench/train_speed.py", "", machine_line(),
        f"One epoch over the same {args.examples} examples (max_length {args.max_length}) per run, "
        "SmolLM2-135M. Baseline = plain `SFTTrainer` with TRL defaults (no packing, random batches padded to "
        "their longest, gradient checkpointing, batch 8, fp32, LM head over every position); recipe = "
        "configs/finetune/smollm2-135m (CPT: wrapped packing; SFT: length-grouped batches and the LM head "
        "only at answer tokens, finetune/lm_head.py; no checkpointing, bf16 autocast); recipe-random = the "
        "SFT recipe with random batches like the baseline's, to show what batch order alone does to the "
        f"loss. Same learning rate and schedule. Load average when finished: {load:.1f} (other work "
        f"{'was' if load > 2.5 else 'was not'} running).",
        "", *rows])
    write_section("train_speed", body)


if __name__ == "__main__":
    main()
