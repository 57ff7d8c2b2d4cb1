"""Model FLOPs per token against a hand computation, token counting on TRL's real collators, the GPU peak
table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from finetune.throughput import (
    FlopsModel,
    ThroughputMeter,
    describe,
    device_peak_tflops,
    matmul_params_from_config,
    sequence_lengths,
)
from finetune.train import run_stage

# SmolLM2-135M (the embedded model's config.json): 30 layers, hidden 576, 9 heads x 64, 3 KV heads, MLP 1536,
# vocabulary 49,152 with tied embeddings. By hand, per layer: q and o 576 x 576 = 331,776 each; k and v
# 576 x 192 = 110,592 each; gate, up, down 576 x 1536 = 884,736 each -> 3,538,944; x 30 = 106,168,320; plus
# the output projection 49,152 x 576 = 28,311,552 (tied, but still a matmul) -> N = 134,479,872.
SMOLLM2_N = 134_479_872


@pytest.fixture(scope="module")
def smollm2_config(embedded_model_dir: Path):
    from transformers import AutoConfig

    return AutoConfig.from_pretrained(embedded_model_dir)


def test_matmul_parameters_of_smollm2_by_hand(smollm2_config):
    assert matmul_params_from_config(smollm2_config) == (SMOLLM2_N, 30, 576)


def test_the_formula_matches_the_real_architecture(smollm2_config):
    """Every nn.Linear of the model built from the config (on the meta device: no memory), plus the tied
    head."""
    import torch
    from transformers import AutoModelForCausalLM

    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(smollm2_config)
    linear = sum(m.weight.numel() for m in model.modules() if isinstance(m, torch.nn.Linear))
    # lm_head is an nn.Linear sharing the weight
    assert smollm2_config.tie_word_embeddings and linear == SMOLLM2_N


def test_flops_per_token_full_lora_and_dpo():
    full = FlopsModel(SMOLLM2_N, 30, 576)
    assert full.weight_flops_per_token == 6 * 134_479_872 == 806_879_232
    # PaLM's attention term at T = 1024: 12 x 30 layers x 576 x 1024 = 212,336,640 per token
    assert full.sequence_flops(1024) == 1024 * (806_879_232 + 212_336_640)
    lora = FlopsModel(SMOLLM2_N, 30, 576, trainable_matmul_params=2_442_240)
    assert lora.weight_flops_per_token == 4 * SMOLLM2_N + 6 * 2_442_240
    dpo = FlopsModel(SMOLLM2_N, 30, 576, trainable_matmul_params=2_442_240, reference_forward=True)
    assert dpo.weight_flops_per_token == 6 * SMOLLM2_N + 6 * 2_442_240  # + the reference forward 2N
    assert dpo.attention_flops_per_token_per_context == 16 * 30 * 576


def test_unknown_architectures_give_no_flops():
    from transformers import MixtralConfig

    assert matmul_params_from_config(MixtralConfig(num_hidden_layers=2)) is None


def test_gpu_peak_table_matches_device_names():
    assert device_peak_tflops("NVIDIA H200") == 989.0
    assert device_peak_tflops("NVIDIA H100 80GB HBM3") == 989.0
    assert device_peak_tflops("NVIDIA A100-SXM4-80GB") == 312.0
    assert device_peak_tflops("NVIDIA L40S") == 362.0 and device_peak_tflops("NVIDIA L4") == 121.0
    assert device_peak_tflops("NVIDIA GeForce RTX 4090") == 165.0
    assert device_peak_tflops("Tesla T4") is None and device_peak_tflops(None) is None


def test_tokens_are_counted_without_padding_on_trl_collators():
    from trl.trainer.dpo_trainer import DataCollatorForPreference
    from trl.trainer.sft_trainer import DataCollatorForLanguageModeling

    examples = [{"input_ids": [5, 6, 7]}, {"input_ids": [8, 9]}, {"input_ids": [1, 2, 3, 4, 5, 6]}]
    padded = DataCollatorForLanguageModeling(pad_token_id=0)(examples)
    assert padded["input_ids"].shape == (3, 6) and sequence_lengths(padded) == [3, 2, 6]
    flat = DataCollatorForLanguageModeling(pad_token_id=0, padding_free=True)(examples)
    assert flat["input_ids"].shape == (1, 11) and sequence_lengths(flat) == [3, 2, 6]
    pairs = DataCollatorForPreference(pad_token_id=0)([
        {"prompt_ids": [1, 2], "chosen_ids": [3], "rejected_ids": [4, 5, 6]},
        {"prompt_ids": [7], "chosen_ids": [8, 9], "rejected_ids": [10]}])
    assert sorted(sequence_lengths(pairs)) == [2, 3, 3, 5]  # chosen and rejected rows, prompt included


def test_describe_says_na_without_a_peak():
    assert describe({"tokens_per_second": 15296.4, "mfu": 0.0161}) == "15,296 tokens/s, MFU 1.6%"
    assert describe({"tokens_per_second": 812.0, "mfu": None}) == "812 tokens/s, MFU n/a"
    assert describe(ThroughputMeter().summary()) == "throughput n/a"


@pytest.mark.slow
def test_a_two_step_cpu_run_writes_tokens_per_second_and_mfu(cpt_corpus: Path, embedded_model_dir: Path,
                                                             tmp_path: Path):
    from finetune_helpers import FAST

    config = Path(__file__).resolve().parents[2] / "configs/finetune/smollm2-135m/cpt.yaml"
    summary = run_stage("cpt", config, [
        "--model_name_or_path", str(embedded_model_dir), "--dataset_path", str(cpt_corpus),
        "--output_dir", str(tmp_path), "--max_steps", "2", "--peak_tflops", "2.0", "--eval_fraction", "0",
                                        *FAST,
        "--max_length", "64"])
    written = json.loads((tmp_path / "run_summary.json").read_text())["throughput"]
    assert written == summary["throughput"]
    # 2 steps x 2 packed rows x 64 tokens, all real (wrapped packing has no padding)
    assert written["tokens"] == 256 and written["timed_steps"] == 1 and written["tokens_per_second"] > 0
    flops = written["flops_per_token"]
    assert flops == 6 * SMOLLM2_N + 12 * 30 * 576 * 64  # full fine-tuning, 64-token rows
    assert written["model_tflops_per_second"] == pytest.approx(written["tokens_per_second"] * flops / 1e12,
                                                               rel=0.05)
    assert written["mfu"] == pytest.approx(written["model_tflops_per_second"] / 2.0, rel=0.01)
    logged = [h for h in json.loads((tmp_path / "checkpoint-2/trainer_state.json").read_text())["log_history"]
              if "loss" in h]
    assert logged and all(h["tokens_per_second"] > 0 and 0 < h["mfu"] < 1 for h in logged)
