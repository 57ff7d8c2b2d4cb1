"""The RAG pipeline: retrieve -> pack context -> generate with [n] markers -> check every sentence -> cite.

One object serves the HTTP API, the web UI and `telecomgpt chat`. Generation goes through
`langchain-openai`'s ChatOpenAI pointed at vLLM's OpenAI-compatible server, composed with the prompt
template as a runnable (`PROMPT | llm | StrOutputParser()`), which gives sync and async streaming.
The generated text then goes through a `GroundingSession` (app/grounding.py): sentences are released
once checked against the clauses they cite, and an answer with too little support becomes extractive.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.runnables import RunnableLambda

from app.conversation import REWRITES, search_conversation, standalone_question
from app.grounding import GroundingConfig, GroundingSession, SupportScorer
from app.prompting import (
    IDK_ANSWER,
    PROMPT,
    client_instructions,
    estimate_tokens,
    pack_context,
    source_dicts,
    sources_block,
)
from app.releases import (
    other_release_note,
    release_named,
    release_note,
    releases_of,
    without_release_tag,
)
from app.retrieval import Hit, Retriever
from app.source_rules import choose_sources
from telecomgpt.config import Settings
from telecomgpt.errors import UserError

GROUNDING_MODES = ("drop", "mark", "off", "extractive")
"""Per-request choice: drop or mark unsupported sentences, show the raw generation ("off": checked and
reported, nothing removed), or skip the model and quote the top clauses ("extractive")."""


def _text(message) -> str:
    content = message.content
    return content if isinstance(content, str) else "".join(str(p.get("text", "")) for p in content)


def _cut_short(message) -> bool:
    """Whether generation stopped at max_tokens (its last sentence is then unfinished)."""
    return (getattr(message, "response_metadata", None) or {}).get("finish_reason") == "length"


SHIPPED_ADAPTER = Path(__file__).resolve().parent / "reading_adapter"
"""The reading adapter the project trained (issue 23; docs/finetune.md has the command that rebuilds it): a
LoRA on the embedded model, trained to read the assistant's retrieved clauses (`rag.adapter: shipped`)."""


LEAD_PROMPT = "continue_lead"
"""The reading data's `prompt` stat when each target opens with the lead the assistant quotes."""


def continues_lead(adapter: Path | str) -> bool:
    """Whether the LoRA adapter folder was trained to continue the lead: its manifest.json (`telecomgpt train
    stack-adapters`) names reading data built with the lead as the answer's opening (`build-sft --rag`)."""
    manifest = Path(adapter) / "manifest.json"
    try:
        data = json.loads(manifest.read_text()).get("data") or []
    except (OSError, ValueError):
        return False
    return any((d.get("stats") or {}).get("prompt") == LEAD_PROMPT for d in data if isinstance(d, dict))


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
    passages: int = 3
    """Retrieved chunks put in the prompt (the sources); fewer means a faster first token."""
    passage_chars: int = 600
    """Each chunk in the prompt is cut to about this many characters (the sentences nearest the question)."""
    release: int | None = None
    """Only search this 3GPP release (None: all)."""
    max_model_len: int = 2048
    """Context length of the model in tokens; the context is packed to fit."""
    max_tokens: int = 128
    """Default longest answer in tokens (two or three cited sentences)."""
    temperature: float = 0.0
    """Default sampling temperature (greedy: the same question gets the same checked answer)."""
    repetition_penalty: float = 1.0
    """vLLM's multiplicative penalty on tokens already in prompt or answer (1 = off): stops loops."""
    frequency_penalty: float = 0.5
    """OpenAI-style additive penalty per earlier occurrence in the answer."""
    timeout_s: float = 120.0
    """Timeout of one generation request."""
    grounding: GroundingConfig = field(default_factory=GroundingConfig)
    """How answer sentences are checked against their citations."""
    rewrite: str = "rule"
    """How a follow-up becomes the standalone question retrieval reads: one of app.conversation.REWRITES
    (rule-based, by the served LLM, or off: the last user turn as typed)."""
    continue_lead: bool = False
    """The model's turn opens with the lead (vLLM's `continue_final_message`), so the model writes what
    follows the quoted sentence instead of an answer of its own that restates it (the checker drops a
    restatement as "repeated"). The reading adapter is trained on this prompt (`continues_lead`)."""

    @classmethod
    def from_settings(cls, settings: Settings, **overrides) -> RAGConfig:
        """The assistant's config from TelecomGPT settings (`rag`, endpoint, context length, request timeout);
        `overrides` win, e.g. the `base_url` of a server started for this command or a `release` filter.

        The one place settings become a RAGConfig, so `serve --index` and `chat --index` answer alike."""
        rag = settings.rag
        values = dict(base_url=settings.base_url, model=settings.served_model_name, api_key=settings.api_key,
                      max_model_len=settings.serve.max_model_len, max_tokens=rag.max_tokens,
                      temperature=rag.temperature, passages=rag.passages, passage_chars=rag.passage_chars,
                      timeout_s=settings.request_timeout_s,
                      grounding=GroundingConfig(unsupported=rag.unsupported, reader=rag.reader),
                      rewrite=rag.rewrite)
        values.update(overrides)
        if not values["base_url"]:
            raise UserError("the assistant needs an LLM endpoint", hint="set base_url or start a server")
        return cls(**values)


@dataclass
class Prepared:
    """Everything decided before generation: the prompt inputs and the sources."""

    inputs: dict | None
    sources: list[Hit] = field(default_factory=list)
    question: str = ""
    """The standalone question (app/conversation.py): what retrieval, the lead, the quotes and the checker
    read; the API shows it as `query`."""
    note: str = ""
    """Said before the answer: the question names a release the index does not hold (app/releases.py)."""

    @property
    def knows(self) -> bool:
        return self.inputs is not None


@dataclass
class AnswerTrace:
    """What the model did for one answer, filled while it streams: the API's `usage` and `finish_reason`."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: str = "stop"
    """"length" when generation was cut by max_tokens, else "stop"."""

    def read(self, chunk) -> None:
        """Take the usage (vLLM reports it on every chunk with continuous usage stats) and finish reason."""
        usage = getattr(chunk, "usage_metadata", None)
        if usage:
            self.prompt_tokens = max(self.prompt_tokens, int(usage.get("input_tokens") or 0))
            self.completion_tokens = max(self.completion_tokens, int(usage.get("output_tokens") or 0))
        if _cut_short(chunk):
            self.finish_reason = "length"

    def usage(self) -> dict:
        return {"prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens,
                "total_tokens": self.prompt_tokens + self.completion_tokens}


async def _pump(chunks, queue: asyncio.Queue) -> None:
    """Move the model's stream into `queue`, then None (or the error, then None); close it when cancelled."""
    try:
        async for chunk in chunks:
            queue.put_nowait(chunk)
    except Exception as exc:  # the caller raises it where it reads the queue
        queue.put_nowait(exc)
    finally:
        queue.put_nowait(None)
        await chunks.aclose()


class RAGPipeline:
    """Answer chat conversations from an index, with checked citations."""

    def __init__(self, retriever: Retriever, config: RAGConfig, scorer: SupportScorer | None = None):
        from langchain_openai import ChatOpenAI  # lazy: openai SDK, ~0.9 s (keeps RAGConfig users fast)

        self.retriever = retriever
        self.config = config
        self.scorer = scorer or SupportScorer()
        self._held: list[int] | None = None  # the index's releases, read on the first question naming one
        # vLLM's continuous usage stats put the token counts on every streamed chunk, so `usage` is known
        # even when the grounding check stops generation early (OpenAI's include_usage only sends it last).
        extra: dict = {"stream_options": {"include_usage": True, "continuous_usage_stats": True}}
        if config.repetition_penalty != 1.0:
            extra["repetition_penalty"] = config.repetition_penalty
        self.llm = ChatOpenAI(base_url=config.base_url, api_key=config.api_key or "EMPTY", model=config.model,
                              temperature=config.temperature, max_tokens=config.max_tokens,
                              frequency_penalty=config.frequency_penalty or None, extra_body=extra,
                              timeout=config.timeout_s, max_retries=1, streaming=True)

    def search(self, query: str, k: int | None = None, release: int | None = None,
               release_per_spec: bool = False) -> list[Hit]:
        """Retrieval only, with the pipeline's defaults."""
        return self.retriever.search(query, k=k or self.config.k, release=release or self.config.release,
                                     release_per_spec=release_per_spec and not self.config.release)

    def prepare(self, messages: list[dict], max_tokens: int | None = None,
                release: int | None = None) -> Prepared:
        """Retrieve for the last user turn made standalone (a follow-up carries the conversation's subject),
        choose the sources (app/source_rules.py: no chunk that never answers, one per clause) and pack the
        prompt inputs within the context length."""
        question = next((m["content"] for m in reversed(messages) if m.get("role") == "user"), "").strip()
        query = self.standalone(messages)
        named = release is None and not self.config.release
        release, note = self.release_for(query, release)
        # read as the release: from here on the question alone (a tagged single turn is no follow-up)
        query, typed = without_release_tag(query), without_release_tag(question)

        def retrieve(k: int | None = None) -> list[Hit]:
            return search_conversation(lambda text: self.search(text, k=k, release=release,
                                                                release_per_spec=named),
                                       query, typed, k or self.config.k)

        hits = choose_sources(retrieve(), self.config.passages, deeper=lambda: retrieve(4 * self.config.k))
        if named and release is not None:
            note = other_release_note(release, [h.metadata for h in hits[:self.config.passages]])
        if not hits:
            return Prepared(inputs=None, question=query, note=note)
        instructions = client_instructions([m.get("content") or "" for m in messages
                                            if m.get("role") in ("system", "developer")])
        history = []
        for message in messages[:-1] if messages and messages[-1].get("role") == "user" else messages:
            role, content = message.get("role"), message.get("content") or ""
            if role == "user":
                history.append(HumanMessage(content))
            elif role == "assistant":
                history.append(AIMessage(content))
        fixed = estimate_tokens(PROMPT.format(history=history, context="", question=question,
                                              instructions=instructions))
        budget = self.config.max_model_len - (max_tokens or self.config.max_tokens) - fixed - 32
        while history and budget < 300:  # drop the oldest turns before starving the context
            dropped = history.pop(0)
            budget += estimate_tokens(str(dropped.content))
        context, used = pack_context(hits, max(budget, 100), passages=self.config.passages,
                                     passage_chars=self.config.passage_chars, question=query)
        return Prepared(inputs={"history": history, "context": context, "question": question,
                                "instructions": instructions}, sources=used, question=query, note=note)

    def release_for(self, query: str, release: int | None) -> tuple[int | None, str]:
        """The release to search and what to say about it: the request's or config's release when set (only
        that release), else the one the question names ("in Rel-17") when the index holds it (each spec at
        that release where the index holds it: `Retriever.release_mask`); a named release it does not hold
        searches all and returns the note saying so."""
        if release or self.config.release:
            return release or self.config.release, ""
        named = release_named(query)
        if named is None:
            return None, ""
        if self._held is None:
            self._held = releases_of(self.retriever.records)
        return (named, "") if named in self._held else (None, release_note(named, self._held))

    def standalone(self, messages: list[dict]) -> str:
        """The question retrieval searches for: the last user turn, rewritten with the conversation's subject
        when it is a follow-up (by the config's `rewrite`)."""
        if self.config.rewrite not in REWRITES:
            raise UserError(f"unknown rewrite {self.config.rewrite!r}; choose one of {', '.join(REWRITES)}")
        rewriter = self.llm.bind(max_tokens=64, temperature=0.0) if self.config.rewrite == "llm" else None
        return standalone_question(messages, self.config.rewrite, rewriter,
                                   self.retriever.abbreviations).strip()

    def grounding_session(self, prepared: Prepared, mode: str | None = None) -> GroundingSession:
        """A checker for this question's answer; `mode` is one of GROUNDING_MODES (default: the config's)."""
        config = self.config.grounding
        if mode in ("drop", "mark", "off"):
            config = replace(config, unsupported="keep" if mode == "off" else mode)
        return GroundingSession(prepared.question, prepared.sources if prepared.knows else [], self.scorer,
                                config, self.retriever.abbreviations)

    def _chain(self, max_tokens: int | None, temperature: float | None, sampling: dict | None = None,
               lead: str = ""):
        """PROMPT | llm: message chunks, the last one with the finish reason ("length": cut by max_tokens).
        `sampling` holds the client's other OpenAI parameters (stop, top_p, seed), passed on as given. With
        `lead` (and `continue_lead`) the model's turn opens with it and the chunks are what follows."""
        options = {k: v for k, v in (sampling or {}).items() if v is not None}
        lead = lead.strip() if self.config.continue_lead else ""
        if lead:
            options["extra_body"] = {**(self.llm.extra_body or {}), "continue_final_message": True,
                                     "add_generation_prompt": False}
        llm = self.llm.bind(max_tokens=max_tokens or self.config.max_tokens,
                            temperature=self.config.temperature if temperature is None else temperature,
                            **options)
        if lead:
            return PROMPT | RunnableLambda(lambda value: [*value.to_messages(), AIMessage(lead)]) | llm
        return PROMPT | llm

    def stream(self, messages: list[dict], max_tokens: int | None = None, temperature: float | None = None,
               release: int | None = None, mode: str | None = None,
               on_grounding: Callable[[dict], None] | None = None) -> Iterator[str]:
        """The checked answer as text pieces, ending with the sources block; `on_grounding` receives the
        grounding report at the end."""
        prepared = self.prepare(messages, max_tokens, release)
        session = self.grounding_session(prepared, mode)
        if prepared.note:
            yield prepared.note
        if not prepared.knows:
            yield IDK_ANSWER
            return
        truncated = False
        if mode != "extractive":
            lead = session.lead()  # checked text before the model's first token (see app/grounding.py)
            if lead:
                yield lead
            chunks = self._chain(max_tokens, temperature, lead=lead).stream(prepared.inputs)
            try:
                for chunk in chunks:
                    truncated = truncated or _cut_short(chunk)
                    shown = session.feed(_text(chunk))
                    if shown:
                        yield shown
                    if session.gave_up:
                        break
            finally:
                chunks.close()  # ends the HTTP stream, so vLLM stops generating
        yield from session.finish_pieces(truncated)
        if on_grounding is not None:
            on_grounding(session.result())
        yield sources_block(prepared.sources)

    async def astream(self, prepared: Prepared, max_tokens: int | None = None,
                      temperature: float | None = None, session: GroundingSession | None = None,
                      mode: str | None = None, sampling: dict | None = None,
                      trace: AnswerTrace | None = None) -> AsyncIterator[str]:
        """Async streaming of an already prepared question (the HTTP server's path): checked text pieces,
        then the sources block. Pass `session` (from `grounding_session`) to read its result afterwards,
        and `trace` to read the token usage and finish reason."""
        trace = trace if trace is not None else AnswerTrace()
        from fastapi.concurrency import run_in_threadpool  # lazy: fastapi (keeps `telecomgpt chat` light)

        if prepared.note:
            yield prepared.note
        if not prepared.knows:
            yield IDK_ANSWER
            return
        session = session or self.grounding_session(prepared, mode)
        truncated = False
        if mode != "extractive":
            # The lead is chosen and sent, and the evidence sentences embedded, *before* the request goes
            # out: on a CPU server vLLM's prefill takes every core, and embeddings that ran beside it took
            # up to 6 s instead of 0.1 s (bench/answers.py measured leads arriving with the whole answer).
            lead = await run_in_threadpool(session.lead)
            if lead:
                yield lead
            await run_in_threadpool(session.prime)
            chunks = self._chain(max_tokens, temperature, sampling, lead=lead).astream(prepared.inputs)
            # One task reads the model's stream from start to end (its context managers stay in one task).
            queue: asyncio.Queue = asyncio.Queue()
            reader = asyncio.create_task(_pump(chunks, queue))
            try:
                while (chunk := await queue.get()) is not None:
                    if isinstance(chunk, BaseException):
                        raise chunk
                    trace.read(chunk)
                    truncated = truncated or _cut_short(chunk)
                    shown = await run_in_threadpool(session.feed, _text(chunk))  # embeds off the event loop
                    if shown:
                        yield shown
                    if session.gave_up:
                        break
            finally:
                reader.cancel()  # ends the HTTP stream, so vLLM stops generating
                with contextlib.suppress(asyncio.CancelledError):
                    await reader
        for piece in await run_in_threadpool(session.finish_pieces, truncated):
            yield piece
        yield sources_block(prepared.sources)

    def answer(self, messages: list[dict], mode: str | None = None, **kwargs) -> dict:
        """The whole checked answer: {"content", "sources", "grounding"} (the API's fields)."""
        prepared = self.prepare(messages, kwargs.get("max_tokens"), kwargs.get("release"))
        session = self.grounding_session(prepared, mode)
        if not prepared.knows:
            return {"content": prepared.note + IDK_ANSWER, "sources": [], "grounding": session.result()}
        truncated = False
        if mode != "extractive":  # streamed, so that a drifting generation can be stopped early
            lead = session.lead()
            chunks = self._chain(kwargs.get("max_tokens"), kwargs.get("temperature"),
                                 lead=lead).stream(prepared.inputs)
            try:
                for chunk in chunks:
                    truncated = truncated or _cut_short(chunk)
                    session.feed(_text(chunk))
                    if session.gave_up:
                        break
            finally:
                chunks.close()
        session.finish(truncated)
        text = session.text
        return {"content": prepared.note + text + sources_block(prepared.sources),
                "sources": source_dicts(prepared.sources),
                "grounding": session.result()}
