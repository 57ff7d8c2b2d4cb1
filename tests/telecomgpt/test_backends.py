"""The backends agree: vLLM engine, transformers and the OpenAI endpoint score and generate alike."""

import pytest

from telecomgpt.errors import UserError
from telecomgpt.llm import GenerationParams, available_backends, get_backend

PAIRS = [("The capital of France is", " Paris"), ("The capital of France is", " banana"),
         ("In 5G NR, the gNB is the", " base station")]


def test_registry_is_lazy_and_checked():
    assert {"vllm", "hf", "openai"} <= set(available_backends())
    with pytest.raises(UserError, match="unknown backend"):
        get_backend("tpu-magic")


@pytest.mark.slow
def test_vllm_engine_scores_like_transformers(vllm_engine, embedded_model_dir):
    fast = vllm_engine.loglikelihood(PAIRS)
    assert fast[0][0] > fast[1][0]  # " Paris" is far likelier than " banana"
    assert fast[0][1] and not fast[1][1]
    reference = get_backend("hf", model=embedded_model_dir).loglikelihood(PAIRS)
    for (got, _), (want, _) in zip(fast, reference, strict=True):
        assert got == pytest.approx(want, abs=0.6)  # bf16 engine vs fp32 reference


@pytest.mark.slow
def test_vllm_engine_generates_with_chat_template(vllm_engine):
    conversation = [{"role": "user", "content": "Name one 3GPP radio access technology."}]
    prompt = vllm_engine.apply_chat_template(conversation)
    assert prompt.rstrip().endswith("assistant")
    answers = vllm_engine.generate([prompt, prompt], GenerationParams(max_tokens=16))
    assert answers[0] and answers[0] == answers[1]  # greedy decoding is deterministic


@pytest.mark.slow
def test_openai_backend_against_real_server(vllm_server, vllm_engine):
    endpoint = get_backend("openai", base_url=vllm_server.base_url, model="telecomgpt")
    scored = endpoint.loglikelihood(PAIRS[:2])
    assert scored[0][0] > scored[1][0]
    assert scored[0][0] == pytest.approx(vllm_engine.loglikelihood(PAIRS[:1])[0][0], abs=0.3)
    text = endpoint.chat([[{"role": "user", "content": "Say hello"}]], GenerationParams(max_tokens=8))[0]
    assert text.strip()
