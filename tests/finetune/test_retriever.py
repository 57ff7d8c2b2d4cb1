"""`telecomgpt train retriever`: pairs mined from a real spec, a tiny trained embedder and reranker, and their
use.

The tiny corpus is the first 80,000 characters of the real TS 38.321 (Release 19 markdown): its definitions,
abbreviations and the first MAC procedures, about 100 chunks. The tiny retriever is trained on 64 pairs with
short lengths and a 1-layer reranker, so that it trains in a minute or two on 2 cores.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from app.indexer import update_index
from app.readers import read_file
from app.reranker import Reranker
from app.retrieval import Hit, Retriever
from finetune.data.filtering import default_benchmarks, load_benchmark_ngrams
from finetune.data.retrieval_pairs import KINDS, PairMining, mine_pairs, read_pairs

SPEC = "data/corpus/3gpp/rel19-md/38.321_MAC_j20.md"


@pytest.fixture(scope="session")
def tiny_spec(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real spec cut short, under its own name (so it is read as a spec)."""
    text = (shared_dir / SPEC).read_text()
    out = tmp_path_factory.mktemp("tiny-spec") / Path(SPEC).name
    out.write_text(text[:80_000])
    return out


@pytest.fixture(scope="session")
def mined(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, list[dict]]:
    """Every pair of the whole real TS 38.321, decontaminated against the real benchmarks (the default)."""
    out = tmp_path_factory.mktemp("pairs")
    stats = mine_pairs(PairMining(corpus=[str(shared_dir / SPEC)]), out)
    return stats, read_pairs(out)


@pytest.fixture(scope="session")
def trained(run_cli, tiny_spec: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A retriever trained through the CLI on the tiny corpus: 64 pairs, short lengths, a 1-layer reranker
    trained for 12 epochs (96 steps)."""
    out = tmp_path_factory.mktemp("retriever") / "run"
    result = run_cli("train", "retriever", "--corpus", str(tiny_spec), "--output", str(out), "--max-pairs",
                     "64",
                     "--epochs", "2", "--reranker-epochs", "12", "--batch-size", "16", "--max-seq-length",
                     "32", "--reranker-layers", "1",
                     "--reranker-batch-size", "16", "--reranker-max-length", "96", timeout=1500)
    assert result.returncode == 0, result.stderr[-3000:]
    return out


# --- pair mining
# ---------------------------------------------------------------------------------------------
def test_mining_a_real_spec_gives_all_four_kinds_with_hard_negatives(mined):
    stats, pairs = mined
    kinds = {p["source"] for p in pairs}
    assert kinds == set(KINDS), stats
    assert stats["kept"] == len(pairs) >= 300
    assert stats["decontaminated"] and any("benchmarks" in b for b in stats["benchmarks"])
    for pair in pairs:
        assert pair["query"].strip() and pair["positive"].strip() and pair["negative"].strip()
        assert pair["negative"] != pair["positive"]
    abbreviation = next(p for p in pairs if p["source"] == "abbreviation" and p["query"] == "BSR")
    assert abbreviation["positive"] == "BSR Buffer Status Report"
    assert "BSR Buffer Status Report" not in abbreviation["negative"]  # not the same entry again
    heading = next(p for p in pairs if p["source"] == "heading_path")
    assert heading["query"].startswith("TS 38.321; ")


def test_no_mined_pair_overlaps_a_benchmark_item(mined):
    ngrams = load_benchmark_ngrams(default_benchmarks())
    assert ngrams is not None and len(ngrams) > 1000  # the real benchmarks were read
    _, pairs = mined
    assert not [p for p in pairs if ngrams.matches("\n".join((p["query"], p["positive"], p["negative"])))]


def test_a_pair_quoting_a_benchmark_is_excluded(tiny_spec, tmp_path):
    """Plant a benchmark item that quotes one positive passage: that pair must be dropped as contaminated."""
    clean = tmp_path / "clean"
    mine_pairs(PairMining(corpus=[str(tiny_spec)], benchmarks=[str(_empty_benchmark(tmp_path))]), clean)
    victim = next(p for p in read_pairs(clean) if p["source"] == "title" and len(p["positive"].split()) > 30)
    bench = tmp_path / "planted.jsonl"
    bench.write_text(json.dumps({"id": "q1",
                                 "question": "Which clause says: " + victim["positive"][:400]}) + "\n")
    out = tmp_path / "decontaminated"
    stats = mine_pairs(PairMining(corpus=[str(tiny_spec)], benchmarks=[str(bench)]), out)
    assert stats["excluded"].get("contaminated", 0) >= 1
    assert victim["positive"] not in {p["positive"] for p in read_pairs(out)}


def test_passages_come_from_the_clause_they_are_paired_with(tiny_spec, shared_dir, tmp_path):
    """Two specs in one run: every title/heading-path positive is a chunk of the clause its metadata names."""
    specs = [shared_dir / "data/corpus/3gpp/rel19-md/38.211_PHY-Channels_j30.md", tiny_spec]
    mine_pairs(PairMining(corpus=[str(s) for s in specs], benchmarks=[str(_empty_benchmark(tmp_path))]),
               tmp_path)
    chunks = {(spec.name, c.clause): set() for spec in specs for c in read_file(spec)[0]}
    for spec in specs:
        for chunk in read_file(spec)[0]:
            chunks[(spec.name, chunk.clause)].add(chunk.text)
    structural = [p for p in read_pairs(tmp_path) if p["source"] in ("title", "heading_path")]
    assert {p["meta"]["file"] for p in structural} == {s.name for s in specs}
    for pair in structural:
        assert pair["positive"] in chunks[(pair["meta"]["file"], pair["meta"]["clause"])], pair["query"]


def test_mining_is_deterministic_and_the_seed_picks_the_subset(tiny_spec, tmp_path):
    bench = str(_empty_benchmark(tmp_path))
    runs = [read_pairs(_mine(tiny_spec, tmp_path / f"run{i}", seed, bench))
            for i, seed in enumerate((0, 0, 1))]
    assert runs[0] == runs[1]
    assert [p["id"] for p in runs[0]] != [p["id"] for p in runs[2]]
    assert len(runs[0]) == 40 and len({p["id"] for p in runs[0]}) == 40
    assert {p["source"] for p in runs[0]} == set(KINDS)  # the cap alternates kinds


def _mine(spec: Path, out: Path, seed: int, bench: str) -> Path:
    mine_pairs(PairMining(corpus=[str(spec)], max_pairs=40, seed=seed, benchmarks=[bench]), out)
    return out


def _empty_benchmark(folder: Path) -> Path:
    path = folder / "no-benchmark.jsonl"
    path.write_text(json.dumps({"id": "x", "question": "an unrelated item about cooking pasta"}) + "\n")
    return path


# --- training and use
# ----------------------------------------------------------------------------------------
@pytest.mark.slow
def test_training_writes_both_models_and_a_summary(trained):
    summary = json.loads((trained / "retriever_summary.json").read_text())
    assert summary["pairs"]["kept"] == 64 and set(summary["pairs"]["kept_by_kind"]) == set(KINDS)
    assert summary["embedder"]["steps"] >= 6 and summary["reranker"]["steps"] >= 90
    assert summary["reranker"]["last_loss"] < summary["reranker"]["first_loss"]
    assert ((trained / "embedder" / "modules.json").is_file()
            and (trained / "reranker" / "config.json").is_file())
    assert not trained.with_name(trained.name + ".partial").exists()


@pytest.mark.slow
def test_the_trained_embedder_changes_the_ranking(trained, tiny_spec, tmp_path):
    rankings = {}
    for name, embedder in (("default", None), ("trained", trained / "embedder")):
        update_index(tmp_path / name, [tiny_spec], prune=True, progress=False, embedder=embedder,
                     backend="torch-bf16")
        retriever = Retriever.load(tmp_path / name)
        rankings[name] = [[h.metadata["chunk_id"] for h in retriever.search(q, k=10, mode="dense")]
                          for q in ("buffer status reporting", "random access preamble selection",
                                    "discontinuous reception timers")]
    assert all(rankings["default"]) and all(rankings["trained"])
    assert rankings["default"] != rankings["trained"]


@pytest.mark.slow
def test_the_trained_reranker_puts_the_right_clause_first(trained):
    """Planted cases: the hit list as BM25 would give it (the BM25-mined distractor first, the right passage
    second, then two more distractors); the reranker must move the right one to the top in two cases of three.
    A random scoring head gets about one in four right."""
    pairs = read_pairs(trained / "pairs")
    reranker = Reranker.load(trained / "reranker", max_length=96)
    cases = pairs[:24]
    wins = 0
    for i, pair in enumerate(cases):
        others = [p["negative"] for p in pairs[i + 1:i + 3]]  # two more distractors (24 + 2 < 64 pairs)
        hits = [Hit(text=t, score=1.0 / rank, metadata={"rank": rank}) for rank, t in
                enumerate([pair["negative"], pair["positive"], *others], start=1)]
        ranked = reranker.rerank(pair["query"], hits, top_n=3)
        assert len(ranked) == 3 and all("rerank_score" in h.metadata for h in ranked)
        assert ranked[0].metadata["rerank_score"] >= ranked[1].metadata["rerank_score"]
        wins += ranked[0].text == pair["positive"]
    assert wins >= 2 * len(cases) / 3, f"{wins}/{len(cases)}"


@pytest.mark.slow
def test_retriever_search_reranks_with_a_loaded_reranker(trained, tiny_spec, tmp_path):
    update_index(tmp_path / "index", [tiny_spec], prune=True, progress=False, backend="torch-bf16")
    plain = Retriever.load(tmp_path / "index")
    reranked = Retriever.load(tmp_path / "index", reranker=trained / "reranker")
    query = "Buffer Status Report triggering"
    pool = [h.metadata["chunk_id"] for h in plain.search(query, k=20)]
    assert len(pool) >= 3  # the tiny index has few chunks above the cosine floor
    hits = reranked.search(query, k=3, rerank_top=20)
    scores = [h.metadata["rerank_score"] for h in hits]
    assert len(hits) == 3 and scores == sorted(scores, reverse=True)
    # it reorders the fused candidates, nothing else
    assert {h.metadata["chunk_id"] for h in hits} <= set(pool)
    assert [h.metadata["chunk_id"] for h in plain.search(query, k=3)] == pool[:3]  # without it: fused order


# --- user mistakes
# -------------------------------------------------------------------------------------------
def test_missing_corpus_is_one_line(run_cli, assert_one_line_error, tmp_path):
    assert_one_line_error(run_cli("train", "retriever", "--corpus", str(tmp_path / "nope"), "--output",
                                  str(tmp_path / "out")), "corpus not found")


@pytest.mark.slow
def test_bad_reranker_or_embedder_folders_are_one_line_errors(run_cli, assert_one_line_error, trained,
                                                              tiny_spec, tmp_path):
    index = tmp_path / "index"
    update_index(index, [tiny_spec], prune=True, progress=False, dense=False)
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / "config.json").write_text("{not json")
    (corrupt / "model.safetensors").write_bytes(b"garbage")
    for folder, needle in ((tmp_path / "missing", "no reranker"), (corrupt, "cannot load the reranker"),
                           (trained / "embedder", "not a cross-encoder")):
        assert_one_line_error(run_cli("chat", "--index", str(index), "--reranker", str(folder), "hello"),
                              needle)
    assert_one_line_error(run_cli("eval", "run", "--tasks", "teleqna", "--limit", "1", "--index", str(index),
                                  "--reranker", str(corrupt), "--output", str(tmp_path / "eval")),
                          "cannot load the reranker")
    for folder in (tmp_path / "missing", corrupt):
        result = run_cli("index", "build", "--input", str(tiny_spec), "--output", str(tmp_path / "idx2"),
                         "--embedder", str(folder), "--quiet")
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr[-2000:]


@pytest.mark.slow
def test_ctrl_c_during_training_writes_nothing(tiny_spec, tmp_path, telecomgpt_command):
    import signal
    import time

    out = tmp_path / "run"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    process = subprocess.Popen([*telecomgpt_command, "train", "retriever", "--corpus", str(tiny_spec),
                                "--output", str(out), "--max-pairs", "64", "--batch-size", "8",
                                "--max-seq-length", "64"],
                               stderr=subprocess.PIPE, text=True, env=env,
                               # `&` ignores it
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    partial = out.with_name("run.partial")
    deadline = time.monotonic() + 300
    while (not (partial / "pairs" / "stats.json").is_file() and process.poll() is None
           and time.monotonic() < deadline):
        time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=600)
    assert process.returncode == 130, stderr[-2000:]
    assert "nothing written" in stderr and not out.exists() and not partial.exists()
