"""Merge a LoRA adapter into its base model so vLLM (or any HF loader) serves it as a plain model."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from finetune.modeling import resolve_model
from telecomgpt.errors import UserError
from telecomgpt.hardware import dtype_for
from telecomgpt.llm import GenerationParams, get_backend


def merge_adapter(base: str, adapter: Path, output: Path, dtype: str | None = None) -> Path:
    """Load `base` unquantised, apply `adapter`, fold the LoRA weights in and save to `output`
    (atomically). `dtype` None or auto: what the machine serves in (telecomgpt.hardware), so vLLM loads the
    weights without a conversion."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    adapter = Path(adapter)
    if not (adapter / "adapter_config.json").is_file():
        raise UserError(f"{adapter} is not a LoRA adapter folder (no adapter_config.json)")
    base_path = resolve_model(base)
    dtype = dtype_for("merge", dtype)
    model = AutoModelForCausalLM.from_pretrained(base_path, dtype=getattr(torch, dtype))
    try:
        model = PeftModel.from_pretrained(model, adapter).merge_and_unload()
    except (ValueError, RuntimeError) as exc:
        raise UserError(f"adapter {adapter} does not fit base {base}: {str(exc).splitlines()[0]}") from None
    tokenizer_dir = adapter if (adapter / "tokenizer_config.json").is_file() else base_path
    output = Path(output)
    partial = output.with_name(output.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    model.save_pretrained(partial, safe_serialization=True)
    AutoTokenizer.from_pretrained(tokenizer_dir).save_pretrained(partial)
    (partial / "telecomgpt-merge.json").write_text(json.dumps(
        {"base": str(base_path), "adapter": str(adapter), "dtype": dtype}))
    shutil.rmtree(output, ignore_errors=True)
    partial.rename(output)
    return output


def verify_with_vllm(model_dir: Path, question: str = "What does RRC stand for in 3GPP?") -> str:
    """Load `model_dir` with the in-process vLLM backend and answer one question (proves vLLM serves it)."""
    backend = get_backend("vllm", model=str(model_dir), max_model_len=512, kv_cache_gb=1.0)
    try:
        return backend.chat([[{"role": "user", "content": question}]], GenerationParams(max_tokens=24))[0]
    finally:
        backend.close()
