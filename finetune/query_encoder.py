"""`telecomgpt train query-encoder --index DIR`: fine-tune the encoder of QUERIES against an index's frozen
vectors.

The chunk vectors of a built index stay as they are (re-embedding 100k chunks costs ~10-20 CPU minutes); only
a copy of the embedder that encodes queries is trained, so that a query lands next to the chunks that answer
it. The loss is a softmax over EVERY chunk of the index (one (batch x chunks) product per step, exact, on
CPU), with all chunks of the query's clause as positives (log of their summed probability): no sampled or
mined negatives are needed when the whole index is the negative set. Queries come from the index's own chunks
(`finetune.data.query_pairs`: titles, heading paths, defined terms, abbreviations, sentences), expanded with
the index's abbreviations exactly as `app.retrieval` expands a user's query.

Query-side fine-tuning against a frozen document index follows Lee et al. 2021 (DensePhrases, "query-side
fine-tuning"); the multi-positive softmax is the supervised-contrastive form of Khosla et al. 2020. A plain
torch loop, not sentence-transformers' trainer: none of its losses reads a fixed matrix of 100k vectors.

The result goes to INDEX/query_encoder (written to a temporary folder first, renamed when complete) and the
index manifest names it, so `serve`, `chat`, `eval run --index` and `index search` use it with no flag;
`index search --query-encoder off` compares. Held-out dense recall@5 before and after is in the summary.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.embedder import cpu_threads, resolve_embedder
from app.expansion import expand_query
from app.index_store import merged_abbreviations, read_built_index
from finetune.data.filtering import default_benchmarks, load_benchmark_ngrams
from finetune.data.query_pairs import balanced_stream, held_out, mine_queries
from telecomgpt.config import read_yaml
from telecomgpt.domain.tgpp_clauses import is_generic_title
from telecomgpt.errors import UserError

log = logging.getLogger("telecomgpt.finetune")
FOLDER = "query_encoder"
"""Where, inside the index folder, the trained query encoder lives (the manifest's `query_encoder.path`)."""


@dataclass
class QueryEncoderTraining:
    """Settings of `telecomgpt train query-encoder` (defaults sized for 2 CPU cores: ~5 minutes)."""

    index: str = ""
    """Index folder built by `telecomgpt index build` (with dense vectors)."""
    steps: int = 400
    """Optimizer steps (each reads `batch_size` queries, drawn equally from the five query kinds)."""
    batch_size: int = 32
    """Queries per step."""
    learning_rate: float = 3e-5
    """AdamW learning rate (small: MiniLM is already a good query encoder; this adapts it)."""
    temperature: float = 0.05
    """Softmax temperature over cosine similarities (sentence-transformers' MNRL uses scale 20 = 1/0.05)."""
    warmup_ratio: float = 0.1
    """Linear warm-up over this share of the steps, then linear decay to zero."""
    max_query_tokens: int = 64
    """Word pieces a training query is cut to (queries are short; the saved encoder keeps the index's
    limit)."""
    seed: int = 0
    """Seed of the query mining and the batch order."""
    decontaminate: bool = True
    """Drop queries that share a 13-gram with a benchmark item (like `data build-sft`)."""

    def check(self) -> None:
        if not self.index:
            raise UserError("no index: pass --index DIR (a folder built by `telecomgpt index build`)")
        if self.steps < 1 or self.batch_size < 2:
            raise UserError("steps must be at least 1 and batch_size at least 2")
        if not 0 < self.temperature <= 1:
            raise UserError(f"temperature must be in (0, 1], got {self.temperature}")


def load_settings(path: Path | None, overrides: dict) -> QueryEncoderTraining:
    """Defaults, then the YAML recipe at `path`, then the flags that were given."""
    values: dict = dict(read_yaml(path)) if path is not None else {}
    values.update({k: v for k, v in overrides.items() if v is not None})
    known = {f.name for f in dataclasses.fields(QueryEncoderTraining)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise UserError(f"unknown query-encoder settings: {', '.join(unknown)}",
                        hint=f"known: {', '.join(sorted(known))}")
    settings = QueryEncoderTraining(**values)
    settings.check()
    return settings


def _read_index(index: Path) -> tuple[dict, list[dict], np.ndarray, dict]:
    manifest, records = read_built_index(index)
    if not manifest.get("dense", True):
        raise UserError(f"index {index} is BM25 only (--dense off): it has no vectors to train queries "
                        "against")
    vectors = np.load(index / "vectors.npy")
    # the retriever's own table (Retriever.load merges it from the manifest), so training expands queries
    # exactly as serving does
    abbreviations = merged_abbreviations(manifest.get("files") or {})
    return manifest, records, vectors, abbreviations


def _recall_at_5(model, texts: list[str], rows: list[list[int]], docs) -> float:
    """Dense recall@5 (any positive row among the 5 nearest chunks) of `texts` under `model`."""
    import torch

    if not texts:
        return float("nan")
    with torch.inference_mode():
        queries = model.encode(texts, batch_size=64, convert_to_tensor=True, normalize_embeddings=True)
        top = (queries @ docs.T).topk(5, dim=1).indices.tolist()
    return sum(bool(set(found) & set(wanted)) for found, wanted in zip(top, rows, strict=True)) / len(texts)


def train_query_encoder(settings: QueryEncoderTraining, progress: bool = True) -> dict:
    """Train, install into the index (manifest + INDEX/query_encoder) and return the summary."""
    import torch
    from sentence_transformers import SentenceTransformer
    from tqdm import tqdm
    from transformers import get_linear_schedule_with_warmup

    started = time.monotonic()
    index = Path(settings.index).expanduser()
    manifest, records, vectors, abbreviations = _read_index(index)
    ngrams = load_benchmark_ngrams(default_benchmarks()) if settings.decontaminate else None
    by_file = {source: info.get("abbreviations") or {} for source, info in manifest.get("files", {}).items()}
    queries, mined = mine_queries(records, by_file, settings.seed, ngrams)
    if len(queries) < settings.batch_size:
        raise UserError(f"index {index} yields only {len(queries)} training queries",
                        hint="index 3GPP specs (.docx/.zip/.md): titles, definitions and clauses are mined "
                             "from them")
    for query in queries:
        query["text"] = expand_query(query["query"], abbreviations)
    torch.manual_seed(settings.seed)
    torch.set_num_threads(cpu_threads())
    _, model_path = resolve_embedder(manifest.get("embedder"))
    model = SentenceTransformer(str(model_path), device="cpu", local_files_only=True)
    index_tokens = manifest.get("embedder_max_tokens") or model.max_seq_length
    model.max_seq_length = settings.max_query_tokens
    docs = torch.from_numpy(np.ascontiguousarray(vectors, dtype=np.float32))
    holdout = _held_out_titles(records)
    recall_before = _recall_at_5(model, [expand_query(t, abbreviations) for t, _ in holdout],
                                 [r for _, r in holdout], docs)
    # The word-piece table is half of MiniLM's weights: frozen, each step costs about half as much, and the
    # word pieces a few thousand queries never show stay where the chunk vectors expect them.
    model[0].auto_model.embeddings.requires_grad_(False)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=settings.learning_rate)
    schedule = get_linear_schedule_with_warmup(optimizer, int(settings.warmup_ratio * settings.steps),
                                               settings.steps)
    stream = balanced_stream(queries, settings.seed)
    losses: list[float] = []
    model.train()
    bar = tqdm(range(settings.steps), desc="query encoder", unit="step", disable=not progress,
               dynamic_ncols=True)
    for _ in bar:
        batch = [next(stream) for _ in range(settings.batch_size)]
        features = model.preprocess([q["text"] for q in batch])
        encoded = model(features)["sentence_embedding"]
        logits = torch.nn.functional.normalize(encoded, dim=-1) @ docs.T / settings.temperature
        positive = torch.full_like(logits, float("-inf"))
        for i, query in enumerate(batch):
            positive[i, query["rows"]] = 0.0
        loss = (torch.logsumexp(logits, dim=1) - torch.logsumexp(logits + positive, dim=1)).mean()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad(set_to_none=True)
        losses.append(float(loss.detach()))
        bar.set_postfix_str(f"loss {np.mean(losses[-20:]):.3f}")
    bar.close()
    model.eval()
    recall_after = _recall_at_5(model, [expand_query(t, abbreviations) for t, _ in holdout],
                                [r for _, r in holdout], docs)
    model.max_seq_length = index_tokens
    summary = {"index": str(index), "base_embedder": manifest.get("embedder"),
               "settings": dataclasses.asdict(settings),
               "queries": mined, "first_loss": round(float(np.mean(losses[:20])), 4),
               "last_loss": round(float(np.mean(losses[-20:])), 4),
               "held_out_title_queries": len(holdout),
               "held_out_dense_recall_at_5": {"before": round(recall_before, 4),
                                              "after": round(recall_after, 4)},
               "seconds": round(time.monotonic() - started, 1)}
    _install(index, model, manifest, summary)
    log.info("query encoder: loss %.3f -> %.3f; held-out title dense R@5 %.3f -> %.3f (%d queries)",
             summary["first_loss"], summary["last_loss"], recall_before, recall_after, len(holdout))
    return summary


def _held_out_titles(records: list[dict], limit: int = 400) -> list[tuple[str, list[int]]]:
    """Titles of held-out clauses (never trained on) with their rows: the check printed after training."""
    rows: dict[tuple[str, str], list[int]] = {}
    for row, record in enumerate(records):
        if record.get("spec") and record.get("clause") and held_out(record["source"], record["clause"]):
            rows.setdefault((record["source"], record["clause"]), []).append(row)
    found = []
    for (_, _), clause_rows in rows.items():
        title = (records[clause_rows[0]].get("title") or "").strip()
        if len(title.split()) >= 3 and not is_generic_title(title):
            found.append((title, clause_rows))
    return found[:limit]


def _install(index: Path, model, manifest: dict, summary: dict) -> None:
    """Save to INDEX/query_encoder atomically and name it in the manifest (the only manifest change)."""
    partial = index / f"{FOLDER}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    model.save(str(partial))
    (partial / "query_encoder_summary.json").write_text(json.dumps(summary, indent=1))
    target = index / FOLDER
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)
    manifest["query_encoder"] = {"path": FOLDER,
                                 "trained": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    tmp = index / "manifest.json.tmp"
    tmp.write_text(json.dumps(manifest, indent=1))
    tmp.replace(index / "manifest.json")
