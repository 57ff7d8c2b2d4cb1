"""Batch generation and log-likelihood scoring with the in-process `vllm.LLM` engine.

Used for evaluation and data generation, where a whole batch is known up front and continuous
batching inside one engine is far faster than sending requests one by one.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from telecomgpt.llm.base import GenerationParams, LLMBackend, Message
from telecomgpt.models import prepare


def _configure_environment(kv_cache_gb: float) -> None:
    # The engine core would otherwise run in a spawned process, which needs a __main__ guard in
    # every caller (pytest, notebooks); in-process keeps it importable anywhere.
    os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")
    os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", str(max(1, round(kv_cache_gb))))
    os.environ.setdefault("VLLM_NO_USAGE_STATS", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")


class VLLMEngineBackend(LLMBackend):
    """One model (and optionally one LoRA adapter) loaded in this process by vLLM."""

    name = "vllm"

    def __init__(self, model: str | Path = "smollm2-135m-instruct", adapter: str | Path | None = None,
                 max_model_len: int = 2048, kv_cache_gb: float = 2.0, seed: int = 0, max_lora_rank: int = 16):
        _configure_environment(kv_cache_gb)
        from vllm import LLM

        self.model_dir = prepare(model)
        self.max_model_len = max_model_len
        self.adapter = Path(adapter).resolve() if adapter else None
        kwargs = {}
        if self.adapter:
            kwargs.update(enable_lora=True, max_lora_rank=max_lora_rank, max_loras=1)
        self.llm = LLM(model=str(self.model_dir), dtype="bfloat16", enforce_eager=True,
                       max_model_len=max_model_len, seed=seed, **kwargs)
        self.tokenizer = self.llm.get_tokenizer()

    def _lora_request(self):
        if not self.adapter:
            return None
        from vllm.lora.request import LoRARequest

        return LoRARequest("adapter", 1, str(self.adapter))

    def _prompt(self, text: str, room: int):
        """Token ids of `text`, keeping only the last tokens so that `room` new tokens still fit."""
        ids = self.tokenizer(text, add_special_tokens=False)["input_ids"]
        budget = max(1, self.max_model_len - room)
        return {"prompt_token_ids": ids[-budget:]}

    def generate(self, prompts: Sequence[str], params: GenerationParams | None = None) -> list[str]:
        from vllm import SamplingParams

        params = params or GenerationParams()
        sampling = SamplingParams(max_tokens=params.max_tokens, temperature=params.temperature,
                                  top_p=params.top_p, stop=params.stop or None, seed=params.seed)
        batch = [self._prompt(p, params.max_tokens) for p in prompts]
        outputs = self.llm.generate(batch, sampling, lora_request=self._lora_request(), use_tqdm=len(batch) > 32)
        return [out.outputs[0].text for out in outputs]

    def apply_chat_template(self, messages: Sequence[Message]) -> str:
        return self.tokenizer.apply_chat_template(list(messages), tokenize=False, add_generation_prompt=True)

    def loglikelihood(self, requests: Sequence[tuple[str, str]]) -> list[tuple[float, bool]]:
        from vllm import SamplingParams

        prompts, spans = [], []
        for context, continuation in requests:
            ctx = self.tokenizer(context, add_special_tokens=False)["input_ids"]
            cont = self.tokenizer(continuation, add_special_tokens=False)["input_ids"] or [self.tokenizer.eos_token_id]
            ids = (ctx + cont)[-(self.max_model_len - 1):]
            prompts.append({"prompt_token_ids": ids})
            spans.append(min(len(cont), len(ids) - 1))
        sampling = SamplingParams(max_tokens=1, temperature=0.0, prompt_logprobs=1)
        outputs = self.llm.generate(prompts, sampling, lora_request=self._lora_request(),
                                    use_tqdm=len(prompts) > 32)
        results = []
        for out, n_cont in zip(outputs, spans, strict=True):
            ids = out.prompt_token_ids
            total, greedy = 0.0, True
            for pos in range(len(ids) - n_cont, len(ids)):
                entry = out.prompt_logprobs[pos][ids[pos]]
                total += entry.logprob
                greedy = greedy and entry.rank == 1
            results.append((total, greedy))
        return results

    def close(self) -> None:
        import gc

        del self.llm
        gc.collect()
