"""`telecomgpt train reader`: the answer-sentence reader, a MiniLM cross-encoder trained on the specs.

1. Mine (question, answering sentence, other sentences of the same chunk) groups from the specs
   (`finetune.data.reader_pairs`), 13-gram decontaminated against the benchmarks.
2. Train a cross-encoder initialised from the shipped MiniLM weights with a new 1-logit head, binary
   cross-entropy on the answering sentence vs its chunk's other sentences (`CrossEncoderTrainer`), as
   `train retriever` trains its reranker.

The model goes to the user's cache (`app.reader.reader_path()`, OUTPUT by default), built in OUTPUT.partial
and renamed when complete; app/grounding.py uses it to order quotable sentences whenever it is there.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from app.reader import reader_path
from finetune.data.reader_pairs import ReaderMining, mine_reader_pairs, read_reader_pairs
from finetune.retriever import new_cross_encoder, publish
from finetune.retriever_config import check_corpus, load_dataclass_recipe
from telecomgpt.errors import UserError

SUMMARY = "reader_summary.json"


@dataclass
class ReaderTraining:
    """Mine answer-sentence groups from specs, then train a MiniLM cross-encoder on them."""

    corpus: list[str] = field(default_factory=list)
    """Spec files or folders (.docx/.zip/.md) to mine from (never benchmarks)."""
    output: str = ""
    """Output folder (default: the user's cache, where the assistant finds it)."""
    max_groups: int = 300
    """Groups to train on (0 = all mined); each is one positive and up to 3 hard-negative rows."""
    holdout_specs: list[str] = field(default_factory=list)
    """Spec file stems never trained on (bench/reader.py measures on them)."""
    epochs: float = 1.0
    batch_size: int = 16
    max_length: int = 96
    """Word pieces of question + sentence."""
    layers: int = 3
    """Transformer layers kept from the bottom of MiniLM-L6 (3: half the scoring time)."""
    learning_rate: float = 2e-4
    head_learning_rate: float = 1e-3
    """The new head and MiniLM's untrained pooler learn faster (see `train retriever`)."""
    warmup_ratio: float = 0.1
    seed: int = 0
    max_chars: int = 1000
    decontaminate: bool = True
    benchmarks: list[str] = field(default_factory=list)

    def check(self) -> None:
        check_corpus(self.corpus)
        if not 1 <= self.layers <= 6:
            raise UserError(f"layers must be 1-6 (MiniLM-L6 has six), got {self.layers}")
        if self.epochs <= 0 or self.max_groups < 0 or self.batch_size < 1:
            raise UserError("epochs and batch_size must be positive and max_groups non-negative")


def load_reader_recipe(path: Path | None, overrides: dict) -> ReaderTraining:
    """Defaults, then the YAML recipe at `path`, then `overrides` (flags that were given)."""
    return load_dataclass_recipe(ReaderTraining, path, overrides, "reader",
                                 ("corpus", "benchmarks", "holdout_specs"))


def rows(groups: list[dict]) -> dict[str, list]:
    """(question, sentence, label) columns: the answering sentence 1, its chunk's other sentences 0."""
    out: dict[str, list] = {"query": [], "passage": [], "label": []}
    for group in groups:
        for sentence, label in [(group["positive"], 1.0)] + [(n, 0.0) for n in group["negatives"]]:
            out["query"].append(group["question"])
            out["passage"].append(sentence)
            out["label"].append(label)
    return out


def train_reader(config: ReaderTraining) -> dict:
    """Mine, train, write the output atomically; returns the summary (also OUTPUT/reader_summary.json)."""
    from datasets import Dataset
    from sentence_transformers.cross_encoder import CrossEncoderTrainer
    from sentence_transformers.cross_encoder import CrossEncoderTrainingArguments as Args
    from sentence_transformers.cross_encoder.losses import BinaryCrossEntropyLoss

    config.check()
    output = Path(config.output) if config.output else reader_path()
    if output.exists() and any(output.iterdir()) and not (output / SUMMARY).is_file():
        raise UserError(f"{output} exists and is not a `train reader` output", hint="choose a new --output")
    work = output.with_name(output.name + ".partial")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    started = time.monotonic()
    try:
        corpus = [str(p) for raw in config.corpus for p in _without_holdout(Path(raw), config.holdout_specs)]
        stats = mine_reader_pairs(ReaderMining(corpus=corpus, max_groups=config.max_groups, seed=config.seed,
                                               max_chars=config.max_chars, benchmarks=config.benchmarks,
                                               decontaminate=config.decontaminate), work / "pairs")
        data = Dataset.from_dict(rows(read_reader_pairs(work / "pairs"))).shuffle(seed=config.seed)
        model = new_cross_encoder(work, config.layers, config.max_length, config.seed)
        steps = max(1, int(len(data) * config.epochs) // config.batch_size)
        args = Args(output_dir=str(work / "trainer"), per_device_train_batch_size=config.batch_size,
                    learning_rate=config.learning_rate, warmup_steps=config.warmup_ratio,
                    lr_scheduler_type="linear", save_strategy="no", report_to="none", use_cpu=True,
                    seed=config.seed, data_seed=config.seed, logging_steps=max(1, steps // 10),
                    dataloader_num_workers=0, num_train_epochs=config.epochs,
                    learning_rate_mapping={"classifier|pooler": config.head_learning_rate})
        trainer = CrossEncoderTrainer(model=model, args=args, train_dataset=data,
                                      loss=BinaryCrossEntropyLoss(model))
        result = trainer.train()
        model.save_pretrained(str(work))
        losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    for scratch in ("trainer", "cross-encoder-init"):
        shutil.rmtree(work / scratch, ignore_errors=True)
    summary = {"config": vars(config), "groups": {"kept": stats["kept"], "by_kind": stats["kept_by_source"],
                                                  "excluded": stats["excluded"]},
               "rows": len(data), "steps": trainer.state.global_step, "train_loss": result.training_loss,
               "first_loss": losses[0] if losses else None, "last_loss": losses[-1] if losses else None,
               "seconds": round(time.monotonic() - started, 1)}
    return publish(work, output, summary, SUMMARY)


def _without_holdout(path: Path, holdout: list[str]) -> list[Path]:
    """`path`, or the files of a folder minus the held-out specs (matched by file stem prefix)."""
    if not holdout:
        return [path]
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    return [p for p in files if not any(p.stem.startswith(h) for h in holdout)]
