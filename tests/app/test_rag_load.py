"""Load on loopback: 16 concurrent streamed chats against the real app + vLLM, bounded in time and count;
every one must be answered with sources, none lost. p50/p95 are printed and kept as an artefact."""

from __future__ import annotations

import asyncio
import json
import time

import numpy as np
import pytest

pytestmark = pytest.mark.slow

CONCURRENT = 16
QUESTIONS = ["What is the cell selection criterion S?", "What does a transparent mode RLC entity do?",
             "How does PDCP discard SDUs?", "Which header compression does PDCP use?"]


async def _one_chat(client, url: str, question: str) -> tuple[float, str, list]:
    started = time.perf_counter()
    body = {"model": "telecomgpt-rag", "messages": [{"role": "user", "content": question}],
            "stream": True, "max_tokens": 16}
    text, sources = "", []
    async with client.stream("POST", f"{url}/v1/chat/completions", json=body) as reply:
        assert reply.status_code == 200
        async for line in reply.aiter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            event = json.loads(line[6:])
            assert "error" not in event, event
            if event["choices"] and event["choices"][0]["delta"].get("content"):
                text += event["choices"][0]["delta"]["content"]
            sources = event.get("sources", sources)
    return time.perf_counter() - started, text, sources


async def _burst(url: str) -> list:
    import httpx

    limits = httpx.Limits(max_connections=CONCURRENT)
    async with httpx.AsyncClient(timeout=180, limits=limits) as client:
        jobs = [_one_chat(client, url, QUESTIONS[i % len(QUESTIONS)]) for i in range(CONCURRENT)]
        return await asyncio.wait_for(asyncio.gather(*jobs), timeout=240)


def test_sixteen_concurrent_chats(rag_server, artifacts_dir):
    started = time.perf_counter()
    results = asyncio.run(_burst(rag_server.url))
    wall = time.perf_counter() - started
    latencies = np.array([r[0] for r in results])
    assert len(results) == CONCURRENT
    assert all("Sources:" in text and sources for _, text, sources in results)
    report = {"chats": CONCURRENT, "wall_s": round(wall, 2), "p50_s": round(float(np.percentile(latencies, 50)), 2),
              "p95_s": round(float(np.percentile(latencies, 95)), 2), "max_s": round(float(latencies.max()), 2)}
    (artifacts_dir / "rag_load.json").write_text(json.dumps(report, indent=1))
    print(f"\n16 concurrent chats: {report}")
    assert wall < 240
