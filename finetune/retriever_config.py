"""The settings of `telecomgpt train retriever`: one dataclass, readable from a YAML recipe, overridable by
flags.

Defaults are sized for a CPU: the seven Release-19 markdown specs + TR 21.905 train in minutes on 2 cores
(see docs/assistant.md for the measured run). Attribute docstrings double as documentation.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from telecomgpt.config import read_yaml
from telecomgpt.errors import UserError


@dataclass
class RetrieverTraining:
    """Mine pairs from specs, then fine-tune the MiniLM bi-encoder and train a MiniLM cross-encoder on
    them."""

    corpus: list[str] = field(default_factory=list)
    """Spec files or folders (.docx/.zip/.md) to mine training pairs from (never benchmarks)."""
    output: str = ""
    """Output folder: embedder/ (for `index build --embedder`), reranker/ (for `--reranker`), pairs/,
    summary."""
    max_pairs: int = 1024
    """Pairs to train on (0 = all mined), a seeded subset alternating the four pair kinds."""
    epochs: float = 1.0
    """Passes over the pairs, for both models."""
    batch_size: int = 32
    """Bi-encoder batch: each query is contrasted with the other 31 positives and all 32 hard negatives."""
    max_seq_length: int = 128
    """Bi-encoder training length in word pieces (queries are short; passages are cut here while training
    only: the saved embedder reads 256 like the shipped one)."""
    embedder_learning_rate: float = 2e-5
    """AdamW learning rate of the bi-encoder (small: it starts from a well-trained model)."""
    reranker_batch_size: int = 16
    """Cross-encoder batch of (query, passage, label) rows; positives and hard negatives are separate rows."""
    reranker_max_length: int = 256
    """Cross-encoder length of query + passage in word pieces (a 1,000-character chunk is ~250)."""
    reranker_layers: int = 3
    """Transformer layers of the cross-encoder, taken from the bottom of MiniLM-L6: 3 halves reranking time
    (30 candidates must rerank within the assistant's latency budget on 2 cores)."""
    reranker_learning_rate: float = 2e-4
    """AdamW learning rate of the cross-encoder's transformer layers (higher than the embedder's: its [CLS]
    features must learn to compare query and passage, which MiniLM was never trained to do)."""
    reranker_epochs: float = 0.0
    """Passes over the cross-encoder rows (0 = `epochs`)."""
    reranker_head_learning_rate: float = 1e-3
    """AdamW learning rate of the scoring head and the [CLS] pooler before it (the head is new, and MiniLM's
    pooler was never trained: at the layers' rate every score stays ~0.5 and the loss at ln 2 for hundreds of
    steps)."""
    warmup_ratio: float = 0.1
    """Linear warm-up over this fraction of the steps, then linear decay."""
    seed: int = 0
    """Seed of the pair subset, the batch order and the new scoring head."""
    train_embedder: bool = True
    """Fine-tune the bi-encoder (off: reranker only)."""
    train_reranker: bool = True
    """Train the cross-encoder (off: embedder only)."""
    decontaminate: bool = True
    """Drop pairs that share a 13-gram with a benchmark item (like `data build-sft`)."""
    benchmarks: list[str] = field(default_factory=list)
    """Benchmark files/folders to decontaminate against (default: ../shared/data/benchmarks + corpus-built
    tasks)."""
    max_chars: int = 1000
    """Chunk size in characters, as the index's `--max-chars` (training passages look like indexed chunks)."""

    def check(self) -> None:
        check_corpus(self.corpus)
        if not self.output:
            raise UserError("no output folder: pass --output DIR")
        if not (self.train_embedder or self.train_reranker):
            raise UserError("nothing to train: train_embedder and train_reranker are both off")
        if self.batch_size < 2 or self.reranker_batch_size < 1:
            raise UserError("batch_size must be at least 2 (in-batch negatives need company)")
        if not 1 <= self.reranker_layers <= 6:
            raise UserError(f"reranker_layers must be 1-6 (MiniLM-L6 has six), got {self.reranker_layers}")
        if self.epochs <= 0 or self.max_pairs < 0:
            raise UserError("epochs must be positive and max_pairs non-negative")


def check_corpus(corpus: list[str]) -> None:
    """A training corpus is given and every path of it exists; otherwise a one-line UserError."""
    if not corpus:
        raise UserError("no corpus: pass --corpus DIR (3GPP spec files or folders)")
    for raw in corpus:
        if not Path(raw).exists():
            raise UserError(f"corpus not found: {raw}")


def split_holdout(files: list[Path], holdout: list[str]) -> tuple[list[Path], list[Path]]:
    """(trained on, held out): spec files whose stem starts with a `holdout` prefix ("38.300") are held
    out, so a measurement on them never sees a spec the model trained on."""
    held = [p for p in files if any(p.stem.startswith(h) for h in holdout)]
    return [p for p in files if p not in held], held


def load_dataclass_recipe(cls: type, path: Path | None, overrides: dict, what: str,
                          list_keys: tuple[str, ...] = ("corpus", "benchmarks")):
    """`cls` (a recipe dataclass with a `check()`) from its defaults, then the YAML recipe at `path`, then
    `overrides` (flags that were given); unknown keys are a one-line error naming the known ones."""
    values: dict = dict(read_yaml(path)) if path is not None else {}
    values.update({k: v for k, v in overrides.items() if v not in (None, [], ())})
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise UserError(f"unknown {what} settings: {', '.join(unknown)}",
                        hint=f"known: {', '.join(sorted(known))}")
    for key in list_keys:  # a single path written without brackets
        if isinstance(values.get(key), str):
            values[key] = [values[key]]
    config = cls(**values)
    config.check()
    return config


def load_recipe(path: Path | None, overrides: dict) -> RetrieverTraining:
    """Defaults, then the YAML recipe at `path`, then `overrides` (flags that were given)."""
    return load_dataclass_recipe(RetrieverTraining, path, overrides, "retriever")
