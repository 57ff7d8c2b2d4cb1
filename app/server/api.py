"""The FastAPI app: middleware (size limit, bearer auth, metrics) and the small routes.

`create_app(pipeline, ServerConfig(...))` returns an ASGI app; `app.server.run` serves it with uvicorn.
Errors come in OpenAI's JSON shape (`app.server.errors`); the OpenAI-compatible routes are a router
from `app.server.openai_routes`.
Routes: / (web chat), /chunks/{id} (chunk page), /health, /metrics (Prometheus), /metrics.json,
/metrics/vllm (vLLM's own, relayed), /v1/models, /v1/chat/completions,
/v1/retrieve, /v1/chunks/{id}.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.encoders import jsonable_encoder
from fastapi.responses import FileResponse, JSONResponse, Response

from app.pipeline import RAGPipeline
from app.server.errors import error, install_error_handlers
from app.server.metrics import PROMETHEUS_CONTENT_TYPE, Metrics
from app.server.openai_routes import openai_router
from app.server.schemas import RetrieveRequest

STATIC = Path(__file__).resolve().parent / "static"
PROTECTED = ("/v1/", "/metrics")


@dataclass
class ServerConfig:
    """Limits and access control of the HTTP server."""

    api_key: str | None = None
    """When set, /v1/* and /metrics need `Authorization: Bearer KEY` (the web page asks for it)."""
    max_body_bytes: int = 256 * 1024
    """Larger request bodies get 413."""
    max_prompt_chars: int = 24_000
    """Longer conversations (all message text together) get 413."""
    model_label: str = ""
    """Shown in the web UI and /health: which LLM answers."""
    llm_status: Callable[[], dict] | None = None
    """Reports the model server's state (telecomgpt.llm.supervisor.VLLMSupervisor.status); /health answers
    503 "degraded" while it is not ready (e.g. vLLM died and is being restarted)."""


def create_app(pipeline: RAGPipeline, config: ServerConfig | None = None) -> FastAPI:
    """Build the ASGI app around a ready pipeline."""
    config = config or ServerConfig()
    app = FastAPI(title="TelecomGPT assistant", version="0.1.0", docs_url="/docs", redoc_url=None)
    app.state.pipeline, app.state.config, app.state.metrics = pipeline, config, Metrics()
    metrics: Metrics = app.state.metrics
    metrics.set_index(len(pipeline.retriever), pipeline.retriever.file_count)

    @app.middleware("http")
    async def guard(request: Request, call_next):
        started = time.perf_counter()
        path = request.url.path
        route = path if not path.startswith(("/chunks/", "/v1/chunks/")) else path.rsplit("/", 1)[0] + "/{id}"
        response = await _check(request, path)
        if response is None:
            metrics.in_flight += 1
            try:
                response = await call_next(request)
            finally:
                metrics.in_flight -= 1
        metrics.observe(route, response.status_code, time.perf_counter() - started)
        return response

    async def _check(request: Request, path: str) -> JSONResponse | None:
        if config.api_key and path.startswith(PROTECTED):
            given = request.headers.get("authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {config.api_key}".encode()):
                return error(401, "missing or wrong API key: send 'Authorization: Bearer KEY'",
                             "authentication_error", "invalid_api_key")
        if request.method in ("POST", "PUT", "PATCH"):
            declared = request.headers.get("content-length")
            if declared is not None and (not declared.isdigit() or int(declared) > config.max_body_bytes):
                return error(413, f"request body larger than {config.max_body_bytes} bytes", code="too_large")
            if declared is None and len(await request.body()) > config.max_body_bytes:
                return error(413, f"request body larger than {config.max_body_bytes} bytes", code="too_large")
        return None

    install_error_handlers(app)

    @app.get("/", include_in_schema=False)
    async def home():
        return FileResponse(STATIC / "index.html")

    @app.get("/chunks/{chunk_id}", include_in_schema=False)
    async def chunk_page(chunk_id: str):
        return FileResponse(STATIC / "chunk.html")

    @app.get("/health")
    async def health():
        retriever = pipeline.retriever
        body = {"status": "ok", "model": config.model_label or pipeline.config.model,
                "rag_model": "telecomgpt-rag", "auth": bool(config.api_key),
                "index": {"path": str(retriever.index_dir), "chunks": len(retriever),
                          "files": retriever.file_count, "abbreviations": len(retriever.abbreviations)}}
        if config.llm_status is None:
            return body
        body["llm"] = config.llm_status()
        if body["llm"].get("ready"):
            return body
        body["status"] = "degraded"
        return JSONResponse(body, status_code=503)

    @app.get("/metrics")
    async def prometheus_metrics():
        return Response(metrics.exposition(), media_type=PROMETHEUS_CONTENT_TYPE)

    @app.get("/metrics.json")
    async def metrics_summary():
        return metrics.snapshot()

    @app.get("/metrics/vllm")
    async def vllm_metrics():
        """The vLLM server's own Prometheus metrics, relayed (it listens on a private loopback port)."""
        root = pipeline.config.base_url.rstrip("/").removesuffix("/v1")
        try:
            async with httpx.AsyncClient(timeout=10) as client:
                reply = await client.get(f"{root}/metrics")
        except httpx.HTTPError as exc:
            return error(502, f"vLLM metrics unreachable: {exc}", "api_error", "upstream_error")
        return Response(reply.content, status_code=reply.status_code,
                        media_type=reply.headers.get("content-type", PROMETHEUS_CONTENT_TYPE))

    @app.post("/v1/retrieve")
    async def retrieve(body: RetrieveRequest):
        started = time.perf_counter()
        hits = await run_in_threadpool(pipeline.retriever.search, body.query, body.k, body.release, body.mode)
        metrics.count("retrievals")
        metrics.observe_stage("retrieval", time.perf_counter() - started)
        return {"query": body.query, "took_ms": round((time.perf_counter() - started) * 1000, 2),
                "hits": jsonable_encoder([h.to_dict() for h in hits])}

    @app.get("/v1/chunks/{chunk_id}")
    async def chunk(chunk_id: str):
        record = pipeline.retriever.chunk(chunk_id)
        if record is None:
            return error(404, f"no chunk {chunk_id!r} in this index", "not_found_error", "chunk_not_found")
        return record

    app.include_router(openai_router(pipeline, metrics, max_prompt_chars=config.max_prompt_chars))
    return app
