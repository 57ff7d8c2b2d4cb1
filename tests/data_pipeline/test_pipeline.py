"""The whole pipeline once on real files (3GPP Rel-18 docx + Rel-19 md of TS 38.211, arXiv abstracts,
free5GC code) plus broken and planted inputs; each test checks one promise of the run."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path

import pytest
import pyzipper

from data_pipeline.config import load_config
from data_pipeline.pipeline import build_stages
from data_pipeline.run import run_pipeline
from data_pipeline.stats import read_stats

REPO = Path(__file__).resolve().parents[2]


def _planted_inputs(shared_dir: Path, folder: Path) -> dict:
    """Broken files for errors/, a paper quoting a benchmark item, a French paper, a small arXiv sample."""
    folder.mkdir()
    (folder / "empty.docx").write_bytes(b"")
    (folder / "binary.docx").write_bytes(bytes(range(256)) * 40)
    docx = (shared_dir / "data/corpus/3gpp/rel18-docx/38202-i10.docx").read_bytes()
    (folder / "38202-i10-truncated.docx").write_bytes(docx[: len(docx) // 2])
    (folder / "38999-i00.zip").write_bytes(b"PK\x03\x04 not really a zip")
    latin1 = "\\begin{document}R\xe9seau \\'etendu\\end{document}".encode("latin-1")
    (folder / "latin1-notes.tex").write_bytes(latin1)
    with open(folder / "one-line.tex", "wb") as handle:  # a 100 MB file without a newline
        handle.write(b"x" * (100 << 20))
    with pyzipper.AESZipFile(shared_dir / "data/benchmarks/teleqna/TeleQnA.zip") as archive:
        archive.setpassword(b"teleqnadataset")
        key, item = next(iter(json.loads(archive.read("TeleQnA.txt")).items()))
    quoted = f"\\begin{{document}}We study channel models for aerial links. {item['question']} " \
             f"{item['explanation']}" \
             " Our measurements extend this view with new data from several campaigns.\\end{document}"
    buffer = io.BytesIO(quoted.encode())
    with tarfile.open(folder / "2401.00001.tar.gz", "w:gz") as tar:
        info = tarfile.TarInfo("main.tex")
        info.size = len(buffer.getvalue())
        tar.addfile(info, buffer)
    (folder / "french.tex").write_text(
        "\\begin{document}Cet article étudie la gestion des ressources radio dans les réseaux cellulaires de "
        "cinquième génération, en particulier l'allocation de puissance et l'ordonnancement des utilisateurs "
        "dans les cellules denses, avec des résultats de simulation détaillés.\\end{document}")
    with gzip.open(shared_dir / "data/corpus/arxiv/arxiv-abstracts.jsonl.gz", "rt") as source:
        lines = [next(source) for _ in range(1500)]
    with gzip.open(folder / "arxiv-sample.jsonl.gz", "wt") as sample:
        sample.writelines(lines + lines[:20])  # 20 exact duplicates
    return {"teleqna_id": f"TeleQnA:{key}"}


@pytest.fixture(scope="module")
def run(shared_dir, embedded_model_dir, tmp_path_factory):
    base = tmp_path_factory.mktemp("pipeline")
    planted = _planted_inputs(shared_dir, base / "planted")
    corpus = shared_dir / "data/corpus"
    inputs = [corpus / "3gpp/rel18-docx/38211-i10.docx", corpus / "3gpp/rel19-md/38.211_PHY-Channels_j30.md",
              corpus / "code/free5gc-nas", base / "planted"]
    config = load_config(REPO / "configs/data/telecom.yaml")
    config.tokenizer = str(embedded_model_dir)
    stats = run_pipeline(config, [str(p) for p in inputs], base / "out",
                         benchmarks=[str(shared_dir / "data/benchmarks")])
    return base / "out", stats, planted


def _ids(folder: Path) -> list[str]:
    return [json.loads(line)["id"] for f in sorted(folder.rglob("*.jsonl.gz")) for line in gzip.open(f, "rt")]


def test_accounting_balances_and_report_is_written(run):
    out, stats, _ = run
    acc = stats["accounting"]
    assert acc["balanced"] and acc["in"] == acc["out"] + acc["excluded"] + acc["errors"] and acc["out"] > 1000
    report = (out / "report.md").read_text()
    assert "| 3gpp |" in report and "| arxiv |" in report and "| code |" in report and "balanced" in report
    tokens = stats["tokens"]["out:*"]
    assert tokens["3gpp"] > 10_000 and tokens["arxiv"] > 100_000 and tokens["code"] > 10_000
    assert json.loads((out / "stats.json").read_text())["accounting"] == acc
    assert read_stats(out) == report  # what `telecomgpt data stats DIR` prints


def test_broken_files_go_to_errors_with_reasons(run):
    reasons = {Path(e["path"]).name: e["reason"] for e in run[1]["errors"]}
    assert reasons["empty.docx"].startswith("empty file")
    assert reasons["binary.docx"].startswith("not a docx")
    assert reasons["38202-i10-truncated.docx"].startswith("corrupted docx")
    assert reasons["38999-i00.zip"].startswith("corrupted zip")
    assert reasons["latin1-notes.tex"].startswith("not UTF-8")
    assert "longer than" in reasons["one-line.tex"]


def test_filters_and_dedup_each_leave_an_audit_trail(run):
    out, _, planted = run
    excluded = out / "excluded"
    assert _ids(excluded / "boilerplate/front_matter") and _ids(excluded / "boilerplate/change_history")
    assert "arxiv-latex/french.tex" in _ids(excluded / "language/not_english")
    assert "arxiv-latex/2401.00001.tar.gz" in _ids(excluded / "decontamination/benchmark_overlap")
    records = [json.loads(line) for f in (excluded / "decontamination").rglob("*.gz")
               for line in gzip.open(f, "rt")]
    planted_record = next(r for r in records if r["id"] == "arxiv-latex/2401.00001.tar.gz")
    assert planted["teleqna_id"] in planted_record["metadata"]["benchmark_hits"]
    assert len(_ids(excluded / "exact_dedup")) >= 20  # the repeated abstracts (and identical clauses)
    assert {"generated"} <= {p.name for p in (excluded / "read").iterdir()}


def test_same_clause_across_releases_and_formats_is_deduplicated(run):
    out = run[0]
    removed = _ids(out / "excluded/exact_dedup") + _ids(out / "excluded/minhash")
    spec_clauses = [i for i in removed if i.startswith("3gpp/TS 38.211/")]
    kept = [i for i in _ids(out / "data") if i.startswith("3gpp/TS 38.211/")]
    # one of each Rel-18/Rel-19 pair goes: a large share of the 38.211 clauses are removed as duplicates
    assert len(spec_clauses) > 0.3 * len(kept)


def test_output_loads_with_datasets_and_split_is_deterministic(run):
    import datasets

    out = run[0]
    train = datasets.load_dataset("json", data_files=str(out / "data/train/*.jsonl.gz"), split="train")
    validation = datasets.load_dataset("json", data_files=str(out / "data/validation/*.jsonl.gz"),
                                       split="train")
    assert len(train) > 20 * len(validation) > 0
    assert {"text", "id", "metadata"} <= set(train.column_names)
    assert not set(train["id"]) & set(validation["id"])


def test_every_block_has_a_real_name_in_the_logs(tmp_path, shared_dir):
    """datatrove logs each block as "type: name"; a block without either printed "None" in `data run`."""
    config = load_config(Path(__file__).resolve().parents[2] / "configs" / "data" / "telecom.yaml")
    stages = build_stages(config, [str(shared_dir / "data" / "corpus" / "3gpp" / "tr-library")], tmp_path,
                          [str(shared_dir / "data" / "benchmarks")])
    blocks = [block for _, pipeline, _ in stages for block in pipeline]
    assert len(blocks) >= 8
    for block in blocks:
        assert "None" not in repr(block), repr(block)
