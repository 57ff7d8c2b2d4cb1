"""One servable LoRA adapter from a chain of them (`telecomgpt train stack-adapters`), with its manifest.

A chain such as SFT -> merge -> DPO leaves two adapters: the DPO one was trained on the base with the SFT one
merged in. Their sum is itself a LoRA adapter: the A matrices stacked (each times its scaling) and the B
matrices side by side, rank = the sum of ranks, scaling 1 (PEFT's `add_weighted_adapter(combination_type=
"cat")`, exact up to rounding). So vLLM serves the whole chain with `serve --adapter` on the plain base, and
`--no-adapter` is the base itself. Saved in bfloat16 (the serving dtype; half the size of float32).

`manifest.json` beside adapter_config.json says what it is: the base model, each stage's adapter and run
summary (steps, losses, precision, throughput) and recipe, each training data folder's stats.json (with
the command that built it), the git commit of the code, and the adapter's size.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path

from finetune.modeling import resolve_model
from telecomgpt.errors import UserError

STACKED = "default"
"""The combined adapter's name: PEFT saves the default adapter at the folder's top level."""


def _git_commit() -> dict:
    root = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                              check=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):  # not a checkout (an installed package)
        return {"commit": None, "dirty": None}
    return {"commit": head, "dirty": bool(dirty)}


def _read_json(path: Path) -> dict | None:
    return json.loads(path.read_text()) if path.is_file() else None


def stack_adapters(base: str, adapters: list[Path], output: Path, *, recipes: list[Path] = (),
                   data: list[Path] = ()) -> dict:
    """Write the sum of `adapters` (in chain order) as one adapter for `base` to `output` (atomically), with
    manifest.json; returns the manifest."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if not adapters:
        raise UserError("give at least one --adapter")
    for adapter in adapters:
        if not (Path(adapter) / "adapter_config.json").is_file():
            raise UserError(f"{adapter} is not a LoRA adapter folder (no adapter_config.json)")
    for path in [*recipes, *data]:
        if not Path(path).exists():
            raise UserError(f"not found: {path}")
    base_path = resolve_model(base)
    model = AutoModelForCausalLM.from_pretrained(base_path, dtype=torch.float32)
    names = [f"stage{i}" for i in range(len(adapters))]
    try:
        peft = PeftModel.from_pretrained(model, adapters[0], adapter_name=names[0])
        for name, adapter in zip(names[1:], adapters[1:], strict=True):
            peft.load_adapter(adapter, adapter_name=name)
        peft.add_weighted_adapter(names, [1.0] * len(names), STACKED, combination_type="cat")
    except (ValueError, RuntimeError, KeyError) as exc:
        raise UserError(f"adapters {', '.join(map(str, adapters))} do not fit base {base}: "
                        f"{str(exc).splitlines()[0]}") from None
    for name in names:
        peft.delete_adapter(name)
    for param_name, param in peft.named_parameters():
        if f".{STACKED}." in param_name:
            param.data = param.data.to(torch.bfloat16)
    output = Path(output)
    partial = output.with_name(output.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    peft.save_pretrained(partial, selected_adapters=[STACKED], safe_serialization=True)
    AutoTokenizer.from_pretrained(base_path).save_pretrained(partial)
    config = json.loads((partial / "adapter_config.json").read_text())
    size = sum(f.stat().st_size for f in partial.glob("adapter_model.*"))
    manifest = {
        "base_model": base, "base_path": str(base_path), "rank": config.get("r"),
        "target_modules": sorted(config.get("target_modules") or []), "dtype": "bfloat16",
        "size_bytes": size,
        "stages": [{"adapter": str(a), "run_summary": _read_json(Path(a) / "run_summary.json")}
                   for a in adapters],
        "recipes": [{"path": str(r), "text": Path(r).read_text()} for r in recipes],
        "data": [{"path": str(d), "stats": _read_json(Path(d) / "stats.json")} for d in data],
        "git": _git_commit(),
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }
    (partial / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str))
    shutil.rmtree(output, ignore_errors=True)
    partial.rename(output)
    return manifest
