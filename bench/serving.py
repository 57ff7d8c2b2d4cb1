"""Serving throughput: vLLM's OpenAI server at 1, 4 and 16 concurrent requests vs transformers `generate`.

Both sides run the embedded model in the same run, on the same prompts, producing the same number of
tokens (`ignore_eos` / `min_new_tokens`), so tokens/s compare like with like.

    .venv/bin/python bench/serving.py [--tokens 64] [--baseline-prompts 4]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.report import machine_line, write_section  # noqa: E402
from telecomgpt.llm.client import ChatClient
from telecomgpt.llm.server import VLLMServer
from telecomgpt.models import prepare

QUESTIONS = [
    "Explain the role of the RRC layer in 5G NR.", "What is a PDU session?", "Describe HARQ in LTE.",
    "What does the AMF do in the 5G core?", "What is a bandwidth part?", "Explain SSB beam sweeping.",
    "What is the difference between NSA and SA deployment?", "How does a UE register with the 5G core?",
    "What is numerology in NR?", "Describe the PDCP layer.", "What is a QoS flow?", "Explain RLC modes.",
    "What does the SMF do?", "What is carrier aggregation?", "Explain the random access procedure.",
    "What is network slicing?",
]


def bench_vllm(model_dir: Path, tokens: int) -> tuple[float, dict[int, float]]:
    started = time.perf_counter()
    with VLLMServer(model_dir, kv_cache_gb=2) as server:
        startup = time.perf_counter() - started
        client = ChatClient(server.base_url, "telecomgpt")

        def one(question: str) -> int:
            response = client._client.chat.completions.create(
                model="telecomgpt", messages=[{"role": "user", "content": question}], max_tokens=tokens,
                temperature=0, extra_body={"ignore_eos": True})
            return response.usage.completion_tokens

        one(QUESTIONS[0])  # warm-up
        rates = {}
        for concurrency in (1, 4, 16):
            batch = (QUESTIONS * 2)[: max(concurrency, 4)]
            begin = time.perf_counter()
            with ThreadPoolExecutor(concurrency) as pool:
                produced = sum(pool.map(one, batch))
            rates[concurrency] = produced / (time.perf_counter() - begin)
    return startup, rates


def bench_transformers(model_dir: Path, tokens: int, prompts: int) -> float:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.bfloat16).eval()
    rates = []
    for question in QUESTIONS[:prompts]:
        text = tokenizer.apply_chat_template([{"role": "user", "content": question}], tokenize=False,
                                             add_generation_prompt=True)
        ids = tokenizer(text, return_tensors="pt")
        begin = time.perf_counter()
        with torch.no_grad():
            out = model.generate(**ids, max_new_tokens=tokens, min_new_tokens=tokens, do_sample=False)
        rates.append((out.shape[1] - ids.input_ids.shape[1]) / (time.perf_counter() - begin))
    return statistics.mean(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=64, help="new tokens per request")
    parser.add_argument("--baseline-prompts", type=int, default=4, help="prompts for the sequential baseline")
    args = parser.parse_args()
    model_dir = prepare()
    baseline = bench_transformers(model_dir, args.tokens, args.baseline_prompts)
    startup, rates = bench_vllm(model_dir, args.tokens)
    rows = [f"| transformers `generate` (sequential, bf16) | 1 | {baseline:.1f} | 1.0x |"]
    rows += [f"| vLLM OpenAI server | {c} | {r:.1f} | {r / baseline:.1f}x |" for c, r in rates.items()]
    body = "\n".join([
        "## Serving throughput (`bench/serving.py`)", "", machine_line(), "",
        f"Embedded SmolLM2-135M-Instruct, {args.tokens} new tokens per request, greedy. "
        f"vLLM server start-up (to /health): {startup:.0f} s.", "",
        "| backend | concurrent requests | output tokens/s | vs baseline |", "|---|---|---|---|", *rows, "",
        f"Target: at 16 concurrent requests, at least 5x the baseline: "
        f"{'met' if rates[16] >= 5 * baseline else 'NOT met'} ({rates[16] / baseline:.1f}x).",
    ])
    write_section("serving", body)
    print(body)


if __name__ == "__main__":
    main()
