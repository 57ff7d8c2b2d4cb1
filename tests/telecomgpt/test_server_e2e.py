"""The real vLLM CPU server with the embedded model and a fresh LoRA adapter, end to end.

That stopping a server ends it and every worker it spawned is checked where a second server is started and
stopped anyway: tests/app/test_serve_external.py (each vLLM start costs about 40 s of the suite)."""

import pytest

from telecomgpt.errors import UserError
from telecomgpt.llm.client import ChatClient
from telecomgpt.llm.server import VLLMServer

pytestmark = pytest.mark.slow
QUESTION = [{"role": "user", "content": "What does RRC stand for in LTE and 5G?"}]


def test_models_lists_base_and_adapter(vllm_server):
    served = ChatClient(vllm_server.base_url, "telecomgpt").models()
    assert set(served) >= {"telecomgpt", "telecom-lora"}
    assert vllm_server.host == "127.0.0.1"


def test_chat_with_base_and_adapter(vllm_server):
    answers = {}
    for model in ("telecomgpt", "telecom-lora"):
        answers[model] = ChatClient(vllm_server.base_url, model).chat(QUESTION, max_tokens=24, temperature=0)
        assert answers[model].strip()
    # The adapter's B matrices are random, so it must really be applied: greedy answers differ.
    assert answers["telecomgpt"] != answers["telecom-lora"]


def test_streaming_yields_pieces(vllm_server):
    pieces = list(ChatClient(vllm_server.base_url, "telecomgpt").stream(QUESTION, max_tokens=24,
                                                                        temperature=0))
    assert len(pieces) > 3
    assert "".join(pieces) == ChatClient(vllm_server.base_url, "telecomgpt").chat(QUESTION, max_tokens=24,
                                                                                  temperature=0)


def test_unknown_served_model_is_clear(vllm_server):
    with pytest.raises(UserError, match="does not know model"):
        ChatClient(vllm_server.base_url, "gpt-17").chat(QUESTION, max_tokens=4)


def test_out_of_memory_start_is_one_line(embedded_model_dir, tmp_path):
    """Asking for a KV cache larger than the machine's free memory fails with a clear reason before vLLM is
    started (on CPU the cache is host memory)."""
    server = VLLMServer(embedded_model_dir, kv_cache_gb=5000, max_model_len=512, log_file=tmp_path / "log")
    with pytest.raises(UserError, match=r"run out of memory: a 5000 GiB KV cache is more than the [\d.]+"):
        server.start(timeout_s=600)
    assert server.process is None and not (tmp_path / "log").exists()
