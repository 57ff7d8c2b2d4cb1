"""Load the model, tokenizer and LoRA config a recipe asks for (full precision, or 4-bit nf4 for QLoRA)."""

from __future__ import annotations

from pathlib import Path

from finetune.args import LoraArguments, ModelArguments
from telecomgpt.errors import UserError
from telecomgpt.models import prepare


def resolve_model(name_or_path: str) -> Path:
    """A local HF folder for `name_or_path` (registry name, folder, GGUF or hub id) via the model registry."""
    return Path(prepare(name_or_path))


def _dtype(name: str):
    import torch

    return "auto" if name == "auto" else getattr(torch, name)


def load_tokenizer(path: Path):
    """The model's tokenizer; a missing pad token falls back to EOS (padding is masked out anyway)."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(path)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if not tokenizer.chat_template:
        raise UserError(f"{path} has no chat template; SFT/DPO need one (use an instruct model's tokenizer)")
    return tokenizer


def load_model(args: ModelArguments, *, gradient_checkpointing: bool = False):
    """(model, local path). With `load_in_4bit` the base is quantised to nf4 and prepared for k-bit
    training."""
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig

    path = resolve_model(args.model_name_or_path)
    kwargs: dict = {"dtype": _dtype(args.torch_dtype), "attn_implementation": args.attn_implementation}
    if args.load_in_4bit:
        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type=args.bnb_4bit_quant_type,
            bnb_4bit_compute_dtype=_dtype(args.bnb_4bit_compute_dtype),
            bnb_4bit_use_double_quant=args.bnb_4bit_use_double_quant,
            bnb_4bit_quant_storage=_dtype(args.bnb_4bit_quant_storage),
        )
    try:
        model = AutoModelForCausalLM.from_pretrained(path, **kwargs)
    except (OSError, ValueError) as exc:
        raise UserError(f"cannot load model {args.model_name_or_path} from {path}: {exc}") from None
    if args.load_in_4bit:
        from peft import prepare_model_for_kbit_training

        _keep_4bit_weights_trainable(model)
        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=gradient_checkpointing)
    model.config.use_cache = False  # the KV cache is useless in training and conflicts with checkpointing
    return model, path


def _keep_4bit_weights_trainable(model) -> None:
    """Stop bitsandbytes repacking 4-bit weights for CPU inference the first time the model evaluates.

    bitsandbytes 0.50 converts a `Linear4bit` weight to an AVX-512 inference layout on its first
    eval-mode forward and never converts it back; training afterwards runs through `gemv_4bit`, which
    has no autograd kernel, so gradients silently stop flowing through the frozen base layers and
    QLoRA diverges (held-out loss 2.8 -> 15.9 in 4 steps here). Evaluating before training, as
    `run_stage` does, triggers exactly that, so the repacking is switched off for training.
    """
    import bitsandbytes as bnb

    for module in model.modules():
        if isinstance(module, bnb.nn.Linear4bit):
            module.support_avx512bf16_for_cpu = False


def lora_config(args: LoraArguments):
    """A peft LoraConfig, or None when the recipe trains all parameters."""
    if not args.use_peft:
        return None
    from peft import LoraConfig

    targets = args.lora_target_modules
    return LoraConfig(
        r=args.lora_r,
        lora_alpha=args.lora_alpha,
        lora_dropout=args.lora_dropout,
        target_modules="all-linear" if targets == ["all-linear"] else targets,
        task_type="CAUSAL_LM",
    )


def trainable_fraction(model) -> tuple[int, int]:
    """(trainable, total) parameter counts; 4-bit weights count as their unpacked size (bnb packs two per
    byte)."""
    import math

    def size(param) -> int:
        quant_state = getattr(param, "quant_state", None)
        return math.prod(quant_state.shape) if quant_state is not None else param.numel()

    trainable = sum(size(p) for p in model.parameters() if p.requires_grad)
    total = sum(size(p) for p in model.parameters())
    return trainable, total
