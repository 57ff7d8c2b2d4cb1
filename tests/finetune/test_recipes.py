"""Every shipped recipe parses against its entry point; bad recipes fail with one clear UserError."""

from __future__ import annotations

from pathlib import Path

import pytest

from finetune.recipes import STAGES, parse_recipe
from telecomgpt.errors import UserError

CONFIGS = Path(__file__).resolve().parents[2] / "configs" / "finetune"
RECIPES = sorted(p for p in CONFIGS.glob("*/*.yaml") if p.stem in STAGES)
PAPER = {"cpt": (2e-5, "constant", 1), "sft": (2e-5, None, 3), "dpo": (5e-6, "cosine", 1)}


def test_every_model_has_all_three_stages():
    models = {p.parent.name for p in RECIPES}
    assert {"smollm2-135m", "qwen2.5-7b"} <= models
    for model in models:
        assert {p.stem for p in RECIPES if p.parent.name == model} == set(STAGES)


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_shipped_recipe_validates(recipe: Path):
    import torch

    # GPU recipes ask for bf16 on CUDA; on a CPU-only runner check everything else.
    overrides = [] if "smollm2" in recipe.parent.name or torch.cuda.is_available() else ["--use_cpu", "true"]
    parsed = parse_recipe(recipe.stem, recipe, overrides)
    lr, schedule, epochs = PAPER[recipe.stem]
    assert parsed.train.learning_rate == lr
    assert parsed.train.num_train_epochs == epochs
    if schedule:
        assert parsed.train.lr_scheduler_type.value == schedule
    if recipe.stem == "cpt":
        assert not parsed.lora.use_peft and parsed.train.packing
    else:
        assert parsed.lora.use_peft and parsed.model.load_in_4bit
        assert parsed.model.bnb_4bit_quant_type == "nf4" and parsed.lora.lora_target_modules == ["all-linear"]
    if "qwen" in recipe.parent.name:
        assert parsed.train.gradient_checkpointing and parsed.train.bf16


def test_accelerate_configs_are_yaml_with_a_distributed_type():
    import yaml

    configs = sorted((CONFIGS / "accelerate").glob("*.yaml"))
    assert {c.stem for c in configs} >= {"multi_gpu", "fsdp", "deepspeed_zero3"}
    for config in configs:
        assert yaml.safe_load(config.read_text())["distributed_type"] in {"MULTI_GPU", "FSDP", "DEEPSPEED"}


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
