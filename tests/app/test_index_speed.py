"""Fast indexing: the int8 OpenVINO embedder agrees with the torch one on real spec chunks, BM25-only indexes
(`--dense off`) work end to end, embedder folders and settings are checked with one-line errors, and
bench/index_speed.py runs on a tiny real subset."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from app.embedder import embedder_of_index, get_embedder
from app.index_store import document_text
from app.indexer import update_index
from app.readers import read_file
from app.retrieval import Retriever
from telecomgpt.errors import UserError

REPO = Path(__file__).resolve().parents[2]
RLC_SPEC = "rel18-docx/38322-i00.docx"


@pytest.fixture(scope="module")
def rlc_spec(shared_dir: Path) -> Path:
    return shared_dir / "data" / "corpus" / "3gpp" / RLC_SPEC


def test_openvino_int8_vectors_agree_with_torch_on_real_chunks(rlc_spec: Path):
    chunks, _ = read_file(rlc_spec)
    texts = [document_text(dict(c.metadata(), text=c.text)) for c in chunks][:80]
    fast, reference = get_embedder(backend="openvino-int8"), get_embedder(backend="torch-bf16")
    assert fast.name == reference.name == "all-MiniLM-L6-v2" and fast.dim == reference.dim == 384
    vectors, expected = fast.embed(texts), reference.embed(texts)
    assert vectors.dtype == np.float32 and np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-4)
    cosine = np.sum(vectors * expected, axis=1)
    assert cosine.min() > 0.98 and cosine.mean() > 0.99, (cosine.min(), cosine.mean())
    # a query embedded alone (one thread) is the same vector as inside a batch
    assert float(fast.embed_query(texts[3])[0] @ vectors[3]) > 0.999


def test_index_records_its_embedder_and_queries_use_it(spec_index: Path, retriever):
    manifest = json.loads((spec_index / "manifest.json").read_text())
    assert (manifest["embedder"], manifest["embedder_backend"], manifest["dim"], manifest["dense"]) == (
        "all-MiniLM-L6-v2", "openvino-int8", 384, True)
    assert retriever.embedder.backend == "openvino-int8" and retriever.note is None


def test_older_index_without_a_backend_keeps_torch_queries():
    old = embedder_of_index({"format": 1, "embedder": "all-MiniLM-L6-v2", "files": {}})
    assert (old.name, old.backend) == ("all-MiniLM-L6-v2", "torch-bf16")


def test_dense_off_gives_a_working_bm25_index(run_cli, rlc_spec: Path, tmp_path: Path):
    index = tmp_path / "bm25-index"
    build = run_cli("index", "build", "--input", str(rlc_spec), "--output", str(index), "--dense", "off",
                    "-q")
    assert build.returncode == 0, build.stderr
    manifest = json.loads((index / "manifest.json").read_text())
    assert manifest["dense"] is False and manifest["embedder"] is None and manifest["chunks"] > 50
    assert not (index / "vectors.npy").exists() and not (index / "dense.faiss").exists()

    search = run_cli("index", "search", "--index", str(index), "RLC retransmission of an AMD PDU",
                     "-k", "5", "--json")
    assert search.returncode == 0, search.stderr
    hits = json.loads(search.stdout)["hits"]
    assert len(hits) == 5 and all(h["citation"].startswith("TS 38.322 §") for h in hits)
    assert any(h["citation"].startswith("TS 38.322 §5.3.2") for h in hits), [h["citation"] for h in hits]
    assert "BM25 only" in search.stderr  # hybrid (the default) runs as BM25, and says so

    dense = run_cli("index", "search", "--index", str(index), "RLC", "--mode", "dense")
    assert dense.returncode == 2 and "no dense vectors" in dense.stderr and "Traceback" not in dense.stderr

    # `index add` keeps it BM25 only
    note = tmp_path / "extra" / "okapi.md"
    note.parent.mkdir()
    note.write_text("# Okapi counter\nSpec: TS 38.331 §9.1.2\n\nThe okapi counter counts forest visits.\n")
    added = run_cli("index", "add", str(note), "--index", str(index), "-q")
    assert added.returncode == 0, added.stderr
    retriever = Retriever.load(index)
    assert retriever.dense is None
    assert retriever.search("okapi counter forest visits", k=1)[0].citation == "TS 38.331 §9.1.2"


@pytest.mark.parametrize("kind", ["missing", "corrupt"])
def test_bad_embedder_folder_is_a_one_line_error(run_cli, assert_one_line_error, kind: str, tmp_path: Path):
    folder = tmp_path / "embedder"
    # what an interrupted copy of a trained model leaves: configs without usable weights
    if kind == "corrupt":
        folder.mkdir()
        (folder / "modules.json").write_text("[{not json")
        (folder / "config.json").write_text("{}")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "note.md").write_text("# HARQ\n\nHARQ combines FEC with retransmission.\n")
    run = run_cli("index", "build", "--input", str(tmp_path / "docs"), "--output", str(tmp_path / "idx"),
                  "--embedder", str(folder), "-q")
    assert_one_line_error(run, f"cannot load embedder {folder}")


def test_settings_of_an_existing_index_cannot_change(tmp_path: Path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "note.md").write_text("# HARQ\n\nHARQ combines FEC with retransmission.\n")
    update_index(tmp_path / "idx", [docs], progress=False, dense=False)
    with pytest.raises(UserError, match="built with --dense off"):
        update_index(tmp_path / "idx", [docs], progress=False, dense=True)
    with pytest.raises(UserError, match="BM25 only"):
        update_index(tmp_path / "idx", [docs], progress=False, embedder=tmp_path)
    update_index(tmp_path / "dense", [docs], progress=False)
    with pytest.raises(UserError, match="was built with embedder all-MiniLM-L6-v2"):
        update_index(tmp_path / "dense", [docs], progress=False, embedder=tmp_path)
    with pytest.raises(UserError, match="backend openvino-int8"):
        update_index(tmp_path / "dense", [docs], progress=False, backend="torch-bf16")


@pytest.mark.slow
def test_index_speed_bench_runs_on_a_tiny_subset(rlc_spec: Path, tmp_path: Path):
    output = tmp_path / "benchmarks.md"
    run = subprocess.run([sys.executable, str(REPO / "bench" / "index_speed.py"), "--corpus", str(rlc_spec),
                          "--chunks", "40", "--output", str(output)],
                         capture_output=True, text=True, timeout=900, cwd=REPO)
    assert run.returncode == 0, run.stderr[-3000:]
    text = output.read_text()
    assert "<!-- bench:index_speed -->" in text and "<!-- /bench:index_speed -->" in text
    for label in ("torch bf16, one encode per file", "one request at a time (previous default)",
                  "throughput streams (default)", "`index build --dense off`"):
        assert label in text, label
    rows = {line.split("|")[1]: line.split("|") for line in text.splitlines() if "word pieces" in line}
    previous = next(r for label, r in rows.items() if "previous default" in label)
    default = next(r for label, r in rows.items() if "throughput streams" in label)
    assert default[6:9] == previous[6:9], "the streams change how fast vectors come, not what they are"


@pytest.mark.slow
def test_throughput_streams_give_the_vectors_of_one_request_at_a_time(rlc_spec: Path):
    records, _ = read_file(rlc_spec)
    texts = [chunk.text for chunk in records[:150]]
    embedder = get_embedder(backend="openvino-int8", max_tokens=128)
    try:
        embedder.bulk_streams = False
        one_at_a_time = embedder.embed(texts, batch_size=16)
        embedder.bulk_streams = True
        seen = []
        streamed = embedder.embed(texts, batch_size=16, on_batch=seen.append)
    finally:
        embedder.bulk_streams = True
    assert sorted(seen) == sorted([16] * (len(texts) // 16) + [len(texts) % 16] * (len(texts) % 16 > 0))
    assert np.abs(streamed - one_at_a_time).max() < 1e-5
    assert np.allclose(np.linalg.norm(streamed, axis=1), 1.0, atol=1e-5)


def test_embed_tokens_are_recorded_and_checked(tmp_path: Path):
    """A new index reads 128 word pieces per chunk unless told otherwise; the manifest records it, queries use
    it, and resuming with another value is a one-line error."""
    docs = Path(__file__).resolve().parents[2] / "app" / "knowledge"
    update_index(tmp_path / "default", [docs / "rrc.md"], progress=False)
    manifest = json.loads((tmp_path / "default" / "manifest.json").read_text())
    assert manifest["embedder_max_tokens"] == 128
    assert Retriever.load(tmp_path / "default").query_embedder.max_tokens == 128
    update_index(tmp_path / "long", [docs / "rrc.md"], progress=False, embed_tokens=256)
    long = Retriever.load(tmp_path / "long")
    assert long.embedder.max_tokens == 256
    assert long.embedder is not Retriever.load(tmp_path / "default").embedder
    with pytest.raises(UserError, match="embedded with --embed-tokens 128"):
        update_index(tmp_path / "default", [docs / "rrc.md", docs / "mac.md"], progress=False,
                     embed_tokens=64)
