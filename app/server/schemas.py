"""Request bodies of the API (pydantic), following the OpenAI chat-completions format."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

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
    release: int | None = Field(None, ge=1, le=99, description="Only retrieve from this 3GPP release.")

    @field_validator("messages")
    @classmethod
    def _needs_user_turn(cls, messages: list[ChatMessage]) -> list[ChatMessage]:
        if not any(m.role == "user" and m.text().strip() for m in messages):
            raise ValueError("messages must contain a non-empty user message")
        return messages

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
    mode: Literal["hybrid", "dense", "bm25"] = "hybrid"
