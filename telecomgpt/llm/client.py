"""A small client for any OpenAI-compatible chat endpoint (vLLM, llama.cpp server, hosted APIs).

It wraps the official `openai` SDK (which already retries and times out) and turns connection
failures into one-line `UserError`s.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from telecomgpt.errors import UserError

Message = dict[str, str]


class ChatClient:
    """Chat with one model of an OpenAI-compatible endpoint, with streaming, timeouts and retries."""

    def __init__(self, base_url: str, model: str, api_key: str | None = None,
                 timeout_s: float = 120.0, max_retries: int = 2):
        import openai

        self.base_url = base_url.rstrip("/")
        self.model = model
        self._openai = openai
        self._client = openai.OpenAI(base_url=self.base_url, api_key=api_key or "EMPTY",
                                     timeout=timeout_s, max_retries=max_retries)

    def _call(self, fn, **kwargs: Any):
        try:
            return fn(**kwargs)
        except self._openai.APIConnectionError:
            raise UserError(f"cannot reach the endpoint {self.base_url}; is the server running?") from None
        except self._openai.AuthenticationError:
            raise UserError(f"the endpoint {self.base_url} refused the API key") from None
        except self._openai.NotFoundError as exc:
            raise UserError(f"the endpoint {self.base_url} does not know model {self.model!r}: "
                            f"{exc.message}") from None
        except self._openai.BadRequestError as exc:
            raise UserError(f"the endpoint rejected the request: {exc.message}") from None

    def models(self) -> list[str]:
        """Model ids the endpoint serves."""
        return [m.id for m in self._call(self._client.models.list)]

    def chat(self, messages: Sequence[Message], max_tokens: int = 256, temperature: float = 0.2,
             **extra: Any) -> str:
        """One complete answer."""
        response = self._call(self._client.chat.completions.create, model=self.model, messages=list(messages),
                              max_tokens=max_tokens, temperature=temperature, **extra)
        return response.choices[0].message.content or ""

    def stream(self, messages: Sequence[Message], max_tokens: int = 256, temperature: float = 0.2,
               **extra: Any) -> Iterator[str]:
        """The answer piece by piece, as the server produces it."""
        chunks = self._call(self._client.chat.completions.create, model=self.model, messages=list(messages),
                            max_tokens=max_tokens, temperature=temperature, stream=True, **extra)
        for chunk in chunks:
            if chunk.choices and chunk.choices[0].delta.content:
                yield chunk.choices[0].delta.content
