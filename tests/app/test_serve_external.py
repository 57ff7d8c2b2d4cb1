"""`telecomgpt serve --index I --llm-base-url URL`: the assistant in front of an LLM service it did not start.

The "external" service is a real vLLM server on loopback started by this module (not the session's shared
one, which must survive): the assistant answers through it, /health reports it, killing it gives clients an
OpenAI-shaped error and /health 503 (and `VLLMServer.stop` leaves none of its processes), and the assistant
answers again once it is back on the same port.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from telecomgpt.llm.server import free_port

pytestmark = pytest.mark.slow

QUESTION = {"model": "telecomgpt-rag", "max_tokens": 24,
            "messages": [{"role": "user", "content": "When is t-StatusProhibit started?"}]}
TELECOMGPT = str(Path(sys.executable).with_name("telecomgpt"))


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


def test_llm_base_url_errors_are_one_line(spec_index, vllm_server, run_cli, assert_one_line_error):
    down = f"http://127.0.0.1:{free_port()}/v1"
    assert_one_line_error(run_cli("serve", "--index", str(spec_index), "--llm-base-url", down,
                                  "--port", str(free_port()), timeout=120), "unreachable")
    assert_one_line_error(run_cli("serve", "--index", str(spec_index), "--llm-base-url", vllm_server.base_url,
                                  "--llm-model", "no-such-model", "--port", str(free_port()), timeout=120),
                          "does not serve model 'no-such-model'")
    assert_one_line_error(run_cli("serve", "--llm-base-url", vllm_server.base_url, timeout=120), "--index")


def test_assistant_in_front_of_external_vllm_reports_its_death_and_recovers(embedded_model_dir, spec_index,
                                                                            artifacts_dir):
    from telecomgpt.llm.server import VLLMServer

    external = VLLMServer(embedded_model_dir, kv_cache_gb=1, log_file=artifacts_dir / "vllm-external.log")
    external.start(timeout_s=600)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(artifacts_dir / "serve-external.log", "w")  # noqa: SIM115 (closed in finally)
    assistant = subprocess.Popen([TELECOMGPT, "serve", "--index", str(spec_index), "--llm-base-url",
                                  external.base_url, "--port", str(port)], stdout=log,
                                 stderr=subprocess.STDOUT, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    try:
        health = _wait(url + "/health", 200).json()
        assert health["llm"]["ready"] and health["llm"]["url"] == external.base_url
        reply = httpx.post(url + "/v1/chat/completions", json=QUESTION, timeout=120)
        assert reply.status_code == 200, reply.text
        body = reply.json()
        assert body["choices"][0]["message"]["content"].strip() and body["sources"]
        assert body["query"] == QUESTION["messages"][0]["content"]

        family = [external.pid, *(c.pid for c in psutil.Process(external.pid).children(recursive=True))]
        external.stop()  # the team's LLM service goes down: the server and every worker it spawned end
        alive = [pid for pid in family if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"]
        assert alive == [] and not external.healthy()
        down = _wait(url + "/health", 503, timeout_s=30).json()
        assert down["status"] == "degraded" and down["llm"]["state"] == "unreachable"
        failed = httpx.post(url + "/v1/chat/completions", json=QUESTION, timeout=120)
        assert failed.status_code >= 500 and failed.json()["error"]["code"] == "upstream_error", failed.text

        external.start(timeout_s=600)  # and comes back on the same port
        _wait(url + "/health", 200, timeout_s=30)
        again = httpx.post(url + "/v1/chat/completions", json=QUESTION, timeout=120)
        assert again.status_code == 200 and again.json()["choices"][0]["message"]["content"].strip()
        assert assistant.poll() is None  # the assistant itself never stopped
    finally:
        assistant.terminate()
        try:
            assistant.wait(timeout=20)
        except subprocess.TimeoutExpired:
            assistant.kill()
        log.close()
        external.stop()
