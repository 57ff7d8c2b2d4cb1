"""The endpoint backend: batch generation and scoring against any OpenAI-compatible server.

Log-likelihoods use the completions API with `echo=True` and `logprobs`, which vLLM and
llama.cpp servers support; chat-only hosted APIs can only generate.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from telecomgpt.errors import UserError
from telecomgpt.llm.base import GenerationParams, LLMBackend, Message
from telecomgpt.llm.client import ChatClient


class OpenAIBackend(LLMBackend):
    """Requests sent concurrently to an OpenAI-compatible endpoint."""

    name = "openai"

    def __init__(self, base_url: str, model: str, api_key: str | None = None, concurrency: int = 8,
                 timeout_s: float = 120.0):
        self.client = ChatClient(base_url, model, api_key=api_key, timeout_s=timeout_s)
        self.concurrency = concurrency

    def _map(self, fn, items):
        with ThreadPoolExecutor(self.concurrency) as pool:
            return list(pool.map(fn, items))

    def generate(self, prompts: Sequence[str], params: GenerationParams | None = None) -> list[str]:
        params = params or GenerationParams()

        def one(prompt: str) -> str:
            response = self.client._call(
                self.client._client.completions.create, model=self.client.model, prompt=prompt,
                max_tokens=params.max_tokens, temperature=params.temperature, top_p=params.top_p,
                stop=params.stop or None, seed=params.seed,
            )
            return response.choices[0].text

        return self._map(one, prompts)

    def chat(self, conversations: Sequence[Sequence[Message]],
             params: GenerationParams | None = None) -> list[str]:
        params = params or GenerationParams()
        return self._map(
            lambda conv: self.client.chat(conv, max_tokens=params.max_tokens, temperature=params.temperature,
                                          stop=params.stop or None, seed=params.seed),
            conversations,
        )

    def apply_chat_template(self, messages: Sequence[Message]) -> str:
        raise UserError("the openai backend sends messages to the endpoint, which applies its own chat "
                        "template")

    def loglikelihood(self, requests: Sequence[tuple[str, str]]) -> list[tuple[float, bool]]:
        """Score each (context, continuation) from the prompt log-probabilities the endpoint echoes back.

        Requests go one at a time: a LoRA-enabled vLLM CPU server (0.32, `punica_cpu`) crashes its engine when
        a prompt-logprobs request shares a batch with another request (the LoRA logits path indexes one row
        per request, not per prompt token), and the server then exits. Found by the shared-server tests.
        """
        def one(request: tuple[str, str]) -> tuple[float, bool]:
            context, continuation = request
            response = self.client._call(
                self.client._client.completions.create, model=self.client.model,
                                         prompt=context + continuation,
                max_tokens=1, temperature=0.0, echo=True, logprobs=1,
            )
            logprobs = response.choices[0].logprobs
            if logprobs is None or not logprobs.token_logprobs:
                raise UserError("the endpoint returns no prompt log-probabilities; use a generate-style task")
            total, greedy = 0.0, True
            for offset, token, logprob, top in zip(logprobs.text_offset, logprobs.tokens,
                                                   logprobs.token_logprobs,
                                                   logprobs.top_logprobs, strict=False):
                if offset < len(context) or logprob is None:
                    continue
                if offset >= len(context) + len(continuation):
                    break
                total += logprob
                greedy = greedy and bool(top) and max(top, key=top.get) == token
            return total, greedy

        return [one(request) for request in requests]
