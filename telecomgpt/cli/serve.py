"""`telecomgpt serve`: start vLLM's OpenAI-compatible server on the chosen model (and adapters)."""

from __future__ import annotations

import time

import typer

from telecomgpt.cli.options import AdapterOption, ConfigOption, ModelOption, parse_adapters


def serve(
    model: str = ModelOption,
    adapter: list[str] = AdapterOption,
    host: str = typer.Option(None, "--host", help="Address to bind [default: 127.0.0.1]."),
    port: int = typer.Option(None, "--port", "-p", help="Port of the OpenAI-compatible API [default: 8000]."),
    max_model_len: int = typer.Option(None, "--max-model-len", help="Context length in tokens [default: 2048]."),
    kv_cache_gb: float = typer.Option(None, "--kv-cache-gb", help="KV cache size in GiB [default: 2]."),
    config: str = ConfigOption,
) -> None:
    """Serve MODEL through vLLM's OpenAI-compatible API until Ctrl-C.

    Any OpenAI client can then talk to it: base URL http://HOST:PORT/v1, model `telecomgpt`
    (or an adapter's NAME).
    """
    from telecomgpt.config import load_settings
    from telecomgpt.llm.server import VLLMServer

    serve_overrides = {"host": host, "port": port, "max_model_len": max_model_len, "kv_cache_gb": kv_cache_gb}
    settings = load_settings(config, model=model, serve={k: v for k, v in serve_overrides.items() if v is not None})
    server = VLLMServer(
        settings.model, served_model_name=settings.served_model_name, host=settings.serve.host,
        port=settings.serve.port, adapters=parse_adapters(adapter), max_model_len=settings.serve.max_model_len,
        kv_cache_gb=settings.serve.kv_cache_gb, max_lora_rank=settings.serve.max_lora_rank,
    )
    typer.echo(f"starting vLLM with {server.model_dir} (about a minute on CPU); log: see below")
    server.start(timeout_s=settings.serve.startup_timeout_s)
    names = [settings.served_model_name, *server.adapters]
    typer.echo(f"vLLM ready at {server.base_url} serving {', '.join(names)} (pid {server.pid}, log {server.log_file})")
    typer.echo("press Ctrl-C to stop")
    try:
        while server.process.poll() is None:
            time.sleep(1.0)
        typer.echo(f"vLLM exited with code {server.process.returncode}; see {server.log_file}", err=True)
        raise typer.Exit(1)
    except KeyboardInterrupt:
        typer.echo("stopping vLLM")
    finally:
        server.stop()
