"""Perplexity on held-out text: how well a model predicts spec clauses it never trained on."""

from __future__ import annotations

import math
from pathlib import Path

from finetune.modeling import resolve_model
from finetune.training_data import load_records


def perplexity(model: str, data: list[str], adapter: Path | None = None, max_docs: int = 64,
               max_length: int = 512, batch_size: int = 4) -> dict:
    """exp(mean token NLL) of `model` (+ optional adapter) over the first `max_docs` documents of `data`."""
    import torch
    from tqdm import tqdm
    from transformers import AutoModelForCausalLM, AutoTokenizer

    texts = load_records(data, "cpt")["text"][:max_docs]
    path = resolve_model(model)
    tokenizer = AutoTokenizer.from_pretrained(path)
    tokenizer.pad_token = tokenizer.pad_token or tokenizer.eos_token
    net = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
    if adapter:
        from peft import PeftModel

        net = PeftModel.from_pretrained(net, adapter)
    net.eval()
    total_nll, total_tokens = 0.0, 0
    with torch.inference_mode():
        for start in tqdm(range(0, len(texts), batch_size), desc="perplexity", unit="batch"):
            batch = tokenizer(texts[start:start + batch_size], return_tensors="pt", padding=True,
                              truncation=True, max_length=max_length)
            labels = batch["input_ids"].masked_fill(batch["attention_mask"] == 0, -100)
            logits = net(**batch).logits[:, :-1].float()
            targets = labels[:, 1:]
            nll = torch.nn.functional.cross_entropy(logits.transpose(1, 2), targets, ignore_index=-100,
                                                    reduction="sum")
            total_nll += nll.item()
            total_tokens += int((targets != -100).sum())
    return {"perplexity": math.exp(total_nll / max(total_tokens, 1)), "tokens": total_tokens,
            "docs": len(texts)}
