"""The RAG pipeline: retrieve -> pack context -> generate (LangChain runnable over an OpenAI endpoint) -> cite.

One object serves the HTTP API, the web UI and `telecomgpt chat`. Generation goes through
`langchain-openai`'s ChatOpenAI pointed at vLLM's OpenAI-compatible server, composed with the prompt
template as a runnable (`PROMPT | llm | StrOutputParser()`), which gives sync and async streaming.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.output_parsers import StrOutputParser

from app.prompting import IDK_ANSWER, PROMPT, estimate_tokens, pack_context, source_dicts, sources_block
from app.retrieval import Hit, Retriever


@dataclass
class RAGConfig:
    """How the assistant retrieves and generates."""

    base_url: str
    """OpenAI-compatible endpoint of the LLM (vLLM), e.g. http://127.0.0.1:8000/v1."""
    model: str = "telecomgpt"
    """Model name at that endpoint."""
    api_key: str | None = None
    """Bearer key for the endpoint, if it needs one."""
    k: int = 5
    """Chunks retrieved per question."""
    release: int | None = None
    """Only search this 3GPP release (None: all)."""
    max_model_len: int = 2048
    """Context length of the model in tokens; the context is packed to fit."""
    max_tokens: int = 256
    """Default longest answer in tokens."""
    temperature: float = 0.2
    """Default sampling temperature."""
    timeout_s: float = 120.0
    """Timeout of one generation request."""


@dataclass
class Prepared:
    """Everything decided before generation: the prompt inputs and the sources."""

    inputs: dict | None
    sources: list[Hit] = field(default_factory=list)

    @property
    def knows(self) -> bool:
        return self.inputs is not None


class RAGPipeline:
    """Answer chat conversations from an index, with citations."""

    def __init__(self, retriever: Retriever, config: RAGConfig):
        from langchain_openai import ChatOpenAI

        self.retriever = retriever
        self.config = config
        self.llm = ChatOpenAI(base_url=config.base_url, api_key=config.api_key or "EMPTY", model=config.model,
                              temperature=config.temperature, max_tokens=config.max_tokens,
                              timeout=config.timeout_s, max_retries=1, streaming=True)

    def search(self, query: str, k: int | None = None, release: int | None = None) -> list[Hit]:
        """Retrieval only, with the pipeline's defaults."""
        return self.retriever.search(query, k=k or self.config.k, release=release or self.config.release)

    def prepare(self, messages: list[dict], max_tokens: int | None = None, release: int | None = None) -> Prepared:
        """Retrieve for the last user turn and pack the prompt inputs within the context length."""
        question = next((m["content"] for m in reversed(messages) if m.get("role") == "user"), "").strip()
        hits = self.search(question, release=release)
        if not hits:
            return Prepared(inputs=None)
        history = []
        for message in messages[:-1] if messages and messages[-1].get("role") == "user" else messages:
            role, content = message.get("role"), message.get("content") or ""
            if role == "user":
                history.append(HumanMessage(content))
            elif role == "assistant":
                history.append(AIMessage(content))
        fixed = estimate_tokens(PROMPT.format(history=history, context="", question=question))
        budget = self.config.max_model_len - (max_tokens or self.config.max_tokens) - fixed - 32
        while history and budget < 300:  # drop the oldest turns before starving the context
            dropped = history.pop(0)
            budget += estimate_tokens(str(dropped.content))
        context, used = pack_context(hits, max(budget, 100))
        return Prepared(inputs={"history": history, "context": context, "question": question}, sources=used)

    def _chain(self, max_tokens: int | None, temperature: float | None):
        llm = self.llm.bind(max_tokens=max_tokens or self.config.max_tokens,
                            temperature=self.config.temperature if temperature is None else temperature)
        return PROMPT | llm | StrOutputParser()

    def stream(self, messages: list[dict], max_tokens: int | None = None, temperature: float | None = None,
               release: int | None = None) -> Iterator[str]:
        """The answer as text pieces, ending with the sources block."""
        prepared = self.prepare(messages, max_tokens, release)
        if not prepared.knows:
            yield IDK_ANSWER
            return
        yield from self._chain(max_tokens, temperature).stream(prepared.inputs)
        yield sources_block(prepared.sources)

    async def astream(self, prepared: Prepared, max_tokens: int | None = None,
                      temperature: float | None = None) -> AsyncIterator[str]:
        """Async streaming of an already prepared question (the HTTP server's path)."""
        if not prepared.knows:
            yield IDK_ANSWER
            return
        async for piece in self._chain(max_tokens, temperature).astream(prepared.inputs):
            yield piece
        yield sources_block(prepared.sources)

    def answer(self, messages: list[dict], **kwargs) -> tuple[str, list[dict]]:
        """The whole answer and its sources as JSON."""
        prepared = self.prepare(messages, kwargs.get("max_tokens"), kwargs.get("release"))
        if not prepared.knows:
            return IDK_ANSWER, []
        text = self._chain(kwargs.get("max_tokens"), kwargs.get("temperature")).invoke(prepared.inputs)
        return text + sources_block(prepared.sources), source_dicts(prepared.sources)
