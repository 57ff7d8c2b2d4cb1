"""The recipe dataclasses TelecomGPT adds to TRL's own `SFTConfig` / `DPOConfig`.

A recipe YAML is one flat mapping read by `trl.TrlParser`: keys of these dataclasses plus the keys of the
stage's TRL config. Attribute docstrings double as documentation (see docs/finetune.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from telecomgpt.config import DEFAULT_MODEL


@dataclass
class ModelArguments:
    """Which model to adapt and how to load it."""

    model_name_or_path: str = DEFAULT_MODEL
    """Registry name, local HF folder, GGUF file or hub id; resolved by `telecomgpt.models.prepare`.
    Precedence: `--model_name_or_path` > TELECOMGPT_MODEL > the recipe > the settings file > the embedded
    model."""
    torch_dtype: str = "float32"
    """Weights dtype: float32 (needed for full-parameter training without master weights), bfloat16, auto."""
    load_in_4bit: bool = False
    """QLoRA: quantise the frozen base weights with bitsandbytes (works on CPU and CUDA)."""
    bnb_4bit_quant_type: str = "nf4"
    """bitsandbytes 4-bit format: nf4 (QLoRA paper) or fp4."""
    bnb_4bit_compute_dtype: str = "bfloat16"
    """Dtype of the de-quantised matmuls."""
    bnb_4bit_use_double_quant: bool = False
    """Quantise the quantisation constants too (saves ~0.4 bit/param on large models)."""
    bnb_4bit_quant_storage: str = "uint8"
    """Storage dtype of the packed 4-bit weights; bfloat16 lets FSDP shard a QLoRA model."""
    attn_implementation: str = "sdpa"
    """Attention kernel: sdpa (any device), flash_attention_2 (CUDA), eager."""
    lm_head_on_labels_only: bool = True
    """Project the LM head only at positions with a label (answers, not prompts or padding), on CPU as TRL
    already does on CUDA; see finetune/lm_head.py. Off = TRL's default."""
    peak_tflops: float = 0.0
    """Peak dense bf16 TFLOP/s of one device, for the MFU in run_summary.json; 0 = look the GPU up in
    finetune/throughput.py's table (H100/H200, A100, L40S, L4, A10G, RTX 4090), none on CPU (MFU is null)."""


@dataclass
class LoraArguments:
    """LoRA adapter settings (SFT and DPO); ignored when `use_peft` is false."""

    use_peft: bool = False
    """Train a LoRA adapter instead of all parameters."""
    lora_r: int = 16
    """Adapter rank; with all linear layers r=8 is ~2% of SmolLM2-135M, r=64 ~2% of a 7B model."""
    lora_alpha: int = 32
    """Scaling numerator (effective scale = alpha / r)."""
    lora_dropout: float = 0.05
    """Dropout on the adapter input."""
    lora_target_modules: list[str] = field(default_factory=lambda: ["all-linear"])
    """Module names to adapt; "all-linear" means every linear layer except the output head."""


@dataclass
class DataArguments:
    """Where the training data comes from and how much of it to use."""

    dataset_path: list[str] = field(default_factory=list)
    """Files or folders: .jsonl, .jsonl.gz, .parquet; a folder with a data/ subfolder (the pipeline's
    output) reads data/. Relative paths are taken from the current directory."""
    text_field: str = "text"
    """CPT: the column holding raw text."""
    eval_path: list[str] = field(default_factory=list)
    """Held-out data (same format); if empty, `eval_fraction` of the training data is held out."""
    eval_fraction: float = 0.0
    """Fraction of documents held out for evaluation when no `eval_path` is given."""
    max_eval_samples: int = 64
    """Cap on held-out examples, to keep evaluation cheap."""
    max_train_samples: int = 0
    """Use at most this many training examples (0 = all)."""
    shuffle_seed: int = 42
    """Seed of the train/eval split and of sub-sampling (the batch order follows `seed`/`data_seed`)."""
    resume: str = "auto"
    """auto: continue from the last checkpoint in output_dir if there is one; never; or a checkpoint path."""
    stop_on_nan: bool = True
    """Stop with an error at the first NaN/inf loss or gradient norm, keeping the last good checkpoint."""
