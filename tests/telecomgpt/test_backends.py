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
def test_seeded_sampling_of_a_batch_larger_than_one_prefill(vllm_engine, shared_dir):
    """build-dpo samples ~100 prompts with a seed; more than 4,096 prompt tokens split a prefill in chunks."""
    spec = (shared_dir / "data/corpus/3gpp/rel19-md/38.321_MAC_j20.md").read_text(encoding="utf-8")
    prompts = [spec[i * 700:(i + 1) * 700] + "\nSummary:" for i in range(40)]  # ~6,000 prompt tokens
    answers = vllm_engine.generate(prompts, GenerationParams(max_tokens=4, temperature=0.8, seed=0))
    assert len(answers) == 40 and sum(bool(a) for a in answers) >= 30


@pytest.mark.slow
def test_openai_backend_against_real_server(vllm_server, vllm_engine):
    endpoint = get_backend("openai", base_url=vllm_server.base_url, model="telecomgpt")
    scored = endpoint.loglikelihood(PAIRS)
    assert vllm_server.healthy(), "scoring through the LoRA-enabled server must not kill it"
    assert scored[0][0] > scored[1][0]
    assert scored[0][0] == pytest.approx(vllm_engine.loglikelihood(PAIRS[:1])[0][0], abs=0.3)
    text = endpoint.chat([[{"role": "user", "content": "Say hello"}]], GenerationParams(max_tokens=8))[0]
    assert text.strip()


CACHE_TOLERANCE = {"float32": {"abs": 0.01}, "bfloat16": {"rel": 3e-2, "abs": 0.05},
                   "float16": {"rel": 2e-3, "abs": 0.05}}
"""How far a cached score may be from an uncached one: the two paths add the same products in another
order, so the gap scales with the dtype's rounding (bf16 keeps 8 bits of mantissa: emulated bf16 on an
AVX2-only CPU measured -36.613 vs -36.667, 0.15%; AMX bf16 on an Intel Xeon -12.119 vs -11.881, 2%;
float32 agrees far closer). A wrong prefix read from the cache moves a score by nats, far beyond it."""


@pytest.mark.slow
def test_options_after_one_context_read_it_from_the_prefix_cache(vllm_engine, shared_dir):
    """Multiple choice: the shared context is computed once and read from the cache; scores are unchanged."""
    spec = (shared_dir / "data/corpus/3gpp/rel19-md/38.321_MAC_j20.md").read_text(encoding="utf-8")
    start = spec.index("Random Access procedure")
    context = spec[start:start + 1500] + "\nQuestion: which MAC procedure is described above?\nAnswer:"
    options = [" The Random Access procedure", " The HARQ procedure", " Discontinuous reception",
               " The Random Access procedure for the SpCell"]
    requests = [(context, option) for option in options] + [("The capital of France is", " Paris")]
    before = vllm_engine.cached_prompt_tokens
    shared = vllm_engine.loglikelihood(requests)
    assert vllm_engine.cached_prompt_tokens - before >= 3 * 256  # three options reused the ~400-token context

    def tokens(text: str) -> list[int]:
        return vllm_engine.tokenizer(text, add_special_tokens=False)["input_ids"]

    prompts = [tokens(c) + tokens(o) for c, o in requests]
    spans = [len(tokens(o)) for _, o in requests]
    uncached: list = [None] * len(requests)
    vllm_engine._score(list(range(len(requests))), prompts, spans, uncached, read_cache=False)
    tolerance = CACHE_TOLERANCE[vllm_engine.dtype]
    for (got, got_greedy), (want, want_greedy) in zip(shared, uncached, strict=True):
        assert got == pytest.approx(want, **tolerance) and got_greedy == want_greedy
    assert shared[0][0] > shared[1][0]  # the clause is about Random Access


@pytest.mark.slow
def test_options_after_a_context_longer_than_the_window_still_share_it(vllm_engine, shared_dir):
    """A RAG prompt longer than the window loses its start by the same amount for every option, so options of
    different lengths keep one context and read it from the cache instead of each prefilling ~2,000 tokens."""
    spec = (shared_dir / "data/corpus/3gpp/rel19-md/38.321_MAC_j20.md").read_text(encoding="utf-8")
    start = spec.index("Random Access procedure")
    context = spec[start:start + 12_000] + "\nQuestion: which MAC procedure is described above?\nAnswer:"
    assert len(vllm_engine.tokenizer(context)["input_ids"]) > vllm_engine.max_model_len
    options = [" Random Access", " The HARQ procedure", " Discontinuous reception in the RRC_CONNECTED state"]
    before = vllm_engine.cached_prompt_tokens
    scored = vllm_engine.loglikelihood([(context, option) for option in options])
    assert vllm_engine.cached_prompt_tokens - before >= 3 * 1800  # every option read the ~2,000-token context
    assert all(lp < 0 for lp, _ in scored) and len({lp for lp, _ in scored}) == 3
