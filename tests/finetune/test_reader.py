"""`telecomgpt train reader`: answer-sentence groups mined from real specs, their decontamination, and a
reader trained through the CLI that picks the answering sentence of a real clause as the lead.

The trained reader learns from TS 38.321 and TR 21.905 only; the planted questions are about TS 38.300 (never
trained on), so a right lead is read, not remembered.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.grounding import GroundingSession, order_sentences
from app.reader import default_reader, reader_path
from app.readers import read_file
from app.reranker import Reranker
from finetune.data.reader_pairs import (
    ReaderMining,
    chunk_sentences,
    mine_reader_pairs,
    read_groups,
    read_reader_pairs,
)

MAC = "data/corpus/3gpp/rel19-md/38.321_MAC_j20.md"
GLOSSARY = "data/corpus/3gpp/21905-h20.docx"
NG_RAN = "data/corpus/3gpp/rel19-md/38.300_NG-RAN_Overall_j20.md"


@pytest.fixture(scope="session")
def mac_groups(shared_dir: Path) -> list[dict]:
    return read_groups([str(shared_dir / MAC)], [])


def test_mined_groups_hold_the_answering_sentence_and_hard_negatives_of_its_own_chunk(shared_dir, mac_groups):
    kinds = {g["kind"] for g in mac_groups}
    assert {"definition", "procedure"} <= kinds, kinds
    chunks = [c.text for c in read_file(shared_dir / MAC, 1000)[0]]
    for group in mac_groups[:200]:
        assert group["positive"] not in group["negatives"] and 1 <= len(group["negatives"]) <= 3
        # the negatives come from the chunk that holds the answer
        assert any(all(s in " ".join(c.split()) for s in [group["positive"], *group["negatives"]])
                   for c in chunks), group
    procedure = next(g for g in mac_groups if g["kind"] == "procedure")
    assert procedure["question"].startswith("What does the MAC entity do ")
    assert procedure["positive"].startswith("2>")  # the action under the "1>" condition, not the condition


def test_a_planted_benchmark_sentence_is_dropped_from_the_training_pairs(shared_dir, mac_groups, tmp_path):
    planted = next(g["positive"] for g in mac_groups if len(g["positive"].split()) >= 16)
    benchmark = tmp_path / "bench" / "planted.jsonl"
    benchmark.parent.mkdir()
    item = {"question": f"Which statement is true? {planted}", "answer": "1"}
    benchmark.write_text(json.dumps(item) + "\n")
    out = tmp_path / "pairs"
    job = ReaderMining(corpus=[str(shared_dir / MAC)], benchmarks=[str(benchmark.parent)])
    stats = mine_reader_pairs(job, out)
    kept = read_reader_pairs(out)
    assert stats["excluded"].get("contaminated", 0) >= 1, stats
    assert not any(planted in " ".join([g["question"], g["positive"], *g["negatives"]]) for g in kept)
    assert len(kept) > 100  # the rest of the spec is kept


@pytest.fixture(scope="session")
def trained_reader(run_cli, shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped recipe on TS 38.321 + TR 21.905, through the CLI (a few minutes on 2 cores)."""
    out = tmp_path_factory.mktemp("reader") / "reader"
    result = run_cli("train", "reader", "--config", "configs/finetune/minilm/reader.yaml",
                     "--corpus", str(shared_dir / MAC), "--corpus", str(shared_dir / GLOSSARY),
                     "--output", str(out), timeout=1800)
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads((out / "reader_summary.json").read_text())["groups"]["kept"] > 100
    return out


class _Hit:
    """What GroundingSession reads of a retrieval hit."""

    def __init__(self, text: str):
        self.text, self.citation, self.metadata = text, "TS 38.300", {"chunk_id": "planted", "title": ""}


def _chunk_with(shared_dir: Path, needle: str) -> str:
    return next(c.text for c in read_file(shared_dir / NG_RAN, 1000)[0] if needle in c.text)


PLANTED = [  # (question, a sentence of its real TS 38.300 chunk, the sentence that answers)
    ("What functions does the gNB and ng-eNB support?", "The gNB and ng-eNB host the following functions:",
     "-Functions for Radio Resource Management"),
]


@pytest.mark.slow
@pytest.mark.parametrize("question,needle,answer", PLANTED)
def test_the_reader_puts_the_answering_sentence_first(trained_reader, shared_dir, question, needle, answer):
    chunk = _chunk_with(shared_dir, needle)
    candidates = [s for s in chunk_sentences(chunk) if not s.endswith(":")]
    reader = Reranker.load(trained_reader)

    def first(reader_or_none) -> str:
        order = order_sentences(question, candidates, reader=reader_or_none)
        return candidates[max(range(len(candidates)), key=lambda i: order[i])]

    assert first(reader).startswith(answer)
    assert not first(None).startswith(answer)  # today's order picks another sentence of the clause


@pytest.mark.slow
def test_the_lead_comes_from_the_reader_in_the_users_cache(trained_reader, shared_dir, monkeypatch, tmp_path):
    question, needle, answer = PLANTED[0]
    monkeypatch.setenv("TELECOMGPT_HOME", str(tmp_path))
    real_home = Path.home() / ".cache" / "telecomgpt"
    if (real_home / "embedders").is_dir():  # the int8 embedder export is reused, not rebuilt
        (tmp_path / "embedders").symlink_to(real_home / "embedders")
    assert default_reader() is None  # nothing trained here: today's order
    without = GroundingSession(question, [_Hit(_chunk_with(shared_dir, needle))]).lead()
    reader_path().symlink_to(trained_reader)
    assert default_reader() is not None
    with_reader = GroundingSession(question, [_Hit(_chunk_with(shared_dir, needle))]).lead()
    assert with_reader.startswith(answer) and with_reader.endswith("[1]")
    assert not without.startswith(answer)
