"""Every shipped recipe parses against its entry point; bad recipes fail with one clear UserError."""

from __future__ import annotations

from pathlib import Path

import pytest

from finetune.modeling import lora_config
from finetune.recipes import STAGES, parse_recipe
from telecomgpt.errors import UserError

CONFIGS = Path(__file__).resolve().parents[2] / "configs" / "finetune"
CPU_RECIPES = sorted(p for p in CONFIGS.glob("*/*.yaml") if p.stem in STAGES)
GPU_RECIPES = sorted(p for p in CONFIGS.glob("*/gpu/*.yaml") if p.stem in STAGES)
RECIPES = CPU_RECIPES + GPU_RECIPES
PAPER = {"cpt": (2e-5, "constant", 1), "sft": (2e-5, None, 3), "dpo": (5e-6, "cosine", 1)}


def test_every_model_has_all_three_stages():
    models = {p.parent.name for p in CPU_RECIPES}
    assert {"smollm2-135m", "qwen2.5-7b"} <= models
    for model in models:
        assert {p.stem for p in CPU_RECIPES if p.parent.name == model} == set(STAGES)


def test_gpu_recipes_cover_the_embedded_model_and_a_7b_model():
    names = {f"{p.parents[1].name}/{p.stem}" for p in GPU_RECIPES}
    assert {"smollm2-135m/cpt", "smollm2-135m/sft", "smollm2-135m/dpo", "qwen2.5-7b/sft",
            "qwen2.5-7b/dpo"} <= names


def _model_of(recipe: Path) -> str:
    return recipe.parents[1].name if recipe.parent.name == "gpu" else recipe.parent.name


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda p: str(p.relative_to(CONFIGS).with_suffix("")))
def test_shipped_recipe_validates(recipe: Path):
    import torch

    gpu = recipe.parent.name == "gpu" or "qwen" in recipe.parent.name
    # GPU recipes ask for bf16 on CUDA; on a CPU-only runner check everything else.
    overrides = ["--use_cpu", "true"] if gpu and not torch.cuda.is_available() else []
    parsed = parse_recipe(recipe.stem, recipe, overrides)
    lr, schedule, epochs = PAPER[recipe.stem]
    assert parsed.train.learning_rate == lr
    assert parsed.train.num_train_epochs == epochs
    if schedule:
        assert parsed.train.lr_scheduler_type.value == schedule
    if recipe.stem == "cpt":
        assert not parsed.lora.use_peft and parsed.train.packing
    else:
        # QLoRA everywhere except the embedded model on a GPU, where a bf16 base is faster and fits anywhere.
        small_on_gpu = recipe.parent.name == "gpu" and _model_of(recipe) == "smollm2-135m"
        assert parsed.lora.use_peft and parsed.model.load_in_4bit != small_on_gpu
        assert parsed.model.bnb_4bit_quant_type == "nf4" and parsed.lora.lora_target_modules == ["all-linear"]
    large = _model_of(recipe) != "smollm2-135m"
    if large:
        assert parsed.train.gradient_checkpointing and parsed.train.bf16
    if recipe.parent.name == "gpu":  # shaped for an accelerator (issue 14)
        assert parsed.train.optim.value == "adamw_torch_fused" and parsed.train.bf16
        assert parsed.train.gradient_checkpointing == large  # only the 7-8B models need to recompute
        assert parsed.train.per_device_train_batch_size * parsed.train.max_length >= 4096
        assert parsed.model.attn_implementation == "sdpa" and not parsed.train.torch_compile
        if recipe.stem == "sft" and parsed.train.packing:  # padding-free bfd rows stay short under sdpa
            assert parsed.train.packing_strategy == "bfd"
            assert parsed.train.per_device_train_batch_size * parsed.train.max_length <= 4096


@pytest.mark.parametrize("config", sorted((CONFIGS / "accelerate").glob("*.yaml")), ids=lambda p: p.stem)
def test_accelerate_config_loads_in_accelerate(config: Path):
    """`accelerate launch --config_file` reads these with ClusterConfig, which rejects unknown keys."""
    from accelerate.commands.config.config_args import ClusterConfig

    loaded = ClusterConfig.from_yaml_file(config)
    assert loaded.distributed_type.value in {"MULTI_GPU", "FSDP", "DEEPSPEED"}
    assert loaded.num_processes >= 2 and loaded.mixed_precision == "bf16" and not loaded.use_cpu
    if loaded.distributed_type.value == "FSDP":
        assert loaded.fsdp_config["fsdp_auto_wrap_policy"] == "TRANSFORMER_BASED_WRAP"
    if loaded.distributed_type.value == "DEEPSPEED":
        assert loaded.deepspeed_config["zero_stage"] == 3


def test_accelerate_configs_cover_ddp_fsdp_and_zero3(tmp_path: Path):
    from accelerate.commands.config.config_args import ClusterConfig

    assert {c.stem for c in (CONFIGS / "accelerate").glob("*.yaml")} >= {"multi_gpu", "fsdp",
                                                                         "deepspeed_zero3"}
    typo = tmp_path / "typo.yaml"
    typo.write_text((CONFIGS / "accelerate/fsdp.yaml").read_text() + "num_proceses: 2\n")
    with pytest.raises(ValueError, match="num_proceses"):  # so the test above would catch a misspelt key
        ClusterConfig.from_yaml_file(typo)


def test_overrides_win_over_the_yaml():
    parsed = parse_recipe("sft", CONFIGS / "smollm2-135m/sft.yaml", ["--max_steps", "3", "--lora_r", "4"])
    assert parsed.train.max_steps == 3 and parsed.lora.lora_r == 4


@pytest.mark.parametrize("overrides, message", [
    (["--no_such_key", "1"], "unknown recipe keys"),
    (["--max_steps", "many"], "invalid int value"),
    (["--eval_fraction", "1.5"], "eval_fraction"),
])
def test_bad_overrides_are_one_line_user_errors(overrides, message):
    with pytest.raises(UserError, match=message):
        parse_recipe("sft", CONFIGS / "smollm2-135m/sft.yaml", overrides)


def test_inconsistent_recipes_are_rejected(tmp_path: Path):
    bad = tmp_path / "cpt.yaml"
    bad.write_text("dataset_path: [x]\nuse_peft: true\nuse_cpu: true\n")
    with pytest.raises(UserError, match="cpt trains all parameters"):
        parse_recipe("cpt", bad)
    bad.write_text("dataset_path: [x]\nload_in_4bit: true\nuse_cpu: true\n")
    with pytest.raises(UserError, match="only train a LoRA adapter"):
        parse_recipe("sft", bad)
    bad.write_text("dataset_path: [x]\nuse_cpu: true\nbogus_key: 3\n")
    with pytest.raises(UserError, match="bogus_key"):
        parse_recipe("sft", bad)
    with pytest.raises(UserError, match="recipe not found"):
        parse_recipe("sft", tmp_path / "missing.yaml")


@pytest.mark.slow
def test_7b_qlora_recipe_builds_without_weights():
    """Qwen2.5-7B's architecture (its published config values) on the meta device + the recipe's LoRA: the
    parameter counts docs/finetune.md's memory table starts from."""
    import torch
    from peft import get_peft_model
    from transformers import AutoModelForCausalLM, Qwen2Config

    # lazy: torch (keeps collecting the fast tests quick)
    from finetune.throughput import matmul_params_from_config

    recipe = parse_recipe("sft", CONFIGS / "qwen2.5-7b/gpu/sft.yaml", ["--use_cpu", "true"])
    config = Qwen2Config(hidden_size=3584, intermediate_size=18944, num_hidden_layers=28,
                         num_attention_heads=28,
                         num_key_value_heads=4, vocab_size=152064, tie_word_embeddings=False)
    with torch.device("meta"):
        model = get_peft_model(AutoModelForCausalLM.from_config(config), lora_config(recipe.lora))
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    assert trainable == 64 * 90_112 * 28 == 161_480_704  # r x sum(in + out) over the 7 linear layers x 28
    assert 7.6e9 < total - trainable < 7.7e9 and 0.020 < trainable / (total - trainable) < 0.022
    n, layers, width = matmul_params_from_config(config)
    assert n == 6_525_288_448 + 152_064 * 3584 and (layers, width) == (28, 3584)


READING_RECIPES = sorted(CONFIGS.glob("smollm2-135m/**/*_rag.yaml"))


@pytest.mark.parametrize("recipe", READING_RECIPES, ids=lambda p: str(p.relative_to(CONFIGS).with_suffix("")))
def test_reading_recipes_train_lora_on_the_served_base(recipe: Path):
    """sft_rag/dpo_rag (CPU and GPU): LoRA on the unquantised base that vLLM serves the adapter on,
    room for the serving prompt; the CPU ones sized in steps, with `bf16: auto`."""
    gpu = recipe.parent.name == "gpu"
    stage = recipe.stem.split("_")[0]
    parsed = parse_recipe(stage, recipe, ["--use_cpu", "true"] if gpu else [])
    assert parsed.lora.use_peft and not parsed.model.load_in_4bit and parsed.lora.lora_r == 8
    assert parsed.train.max_length >= 1024
    if not gpu:
        assert parsed.train.max_steps > 0 and parsed.train.use_cpu
        assert "auto" in parsed.precision["chosen_by"]
    if stage == "sft":
        assert parsed.train.completion_only_loss
        assert parsed.model.model_name_or_path == "smollm2-135m-instruct"
    assert len(READING_RECIPES) == 4
