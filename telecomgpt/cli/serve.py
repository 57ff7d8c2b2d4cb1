"""`telecomgpt serve`: vLLM's OpenAI-compatible server, and with `--index` the RAG assistant in front of it.

Without `--index`, vLLM listens on --port as before. Either way vLLM is supervised: if its process dies
it is restarted on the same port with backoff (telecomgpt.llm.supervisor). With `--index DIR`, vLLM moves to a
free loopback port and the assistant's FastAPI app takes --port: web chat at /, OpenAI-compatible API at /v1
(model `telecomgpt-rag` answers from the index with citations; the base model and adapters pass through).
"""

from __future__ import annotations

import time
from pathlib import Path

import typer

from app.retrieval import Retriever
from telecomgpt.cli.options import (
    AdapterOption,
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
from telecomgpt.hardware import describe_machine


def _stop_on_signals() -> None:
    """Ctrl-C and SIGTERM both end in the `finally` that stops vLLM (a shell's `&` ignores SIGINT
    otherwise)."""
    import signal

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)


def _split_vllm_args(values: list[str]) -> list[str]:
    """`--vllm-arg "--gpu-memory-utilization 0.9"` values, split shell-style into argv words."""
    import shlex

    words = [word for value in values for word in shlex.split(value)]
    if words and not words[0].startswith("-"):
        raise UserError(f"--vllm-arg {values[0]!r}: vLLM engine arguments start with --, e.g. "
                        "--vllm-arg \"--gpu-memory-utilization 0.9\"")
    return words


def _serve_external(settings, index: Path | None, base_url: str, model: str, llm_api_key: str | None, *,
                    release: int | None, reranker: Path | None) -> None:
    """`serve --index I --llm-base-url URL`: the assistant (API, web chat, metrics) answering through a
    running OpenAI-compatible service, which it neither starts nor stops; /health reports that service."""
    from app.index_store import built_manifest
    from app.pipeline import RAGConfig
    from app.server.run import BackgroundServer, build_app
    from telecomgpt.llm.external import ExternalLLM
    from telecomgpt.llm.server import ensure_port_free

    if index is None:
        raise UserError("--llm-base-url serves the assistant: it needs --index")
    built_manifest(index)  # no index, or an interrupted one: at once
    ensure_port_free(settings.serve.host, settings.serve.port)
    llm = ExternalLLM(base_url, model, llm_api_key)
    llm.check()  # unreachable, or no such model: one line, exit 2, in a second (loading the index takes ~10)
    Retriever.load(index, reranker=reranker)  # the rest of a bad index fails before the web server starts
    rag = RAGConfig.from_settings(settings, base_url=llm.base_url, model=model, api_key=llm_api_key,
                                  release=release)
    app = build_app(index, rag, api_key=settings.api_key, model_label=model, llm_status=llm.status,
                    reranker=reranker)
    _stop_on_signals()
    web = BackgroundServer(app, settings.serve.host, settings.serve.port).start()
    typer.echo(f"assistant ready: web chat {web.url}/  ·  OpenAI API {web.url}/v1 (model telecomgpt-rag), "
               f"answering through {llm.base_url} ({model})"
               + ("  ·  bearer key required" if settings.api_key else ""))
    typer.echo("press Ctrl-C to stop")
    try:
        while web.thread.is_alive():
            time.sleep(1.0)
    except KeyboardInterrupt:
        typer.echo("stopping")
    finally:
        web.stop()


def serve(
    model: str = ModelOption,
    adapter: list[str] = AdapterOption,
    no_adapter: bool = NoAdapterOption,
    host: str = typer.Option(None, "--host", help="Address to bind [default: 127.0.0.1]."),
    port: int = typer.Option(None, "--port", "-p",
                             help="Port of the OpenAI-compatible API (the assistant's app "
                             "when --index is given) [default: 8000]."),
    max_model_len: int = typer.Option(None, "--max-model-len",
                                      help="Context length in tokens [default: 2048]."),
    kv_cache_gb: float = typer.Option(None, "--kv-cache-gb", help="KV cache size in GiB [default: 2]."),
    index: Path = typer.Option(None, "--index", "-i", help="Serve the RAG assistant over this index "
                               "(made by `telecomgpt index build`)."),
    api_key: str = typer.Option(None, "--api-key", envvar="TELECOMGPT_API_KEY",
                                help="Require `Authorization: Bearer KEY` on the API."),
    release: int = ReleaseOption,
    reranker: Path = RerankerOption,
    passages: int = PassagesOption,
    passage_chars: int = PassageCharsOption,
    tensor_parallel_size: int = typer.Option(1, "--tensor-parallel-size", "--tp",
                                             help="GPUs to shard the model "
                                             "over (vLLM tensor parallelism)."),
    data_parallel_size: int = typer.Option(1, "--data-parallel-size", "--dp",
                                           help="vLLM engine replicas, one per "
                                           "GPU group (data parallelism: more requests per second)."),
    llm_base_url: str = typer.Option(None, "--llm-base-url", help="Put the assistant (--index) in front of "
                                     "this running OpenAI-compatible endpoint (e.g. a vLLM service, "
                                     "http://llm:8000/v1) instead of starting vLLM."),
    llm_model: str = typer.Option(None, "--llm-model", help="Model name at --llm-base-url [default: "
                                  "telecomgpt, the served model name]."),
    llm_api_key: str = typer.Option(None, "--llm-api-key", envvar="TELECOMGPT_LLM_API_KEY",
                                    help="Bearer key of --llm-base-url."),
    vllm_arg: list[str] = typer.Option([], "--vllm-arg", help="More vLLM engine arguments, passed through as "
                                       "written, e.g. --vllm-arg \"--gpu-memory-utilization 0.9\" "
                                       "(repeatable)."),
    dtype: str = DtypeOption,
    config: str = ConfigOption,
) -> None:
    """Serve MODEL through vLLM's OpenAI-compatible API until Ctrl-C; with --index, also the assistant.

    Any OpenAI client can then talk to it: base URL http://HOST:PORT/v1, model `telecomgpt`
    (or an adapter's NAME), and with --index the model `telecomgpt-rag` and a web chat at http://HOST:PORT/.
    """
    # lazy: httpx, fastapi, uvicorn, langchain_core (keeps `telecomgpt --help` fast)
    from telecomgpt.llm.server import VLLMServer, ensure_port_free
    from telecomgpt.llm.supervisor import VLLMSupervisor

    serve_overrides = {"host": host, "port": port, "max_model_len": max_model_len, "kv_cache_gb": kv_cache_gb}
    rag_overrides = {"passages": passages, "passage_chars": passage_chars}
    settings = load_settings(config, model=model, api_key=api_key, dtype=dtype,
                             serve={k: v for k, v in serve_overrides.items() if v is not None},
                             rag={k: v for k, v in rag_overrides.items() if v is not None})
    if reranker is not None and index is None:
        raise UserError("--reranker needs --index (it reorders retrieved chunks)")
    if llm_base_url is not None:
        if adapter or no_adapter:
            raise UserError("--adapter/--no-adapter choose what the vLLM this command starts serves; with "
                            "--llm-base-url name the service's adapter with --llm-model")
        _serve_external(settings, index, llm_base_url, llm_model or settings.served_model_name, llm_api_key,
                        release=release, reranker=reranker)
        return
    if index is not None:
        Retriever.load(index, reranker=reranker)  # fail fast, before the minute vLLM takes to start
        ensure_port_free(settings.serve.host, settings.serve.port)
    adapters, answering = assistant_adapters(adapter, settings.rag.adapter, no_adapter, index)
    server = VLLMServer(
        settings.model, served_model_name=settings.served_model_name, host=settings.serve.host,
        port=None if index is not None else settings.serve.port, adapters=adapters,
        max_model_len=settings.serve.max_model_len, kv_cache_gb=settings.serve.kv_cache_gb,
        max_lora_rank=settings.serve.max_lora_rank,
        extra_args=(["--api-key", settings.api_key] if settings.api_key else []) + _split_vllm_args(vllm_arg),
        tensor_parallel_size=tensor_parallel_size, data_parallel_size=data_parallel_size,
        dtype=settings.dtype,
    )
    _stop_on_signals()
    typer.echo(f"starting vLLM with {server.model_dir} in {server.dtype} (about a minute on CPU; "
               f"{describe_machine()})")
    supervisor = VLLMSupervisor(server, start_timeout_s=settings.serve.startup_timeout_s)
    try:
        supervisor.start()
        names = [settings.served_model_name, *server.adapters]
        typer.echo(f"vLLM ready at {server.base_url} serving {', '.join(names)} (pid {server.pid}, log "
                   f"{server.log_file})")
        if index is not None:
            from app.pipeline import RAGConfig, continues_lead
            from app.server.run import BackgroundServer, build_app

            rag = RAGConfig.from_settings(settings, base_url=server.base_url, release=release,
                                          model=answering or settings.served_model_name,
                                          continue_lead=answering is not None
                                          and continues_lead(adapters[answering]))
            label = Path(str(settings.model)).name + (f" + adapter {answering}" if answering else "")
            app = build_app(index, rag, api_key=settings.api_key, model_label=label,
                            llm_status=supervisor.status, reranker=reranker)
            web = BackgroundServer(app, settings.serve.host, settings.serve.port).start()
            typer.echo(f"assistant ready: web chat {web.url}/  ·  OpenAI API {web.url}/v1 (model "
                       "telecomgpt-rag)"
                       + ("  ·  bearer key required" if settings.api_key else ""))
        typer.echo("press Ctrl-C to stop")
        shown = supervisor.state
        while True:  # the supervisor restarts a dead vLLM with backoff; say so when its state changes
            time.sleep(1.0)
            if supervisor.state != shown:
                shown = supervisor.state
                typer.echo(f"vLLM {shown} (pid {server.pid}, last exit code {supervisor.last_exit_code}, "
                           f"log {server.log_file})", err=True)
    except KeyboardInterrupt:
        typer.echo("stopping")
    finally:
        supervisor.stop()
