"""`telecomgpt`: an lm-eval model over `telecomgpt.llm.get_backend` ("vllm" engine, "hf", "openai" endpoint).

Log-likelihood requests go to the backend as raw text (zero-shot multiple choice, as lm-eval scores it);
generation requests are sent as one user turn through the backend's chat path, so instruct models get
their own chat template and chat-only endpoints work unchanged.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable

from lm_eval.api.model import LM
from lm_eval.api.registry import register_model
from tqdm import tqdm

from app.pipeline import RAGConfig
from app.prompting import compact_passage
from app.releases import without_release_tag
from app.retrieval import Retriever
from app.source_rules import choose_sources
from app.term_lookup import (
    ABBREVIATION_TITLE,
    asked_term,
    defines,
    defining_lines,
    glossary_entry,
    with_alias,
)
from telecomgpt.config import DEFAULT_MODEL
from telecomgpt.errors import UserError
from telecomgpt.llm import GenerationParams, LLMBackend, get_backend


def open_backend(backend: str, model: str, adapter: str | None = None, base_url: str | None = None,
                 api_key: str | None = None, max_model_len: int = 2048,
                 kv_cache_gb: float = 2.0, dtype: str | None = None) -> LLMBackend:
    """Build a project backend for evaluation; an unreachable endpoint is a one-line error. `dtype` (vllm,
    hf): None or auto = the machine's choice (telecomgpt.hardware)."""
    if backend == "openai":
        if not base_url:
            raise UserError("--backend openai needs --base-url (e.g. http://127.0.0.1:8000/v1)")
        llm = get_backend("openai", base_url=base_url, model=model, api_key=api_key)
        llm.client.models()  # fails fast with "cannot reach the endpoint ..." when it is down
        return llm
    if backend == "vllm":
        return get_backend("vllm", model=model, adapter=adapter, max_model_len=max_model_len,
                           kv_cache_gb=kv_cache_gb, dtype=dtype)
    if backend == "hf":
        return get_backend("hf", model=model, adapter=adapter, max_model_len=max_model_len, dtype=dtype)
    raise UserError(f"unknown backend {backend!r}; choose vllm, hf or openai")


QUESTIONS_PER_STEP = 64
"""Questions sent to the backend per step: enough to keep vLLM's batch full on CPU, small enough for the
progress bar to move every few seconds."""


@register_model("telecomgpt")
class TelecomLM(LM):
    """Any TelecomGPT backend as an lm-eval model; pass `llm=` to reuse an already loaded backend."""

    def __init__(self, model: str = DEFAULT_MODEL, backend: str = "vllm", adapter: str | None = None,
                 base_url: str | None = None, api_key: str | None = None, chat: bool = True,
                 max_model_len: int = 2048, llm: LLMBackend | None = None, dtype: str | None = None,
                 **_lm_eval_extras: object):
        super().__init__()
        self.model_name = model
        self.chat = chat
        self.llm = llm or open_backend(backend, model, adapter, base_url, api_key, max_model_len, dtype=dtype)

    # lm-eval contract -------------------------------------------------------------------------------
    def loglikelihood(self, requests) -> list[tuple[float, bool]]:
        """Scored a few dozen questions at a time (every option of a question in the same step, so the engine
        still shares its context), behind one progress bar: questions done / total, with rate."""
        return self._loglikelihood(requests, self.augment)

    def _loglikelihood(self, requests, render: Callable[[str], str]) -> list[tuple[float, bool]]:
        """`loglikelihood` with each request's context passed through `render` first."""
        by_context: dict[str, list[int]] = defaultdict(list)
        for i, request in enumerate(requests):
            by_context[request.args[0]].append(i)
        contexts = list(by_context)
        results: list[tuple[float, bool]] = [(0.0, False)] * len(requests)
        with tqdm(total=len(contexts), desc="questions", unit="question", disable=len(contexts) < 2,
                  dynamic_ncols=True) as bar:
            for start in range(0, len(contexts), QUESTIONS_PER_STEP):
                step = contexts[start:start + QUESTIONS_PER_STEP]
                indices = [i for context in step for i in by_context[context]]
                pairs = [(render(requests[i].args[0]), requests[i].args[1]) for i in indices]
                for i, (lp, greedy) in zip(indices, self.llm.loglikelihood(pairs), strict=True):
                    results[i] = (float(lp), bool(greedy))
                bar.update(len(step))
        return results

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
        steps = [(key, indices[start:start + QUESTIONS_PER_STEP]) for key, indices in groups.items()
                 for start in range(0, len(indices), QUESTIONS_PER_STEP)]
        with tqdm(total=len(requests), desc="questions", unit="question", disable=len(requests) < 2,
                  dynamic_ncols=True) as bar:
            for (until, max_tokens, temperature), indices in steps:
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
                bar.update(len(indices))
        return answers

    def augment(self, context: str) -> str:
        """Hook for subclasses that add to the prompt (RAG); the bare model uses it as is."""
        return context

    @property
    def tokenizer_name(self) -> str:
        return self.model_name.replace("/", "__")

    def get_model_info(self) -> dict:
        return {"model": self.model_name, "backend": getattr(self.llm, "name", "?")}


DEFAULT_PASSAGES = 3
"""Retrieved passages put before each prompt (`eval run --passages`)."""
DEFAULT_PASSAGE_CHARS = 800
"""Each passage is cut at this many characters (`eval run --passage-chars`): 3 x 800 characters (~700 tokens)
leave room for the question in the embedded model's 2,048-token window and keep prefill cheap."""
DEFAULT_CONTEXT_WEIGHT = 0.0
"""Context-aware scoring of multiple-choice options (`eval run --context-weight W`; 0, the default, is plain
log-likelihood): an option scores (1 + W) log p(option | context, prompt) - W log p(option | prompt), so what
the retrieved context adds counts beside what the model would say without it; from context-aware decoding
(Shi et al. 2024, "Trusting Your Evidence: Hallucinate Less with Context-aware Decoding"), W = 1 as
published. Tried because a small model shown the options copies them from the list and barely reads the
context before it; not the default because with the embedded model and W = 1 it lowered acc_norm on TeleQnA's
research categories (never the reported ones), for the project's retrieval and the naive one alike
(docs/benchmarks.md, rag_lift)."""
QUERY_CHARS = 1500
"""The query is the end of the prompt (where the question is) plus the options scored after it."""
QUESTION = re.compile(r"Question:\s*(?P<question>.+?)\s*(?:\nOptions:|\nAnswer:|$)", re.S)
"""The question of a TeleQnA-style prompt ("Question: ...\nOptions: ...\nAnswer:")."""
LISTED_OPTIONS = re.compile(r"\nOptions:\n.*\nAnswer:$", re.S)
"""A multiple-choice prompt that lists its options before the final "Answer:" (eval.prompts.mcq_prompt).
Its retrieved context goes after the options, just before "Answer:", rather than before the question: a
135M model shown the options copies from the list it has just read and barely reads a context a few hundred
tokens further back (models use what is nearest the answer best: Liu et al. 2024, "Lost in the Middle").
Decided on TeleQnA's research categories, never the reported ones (bench/rag_lift.py's configurations on
the first 200 of each, 400 questions): acc_norm with the context after the options 0.355 against 0.338 before
the question for the project's retrieval, 0.355 against 0.328 for the naive one (docs/benchmarks.md,
rag_lift)."""


@register_model("telecomgpt-rag")
class TelecomRAGLM(TelecomLM):
    """The same model with retrieved 3GPP context put before every prompt (`index=DIR`; after the options of a
    prompt that lists them, see LISTED_OPTIONS), so model+RAG is measured on the same tasks and prompts as the
    bare model.

    The context budget is `passages` passages of at most `passage_chars` characters each. For multiple
    choice, the query is the prompt's end plus the option texts scored after it (a cloze prompt does not
    list them), and every option of one question gets the same context, so the engine scores them from one
    cached prefix.

    The context is chosen as the assistant chooses its sources, so the score measures what the assistant
    would read: a question asking what a term means gets its glossary line first (`Retriever.search`,
    decided by the question alone), chunks that never answer are left out and one chunk per clause comes
    first (app/source_rules.py), and each passage keeps the sentences that share most words with the
    query (app/prompting.py's `compact_passage`) rather than the chunk's first characters, which are often
    a clause's preamble.

    With `context_weight` W > 0 (see DEFAULT_CONTEXT_WEIGHT) each option is scored context-aware: its
    log-likelihood with the context plus W times how much the context raised it over the same prompt without
    context. Generation requests get the context alone.
    """

    def __init__(self, index: str | None = None, passages: int = DEFAULT_PASSAGES,
                 passage_chars: int = DEFAULT_PASSAGE_CHARS, retriever=None, reranker: str | None = None,
                 context_weight: float = DEFAULT_CONTEXT_WEIGHT, **kwargs):
        if passages < 1 or passage_chars < 1:
            raise UserError(f"the RAG context budget must be positive (got {passages} passages of "
                            f"{passage_chars} chars)")
        if not 0 <= context_weight <= 10:
            raise UserError(f"--context-weight must be between 0 and 10 (got {context_weight})")
        self.context_weight = context_weight
        self.retriever = retriever or load_retriever(index, reranker)
        self.passages = passages
        self.passage_chars = passage_chars
        self._cache: dict[str, str] = {}
        super().__init__(**kwargs)

    def loglikelihood(self, requests) -> list[tuple[float, bool]]:
        options: dict[str, list[str]] = defaultdict(list)
        for request in requests:
            options[request.args[0]].append(request.args[1])
        for context, continuations in tqdm(options.items(), desc="retrieve", disable=len(options) < 50):
            self.augment(context, continuations)
        read = self._loglikelihood(requests, self.augment)
        if not self.context_weight:
            return read
        unread = self._loglikelihood(requests, lambda context: context)  # short prompts: a fraction of `read`
        weight = self.context_weight
        return [((1 + weight) * with_context - weight * without, greedy)
                for (with_context, greedy), (without, _) in zip(read, unread, strict=True)]

    def augment(self, context: str, options: list[str] | tuple[str, ...] = ()) -> str:
        """`context` with retrieved passages added (`render`); the first call for a context fixes them."""
        if context not in self._cache:
            found = QUESTION.search(context)
            # a "[3GPP Release 17]" tag scopes the question: its words are no topic to search for
            question = without_release_tag(found.group("question")) if found else None
            searched = context.replace(found.group("question"), question) if found else context
            passages = self.retrieve(self.query(searched, options), question)
            self._cache[context] = self.render(passages, context) if passages else context
        return self._cache[context]

    def query(self, context: str, options: list[str] | tuple[str, ...]) -> str:
        extra = [o.strip() for o in options if o.strip() and o.strip() not in context]
        return " ".join([context[-QUERY_CHARS:], *extra])

    def retrieve(self, query: str, question: str | None = None) -> list[str]:
        return context_passages(self.retriever, query, question, self.passages, self.passage_chars)

    def render(self, passages: list[str], context: str) -> str:
        numbered = "\n\n".join(f"[{i}] {text}" for i, text in enumerate(passages, start=1))
        return place_context(f"Context from the 3GPP index:\n{numbered}", context)


def place_context(block: str, prompt: str) -> str:
    """`prompt` with the retrieved `block` before it, or after its listed options (LISTED_OPTIONS)."""
    if LISTED_OPTIONS.search(prompt):
        return f"{prompt.removesuffix('Answer:')}{block}\nAnswer:"
    return f"{block}\n\n{prompt}"


def context_passages(retriever: Retriever, query: str, question: str | None, passages: int,
                     passage_chars: int) -> list[str]:
    """The passages put before a prompt, chosen as the assistant chooses its sources (see TelecomRAGLM):
    `query` ranks and picks each passage's sentences, `question` (when the prompt has one) decides the
    glossary lookup. Each passage ends with its citation in brackets."""

    def search(k: int):
        return retriever.search(query, k=k, asked=question)

    k = max(RAGConfig.k, passages)  # retrieved before the sources are chosen, as the assistant does
    hits = choose_sources(search(k), passages, deeper=lambda: search(4 * k))[:passages]
    asked = with_alias(asked_term(question), retriever.abbreviations) if question else None
    out = []
    for hit in hits:
        lines = defining_lines(hit.text, asked) if asked else []
        if lines:  # a glossary chunk's defining line comes first; the other terms' entries answer nothing
            listed = bool(ABBREVIATION_TITLE.search(hit.metadata.get("title") or ""))
            rest = "\n".join(line for line in hit.text.splitlines()
                             if not defines(line, asked) and not glossary_entry(line, listed))
            lead = "\n".join(lines)
            text = f"{lead}\n{compact_passage(rest, query, max(1, passage_chars - len(lead) - 1))}"
            text = text[:passage_chars]
        else:
            text = compact_passage(hit.text, query, passage_chars)
        out.append(f"{text} ({hit.citation})")
    return out


def load_retriever(index: str | None, reranker: str | None = None, query_encoder: bool = True):
    """The assistant's retriever over an index folder (reranking with the cross-encoder folder `reranker` when
    given; `query_encoder=False` ignores the index's trained query encoder), or a one-line error."""
    if not index:
        raise UserError("the RAG model needs --index DIR (build one with `telecomgpt index build`)")
    try:
        return Retriever.load(index, reranker=reranker, query_encoder=query_encoder)
    except UserError:
        raise
    except Exception as exc:  # a missing or corrupt index raises many things inside the index library
        raise UserError(f"cannot load the RAG index {index}: {type(exc).__name__}: {exc}") from None
