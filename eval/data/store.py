"""Build each task's items once into a deterministic JSONL cache and load them for lm-eval.

Every task YAML says `dataset_path: json` and names its JSONL file in `dataset_kwargs`; the
`custom_dataset` hook in the task's utils.py calls `load_split`, which builds the source's files
into `<cache>/<source>/<fingerprint>/` (if not there yet) and hands that file to `datasets`' json
builder. The fingerprint covers the input files (path, size, mtime) and the builder version, so a
new download or a changed builder rebuilds, and nothing is ever fetched from a hub.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from telecomgpt.errors import UserError
from telecomgpt.paths import home, shared_dir

BuildFn = Callable[[Path], "Built"]


@dataclass
class Malformed:
    """One input item that could not be used, kept with its reason."""

    file: str
    where: str
    reason: str


@dataclass
class Built:
    """What a builder returns: records per split file, the inputs it read and what it skipped."""

    splits: dict[str, list[dict]]
    inputs: list[Path]
    malformed: list[Malformed] = field(default_factory=list)
    version: str = "1"


_BUILDERS = {
    "teleqna": ("benchmarks", "build_teleqna", "find_teleqna"),
    "oran_bench": ("benchmarks", "build_oran", "find_oran"),
    "srsran_bench": ("benchmarks", "build_srsran", "find_srsran"),
    "wireless_math": ("benchmarks", "build_wireless_math", "find_wireless_math"),
    "tgpp_wg_classification": ("tgpp_wg", "build", "find_inputs"),
    "telecom_math_modeling": ("math_modeling", "build", "find_inputs"),
    "telecom_open_qna": ("open_qna", "build", "find_inputs"),
    "telecom_code": ("code_tasks", "build", "find_inputs"),
}
"""source name -> (module in eval.data, build function, input finder); imported on first use."""


def _builder(source: str) -> tuple[BuildFn, Callable[[Path], list[Path]]]:
    import importlib

    if source not in _BUILDERS:
        raise UserError(f"unknown evaluation data source {source!r}")
    module_name, build_name, find_name = _BUILDERS[source]
    module = importlib.import_module(f"eval.data.{module_name}")
    return getattr(module, build_name), getattr(module, find_name)


def default_data_dir() -> Path:
    """`$TELECOMGPT_EVAL_DATA`, else the shared dev splits (`shared/data/benchmarks`)."""
    if os.environ.get("TELECOMGPT_EVAL_DATA"):
        return Path(os.environ["TELECOMGPT_EVAL_DATA"])
    shared = shared_dir()
    return shared / "data" / "benchmarks" if shared else Path("benchmarks")


def default_cache_dir() -> Path:
    return home() / "cache" / "eval"


def _fingerprint(source: str, inputs: Iterable[Path], version: str) -> str:
    digest = hashlib.sha256(f"{source}:{version}".encode())
    for path in sorted(inputs):
        stat = path.stat()
        digest.update(f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


def _write_jsonl(path: Path, records: list[dict]) -> None:
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
    tmp.replace(path)


def build_source(source: str, data_dir: str | Path | None = None, cache_dir: str | Path | None = None,
                 **options: str) -> Path:
    """Build `source` into the cache (once) and return its folder, which holds the JSONL files and
    `manifest.json` (items per split, inputs, malformed items with reasons). `options` name other input
    folders for the tasks built from the corpus (`specs_dir`, `code_dir`, `papers_file`)."""
    build, find_inputs = _builder(source)
    data_dir = Path(data_dir) if data_dir else default_data_dir()
    options = {k: v for k, v in options.items() if v}
    inputs = find_inputs(data_dir, options)
    version = getattr(build, "VERSION", "1") + repr(sorted(options.items()))
    target = Path(cache_dir or default_cache_dir()) / source / _fingerprint(source, inputs, version)
    if (target / "manifest.json").exists():
        return target
    built = build(data_dir, options)
    target.mkdir(parents=True, exist_ok=True)
    for name, records in built.splits.items():
        _write_jsonl(target / name, records)
    manifest = {
        "source": source,
        "inputs": [str(p) for p in built.inputs],
        "items": {name: len(records) for name, records in built.splits.items()},
        "malformed": len(built.malformed),
        "malformed_items": [asdict(m) for m in built.malformed[:200]],
    }
    (target / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
    return target


def manifest(source: str, data_dir: str | Path | None = None, cache_dir: str | Path | None = None,
             **options: str) -> dict:
    """The manifest of a built source (building it if needed)."""
    return json.loads((build_source(source, data_dir, cache_dir, **options) / "manifest.json").read_text())


OPTION_KEYS = ("specs_dir", "code_dir", "papers_file")


def load_split(source: str, data_files: str, data_dir: str | None = None, cache_dir: str | None = None,
               **metadata: object):
    """The `custom_dataset` hook: a DatasetDict with one `test` split read by `datasets`' json builder.
    lm-eval passes the task's metadata (data_dir, cache_dir, corpus options) and dataset_kwargs here."""
    import datasets

    options = {k: str(metadata[k]) for k in OPTION_KEYS if metadata.get(k)}
    folder = build_source(source, data_dir, cache_dir, **options)
    path = folder / data_files
    if not path.exists() or path.stat().st_size == 0:
        found = json.loads((folder / "manifest.json").read_text())
        raise UserError(f"{source}: no usable items for {data_files} "
                        f"(inputs: {', '.join(found['inputs']) or 'none'}; malformed: {found['malformed']})")
    hf_cache = Path(cache_dir or default_cache_dir()) / "hf_datasets"
    return datasets.load_dataset("json", data_files={"test": str(path)}, cache_dir=str(hf_cache))
