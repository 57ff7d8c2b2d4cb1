"""Convert a GGUF checkpoint to a bf16 safetensors HF folder that vLLM, peft and TRL all load.

transformers de-quantizes GGUF weights on load; the GGUF quantizer's config must then be removed
so that `save_pretrained` writes plain weights (and training does not refuse the model).
The folder is written to a temporary sibling and renamed into place, so a crash never leaves a
half-written model behind.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

from telecomgpt.errors import UserError

MARKER = "telecomgpt-model.json"


def gguf_to_hf(gguf_path: Path, out_dir: Path, dtype: str = "bfloat16") -> Path:
    """Write `out_dir` (config, safetensors, tokenizer, chat template) from `gguf_path`."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf_path = Path(gguf_path)
    if gguf_path.stat().st_size < 1024:
        raise UserError(f"{gguf_path} is too small to be a GGUF model")
    started = time.time()
    tmp_dir = out_dir.with_name(out_dir.name + ".partial")
    shutil.rmtree(tmp_dir, ignore_errors=True)
    try:
        tokenizer = AutoTokenizer.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name)
        model = AutoModelForCausalLM.from_pretrained(
            gguf_path.parent, gguf_file=gguf_path.name, dtype=getattr(torch, dtype)
        )
    except (OSError, ValueError, KeyError) as exc:
        raise UserError(f"cannot read GGUF file {gguf_path}: {str(exc).splitlines()[0]}") from None
    if getattr(model, "hf_quantizer", None) is not None:
        model.hf_quantizer.remove_quantization_config(model)
    model.save_pretrained(tmp_dir, safe_serialization=True)
    tokenizer.save_pretrained(tmp_dir)
    (tmp_dir / MARKER).write_text(
        json.dumps(
            {"source": str(gguf_path), "dtype": dtype, "converted_in_s": round(time.time() - started, 1)},
            indent=2,
        )
    )
    shutil.rmtree(out_dir, ignore_errors=True)
    tmp_dir.rename(out_dir)
    return out_dir
