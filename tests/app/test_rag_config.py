"""`RAGConfig.from_settings`: the one place TelecomGPT settings become the assistant's config (serve and
chat)."""

from __future__ import annotations

import pytest

from app.pipeline import RAGConfig
from app.retrieval import Retriever
from app.server.run import build_app
from telecomgpt.cli.chat import _RAGClient
from telecomgpt.config import load_settings
from telecomgpt.errors import UserError


def test_every_setting_reaches_the_config(monkeypatch, tmp_path):
    config = tmp_path / "settings.yaml"
    config.write_text("served_model_name: tg\nrequest_timeout_s: 7\nserve: {max_model_len: 4096}\n"
                      "rag: {passages: 5, passage_chars: 300, max_tokens: 64, temperature: 0.3, unsupported: "
                      "mark}\n")
    monkeypatch.setenv("TELECOMGPT_API_KEY", "k")
    rag = RAGConfig.from_settings(load_settings(config), base_url="http://127.0.0.1:9/v1", release=18)
    assert (rag.base_url, rag.model, rag.api_key, rag.release) == ("http://127.0.0.1:9/v1", "tg", "k", 18)
    assert (rag.passages, rag.passage_chars, rag.max_tokens, rag.temperature) == (5, 300, 64, 0.3)
    assert (rag.max_model_len, rag.timeout_s, rag.grounding.unsupported) == (4096, 7.0, "mark")


def test_defaults_match_the_dataclass_and_overrides_win(monkeypatch, tmp_path):
    """With no settings given, serve and chat build exactly RAGConfig's documented defaults."""
    monkeypatch.chdir(tmp_path)
    for name in ("TELECOMGPT_CONFIG", "TELECOMGPT_API_KEY", "TELECOMGPT_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert RAGConfig.from_settings(settings, base_url="http://x/v1") == RAGConfig(base_url="http://x/v1")
    assert RAGConfig.from_settings(settings, base_url="http://x/v1", passages=1).passages == 1


def test_no_endpoint_is_a_user_error(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TELECOMGPT_BASE_URL", raising=False)
    monkeypatch.delenv("TELECOMGPT_CONFIG", raising=False)
    with pytest.raises(UserError, match="endpoint"):
        RAGConfig.from_settings(load_settings())
    monkeypatch.setenv("TELECOMGPT_BASE_URL", "http://env:1/v1")  # chat --base-url's setting
    assert RAGConfig.from_settings(load_settings()).base_url == "http://env:1/v1"


def test_serve_and_chat_build_the_same_assistant(starter_index, tmp_path):
    """`serve --index` and `chat --index` both go through RAGConfig.from_settings (they once differed in
    timeout_s): the same settings reach both running pipelines."""
    config = tmp_path / "settings.yaml"
    config.write_text("request_timeout_s: 9\nrag: {passages: 2, unsupported: mark}\n")
    settings = load_settings(config)
    rag = RAGConfig.from_settings(settings, base_url="http://127.0.0.1:9/v1", release=17)
    app = build_app(starter_index, rag, api_key="app-key", model_label="label")
    served = app.state.pipeline.config
    assert served == rag and served.timeout_s == 9.0 and served.passages == 2
    assert (app.state.config.api_key, app.state.config.model_label) == ("app-key", "label")
    chat = _RAGClient(Retriever.load(starter_index), "http://127.0.0.1:9/v1", "telecomgpt", settings, 17)
    assert chat.pipeline.config == served
