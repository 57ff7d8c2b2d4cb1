"""Small real datasets for the finetune tests, built once per session from ../shared.

The CPT corpus mimics the data pipeline's output (DIR/data/*.jsonl.gz with a `text` field): clauses of
TS 38.211 (Release 19) split with the core's own `telecomgpt.domain.tgpp`. The reading data (build-sft --rag)
comes from a BM25-only index of TS 38.321 (seconds to build; the retrieval code is the assistant's all the
same).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from finetune_helpers import write_jsonl

from app.indexer import update_index
from app.retrieval import Retriever
from finetune.data.build_dpo import _pair, corrupt
from finetune.data.build_sft import SFTBuild, build_sft
from finetune.data.filtering import Finalizer
from finetune.data.rag_reading import RAGBuild, build_rag_sft, is_no_answer, item_key, mined_groups
from telecomgpt.config import load_settings
from telecomgpt.domain.tgpp import read_spec


@pytest.fixture(scope="session")
def spec_md(shared_dir: Path) -> Path:
    return shared_dir / "data/corpus/3gpp/rel19-md/38.211_PHY-Channels_j30.md"


@pytest.fixture(scope="session")
def cpt_corpus(spec_md: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Pipeline-shaped output: 40 substantive clauses of TS 38.211 as documents."""
    info, clauses = read_spec(spec_md)
    docs = [c for c in clauses if c.number and len(c.text) > 300][:40]
    assert len(docs) >= 20, "TS 38.211 should yield plenty of substantive clauses"
    out = tmp_path_factory.mktemp("corpus")
    write_jsonl(out / "data" / "00000.jsonl.gz", [
        {"id": f"{info.spec}-{c.number}", "text": f"{c.number} {c.title}\n{c.text}",
         "metadata": {"spec": info.spec}}
        for c in docs])
    return out


@pytest.fixture(scope="session")
def sft_dir(shared_dir: Path, spec_md: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`telecomgpt data build-sft` output over one spec, the Go NAS code and the TR channel-model text."""
    out = tmp_path_factory.mktemp("sft")
    corpus = shared_dir / "data/corpus"
    mac = corpus / "3gpp/rel19-md/38.321_MAC_j20.md"  # TS 38.211 defines no terms; TS 38.321 does
    build_sft(SFTBuild(output=out, specs=[str(spec_md), str(mac)], code=[str(corpus / "code/free5gc-nas")],
                       text=[str(corpus / "3gpp/tr-library/TR-38.901")], max_per_builder=60))
    return out


@pytest.fixture(scope="session")
def dpo_dir(sft_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Corrupted-reference preference pairs from the SFT data (no policy model needed)."""
    rows = [json.loads(line) for line in gzip.open(sft_dir / "sft.jsonl.gz")]
    answers = [r["completion"][0]["content"] for r in rows]
    finalizer = Finalizer()
    for row in rows[:64]:
        bad = corrupt(row["completion"][0]["content"], answers, row["prompt"][0]["content"])
        if bad:
            finalizer.add(_pair(row, row["completion"][0]["content"], bad[1], f"corrupt:{bad[0]}", None),
                          row["id"])
    out = tmp_path_factory.mktemp("dpo")
    finalizer.write(out, "dpo")
    return out


RAG_SPEC = "data/corpus/3gpp/rel19-md/38.321_MAC_j20.md"
RAG_ITEMS = 40


@pytest.fixture(scope="session")
def rag_index(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("rag-index") / "index"
    report = update_index(out, [shared_dir / RAG_SPEC], prune=True, progress=False, dense=False)
    assert not report.errors, report.errors
    return out


@pytest.fixture(scope="session")
def rag_planted(rag_index: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """(a benchmark file, the sentences it holds): answering sentences the reading builder would train on (of
    the first mined answer items; several, as one may be excluded for another reason first), planted as
    benchmark questions."""
    groups = mined_groups(Retriever.load(rag_index), [], seed=0)
    sentences = [g["positive"] for g in groups[:RAG_ITEMS // 2] if len(g["positive"].split()) >= 16
                 and not is_no_answer(item_key(g), 0.2)][:4]
    assert len(sentences) == 4
    bench = tmp_path_factory.mktemp("rag-bench") / "planted.jsonl"
    bench.write_text("".join(json.dumps({"id": f"q{i}", "question": sentence}) + "\n"
                             for i, sentence in enumerate(sentences)))
    return bench, sentences


@pytest.fixture(scope="session")
def rag_settings():
    """The assistant's settings as `build-sft --rag` reads them (no endpoint is contacted)."""
    from app.pipeline import RAGConfig  # lazy: langchain (keeps collecting the fast tests quick)

    return RAGConfig.from_settings(load_settings(None), base_url="http://127.0.0.1:1/v1")


@pytest.fixture(scope="session")
def rag_sft_dir(rag_index: Path, rag_planted: tuple[Path, str], rag_settings,
                tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`telecomgpt data build-sft --rag` output: the first RAG_ITEMS reading items of the index."""
    out = tmp_path_factory.mktemp("rag-sft")
    build_rag_sft(RAGBuild(output=out, index=str(rag_index), rag=rag_settings,
                           benchmarks=[str(rag_planted[0])], max_items=RAG_ITEMS))
    return out
