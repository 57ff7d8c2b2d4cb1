"""`telecomgpt chat`: ask once, or talk in the terminal with streamed answers.

With `--index DIR` the answers come from the RAG assistant (the same pipeline as the web chat and the
`telecomgpt-rag` API model): retrieved clauses as context, every sentence checked against the clause it
cites (unsupported ones are dropped; too little support and the answer quotes the clauses instead),
sources listed after every answer.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import typer

from app.retrieval import Retriever
from telecomgpt.cli.options import (
    ConfigOption,
    DtypeOption,
    ModelOption,
    NoAdapterOption,
    PassageCharsOption,
    PassagesOption,
    ReleaseOption,
    RerankerOption,
    assistant_adapters,
)
from telecomgpt.config import load_settings
from telecomgpt.errors import UserError
from telecomgpt.llm.client import ChatClient

SYSTEM_PROMPT = ("You are TelecomGPT, an assistant for telecom engineers. Answer precisely and concisely "
                 "about 3GPP specifications, wireless research and telecom software. Say so when you are not "
                 "sure.")


def _endpoint(settings, adapters: dict | None = None, answering: str | None = None):
    """Use the configured endpoint, or start a private vLLM server for this chat (with `adapters`; the chat
    answers with `answering` when given)."""
    if settings.base_url:
        return contextlib.nullcontext(settings.base_url), settings.served_model_name
    from telecomgpt.llm.server import VLLMServer  # lazy: httpx (keeps `telecomgpt --help` fast)

    server = VLLMServer(settings.model, served_model_name=settings.served_model_name,
                        host=settings.serve.host, adapters=adapters,
                        max_lora_rank=settings.serve.max_lora_rank,
                        max_model_len=settings.serve.max_model_len, kv_cache_gb=settings.serve.kv_cache_gb,
                        dtype=settings.dtype)
    typer.echo(f"starting vLLM for this chat in {server.dtype} (about a minute on CPU; use --base-url to "
               "reuse a server)", err=True)

    @contextlib.contextmanager
    def running():
        with server:
            yield server.base_url

    return running(), answering or settings.served_model_name


class _RAGClient:
    """The RAG pipeline behind ChatClient's `stream` signature; prints the checked answer."""

    def __init__(self, retriever, url: str, name: str, settings, release: int | None,
                 adapter: Path | None = None):
        # lazy: langchain_core (keeps `telecomgpt --help` fast)
        from app.pipeline import RAGConfig, RAGPipeline, continues_lead

        config = RAGConfig.from_settings(settings, base_url=url, model=name, release=release,
                                         continue_lead=adapter is not None and continues_lead(adapter))
        self.pipeline = RAGPipeline(retriever, config)

    def stream(self, messages, max_tokens=None, temperature=None):
        """Checked sentences as they pass, then a note when the answer is quoted, then the sources."""
        turns = [m for m in messages if m["role"] != "system"]  # the pipeline has its own system prompt
        report: dict = {}
        for piece in self.pipeline.stream(turns, on_grounding=report.update):
            if piece.startswith("\n\nSources:") and report.get("mode") == "extractive":
                yield "\n(quoted from the retrieved clauses: the generated answer was not supported by them)"
            yield piece


def chat(
    question: str = typer.Argument(None, help="Ask this once and exit; leave out for an interactive chat."),
    model: str = ModelOption,
    base_url: str = typer.Option(None, "--base-url", help="An OpenAI-compatible endpoint to use instead of "
                                 "starting vLLM (e.g. http://127.0.0.1:8000/v1)."),
    served_model: str = typer.Option(None, "--served-model",
                                     help="Model name at that endpoint [default: telecomgpt]."),
    api_key: str = typer.Option(None, "--api-key", envvar="TELECOMGPT_API_KEY",
                                help="Bearer key for the endpoint."),
    max_tokens: int = typer.Option(None, "--max-tokens", help="Longest answer in tokens [default: 256; 128 "
                                   "with --index]."),
    temperature: float = typer.Option(None, "--temperature", help="Sampling temperature [default: 0.2; 0 "
                                      "with --index]."),
    index: Path = typer.Option(None, "--index", "-i", help="Answer from this index with citations "
                               "(made by `telecomgpt index build`)."),
    release: int = ReleaseOption,
    passages: int = PassagesOption,
    passage_chars: int = PassageCharsOption,
    reranker: Path = RerankerOption,
    no_adapter: bool = NoAdapterOption,
    dtype: str = DtypeOption,
    config: str = ConfigOption,
) -> None:
    """Chat with the telecom model: one QUESTION, or an interactive session (/reset, /exit)."""
    rag = {"passages": passages, "passage_chars": passage_chars, "max_tokens": max_tokens,
           "temperature": temperature}
    settings = load_settings(config, model=model, base_url=base_url, served_model_name=served_model,
                             api_key=api_key, max_tokens=max_tokens, temperature=temperature, dtype=dtype,
                             rag={k: v for k, v in rag.items() if v is not None})
    retriever = None
    if reranker is not None and index is None:
        raise UserError("--reranker needs --index (it reorders retrieved chunks)")
    if index is not None:
        retriever = Retriever.load(index, reranker=reranker)  # fail fast, before starting vLLM
    # the assistant's adapter (`rag.adapter`) only where this chat starts vLLM with an index
    adapters, answering = assistant_adapters(None, None if settings.base_url else settings.rag.adapter,
                                             no_adapter, index)
    endpoint, name = _endpoint(settings, adapters, answering)
    with endpoint as url:
        client = ChatClient(url, name, api_key=settings.api_key, timeout_s=settings.request_timeout_s)
        if retriever is not None:
            client = _RAGClient(retriever, url, name, settings, release, adapters.get(answering))
        history = [{"role": "system", "content": SYSTEM_PROMPT}]
        if question:
            history.append({"role": "user", "content": question})
            for piece in client.stream(history, max_tokens=settings.max_tokens,
                                       temperature=settings.temperature):
                typer.echo(piece, nl=False)
            typer.echo("")
            return
        typer.echo(f"TelecomGPT chat on {url} (model {name}). /reset clears, /exit or Ctrl-D quits.")
        while True:
            try:
                line = input("you> ").strip()
            except (EOFError, KeyboardInterrupt):
                typer.echo("")
                return
            if line in ("/exit", "/quit"):
                return
            if line == "/reset":
                history = history[:1]
                continue
            if not line:
                continue
            history.append({"role": "user", "content": line})
            typer.echo("telecomgpt> ", nl=False)
            answer = ""
            for piece in client.stream(history, max_tokens=settings.max_tokens,
                                       temperature=settings.temperature):
                answer += piece
                typer.echo(piece, nl=False)
            typer.echo("")
            history.append({"role": "assistant", "content": answer})
