"""vLLM dies: `kill -9` the vLLM server in the middle of a streamed answer, with two assistants in front.

- The assistant that supervises it (what `telecomgpt serve` runs when it starts vLLM itself): the client gets
  an OpenAI-shaped error event and the end of the stream (no hang), /health says the model is down, and the
  supervisor brings vLLM back on the same port so the next question works.
- An assistant in front of it as an LLM service it did not start (`telecomgpt serve --index I --llm-base-url
  URL`, a real process): /health answers 503 "unreachable" while it is down, a question gets an OpenAI-shaped
  upstream error, and it answers again once the service is back on the same port, without restarting itself.

One kill and one restart serve both (each vLLM start costs about 40 s of the suite). This module starts its
own vLLM server (the session's shared one must survive), and stopping it at the end leaves none of its
processes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from telecomgpt.llm.server import free_port

pytestmark = pytest.mark.slow

TELECOMGPT = str(Path(sys.executable).with_name("telecomgpt"))
QUESTION = {"model": "telecomgpt-rag", "max_tokens": 24,
            "messages": [{"role": "user", "content": "When is t-StatusProhibit started?"}]}


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


@pytest.fixture()
def in_front(supervised, spec_index, artifacts_dir):
    """`telecomgpt serve --llm-base-url` in front of the supervised vLLM, as a separate process: its URL."""
    supervisor, _ = supervised
    assert supervisor.wait_ready(600), supervisor.status()
    url = f"http://127.0.0.1:{free_port()}"
    log = open(artifacts_dir / "serve-external.log", "w")  # noqa: SIM115 (closed below)
    assistant = subprocess.Popen([TELECOMGPT, "serve", "--index", str(spec_index), "--llm-base-url",
                                  supervisor.server.base_url, "--port", url.rsplit(":", 1)[1]], stdout=log,
                                 stderr=subprocess.STDOUT, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    try:
        yield url, assistant
    finally:
        assistant.terminate()
        try:
            assistant.wait(timeout=20)
        except subprocess.TimeoutExpired:
            assistant.kill()
        log.close()


def _wait(url: str, status: int, timeout_s: float = 120) -> httpx.Response:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            reply = httpx.get(url, timeout=5)
            if reply.status_code == status:
                return reply
        except httpx.HTTPError:
            reply = None
        assert time.monotonic() < deadline, f"{url} never answered {status} (last: {reply})"
        time.sleep(0.5)


def test_killed_vllm_is_reported_by_both_assistants_and_both_recover(supervised, in_front):
    supervisor, web = supervised
    url, assistant = in_front
    health = _wait(url + "/health", 200).json()
    assert health["llm"]["ready"] and health["llm"]["url"] == supervisor.server.base_url
    reply = httpx.post(url + "/v1/chat/completions", json=QUESTION, timeout=120)
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["choices"][0]["message"]["content"].strip() and body["sources"]
    assert body["query"] == QUESTION["messages"][0]["content"]

    first_pid, port = supervisor.server.pid, supervisor.server.port
    group = [first_pid, *(p.pid for p in psutil.Process(first_pid).children(recursive=True))]
    asked = "How does RLC acknowledged mode retransmit lost PDUs?"
    streamed = {"model": "telecomgpt-rag", "stream": True, "max_tokens": 200,
                "messages": [{"role": "user", "content": asked}]}
    events: list[dict | str] = []
    started = time.monotonic()
    with httpx.Client(base_url=web.url, timeout=httpx.Timeout(90.0)) as http:
        with http.stream("POST", "/v1/chat/completions", json=streamed) as reply:
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

        # the assistant in front of it as a service sees it gone while the supervisor restarts it (~40 s)
        down = _wait(url + "/health", 503, timeout_s=30).json()
        assert down["status"] == "degraded" and down["llm"]["state"] == "unreachable"
        failed = httpx.post(url + "/v1/chat/completions", json=QUESTION, timeout=120)
        assert failed.status_code >= 500 and failed.json()["error"]["code"] == "upstream_error", failed.text

        assert supervisor.wait_ready(600), supervisor.status()
        assert supervisor.server.port == port and supervisor.server.pid != first_pid
        assert supervisor.restarts == 1 and supervisor.status()["last_exit_code"] == -signal.SIGKILL
        assert http.get("/health").json()["llm"]["ready"] is True
        again = http.post("/v1/chat/completions", json={**streamed, "stream": False, "max_tokens": 24})
        assert again.status_code == 200 and again.json()["choices"][0]["message"]["content"]
    leftovers = [pid for pid in group if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"]
    assert not leftovers, f"processes of the killed server still run: {leftovers}"

    _wait(url + "/health", 200, timeout_s=30)  # back on the same port
    again = httpx.post(url + "/v1/chat/completions", json=QUESTION, timeout=120)
    assert again.status_code == 200 and again.json()["choices"][0]["message"]["content"].strip()
    assert assistant.poll() is None  # the assistant itself never stopped

    second = supervisor.server.pid
    family = [second, *(c.pid for c in psutil.Process(second).children(recursive=True))]
    supervisor.stop()  # the server and every worker it spawned end
    alive = [pid for pid in family if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"]
    assert alive == [] and not supervisor.server.healthy()
