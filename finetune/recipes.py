"""Read a stage's YAML recipe (plus `--key value` overrides) into typed dataclasses with `trl.TrlParser`.

`cpt` and `sft` use TRL's `SFTConfig` (CPT is language modelling on raw text with packing), `dpo` uses
`DPOConfig`; TelecomGPT's own arguments live in `finetune.args`. The model resolves like every command's
(telecomgpt.config.load_settings): `--model_name_or_path` > TELECOMGPT_MODEL > the recipe > the settings file.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from finetune.args import DataArguments, LoraArguments, ModelArguments
from telecomgpt.config import load_settings, read_yaml
from telecomgpt.errors import UserError

log = logging.getLogger("telecomgpt.finetune")

STAGES = ("cpt", "sft", "dpo")


@dataclass
class Recipe:
    """One parsed recipe: the stage and its four argument groups."""

    stage: str
    data: DataArguments
    model: ModelArguments
    lora: LoraArguments
    train: Any
    """trl.SFTConfig (cpt, sft) or trl.DPOConfig (dpo)."""
    precision: dict[str, str] | None = None
    """What the stage computes in (see `resolve_precision`): autocast, weights, qlora_compute, chosen_by."""


def trainer_config_class(stage: str) -> type:
    """The TRL config dataclass a stage's recipe is validated against."""
    from trl import DPOConfig, SFTConfig

    if stage not in STAGES:
        raise UserError(f"unknown stage {stage!r}; choose one of: {', '.join(STAGES)}")
    return DPOConfig if stage == "dpo" else SFTConfig


def _parser(stage: str):
    from trl import TrlParser

    class RecipeParser(TrlParser):
        """argparse errors (bad type, unknown key) become one-line UserErrors instead of SystemExit."""

        def error(self, message: str):  # noqa: D401 - argparse hook
            raise UserError(f"bad recipe for `train {stage}`: {message}")

    return RecipeParser((DataArguments, ModelArguments, LoraArguments, trainer_config_class(stage)))


def _flag_value(args: Sequence[str], flag: str) -> str | None:
    """The last value given to `flag` in `--flag value` or `--flag=value` form, else None."""
    value = None
    for i, arg in enumerate(args):
        if arg == flag and i + 1 < len(args):
            value = args[i + 1]
        elif arg.startswith(flag + "="):
            value = arg.split("=", 1)[1]
    return value


def model_to_train(config: str | Path | None, overrides: Sequence[str] = ()) -> str:
    """The model to train, through the same settings as every other command: the flag, then TELECOMGPT_MODEL,
    then the recipe's `model_name_or_path` (its YAML layer), then the settings file, then the embedded
    model."""
    recipe_model = read_yaml(config).get("model_name_or_path") if config is not None else None
    flag = _flag_value(overrides, "--model_name_or_path")
    model = load_settings(command_config={"model": recipe_model}, model=flag).model
    if recipe_model and model != str(recipe_model) and flag is None:
        log.info("training %s (TELECOMGPT_MODEL) instead of the recipe's %s", model, recipe_model)
    return model


AUTO = "auto"


def _is_true(value: object) -> bool:
    return str(value).strip().lower() in ("true", "1", "yes")


def resolve_precision(yaml_values: dict, overrides: Sequence[str]) -> tuple[list[str], dict[str, str]]:
    """Turn `bf16: auto` (and `bnb_4bit_compute_dtype: auto`) into the machine's choice.

    `auto` asks telecomgpt.hardware for the training dtype of the device the recipe runs on (`use_cpu: true`
    means the CPU even where a GPU exists): bf16 autocast only where that device does bf16 natively, fp16 on
    CUDA without bf16, no autocast otherwise. `true`/`false` are kept as written. Returns the `--key value`
    arguments that carry the choice (appended after the recipe's, so they win) and a description of it."""
    from telecomgpt.hardware import describe_machine, detect, dtype_for

    def value(key: str) -> object:
        flag = _flag_value(overrides, f"--{key}")
        return flag if flag is not None else yaml_values.get(key)

    bf16, fp16 = value("bf16"), value("fp16")
    use_cpu = _is_true(value("use_cpu"))
    device = "cpu" if use_cpu else None
    args: list[str] = []
    auto_used = str(bf16).lower() == AUTO or str(value("bnb_4bit_compute_dtype")).lower() == AUTO
    machine = dtype_for("train", device=device) if auto_used else None
    if str(bf16).lower() == AUTO:
        args += ["--bf16", str(machine == "bfloat16").lower()]
        if machine == "float16" and not _is_true(fp16):
            args += ["--fp16", "true"]
        bf16, fp16 = machine == "bfloat16", _is_true(fp16) or machine == "float16"
    autocast = "bfloat16" if _is_true(bf16) else "float16" if _is_true(fp16) else "float32"
    compute = value("bnb_4bit_compute_dtype")
    if str(compute).lower() == AUTO:
        compute = autocast if autocast != "float32" else machine
        args += ["--bnb_4bit_compute_dtype", compute]
    precision = {"autocast": autocast, "weights": str(value("torch_dtype") or "float32"),
                 "chosen_by": (f"auto for the {'CPU' if use_cpu or detect().cuda is None else 'GPU'} of "
                               f"{describe_machine()}" if auto_used else "the recipe")}
    if _is_true(value("load_in_4bit")):
        precision["qlora_compute"] = str(compute or "bfloat16")
    return args, precision


def _without_auto_bf16(overrides: Sequence[str]) -> list[str]:
    """`overrides` less any `--bf16 auto` / `--bf16=auto` (resolve_precision turns it into true/false)."""
    out, skip = [], False
    for i, arg in enumerate(overrides):
        if skip:
            skip = False
            continue
        if arg == "--bf16" and i + 1 < len(overrides) and overrides[i + 1].lower() == AUTO:
            skip = True
            continue
        if arg.lower() == "--bf16=auto":
            continue
        out.append(arg)
    return out


def parse_recipe(stage: str, config: str | Path | None, overrides: Sequence[str] = ()) -> Recipe:
    """Parse `config` (YAML) and `overrides` (`--key value ...`, which win) for `stage`, then check it."""
    args = _without_auto_bf16(overrides)  # argparse would reject `auto` for a bool; resolved below
    yaml_values: dict = {}
    if config is not None:
        path = Path(config)
        if not path.is_file():
            raise UserError(f"recipe not found: {path}", hint="see configs/finetune/")
        yaml_values = read_yaml(path)
        args = ["--config", str(path), *args]
    args += ["--model_name_or_path", model_to_train(config, overrides)]
    precision_args, precision = resolve_precision(yaml_values, overrides)
    args += precision_args
    try:
        groups = _parser(stage).parse_args_and_config(args=args, return_remaining_strings=True)
    except ValueError as exc:  # TrlParser (unknown YAML keys) and TrainingArguments checks report this way
        message = str(exc).splitlines()[0]
        if "bf16/gpu" in message:
            message = ("bf16 needs a GPU or `use_cpu: true`; this machine has no usable GPU (add --use_cpu "
                       "true)")
        raise UserError(f"bad recipe {config}: {message}") from None
    data, model, lora, train, remaining = groups
    if remaining:
        raise UserError(f"unknown recipe keys for `train {stage}`: {' '.join(remaining)}")
    recipe = Recipe(stage, data, model, lora, train, precision)
    validate(recipe)
    return recipe


def validate(recipe: Recipe) -> None:
    """Checks that need more than one field (types and names are checked by the parser)."""
    stage, model, lora, train = recipe.stage, recipe.model, recipe.lora, recipe.train
    if stage == "cpt" and (lora.use_peft or model.load_in_4bit):
        raise UserError("cpt trains all parameters: set use_peft: false and load_in_4bit: false")
    if model.load_in_4bit and not lora.use_peft:
        raise UserError("a 4-bit (QLoRA) model can only train a LoRA adapter: set use_peft: true")
    if not recipe.data.dataset_path:
        raise UserError("no training data: set dataset_path in the recipe or pass --dataset_path (stage "
                        f"{stage})")
    if not 0.0 <= recipe.data.eval_fraction < 1.0:
        raise UserError(f"eval_fraction must be in [0, 1), got {recipe.data.eval_fraction}")
    if train.learning_rate <= 0:
        raise UserError(f"learning_rate must be positive, got {train.learning_rate}")
    if model.torch_dtype not in ("float32", "bfloat16", "float16", "auto"):
        raise UserError(f"torch_dtype must be float32, bfloat16, float16 or auto, got {model.torch_dtype!r}")
    if recipe.data.resume not in ("auto", "never") and not Path(recipe.data.resume).is_dir():
        raise UserError(f"resume: no checkpoint folder {recipe.data.resume}")
