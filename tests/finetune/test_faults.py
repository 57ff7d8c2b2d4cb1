"""Faults: bad datasets, NaN loss (stop, keep the last good checkpoint), Ctrl-C then resume in the same
order."""

from __future__ import annotations

import gzip
import json
import signal
import subprocess
from pathlib import Path

import pytest
from finetune_helpers import FAST, write_jsonl
from transformers import TrainerCallback

from finetune.train import TrainingDiverged, last_checkpoint, run_stage
from finetune.training_data import load_records
from telecomgpt.errors import UserError

CONFIGS = Path(__file__).resolve().parents[2] / "configs" / "finetune" / "smollm2-135m"


def test_empty_and_wrong_schema_datasets_are_user_errors(tmp_path: Path):
    empty = tmp_path / "empty.jsonl.gz"
    gzip.open(empty, "wt").close()
    with pytest.raises(UserError, match="empty dataset"):
        load_records([str(empty)], "cpt")
    wrong = write_jsonl(tmp_path / "wrong" / "a.jsonl.gz", [{"question": "q", "answer": "a"}])
    with pytest.raises(UserError, match="wrong schema for sft"):
        load_records([str(wrong.parent)], "sft")
    with pytest.raises(UserError, match="needs prompt\\+chosen\\+rejected"):
        load_records([str(wrong)], "dpo")
    with pytest.raises(UserError, match="dataset not found"):
        load_records([str(tmp_path / "nope")], "cpt")
    blank = write_jsonl(tmp_path / "blank.jsonl.gz", [{"text": ""}, {"text": ""}])
    with pytest.raises(UserError, match="empty"):
        load_records([str(blank)], "cpt")


def test_cli_reports_bad_data_in_one_line(run_cli, assert_one_line_error, tmp_path: Path):
    wrong = write_jsonl(tmp_path / "a.jsonl.gz", [{"body": "no text field"}])
    result = run_cli("train", "cpt", "--config", str(CONFIGS / "cpt.yaml"), "--dataset_path", str(wrong),
                     timeout=120)
    assert_one_line_error(result, "wrong schema for cpt")


class PoisonWeights(TrainerCallback):
    """Fault injection: after step `at`, set one weight to NaN, as a diverging run would."""

    def __init__(self, at: int):
        self.at = at

    def on_step_end(self, args, state, control, model=None, **kwargs):
        if state.global_step == self.at:
            import torch

            with torch.no_grad():
                next(p for p in model.parameters() if p.requires_grad).fill_(float("nan"))


@pytest.mark.slow
def test_nan_loss_stops_with_clear_error_and_keeps_last_good_checkpoint(cpt_corpus, embedded_model_dir,
                                                                        tmp_path):
    overrides = ["--model_name_or_path", str(embedded_model_dir), "--dataset_path", str(cpt_corpus),
                 "--output_dir", str(tmp_path), "--max_steps", "6", "--max_train_samples", "8",
                 "--eval_fraction", "0", *FAST]
    with pytest.raises(TrainingDiverged, match="diverged at step 3 .*checkpoint-2"):
        run_stage("cpt", CONFIGS / "cpt.yaml", overrides, callbacks=[PoisonWeights(at=2)])
    assert last_checkpoint(tmp_path).name == "checkpoint-2"
    assert not (tmp_path / "checkpoint-4").exists() and not (tmp_path / "model.safetensors").exists()


@pytest.mark.slow
def test_ctrl_c_saves_and_resume_continues_in_the_same_order(run_cli, telecomgpt_command, cpt_corpus,
                                                             embedded_model_dir, tmp_path):
    args = ["train", "cpt", "--config", str(CONFIGS / "cpt.yaml"), "--model_name_or_path",
            str(embedded_model_dir),
            "--dataset_path", str(cpt_corpus), "--max_steps", "4", "--max_train_samples", "12",
            "--save_steps", "100", "--eval_fraction", "0", *FAST[:-4]]
    interrupted = tmp_path / "interrupted"
    proc = subprocess.Popen([*telecomgpt_command, *args, "--output_dir", str(interrupted)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen = []
    for line in proc.stdout:  # the Trainer logs one dict per step; interrupt after the first
        seen.append(line)
        if "'loss'" in line and sum("'loss'" in s for s in seen) == 1:
            proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=300) == 130, "".join(seen)[-2000:]
    assert last_checkpoint(interrupted) is not None, "Ctrl-C must leave a checkpoint"
    resumed = run_cli(*args, "--output_dir", str(interrupted), timeout=400)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    straight = run_cli(*args, "--output_dir", str(tmp_path / "straight"), timeout=400)
    assert straight.returncode == 0, straight.stderr[-2000:]

    def losses(folder: Path) -> dict[int, float]:
        history = json.loads((last_checkpoint(folder) / "trainer_state.json").read_text())["log_history"]
        return {h["step"]: round(h["loss"], 3) for h in history if "loss" in h}

    assert json.loads((interrupted / "run_summary.json").read_text())["resumed_from"]
    assert len(losses(interrupted)) == 4
    assert losses(interrupted) == losses(tmp_path / "straight")  # same batches in the same order
