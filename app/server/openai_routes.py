"""OpenAI-compatible routes: /v1/models and /v1/chat/completions (plain JSON or server-sent events).

The model `telecomgpt-rag` answers with retrieval and citations: the answer text (every sentence
checked against the clause it cites, see app/grounding.py) ends with a "Sources:" list, and the
response carries the same sources as JSON in a top-level `sources` field, the per-sentence check
in a top-level `grounding` field and the standalone question retrieval searched for (a follow-up carries
the conversation's subject, see app/conversation.py) in a top-level `query` field (all three in the last
chunk when streaming). It honours the client's system
messages (added after the project's own rules, never replacing them), `max_tokens`, `temperature`, `top_p`,
`stop` and `seed`, returns `usage` (also when streaming with `stream_options.include_usage`) and a truthful
`finish_reason`, and refuses what it cannot do (`n` > 1, `tools`, a non-text `response_format`) with a 400.
Any other model name is passed through to the vLLM server unchanged, so one endpoint serves both the plain
model (and its LoRA adapters) and the assistant.
"""

from __future__ import annotations

import json
import time
import uuid

import httpx
from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response, StreamingResponse

from app.pipeline import AnswerTrace, RAGPipeline
from app.prompting import source_dicts
from app.server.errors import error
from app.server.metrics import Metrics
from app.server.schemas import RAG_MODEL, ChatRequest


def _chunk(cid: str, created: int, delta: dict, finish: str | None = None, **extra) -> str:
    body = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": RAG_MODEL,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
    return f"data: {json.dumps(body)}\n\n"


def _upstream_error(exc: Exception) -> tuple[int, str]:
    status = getattr(exc, "status_code", None) or 502
    message = f"model endpoint error: {type(exc).__name__}: {exc}".splitlines()[0]
    return (status if 400 <= status < 600 else 502), message


def openai_router(pipeline: RAGPipeline, metrics: Metrics, max_prompt_chars: int) -> APIRouter:
    """The OpenAI-compatible routes answering through `pipeline`, counted in `metrics`; conversations longer
    than `max_prompt_chars` (all message text together) get 413."""
    router = APIRouter()
    upstream = pipeline.config.base_url.rstrip("/")
    upstream_headers = ({"Authorization": f"Bearer {pipeline.config.api_key}"} if pipeline.config.api_key
                        else {})

    @router.get("/v1/models")
    async def models():
        data = [{"id": RAG_MODEL, "object": "model", "created": 0, "owned_by": "telecomgpt",
                 "description": "answers from the index with citations"}]
        try:
            async with httpx.AsyncClient(timeout=5) as client:
                reply = await client.get(f"{upstream}/models", headers=upstream_headers)
            data += [m for m in reply.json().get("data", []) if m.get("id") != RAG_MODEL]
        except (httpx.HTTPError, ValueError):
            pass  # the RAG model is still listed; chat will report the endpoint error
        return {"object": "list", "data": data}

    @router.post("/v1/chat/completions")
    async def chat_completions(body: ChatRequest):
        chars = sum(len(m.text()) for m in body.messages)
        if chars > max_prompt_chars:
            return error(413, f"conversation has {chars} characters; the limit is {max_prompt_chars}",
                         code="too_large")
        if body.model != RAG_MODEL:
            return await _pass_through(body)
        refused = body.unsupported_by_rag()
        if refused:
            return error(400, refused, code="unsupported_parameter")
        started = time.perf_counter()
        prepared = await run_in_threadpool(pipeline.prepare, body.plain_messages(), body.answer_tokens(),
                                           body.release)
        metrics.observe_stage("retrieval", time.perf_counter() - started)
        metrics.count("idk_answers" if not prepared.knows else "rag_answers")
        cid, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())
        sources = source_dicts(prepared.sources)
        session = await run_in_threadpool(pipeline.grounding_session, prepared, body.grounding)
        trace = AnswerTrace()
        pieces = pipeline.astream(prepared, body.answer_tokens(), body.temperature, session=session,
                                  mode=body.grounding, sampling=body.sampling(), trace=trace)
        if body.stream:
            return StreamingResponse(_sse(pieces, cid, created, sources, session, trace, started,
                                          body.include_usage(), prepared.question),
                                     media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
        try:
            text = "".join([piece async for piece in pieces])
        except Exception as exc:  # the LLM endpoint failed: report it as a JSON error, not a 500 traceback
            metrics.error("upstream")
            status, message = _upstream_error(exc)
            return error(502 if status < 500 else status, message, "api_error", "upstream_error")
        _answered(trace, started)
        return {"id": cid, "object": "chat.completion", "created": created, "model": RAG_MODEL,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                             "finish_reason": trace.finish_reason}],
                "usage": trace.usage(), "sources": sources, "grounding": session.result(),
                "query": prepared.question}

    def _answered(trace: AnswerTrace, started: float) -> None:
        metrics.observe_stage("answer", time.perf_counter() - started)
        metrics.add_tokens(prompt=trace.prompt_tokens, completion=trace.completion_tokens)

    async def _sse(pieces, cid: str, created: int, sources: list[dict], session, trace: AnswerTrace,
                   started: float, include_usage: bool, query: str):
        yield _chunk(cid, created, {"role": "assistant", "content": ""})
        first = True
        try:
            async for piece in pieces:
                if piece:
                    if first:
                        metrics.observe_stage("first_token", time.perf_counter() - started)
                        first = False
                    yield _chunk(cid, created, {"content": piece})
        # mid-stream failure (e.g. vLLM died): tell the client in-band, end the stream
        except Exception as exc:
            metrics.error("upstream")
            _, message = _upstream_error(exc)
            problem = {"message": message, "type": "api_error", "code": "upstream_error"}
            yield f"data: {json.dumps({'error': problem})}\n\n"
            yield "data: [DONE]\n\n"
            return
        yield _chunk(cid, created, {}, trace.finish_reason, sources=sources, grounding=session.result(),
                     query=query)
        if include_usage:  # OpenAI's shape: one more chunk, no choices, the whole request's usage
            usage = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": RAG_MODEL,
                     "choices": [], "usage": trace.usage()}
            yield f"data: {json.dumps(usage)}\n\n"
        yield "data: [DONE]\n\n"
        _answered(trace, started)
        metrics.observe("chat_stream_total", 200, time.perf_counter() - started)

    async def _pass_through(body: ChatRequest):
        payload = body.model_dump(exclude_none=True, exclude={"release", "grounding"})
        url = f"{upstream}/chat/completions"
        client = httpx.AsyncClient(timeout=pipeline.config.timeout_s)
        try:
            request = client.build_request("POST", url, json=payload, headers=upstream_headers)
            reply = await client.send(request, stream=True)
        except httpx.HTTPError as exc:
            await client.aclose()
            return error(502, f"model endpoint unreachable: {exc}", "api_error", "upstream_error")
        if not body.stream or reply.status_code != 200:
            content = await reply.aread()
            await reply.aclose()
            await client.aclose()
            try:
                return JSONResponse(json.loads(content), status_code=reply.status_code)
            except ValueError:
                return Response(content, status_code=reply.status_code)

        async def relay():
            try:
                async for data in reply.aiter_raw():
                    yield data
            finally:
                await reply.aclose()
                await client.aclose()

        return StreamingResponse(relay(), media_type="text/event-stream")

    return router
