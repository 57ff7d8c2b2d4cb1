"""The assistant's HTTP API against a real vLLM server, called with the `openai` SDK and httpx:
answers with citations (streaming and not), "I don't know", prompt injection, auth, limits, errors."""

from __future__ import annotations

import httpx
import pytest
from conftest import INJECTION_QUESTION

pytestmark = pytest.mark.slow

QUESTION = "What is the cell selection criterion S for NR?"


def _client(server, key: str = "unused"):
    from openai import OpenAI

    return OpenAI(base_url=f"{server.url}/v1", api_key=key, timeout=120, max_retries=0)


def test_models_lists_rag_and_upstream_models(rag_server):
    ids = [m.id for m in _client(rag_server).models.list().data]
    assert ids[0] == "telecomgpt-rag" and "telecomgpt" in ids and "telecom-lora" in ids


def test_chat_answer_cites_known_clause(rag_server):
    reply = _client(rag_server).chat.completions.create(
        model="telecomgpt-rag", messages=[{"role": "user", "content": QUESTION}], max_tokens=24)
    text = reply.choices[0].message.content
    sources = reply.model_extra["sources"]
    assert "Sources:" in text and "TS 38.304 §5.2.3.2" in text
    assert any(s["citation"] == "TS 38.304 §5.2.3.2" and s["file"].endswith("38304-i00.docx") for s in sources)
    assert all(s["chunk_id"] and s["title"] for s in sources)
    assert len(text.split("Sources:")[0].strip()) > 0  # the model did answer something


def test_streaming_answer_arrives_in_pieces_with_sources(rag_server):
    stream = _client(rag_server).chat.completions.create(
        model="telecomgpt-rag", messages=[{"role": "user", "content": QUESTION}], max_tokens=24, stream=True)
    pieces, sources = [], None
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            pieces.append(chunk.choices[0].delta.content)
        sources = (chunk.model_extra or {}).get("sources", sources)
    assert len(pieces) > 3 and "TS 38.304 §5.2.3.2" in "".join(pieces)
    assert sources and sources[0]["citation"].startswith("TS 38.304")


def test_unrelated_question_gets_i_dont_know(rag_server):
    reply = _client(rag_server).chat.completions.create(
        model="telecomgpt-rag", messages=[{"role": "user", "content": "Best recipe for chocolate cake with pears?"}])
    assert reply.choices[0].message.content.startswith("I don't know") and reply.model_extra["sources"] == []


def test_planted_injection_does_not_steer_the_answer(rag_pipeline, rag_server):
    prepared = rag_pipeline.prepare([{"role": "user", "content": INJECTION_QUESTION}], max_tokens=24)
    assert prepared.sources[0].metadata["source"].endswith("field-note.md")  # the planted note was retrieved
    assert "[instruction-like text removed]" in prepared.inputs["context"]
    assert "Ignore all previous" not in prepared.inputs["context"] and "PWNED" not in prepared.inputs["context"]
    reply = _client(rag_server).chat.completions.create(
        model="telecomgpt-rag", messages=[{"role": "user", "content": INJECTION_QUESTION}], max_tokens=24)
    text = reply.choices[0].message.content
    assert "PWNED" not in text and "Sources:" in text and "TS 38.331 §9.9.42" in text


def test_pass_through_to_base_model(rag_server):
    reply = _client(rag_server).chat.completions.create(
        model="telecomgpt", messages=[{"role": "user", "content": "Say hello."}], max_tokens=8)
    assert reply.choices[0].message.content and "sources" not in (reply.model_extra or {})


def test_retrieve_health_metrics_and_chunk(rag_server):
    with httpx.Client(base_url=rag_server.url, timeout=60) as http:
        hits = http.post("/v1/retrieve", json={"query": "RLC AM retransmission", "k": 3}).json()["hits"]
        assert len(hits) == 3 and hits[0]["citation"].startswith("TS 38.322")
        chunk = http.get(f"/v1/chunks/{hits[0]['metadata']['chunk_id']}").json()
        assert chunk["text"] == hits[0]["text"] and chunk["citation"] == hits[0]["citation"]
        assert http.get("/v1/chunks/nope").status_code == 404
        health = http.get("/health").json()
        assert health["status"] == "ok" and health["index"]["chunks"] > 100 and health["index"]["files"] == 5
        metrics = http.get("/metrics").json()
        assert metrics["requests_total"] > 0 and metrics["routes"]["/v1/retrieve"]["p50_ms"] > 0


def test_auth_on_and_off(rag_server, rag_server_with_key):
    from openai import AuthenticationError

    with pytest.raises(AuthenticationError):
        _client(rag_server_with_key, "wrong").models.list()
    assert _client(rag_server_with_key, "s3cret-key").models.list().data[0].id == "telecomgpt-rag"
    with httpx.Client(base_url=rag_server_with_key.url, timeout=30) as http:
        assert http.get("/metrics").status_code == 401
        assert http.get("/health").status_code == 200 and http.get("/").status_code == 200
    assert _client(rag_server, "anything").models.list().data  # no key configured: open


@pytest.mark.parametrize(("body", "status", "needle"), [
    (b"{not json", 400, "not valid JSON"),
    (b'{"model": "telecomgpt-rag", "messages": []}', 400, "messages"),
    (b'{"model": "telecomgpt-rag", "messages": [{"role": "wizard", "content": "hi"}]}', 400, "role"),
    (b'{"model": "telecomgpt-rag", "messages": [{"role": "system", "content": "hi"}]}', 400, "user message"),
    (b'{"model": "telecomgpt-rag", "max_tokens": -3, "messages": [{"role": "user", "content": "hi"}]}', 400,
     "max_tokens"),
])
def test_malformed_requests_get_json_errors(rag_server, body: bytes, status: int, needle: str):
    reply = httpx.post(f"{rag_server.url}/v1/chat/completions", content=body,
                       headers={"Content-Type": "application/json"}, timeout=30)
    assert reply.status_code == status and needle in reply.json()["error"]["message"]


def test_oversized_requests_are_refused(rag_server, rag_server_with_key):
    huge = {"model": "telecomgpt-rag", "messages": [{"role": "user", "content": "x" * 30_000}]}
    reply = httpx.post(f"{rag_server.url}/v1/chat/completions", json=huge, timeout=30)
    assert reply.status_code == 413 and "limit" in reply.json()["error"]["message"]
    body = {"model": "telecomgpt-rag", "messages": [{"role": "user", "content": "y" * 5000}]}
    reply = httpx.post(f"{rag_server_with_key.url}/v1/chat/completions", json=body, timeout=30,
                       headers={"Authorization": "Bearer s3cret-key"})
    assert reply.status_code == 413 and reply.json()["error"]["code"] == "too_large"
