"""Where TelecomGPT keeps things: the cache home, prepared models, the shared data folder."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def home() -> Path:
    """`$TELECOMGPT_HOME`, default `~/.cache/telecomgpt`; created on first use."""
    path = Path(os.environ.get("TELECOMGPT_HOME", Path.home() / ".cache" / "telecomgpt")).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def models_dir() -> Path:
    path = home() / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path


def logs_dir() -> Path:
    path = home() / "logs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def shared_dir() -> Path | None:
    """The `shared/` data folder beside the checkout (`$TELECOMGPT_SHARED` overrides); None if absent."""
    explicit = os.environ.get("TELECOMGPT_SHARED")
    candidates = [Path(explicit)] if explicit else [REPO_ROOT.parent / "shared", REPO_ROOT / "shared"]
    for candidate in candidates:
        if (candidate / "data").is_dir():
            return candidate.resolve()
    return None


def offline() -> bool:
    """Offline unless the user opts in with TELECOMGPT_ONLINE=1 (this project never downloads by default)."""
    return os.environ.get("TELECOMGPT_ONLINE", "0") not in ("1", "true", "yes")
