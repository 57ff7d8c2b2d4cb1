"""Each stage trains a few steps on real data with the embedded model: held-out loss falls, outputs load.

Held-out (eval) loss is measured on the same examples before and after training, so "falls" is a
deterministic comparison rather than a noisy first-vs-last batch loss.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from finetune_helpers import FAST

from finetune.data.build_dpo import reading_pair
from finetune.data.filtering import Finalizer
from finetune.data.rag_reading import checker_verdict, continuation
from finetune.merge import merge_adapter
from finetune.recipes import parse_recipe
from finetune.stack import stack_adapters
from finetune.train import build_trainer, run_stage
from finetune.training_data import after_lead
from telecomgpt.hardware import dtype_for

CONFIGS = Path(__file__).resolve().parents[2] / "configs" / "finetune" / "smollm2-135m"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sft_run(sft_dir: Path, embedded_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("sft-run")
    return run_stage("sft", CONFIGS / "sft.yaml", [
        "--model_name_or_path", str(embedded_model_dir), "--dataset_path", str(sft_dir), "--output_dir",
                                                   str(out),
        "--max_steps", "4", "--learning_rate", "5e-4", "--max_train_samples", "16", "--eval_path",
                                                   str(sft_dir),
        "--max_eval_samples", "4", *FAST, "--max_length", "192"])


def test_cpt_lowers_heldout_spec_perplexity(cpt_corpus: Path, embedded_model_dir: Path, tmp_path: Path):
    summary = run_stage("cpt", CONFIGS / "cpt.yaml", [
        "--model_name_or_path", str(embedded_model_dir), "--dataset_path", str(cpt_corpus),
        "--output_dir", str(tmp_path), "--max_steps", "3", "--learning_rate", "1e-4",
        "--eval_fraction", "0.1", "--max_eval_samples", "3", *FAST])
    ppl = summary["perplexity"]
    assert ppl["after"] < ppl["before"], ppl
    assert summary["steps"] == 3 and summary["data"]["trainable_params"] == summary["data"]["total_params"]
    assert (tmp_path / "model.safetensors").is_file() and (tmp_path / "loss_curve.png").stat().st_size > 1000
    assert json.loads((tmp_path / "perplexity.json").read_text()) == ppl
    assert summary["precision"]["autocast"] == dtype_for("train", device="cpu")  # the recipe's `bf16: auto`


def test_cpt_without_native_bf16_trains_in_float32_and_says_so(run_cli, cpt_corpus: Path,
                                                               embedded_model_dir: Path, tmp_path: Path):
    """ONEDNN_MAX_CPU_ISA=AVX2 makes any x86 CPU an AVX2-only one, for oneDNN and for telecomgpt.hardware."""
    avx2 = {"ONEDNN_MAX_CPU_ISA": "AVX2", "ATEN_CPU_CAPABILITY": "avx2"}
    info = json.loads(run_cli("env", "--json", env=avx2).stdout)
    want = info["dtypes"]["train"]
    assert want == "float32" or info["cpu"]["arch"] != "x86_64"
    done = run_cli("train", "cpt", "--config", str(CONFIGS / "cpt.yaml"), "--model_name_or_path",
                   str(embedded_model_dir), "--dataset_path", str(cpt_corpus), "--output_dir", str(tmp_path),
                   "--max_steps", "1", "--eval_fraction", "0", *FAST, env=avx2)
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"cpt: training in autocast {want}" in done.stdout and f"1 steps in {want}" in done.stdout
    precision = json.loads((tmp_path / "run_summary.json").read_text())["precision"]
    assert precision["autocast"] == want and "auto for the CPU" in precision["chosen_by"]


def test_qlora_sft_learns_and_trains_about_two_percent(sft_run: dict):
    out = Path(sft_run["output_dir"])
    assert sft_run["eval_loss"]["after"] < sft_run["eval_loss"]["before"], sft_run["eval_loss"]
    data = sft_run["data"]
    assert 0.01 < data["trainable_params"] / data["total_params"] < 0.03  # LoRA r=8, all linear layers
    assert 0 <= data["train"]["overlong"] <= data["train"]["examples"] and data["train"]["longest"] > 0
    config = json.loads((out / "adapter_config.json").read_text())
    assert {"q_proj", "v_proj", "down_proj"} <= set(config["target_modules"])
    assert (out / "loss_curve.png").is_file()


def test_dpo_on_preference_pairs_lowers_loss(dpo_dir: Path, embedded_model_dir: Path, tmp_path: Path):
    summary = run_stage("dpo", CONFIGS / "dpo.yaml", [
        "--model_name_or_path", str(embedded_model_dir), "--dataset_path", str(dpo_dir),
        "--output_dir", str(tmp_path), "--max_steps", "3", "--learning_rate", "5e-4", "--max_train_samples",
                                                      "6",
        "--eval_path", str(dpo_dir), "--max_eval_samples", "4", *FAST])
    assert summary["eval_loss"]["before"] == pytest.approx(0.6931, abs=0.01)  # policy == reference at start
    assert summary["eval_loss"]["after"] < summary["eval_loss"]["before"]
    assert (tmp_path / "adapter_model.safetensors").is_file()


def test_merged_adapter_is_served_by_vllm(run_cli, sft_run: dict, embedded_model_dir: Path, tmp_path: Path):
    merged = tmp_path / "merged"
    result = run_cli("train", "merge", "--base", str(embedded_model_dir), "--adapter", sft_run["output_dir"],
                     "--output", str(merged), "--verify", timeout=400, env={"VLLM_CPU_KVCACHE_SPACE": "1"})
    assert result.returncode == 0, result.stderr[-2000:]
    assert "vLLM answer:" in result.stdout
    assert (merged / "config.json").is_file() and not (merged / "adapter_config.json").exists()


@pytest.fixture(scope="module")
def rag_dpo_dir(rag_sft_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Reading pairs without a policy model: what each target says after its lead, citing another document
    instead (what the assistant's checker rejects as `wrong_source`)."""
    rows = [json.loads(line) for line in gzip.open(rag_sft_dir / "sft.jsonl.gz")]
    finalizer = Finalizer()
    for row in rows:
        n, after = row["meta"]["answer_n"], continuation(row)
        if n and len(row["meta"]["sources"]) > 1 and f"[{n}]" in after:
            wrong = after.replace(f"[{n}]", f"[{1 if n != 1 else 2}]")
            verdict = checker_verdict(wrong, row)
            assert verdict in ("wrong_source", "dropped")
            finalizer.add(reading_pair(row, wrong, verdict), row["id"])
    out = tmp_path_factory.mktemp("rag-dpo")
    finalizer.write(out, "dpo")
    return out


def test_reading_items_teach_only_what_follows_the_lead(rag_sft_dir: Path, rag_dpo_dir: Path,
                                                       embedded_model_dir: Path, tmp_path: Path):
    """The assistant quotes the lead before the model speaks (`continue_lead`): the trainers see it as the
    open assistant turn of the prompt, rendered as vLLM serves it, and the loss falls on what follows it only
    (a copy of the lead in the labels was most of v4's loss)."""
    rows = {json.dumps(r["prompt"]): r for r in map(json.loads, gzip.open(rag_sft_dir / "sft.jsonl.gz"))}
    model = ["--model_name_or_path", str(embedded_model_dir), "--eval_fraction", "0", "--max_length", "2048"]
    sft, _, _ = build_trainer(parse_recipe("sft", CONFIGS / "sft_rag.yaml", [
        "--dataset_path", str(rag_sft_dir), "--output_dir", str(tmp_path / "sft"), *model]))
    tokenizer = sft.processing_class
    led = [r for r in rows.values() if r["meta"].get("lead")]
    assert len(sft.train_dataset) == len(rows) and led
    by_lead = {}
    for example in sft.train_dataset:
        ids, labels = example["input_ids"], example["labels"]
        start = next(i for i, label in enumerate(labels) if label != -100)
        by_lead[tokenizer.decode(ids[:start])] = tokenizer.decode([t for t in labels if t != -100])
    for row in led:
        opened_turn = [*row["prompt"], {"role": "assistant", "content": row["meta"]["lead"]}]
        served = tokenizer.apply_chat_template(opened_turn, tokenize=False, continue_final_message=True)
        after = continuation(row)
        assert by_lead[served] == (f" {after}" if after else "") + "<|im_end|>"

    dpo, _, _ = build_trainer(parse_recipe("dpo", CONFIGS / "dpo_rag.yaml", [
        "--dataset_path", str(rag_dpo_dir), "--output_dir", str(tmp_path / "dpo"), *model]))
    pairs = list(map(json.loads, gzip.open(rag_dpo_dir / "dpo.jsonl.gz")))
    assert len(dpo.train_dataset) == len(pairs) >= 1
    for pair, example in zip(pairs, dpo.train_dataset, strict=True):
        lead = rows[json.dumps(pair["prompt"])]["meta"]["lead"]
        prompt = tokenizer.decode(example["prompt_ids"])
        assert prompt.endswith(f"<|im_start|>assistant\n{lead}")
        for side in ("chosen", "rejected"):
            after = after_lead(pair[side][0]["content"], lead)
            assert tokenizer.decode(example[f"{side}_ids"]) == f" {after}<|im_end|>"


def test_reading_recipes_train_sft_and_dpo_into_one_adapter(rag_sft_dir: Path, rag_dpo_dir: Path,
                                                            embedded_model_dir: Path, tmp_path: Path):
    """build-sft --rag data -> LoRA SFT steps -> merge -> a DPO step -> one stacked adapter with its manifest,
    equal to the chain it sums."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    one = ["--max_length", "1024", "--per_device_train_batch_size", "1", "--gradient_accumulation_steps", "1",
           "--eval_fraction", "0", "--learning_rate", "1e-3"]
    sft = run_stage("sft", CONFIGS / "sft_rag.yaml", [
        "--model_name_or_path", str(embedded_model_dir), "--dataset_path", str(rag_sft_dir),
        "--output_dir", str(tmp_path / "sft"), "--max_steps", "2", "--max_train_samples", "2", *FAST, *one])
    assert sft["steps"] == 2 and sft["data"]["train"]["overlong"] == 0  # the serving prompt fits max_length
    merge_adapter(str(embedded_model_dir), tmp_path / "sft", tmp_path / "sft-merged", dtype="float32")
    dpo = run_stage("dpo", CONFIGS / "dpo_rag.yaml", [
        "--model_name_or_path", str(tmp_path / "sft-merged"), "--dataset_path", str(rag_dpo_dir),
        "--output_dir", str(tmp_path / "dpo"), "--max_steps", "1", "--max_train_samples", "1", *FAST, *one])
    assert dpo["steps"] == 1
    stack_adapters(str(embedded_model_dir), [tmp_path / "sft", tmp_path / "dpo"], tmp_path / "adapter",
                   recipes=[CONFIGS / "sft_rag.yaml", CONFIGS / "dpo_rag.yaml"], data=[rag_sft_dir])
    manifest = json.loads((tmp_path / "adapter" / "manifest.json").read_text())
    assert (tmp_path / "adapter" / "adapter_config.json").is_file()
    assert manifest["rank"] == 16 and manifest["size_bytes"] < 20e6 and len(manifest["stages"]) == 2
    assert manifest["data"][0]["stats"]["kept"] > 0 and manifest["git"]["commit"]
    assert manifest["stages"][1]["run_summary"]["stage"] == "dpo"

    ids = torch.tensor([[1, 504, 3458, 314, 260, 18740, 4053, 30]])
    with torch.no_grad():
        base = AutoModelForCausalLM.from_pretrained(embedded_model_dir, dtype=torch.float32)
        plain = base(ids).logits
        stacked = PeftModel.from_pretrained(base, tmp_path / "adapter")(ids).logits
        chain = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(
            tmp_path / "sft-merged", dtype=torch.float32), tmp_path / "dpo")(ids).logits
    assert (stacked - chain).abs().max() < 0.1 * (stacked - plain).abs().max()  # bf16 rounding, not a change
