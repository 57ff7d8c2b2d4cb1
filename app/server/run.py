"""Build the assistant's app over an index (`build_app`) and run it with uvicorn in a daemon thread
(`BackgroundServer`); `telecomgpt serve`, the tests and notebooks all serve it this way."""

from __future__ import annotations

import socket
import threading
import time

import uvicorn

from app.pipeline import RAGPipeline
from app.retrieval import Retriever
from app.server.api import ServerConfig, create_app
from telecomgpt.errors import UserError


def free_port(host: str = "127.0.0.1") -> int:
    """A port the OS says is free now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def build_app(index_dir, config, *, api_key: str | None = None, model_label: str = "", llm_status=None,
              reranker=None):
    """Load the index and build the FastAPI app answering through the LLM that `config` (an
    app.pipeline.RAGConfig, usually `RAGConfig.from_settings`) points at; `api_key` guards the app itself."""
    retriever = Retriever.load(index_dir, reranker=reranker)
    pipeline = RAGPipeline(retriever, config)
    return create_app(pipeline, ServerConfig(api_key=api_key, model_label=model_label or config.model,
                                             llm_status=llm_status))


class BackgroundServer:
    """A uvicorn server for `app` in a daemon thread on host:port (a free port by default)."""

    def __init__(self, app, host: str = "127.0.0.1", port: int | None = None):
        self.host = host
        self.port = port or free_port(host)
        config = uvicorn.Config(app, host=host, port=self.port, log_level="warning", timeout_keep_alive=30)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="telecomgpt-app", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout_s: float = 30.0) -> BackgroundServer:
        self.thread.start()
        deadline = time.monotonic() + timeout_s
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise UserError(f"the assistant's HTTP server did not start on {self.url}")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

