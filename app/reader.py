"""The answer-sentence reader: a cross-encoder that scores how well one sentence answers a question.

`telecomgpt train reader` (finetune/reader.py) trains it on sentences mined from the specs and stores it in
the user's cache (`reader_path()`); app/grounding.py orders the quotable sentences of the top clauses with it
(the lead, the extractive quotes) whenever it is there, and falls back to its cosine + word-overlap order
otherwise. It is loaded like the reranker (`app.reranker.Reranker`: a CrossEncoder folder, computing in the
dtype telecomgpt.hardware picks for "reranker").
"""

from __future__ import annotations

import threading
from pathlib import Path

from app.reranker import Reranker
from telecomgpt.paths import home

_LOADED: dict[Path, Reranker] = {}
_LOCK = threading.Lock()


def reader_path() -> Path:
    """Where `train reader` stores the reader and the assistant looks for it."""
    return home() / "reader"


def default_reader() -> Reranker | None:
    """The trained reader of the user's cache (loaded once per folder), or None when none is trained."""
    path = reader_path()
    if not (path / "config.json").is_file():
        return None
    with _LOCK:
        if path not in _LOADED:
            _LOADED[path] = Reranker.load(path)
        return _LOADED[path]
