"""Crash recovery: `kill -9` the vLLM server in the middle of a streamed answer.

The client must get an OpenAI-shaped error event and the end of the stream (no hang), /health must say
the model is down, and the supervisor must bring vLLM back on the same port so the next question works.
This test starts its own vLLM server (the session's shared one must survive).
"""

from __future__ import annotations

import json
import os
import signal
import time

import httpx
import psutil
import pytest

pytestmark = pytest.mark.slow


@pytest.fixture()
def supervised(embedded_model_dir, retriever, artifacts_dir):
    # lazy: langchain_core, fastapi (keeps collecting the fast tests quick)
    from app.pipeline import RAGConfig, RAGPipeline
    from app.server.api import ServerConfig, create_app
    from app.server.run import BackgroundServer
    from telecomgpt.llm.server import VLLMServer
    from telecomgpt.llm.supervisor import VLLMSupervisor

    server = VLLMServer(embedded_model_dir, kv_cache_gb=1, log_file=artifacts_dir / "vllm-recovery.log")
    supervisor = VLLMSupervisor(server, start_timeout_s=600, backoff_s=(0.5,)).start()
    pipeline = RAGPipeline(retriever, RAGConfig(base_url=server.base_url, max_tokens=200, temperature=0.0,
                                                timeout_s=60))
    app = create_app(pipeline, ServerConfig(llm_status=supervisor.status))
    try:
        with BackgroundServer(app) as web:
            yield supervisor, web
    finally:
        supervisor.stop()


def test_killed_vllm_ends_the_stream_with_an_error_and_comes_back(supervised):
    supervisor, web = supervised
    first_pid, port = supervisor.server.pid, supervisor.server.port
    group = [first_pid, *(p.pid for p in psutil.Process(first_pid).children(recursive=True))]
    body = {"model": "telecomgpt-rag", "stream": True, "max_tokens": 200,
            "messages": [{"role": "user", "content": "How does RLC acknowledged mode retransmit lost PDUs?"}]}
    events: list[dict | str] = []
    started = time.monotonic()
    with httpx.Client(base_url=web.url, timeout=httpx.Timeout(90.0)) as http:
        with http.stream("POST", "/v1/chat/completions", json=body) as reply:
            assert reply.status_code == 200
            for line in reply.iter_lines():
                if not line.startswith("data: "):
                    continue
                payload = line[len("data: "):]
                events.append(payload if payload == "[DONE]" else json.loads(payload))
                if len(events) == 1:
                    os.kill(first_pid, signal.SIGKILL)  # mid-answer: the role chunk is out, the model is not
        assert time.monotonic() - started < 90, "the stream hung after vLLM died"
        assert events[-1] == "[DONE]"
        errors = [e for e in events if isinstance(e, dict) and "error" in e]
        assert errors and errors[0]["error"]["message"] and errors[0]["error"]["type"], events[-3:]

        health = http.get("/health")
        assert health.status_code == 503 and health.json()["status"] == "degraded", health.text
        assert health.json()["llm"]["state"] in ("restarting", "starting")

        assert supervisor.wait_ready(600), supervisor.status()
        assert supervisor.server.port == port and supervisor.server.pid != first_pid
        assert supervisor.restarts == 1 and supervisor.status()["last_exit_code"] == -signal.SIGKILL
        assert http.get("/health").json()["llm"]["ready"] is True
        again = http.post("/v1/chat/completions", json={**body, "stream": False, "max_tokens": 24})
        assert again.status_code == 200 and again.json()["choices"][0]["message"]["content"]
    leftovers = [pid for pid in group if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"]
    assert not leftovers, f"processes of the killed server still run: {leftovers}"
