"""The compact LM head on CPU (finetune/lm_head.py): same loss and gradients as TRL's default, fewer
positions.

A real batch from build-sft output, the embedded model, TRL's own fused head: once projecting every position
(TRL's CPU default) and once only the positions with a label. If a TRL upgrade renames the switch, the
"compact path taken" assertion fails here rather than the speed-up silently disappearing.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from finetune.lm_head import score_label_positions_only


@pytest.fixture(scope="module")
def batch(sft_dir: Path, embedded_model_dir: Path) -> dict:
    """Four prompt/completion rows, padded; labels only on the completions (as completion-only SFT has
    them)."""
    import torch
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(embedded_model_dir)
    rows = [json.loads(line) for line in gzip.open(sft_dir / "sft.jsonl.gz")][:4]
    ids, labels = [], []
    for row in rows:
        prompt = tokenizer.apply_chat_template(row["prompt"], tokenize=False, add_generation_prompt=True)
        prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
        answer_ids = tokenizer(row["completion"][0]["content"], add_special_tokens=False)["input_ids"][:64]
        ids.append(prompt_ids + answer_ids)
        labels.append([-100] * len(prompt_ids) + answer_ids)
    width = max(map(len, ids))
    pad = tokenizer.pad_token_id or 0
    return {"input_ids": torch.tensor([x + [pad] * (width - len(x)) for x in ids]),
            "attention_mask": torch.tensor([[1] * len(x) + [0] * (width - len(x)) for x in ids]),
            "labels": torch.tensor([x + [-100] * (width - len(x)) for x in labels])}


def _loss_and_grad(model_dir: Path, batch: dict, compact: bool, monkeypatch: pytest.MonkeyPatch):
    """(loss, one weight's gradient, rows the LM head projected) through TRL's fused head."""
    import torch
    import trl.kernels.chunked_logprob as kernel
    from transformers import AutoModelForCausalLM
    from trl.trainer.utils import add_fused_lm_head

    score_label_positions_only(compact)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    add_fused_lm_head(model, outputs=("log_probs",))
    projected, apply = [], kernel.ChunkedLogProbFunction.apply

    def counting_apply(hidden, *args):
        projected.append(hidden.shape[0])
        return apply(hidden, *args)

    with monkeypatch.context() as patch:
        patch.setattr(kernel.ChunkedLogProbFunction, "apply", counting_apply)
        loss = model(**batch, fused_lm_head=True).loss
    loss.backward()
    return loss.item(), model.model.layers[-1].mlp.down_proj.weight.grad.clone(), projected


def test_compact_head_gives_the_same_loss_from_only_the_labelled_positions(
        embedded_model_dir: Path, batch: dict, monkeypatch: pytest.MonkeyPatch):
    import torch

    try:
        loss_all, grad_all, every = _loss_and_grad(embedded_model_dir, batch, False, monkeypatch)
        loss_compact, grad_compact, compact = _loss_and_grad(embedded_model_dir, batch, True, monkeypatch)
    finally:
        score_label_positions_only(True)
    labelled = int((batch["labels"][:, 1:] != -100).sum())
    assert every == [batch["input_ids"].shape[0] * (batch["input_ids"].shape[1] - 1)]  # TRL's CPU default
    assert compact == [labelled] and labelled < every[0] / 2  # compact path taken: answers only
    assert abs(loss_all - loss_compact) < 1e-4 * abs(loss_all)
    assert torch.allclose(grad_all, grad_compact, rtol=1e-3, atol=1e-6)
