"""`telecomgpt train reader`: answer-sentence groups mined from real specs and their decontamination."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.readers import read_file
from finetune.data.reader_pairs import (
    ReaderMining,
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
