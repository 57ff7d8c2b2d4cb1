"""OpenAI-compatible routes: /v1/models and /v1/chat/completions (plain JSON or server-sent events).

The model `telecomgpt-rag` answers with retrieval and citations: the answer text ends with a
"Sources:" list, and the response carries the same sources as JSON in a top-level `sources` field
(in the last chunk when streaming). Any other model name is passed through to the vLLM server
unchanged, so one endpoint serves both the plain model (and its LoRA adapters) and the assistant.
"""

from __future__ import annotations

import json
import time
import uuid

import httpx
from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response, StreamingResponse

from app.prompting import source_dicts
from app.server.api import error
from app.server.schemas import RAG_MODEL, ChatRequest


def _chunk(cid: str, created: int, delta: dict, finish: str | None = None, **extra) -> str:
    body = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": RAG_MODEL,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
    return f"data: {json.dumps(body)}\n\n"


def _upstream_error(exc: Exception) -> tuple[int, str]:
    status = getattr(exc, "status_code", None) or 502
    return (status if 400 <= status < 600 else 502), f"model endpoint error: {type(exc).__name__}: {exc}".splitlines()[0]


def register_openai_routes(app: FastAPI) -> None:
    """Add the OpenAI-compatible routes to `app` (uses app.state.pipeline/config/metrics)."""
    pipeline, config, metrics = app.state.pipeline, app.state.config, app.state.metrics
    upstream = pipeline.config.base_url.rstrip("/")
    upstream_headers = {"Authorization": f"Bearer {pipeline.config.api_key}"} if pipeline.config.api_key else {}

    @app.get("/v1/models")
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

    @app.post("/v1/chat/completions")
    async def chat_completions(body: ChatRequest):
        chars = sum(len(m.text()) for m in body.messages)
        if chars > config.max_prompt_chars:
            return error(413, f"conversation has {chars} characters; the limit is {config.max_prompt_chars}",
                         code="too_large")
        if body.model != RAG_MODEL:
            return await _pass_through(body)
        started = time.perf_counter()
        prepared = await run_in_threadpool(pipeline.prepare, body.plain_messages(), body.answer_tokens(), body.release)
        metrics.count("idk_answers" if not prepared.knows else "rag_answers")
        cid, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())
        sources = source_dicts(prepared.sources)
        pieces = pipeline.astream(prepared, body.answer_tokens(), body.temperature)
        if body.stream:
            return StreamingResponse(_sse(pieces, cid, created, sources, started),
                                     media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
        try:
            text = "".join([piece async for piece in pieces])
        except Exception as exc:  # the LLM endpoint failed: report it as a JSON error, not a 500 traceback
            status, message = _upstream_error(exc)
            return error(502 if status < 500 else status, message, "api_error", "upstream_error")
        metrics.observe("chat_answer_total", 200, time.perf_counter() - started)
        return {"id": cid, "object": "chat.completion", "created": created, "model": RAG_MODEL,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                "sources": sources}

    async def _sse(pieces, cid: str, created: int, sources: list[dict], started: float):
        yield _chunk(cid, created, {"role": "assistant", "content": ""})
        try:
            async for piece in pieces:
                if piece:
                    yield _chunk(cid, created, {"content": piece})
        except Exception as exc:  # mid-stream failure: tell the client in-band, then end the stream
            _, message = _upstream_error(exc)
            yield f"data: {json.dumps({'error': {'message': message, 'type': 'api_error'}})}\n\n"
            yield "data: [DONE]\n\n"
            return
        yield _chunk(cid, created, {}, "stop", sources=sources)
        yield "data: [DONE]\n\n"
        metrics.observe("chat_stream_total", 200, time.perf_counter() - started)

    async def _pass_through(body: ChatRequest):
        payload = body.model_dump(exclude_none=True, exclude={"release"})
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
