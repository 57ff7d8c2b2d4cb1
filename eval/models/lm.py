"""`telecomgpt`: an lm-eval model over `telecomgpt.llm.get_backend` ("vllm" engine, "hf", "openai" endpoint).

Log-likelihood requests go to the backend as raw text (zero-shot multiple choice, as lm-eval scores it);
generation requests are sent as one user turn through the backend's chat path, so instruct models get
their own chat template and chat-only endpoints work unchanged.
"""

from __future__ import annotations

from collections import defaultdict

from lm_eval.api.model import LM
from lm_eval.api.registry import register_model
from tqdm import tqdm

from telecomgpt.errors import UserError
from telecomgpt.llm import GenerationParams, LLMBackend, get_backend


def open_backend(backend: str, model: str, adapter: str | None = None, base_url: str | None = None,
                 api_key: str | None = None, max_model_len: int = 2048, kv_cache_gb: float = 2.0) -> LLMBackend:
    """Build a project backend for evaluation; an unreachable endpoint is a one-line error."""
    if backend == "openai":
        if not base_url:
            raise UserError("--backend openai needs --base-url (e.g. http://127.0.0.1:8000/v1)")
        llm = get_backend("openai", base_url=base_url, model=model, api_key=api_key)
        llm.client.models()  # fails fast with "cannot reach the endpoint ..." when it is down
        return llm
    if backend == "vllm":
        return get_backend("vllm", model=model, adapter=adapter, max_model_len=max_model_len, kv_cache_gb=kv_cache_gb)
    if backend == "hf":
        return get_backend("hf", model=model, adapter=adapter, max_model_len=max_model_len)
    raise UserError(f"unknown backend {backend!r}; choose vllm, hf or openai")


@register_model("telecomgpt")
class TelecomLM(LM):
    """Any TelecomGPT backend as an lm-eval model; pass `llm=` to reuse an already loaded backend."""

    def __init__(self, model: str = "smollm2-135m-instruct", backend: str = "vllm", adapter: str | None = None,
                 base_url: str | None = None, api_key: str | None = None, chat: bool = True,
                 max_model_len: int = 2048, llm: LLMBackend | None = None, **_lm_eval_extras: object):
        super().__init__()
        self.model_name = model
        self.chat = chat
        self.llm = llm or open_backend(backend, model, adapter, base_url, api_key, max_model_len)

    # lm-eval contract -------------------------------------------------------------------------------
    def loglikelihood(self, requests) -> list[tuple[float, bool]]:
        pairs = [(self.augment(r.args[0]), r.args[1]) for r in requests]
        return [(float(lp), bool(greedy)) for lp, greedy in self.llm.loglikelihood(pairs)]

    def loglikelihood_rolling(self, requests) -> list[float]:
        return [lp for lp, _ in self.llm.loglikelihood([("", r.args[0]) for r in requests])]

    def generate_until(self, requests) -> list[str]:
        """Batch requests that share generation settings; cut each answer at its stop strings."""
        groups: dict[tuple, list[int]] = defaultdict(list)
        for i, req in enumerate(requests):
            kwargs = dict(req.args[1])
            until = kwargs.get("until") or []
            key = (tuple([until] if isinstance(until, str) else until), int(kwargs.get("max_gen_toks", 256)),
                   float(kwargs.get("temperature", 0.0)) if kwargs.get("do_sample") else 0.0)
            groups[key].append(i)
        answers: list[str] = [""] * len(requests)
        for (until, max_tokens, temperature), indices in tqdm(groups.items(), desc="generate", disable=len(groups) < 2):
            params = GenerationParams(max_tokens=max_tokens, temperature=temperature, stop=list(until))
            contexts = [self.augment(requests[i].args[0]) for i in indices]
            if self.chat:
                outputs = self.llm.chat([[{"role": "user", "content": c}] for c in contexts], params)
            else:
                outputs = self.llm.generate(contexts, params)
            for i, text in zip(indices, outputs, strict=True):
                for stop in until:
                    text = text.split(stop)[0] if stop else text
                answers[i] = text
        return answers

    def augment(self, context: str) -> str:
        """Hook for subclasses that add to the prompt (RAG); the bare model uses it as is."""
        return context

    @property
    def tokenizer_name(self) -> str:
        return self.model_name.replace("/", "__")

    def get_model_info(self) -> dict:
        return {"model": self.model_name, "backend": getattr(self.llm, "name", "?")}


@register_model("telecomgpt-rag")
class TelecomRAGLM(TelecomLM):
    """The same model with retrieved 3GPP context put before every prompt (`index=DIR`), so model+RAG is
    measured on the same tasks and prompts as the bare model."""

    def __init__(self, index: str | None = None, k: int = 5, retriever=None, **kwargs):
        self.retriever = retriever or load_retriever(index)
        self.k = k
        self._cache: dict[str, str] = {}
        super().__init__(**kwargs)

    def augment(self, context: str) -> str:
        if context not in self._cache:
            query = context[-1500:]
            hits = self.retriever.search(query, k=self.k)
            passages = "\n\n".join(f"[{i}] {h.text.strip()} ({h.citation})" for i, h in enumerate(hits, start=1))
            self._cache[context] = f"Context from the 3GPP index:\n{passages}\n\n{context}" if passages else context
        return self._cache[context]


def load_retriever(index: str | None):
    """The assistant's retriever over an index folder, or a one-line error."""
    if not index:
        raise UserError("the RAG model needs --index DIR (build one with `telecomgpt index build`)")
    try:
        from app.retrieval import Retriever
    except ImportError as exc:
        raise UserError(f"RAG evaluation needs the app package's retriever ({exc})") from None
    try:
        return Retriever.load(index)
    except UserError:
        raise
    except Exception as exc:  # a missing or corrupt index raises many things inside the index library
        raise UserError(f"cannot load the RAG index {index}: {type(exc).__name__}: {exc}") from None
