"""The model continues the quoted lead (`RAGConfig.continue_lead`, the reading adapter's prompt): a real vLLM
server on loopback gets the lead as the opening of the model's turn, and the pipeline follows the adapter's
manifest."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import httpx

from app.pipeline import LEAD_PROMPT, RAGPipeline, continues_lead
from app.prompting import PROMPT

QUESTION = "Which timer does the UE start when it sends RRCSetupRequest?"


def _generated(pipeline: RAGPipeline, inputs: dict, lead: str) -> str:
    return "".join(str(chunk.content) for chunk in pipeline._chain(16, 0.0, lead=lead).stream(inputs))


def test_the_model_writes_what_follows_the_lead(rag_pipeline: RAGPipeline, vllm_server,
                                                embedded_model_dir: Path):
    """Greedy tokens after the lead through the chat API equal vLLM's plain completion of the chat template
    with the lead as the open assistant turn: the lead is in the model's context, not a new turn."""
    from transformers import AutoTokenizer

    prepared = rag_pipeline.prepare([{"role": "user", "content": QUESTION}])
    lead = "The UE starts timer"
    continuing = RAGPipeline(rag_pipeline.retriever, replace(rag_pipeline.config, continue_lead=True))
    after = _generated(continuing, prepared.inputs, lead)

    messages = [{"role": "system" if m.type == "system" else "user", "content": m.content}
                for m in PROMPT.format_messages(**prepared.inputs)]
    tokenizer = AutoTokenizer.from_pretrained(embedded_model_dir)
    prompt = tokenizer.apply_chat_template([*messages, {"role": "assistant", "content": lead}],
                                           tokenize=False, continue_final_message=True)
    assert prompt.endswith(lead)
    reply = httpx.post(f"{vllm_server.base_url}/completions", timeout=120,
                       json={"model": "telecomgpt", "prompt": prompt, "max_tokens": 16, "temperature": 0.0,
                             "frequency_penalty": rag_pipeline.config.frequency_penalty})
    assert after.strip() and after == reply.json()["choices"][0]["text"]
    # without continue_lead the lead is not sent: the model starts its own turn
    assert _generated(rag_pipeline, prepared.inputs, lead) != after


def test_continue_lead_follows_the_adapters_manifest(tmp_path: Path):
    adapter = tmp_path / "reader"
    adapter.mkdir()
    assert not continues_lead(adapter)  # no manifest: the prompt the base model is served
    data = [{"path": "sft", "stats": {"prompt": LEAD_PROMPT}}, {"path": "dpo", "stats": {}}]
    (adapter / "manifest.json").write_text(json.dumps({"data": data}))
    assert continues_lead(adapter)
    (adapter / "manifest.json").write_text(json.dumps({"data": [{"path": "sft", "stats": {"kept": 3}}]}))
    assert not continues_lead(adapter)
    (adapter / "manifest.json").write_text("{not json")
    assert not continues_lead(adapter)
