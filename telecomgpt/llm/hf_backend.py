"""The transformers backend: the same interface as the vLLM engine, for machines without vLLM."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from telecomgpt.config import DEFAULT_MODEL
from telecomgpt.hardware import dtype_for
from telecomgpt.llm.base import GenerationParams, LLMBackend, Message
from telecomgpt.models import prepare


class HFBackend(LLMBackend):
    """A transformers causal LM (plus an optional peft adapter), batched, on CPU or GPU."""

    name = "hf"

    def __init__(self, model: str | Path = DEFAULT_MODEL, adapter: str | Path | None = None,
                 batch_size: int = 8, max_model_len: int = 2048, device: str | None = None,
                 dtype: str | None = None):
        self.model_dir = prepare(model)  # first: a wrong model fails before torch is imported
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.torch = torch
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.tokenizer = AutoTokenizer.from_pretrained(self.model_dir)
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.dtype = dtype_for("eval", dtype)  # bf16 only where the device does it natively
        self.model = AutoModelForCausalLM.from_pretrained(self.model_dir, dtype=getattr(torch, self.dtype))
        self.model = self.model.to(self.device).eval()
        if adapter:
            from peft import PeftModel

            self.model = PeftModel.from_pretrained(self.model, str(adapter)).eval()
        self.batch_size = batch_size
        self.max_model_len = max_model_len

    def apply_chat_template(self, messages: Sequence[Message]) -> str:
        return self.tokenizer.apply_chat_template(list(messages), tokenize=False, add_generation_prompt=True)

    def generate(self, prompts: Sequence[str], params: GenerationParams | None = None) -> list[str]:
        params = params or GenerationParams()
        self.tokenizer.padding_side = "left"
        outputs: list[str] = []
        for start in range(0, len(prompts), self.batch_size):
            batch = self.tokenizer(list(prompts[start:start + self.batch_size]), return_tensors="pt",
                                   padding=True,
                                   truncation=True, max_length=self.max_model_len - params.max_tokens,
                                   add_special_tokens=False).to(self.device)
            sample = params.temperature > 0
            with self.torch.no_grad():
                generated = self.model.generate(
                    **batch, max_new_tokens=params.max_tokens, do_sample=sample,
                    temperature=params.temperature if sample else None,
                                                top_p=params.top_p if sample else None,
                    pad_token_id=self.tokenizer.pad_token_id,
                )
            for row in generated[:, batch["input_ids"].shape[1]:]:
                text = self.tokenizer.decode(row, skip_special_tokens=True)
                for stop in params.stop:
                    text = text.split(stop)[0]
                outputs.append(text)
        return outputs

    def loglikelihood(self, requests: Sequence[tuple[str, str]]) -> list[tuple[float, bool]]:
        torch = self.torch
        results: list[tuple[float, bool]] = []
        for context, continuation in requests:
            ctx = self.tokenizer(context, add_special_tokens=False)["input_ids"]
            cont = (self.tokenizer(continuation, add_special_tokens=False)["input_ids"]
                    or [self.tokenizer.eos_token_id])
            ids = (ctx + cont)[-self.max_model_len:]
            n_cont = min(len(cont), len(ids) - 1)
            with torch.no_grad():
                logits = self.model(torch.tensor([ids], device=self.device)).logits[0].float()
            logprobs = torch.log_softmax(logits[-n_cont - 1:-1], dim=-1)
            target = torch.tensor(ids[-n_cont:], device=self.device)
            total = logprobs.gather(1, target[:, None]).sum().item()
            greedy = bool((logprobs.argmax(dim=-1) == target).all().item())
            results.append((total, greedy))
        return results

    def close(self) -> None:
        del self.model
