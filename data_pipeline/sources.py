"""Find the work in the input paths: which files are 3GPP specs, arXiv data, code, StackExchange dumps.

A folder that looks like a repository (LICENSE, .git, go.mod, pyproject.toml... at its root) is read
as one code repository; other folders are walked and each file is classified by name. The list is
sorted, so every executor (local, Ray, Slurm) shards the same units to the same ranks.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from telecomgpt.domain.tgpp import spec_info

REPO_MARKERS = ("LICENSE", "LICENSE.txt", "LICENSE.md", "COPYING", ".git", "go.mod", "pyproject.toml",
                "setup.py", "Cargo.toml", "package.json", "CMakeLists.txt")
VENDORED_DIRS = {".git", "vendor", "node_modules", "third_party", "thirdparty", "external", "build", "dist",
                 "__pycache__", ".venv", "venv", ".tox", "site-packages", ".mypy_cache", ".idea"}


@dataclasses.dataclass(frozen=True)
class Unit:
    """One input file and how to read it. `repo` is the repository root for code files."""

    path: str
    kind: str  # "3gpp" | "arxiv_jsonl" | "latex" | "pdf" | "stackexchange" | "code" | "unsupported"
    repo: str = ""


def _kind(path: Path) -> str:
    name = path.name.lower()
    if name in ("posts.xml",):
        return "stackexchange"
    if name.endswith((".docx", ".zip")):
        return "3gpp"
    if name.endswith((".md", ".markdown")):
        return "3gpp" if spec_info(path.name).spec else "markdown"
    if name.endswith((".jsonl", ".jsonl.gz", ".json.gz")):
        return "arxiv_jsonl"
    if name.endswith((".tex", ".tar.gz", ".tgz")):
        return "latex"
    if name.endswith(".pdf"):
        return "pdf"
    return "unsupported"


def is_repository(folder: Path) -> bool:
    return any((folder / marker).exists() for marker in REPO_MARKERS)


def discover(inputs: list[str | Path]) -> list[Unit]:
    """All units of work in the inputs, sorted by path (deterministic sharding)."""
    units: list[Unit] = []
    for raw in inputs:
        path = Path(raw).resolve()
        if path.is_file():
            units.append(Unit(str(path), _kind(path)))
        elif path.is_dir():
            units.extend(_walk(path))
    unique = {unit.path: unit for unit in units}
    return [unique[key] for key in sorted(unique)]


def _walk(folder: Path) -> list[Unit]:
    if is_repository(folder):
        return [Unit(str(file), "code", str(folder)) for file in _repo_files(folder)]
    units = []
    for child in sorted(folder.iterdir()):
        if child.is_dir():
            if child.name not in VENDORED_DIRS and not child.name.startswith("."):
                units.extend(_walk(child))
        elif child.is_file() and not child.name.startswith("."):
            units.append(Unit(str(child), _kind(child)))
    return units


def _repo_files(root: Path) -> list[Path]:
    """Every file of a repository; vendored folders are skipped later with a reason, not silently."""
    files = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != ".git")
        files.extend(Path(dirpath) / name for name in sorted(filenames))
    return files
