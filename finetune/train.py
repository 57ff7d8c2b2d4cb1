"""Run one adaptation stage (cpt, sft, dpo) from a recipe: load, check data, train, resume, save.

CPT and SFT run TRL's `SFTTrainer` (CPT = language modelling on raw `text` with packing, all parameters);
DPO runs TRL's `DPOTrainer`, whose reference model is the base with the LoRA adapter switched off.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Sequence
from pathlib import Path

from finetune.data_checks import count_overlong, split_train_eval
from finetune.lm_head import score_label_positions_only
from finetune.modeling import load_model, load_tokenizer, lora_config, trainable_fraction
from finetune.recipes import Recipe, parse_recipe
from finetune.training_data import load_records, render_open_turns
from telecomgpt.errors import UserError
from telecomgpt.models import prepare

log = logging.getLogger("telecomgpt.finetune")


class TrainingDiverged(UserError):
    """The loss or gradient norm became NaN/inf; the last good checkpoint is kept."""


class TrainingInterrupted(UserError):
    """Ctrl-C: a checkpoint was saved; rerunning the same command resumes from it."""

    exit_code = 130


def last_checkpoint(output_dir: Path) -> Path | None:
    """The newest `checkpoint-N` folder with a trainer state, or None."""
    steps = [(int(p.name.split("-")[-1]), p) for p in output_dir.glob("checkpoint-*")
             if p.name.split("-")[-1].isdigit() and (p / "trainer_state.json").is_file()]
    return max(steps)[1] if steps else None


def _resume_point(recipe: Recipe, output_dir: Path) -> Path | None:
    if recipe.data.resume == "never":
        return None
    if recipe.data.resume != "auto":
        return Path(recipe.data.resume)
    return last_checkpoint(output_dir)


def build_trainer(recipe: Recipe, callbacks: Sequence = ()):
    """Model, data and the TRL trainer for `recipe` (also used by bench/train_speed.py)."""
    # lazy: torch, transformers (a bad recipe fails in a second, before they load)
    from finetune.callbacks import GracefulInterrupt, LossCurve, NanGuard
    from finetune.throughput import ThroughputMeter, flops_model

    args, data = recipe.train, recipe.data
    score_label_positions_only(recipe.model.lm_head_on_labels_only)
    args.logging_nan_inf_filter = False  # the NaN guard must see the raw loss, not a smoothed stand-in
    dataset = load_records(data.dataset_path, recipe.stage, data.text_field)
    train_set, eval_set = split_train_eval(dataset, data)
    model, path = load_model(recipe.model, gradient_checkpointing=args.gradient_checkpointing)
    tokenizer = load_tokenizer(path) if recipe.stage != "cpt" else _plain_tokenizer(path)
    train_set, eval_set = render_open_turns(train_set, tokenizer), render_open_turns(eval_set, tokenizer)
    output_dir = Path(args.output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    train_report = (count_overlong(train_set, tokenizer, args.max_length, recipe.stage)
                    if recipe.stage != "cpt" else {"examples": len(train_set)})
    report = {"stage": recipe.stage, "model": str(path), "train": train_report,
              "eval_examples": len(eval_set) if eval_set is not None else 0}
    if report["train"].get("overlong"):
        log.warning("%d of %d examples exceed max_length=%d and are %s", report["train"]["overlong"],
                    report["train"]["examples"], args.max_length, report["train"]["overlong_action"])
    guards = [NanGuard(), GracefulInterrupt(), LossCurve(), *callbacks]
    common = dict(model=model, args=args, train_dataset=train_set, eval_dataset=eval_set,
                  processing_class=tokenizer, peft_config=lora_config(recipe.lora), callbacks=guards)
    if recipe.stage == "dpo":
        from trl import DPOTrainer

        trainer = DPOTrainer(**common)
    else:
        from trl import SFTTrainer

        trainer = SFTTrainer(**common)
    trainable, total = trainable_fraction(trainer.model)
    flops = flops_model(trainer.model, lora=recipe.lora.use_peft,
                        dpo_reference=recipe.stage == "dpo" and not getattr(args, "precompute_ref_log_probs",
                                                                            False))
    guards.append(ThroughputMeter(flops, recipe.model.peak_tflops or None).attach(trainer))
    report["trainable_params"], report["total_params"] = trainable, total
    (output_dir / "data_report.json").write_text(json.dumps(report, indent=2))
    log.info("training %s of %s parameters (%.2f%%)", f"{trainable:,}", f"{total:,}", 100 * trainable / total)
    return trainer, guards, report


def _plain_tokenizer(path: Path):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(path)
    tokenizer.pad_token = tokenizer.pad_token or tokenizer.eos_token
    return tokenizer


def describe_precision(precision: dict[str, str]) -> str:
    """'autocast bfloat16, float32 weights (auto on CPU AMD EPYC (2 cores, AVX-512 BF16))'."""
    line = f"autocast {precision['autocast']}, {precision['weights']} weights"
    if "qlora_compute" in precision:
        line += f", 4-bit base computing in {precision['qlora_compute']}"
    return f"{line} (chosen by {precision['chosen_by']})"


def run_stage(stage: str, config: str | Path | None, overrides: Sequence[str] = (),
              callbacks: Sequence = (), announce: Callable[[str], None] = log.info) -> dict:
    """Train one stage; returns a summary (also written to output_dir/run_summary.json). `announce` gets the
    start-up line (the CLI prints it)."""
    recipe = parse_recipe(stage, config, overrides)
    announce(f"{stage}: training in {describe_precision(recipe.precision)}")
    prepare(recipe.model.model_name_or_path)  # a wrong model fails now, not after the data is loaded
    output_dir = Path(recipe.train.output_dir)
    from finetune.throughput import ThroughputMeter, describe  # lazy: torch (keeps recipe errors fast)

    trainer, guards, report = build_trainer(recipe, callbacks)
    nan_guard, interrupt = guards[0], guards[1]
    resume = _resume_point(recipe, output_dir)
    summary: dict = {"stage": stage, "output_dir": str(output_dir),
                     "resumed_from": str(resume) if resume else None, "precision": recipe.precision}
    eval_file = output_dir / "eval_before_after.json"
    if trainer.eval_dataset is not None and resume is None:
        eval_file.write_text(json.dumps({"before": trainer.evaluate()["eval_loss"]}))
    if resume:
        log.info("resuming from %s", resume)
    result = trainer.train(resume_from_checkpoint=str(resume) if resume else None)
    if nan_guard.bad_step is not None:
        good = last_checkpoint(output_dir)
        raise TrainingDiverged(f"training diverged at step {nan_guard.bad_step} ({nan_guard.bad_value}); "
                               f"last good checkpoint: {good or 'none'}",
                               hint="lower learning_rate or check the data")
    if interrupt.interrupted_at is not None:
        raise TrainingInterrupted(f"interrupted at step {interrupt.interrupted_at}; checkpoint saved in "
                                  f"{output_dir}",
                                  hint="rerun the same command to resume")
    trainer.save_model(str(output_dir))
    summary.update(train_loss=result.training_loss, steps=trainer.state.global_step, data=report)
    summary["throughput"] = next(g for g in guards if isinstance(g, ThroughputMeter)).summary()
    log.info("%s trained %s tokens: %s", stage, f"{summary['throughput']['tokens']:,}",
             describe(summary["throughput"]))
    if trainer.eval_dataset is not None:
        losses = json.loads(eval_file.read_text()) if eval_file.exists() else {}
        losses["after"] = trainer.evaluate()["eval_loss"]
        eval_file.write_text(json.dumps(losses))
        summary["eval_loss"] = losses
        if stage == "cpt":  # held-out perplexity: the number CPT is judged by
            summary["perplexity"] = {k: math.exp(min(v, 50.0)) for k, v in losses.items()}
            (output_dir / "perplexity.json").write_text(json.dumps(summary["perplexity"]))
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    summary["first_loss"], summary["last_loss"] = (losses[0], losses[-1]) if losses else (None, None)
    (output_dir / "run_summary.json").write_text(json.dumps(summary, indent=2, default=str))
    return summary

