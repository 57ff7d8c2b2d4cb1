"""Request bodies of the API (pydantic), following the OpenAI chat-completions format."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.retrieval import DEFAULT_MODE

RAG_MODEL = "telecomgpt-rag"
MAX_MESSAGES = 64


class ChatMessage(BaseModel):
    """One message; `content` may be a string or OpenAI's list of parts (text parts are joined)."""

    model_config = ConfigDict(extra="allow")

    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(str(p.get("text", "")) for p in self.content if p.get("type") in (None, "text"))
        return self.content or ""


class ChatRequest(BaseModel):
    """POST /v1/chat/completions. Extra OpenAI fields are accepted and passed on (or ignored)."""

    model_config = ConfigDict(extra="allow")

    model: str = RAG_MODEL
    messages: list[ChatMessage] = Field(min_length=1, max_length=MAX_MESSAGES)
    stream: bool = False
    max_tokens: int | None = Field(None, ge=1, le=8192)
    max_completion_tokens: int | None = Field(None, ge=1, le=8192)
    temperature: float | None = Field(None, ge=0, le=2)
    top_p: float | None = Field(None, gt=0, le=1)
    seed: int | None = None
    stop: str | list[str] | None = None
    n: int | None = Field(None, ge=1, le=16)
    tools: list[dict[str, Any]] | None = None
    functions: list[dict[str, Any]] | None = None
    response_format: dict[str, Any] | None = None
    stream_options: dict[str, Any] | None = None
    release: int | None = Field(None, ge=1, le=99, description="Only retrieve from this 3GPP release.")
    grounding: Literal["drop", "mark", "off", "extractive"] | None = Field(
        None, description="telecomgpt-rag only: drop (default) or mark unsupported sentences, show the raw "
        "generation with scores only (off), or quote the top clauses without the model (extractive).")

    @field_validator("messages")
    @classmethod
    def _needs_user_turn(cls, messages: list[ChatMessage]) -> list[ChatMessage]:
        if not any(m.role == "user" and m.text().strip() for m in messages):
            raise ValueError("messages must contain a non-empty user message")
        return messages

    def unsupported_by_rag(self) -> str | None:
        """Why telecomgpt-rag cannot honour this request (an OpenAI-shaped 400), or None."""
        if self.n is not None and self.n > 1:
            return "n > 1 is not supported by telecomgpt-rag: ask once per answer"
        if self.tools or self.functions:
            return "tools and function calling are not supported by telecomgpt-rag (use the base model)"
        kind = (self.response_format or {}).get("type", "text")
        if kind != "text":
            return f"response_format {kind!r} is not supported by telecomgpt-rag: only 'text'"
        return None

    def sampling(self) -> dict:
        """The client's sampling parameters that the assistant passes on to the model."""
        stop = [self.stop] if isinstance(self.stop, str) else self.stop
        return {"stop": stop or None, "top_p": self.top_p, "seed": self.seed}

    def include_usage(self) -> bool:
        """Streaming: send a last chunk with `usage` (OpenAI's stream_options.include_usage)."""
        return bool((self.stream_options or {}).get("include_usage"))

    def answer_tokens(self) -> int | None:
        return self.max_completion_tokens or self.max_tokens

    def plain_messages(self) -> list[dict]:
        return [{"role": m.role, "content": m.text()} for m in self.messages]


class RetrieveRequest(BaseModel):
    """POST /v1/retrieve: raw search over the index."""

    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1, max_length=4000)
    k: int = Field(5, ge=1, le=50)
    release: int | None = Field(None, ge=1, le=99)
    mode: Literal["hybrid", "dense", "bm25"] = DEFAULT_MODE
