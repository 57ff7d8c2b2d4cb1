"""Dataset builders on real specs and code: every builder contributes, nothing is lost, benchmarks stay
out."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from finetune.data.build_dpo import DPOBuild, build_dpo
from finetune.data.build_sft import SFTBuild, build_sft
from finetune.data.records import record_text
from telecomgpt.errors import UserError


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in gzip.open(path)]


def test_build_sft_covers_every_deterministic_builder(sft_dir: Path):
    stats = json.loads((sft_dir / "stats.json").read_text())
    rows, excluded = read(sft_dir / "sft.jsonl.gz"), read(sft_dir / "excluded.jsonl.gz")
    assert set(stats["kept_by_source"]) >= {"abbreviation", "abbreviation_reverse", "definition",
                                            "code_docstring",
                                            "docstring_code", "code_infill", "equation_mask"}
    assert stats["inputs"] == len(rows) + len(excluded) == sum(stats["built_by_source"].values())
    assert all(r["reason"] for r in excluded)
    abbreviation = next(r for r in rows if r["source"] == "abbreviation" and "DM-RS" in record_text(r))
    assert "Demodulation Reference Signal" in abbreviation["completion"][0]["content"]
    assert {m["role"] for r in rows for m in r["prompt"] + r["completion"]} == {"user", "assistant"}
    assert len({r["id"] for r in rows}) == len(rows)


def test_build_sft_is_deterministic_and_decontaminated(shared_dir: Path, spec_md: Path, tmp_path: Path):
    """A benchmark question planted in the input text is excluded as contaminated; a rebuild is identical."""
    teleqna_like = tmp_path / "bench.jsonl"
    planted = ("In the NR physical layer the low-PAPR sequence is defined by a cyclic shift of a base "
               "sequence according to the formula given in the specification for every sequence length")
    teleqna_like.write_text(json.dumps({"id": "q1", "question": planted}) + "\n")
    text = tmp_path / "text" / "doc.md"
    text.parent.mkdir()
    text.write_text(f"Background. {planted}: $$r_{{u,v}}(n) = e^{{j\\alpha n}} \\bar r_{{u,v}}(n)$$ where n "
                    "is the sample index and alpha the cyclic shift applied to the base sequence of the "
                    "group.\n")
    outputs = []
    for name in ("a", "b"):
        build_sft(SFTBuild(output=tmp_path / name, specs=[str(spec_md)], text=[str(text.parent)],
                           benchmarks=[str(teleqna_like)], max_per_builder=40))
        outputs.append(read(tmp_path / name / "sft.jsonl.gz"))
    assert outputs[0] == outputs[1]
    excluded = read(tmp_path / "a" / "excluded.jsonl.gz")
    assert any(r["reason"].startswith("contaminated:") and r["source"] == "equation_mask" for r in excluded)
    assert not any(planted[:60] in record_text(r) for r in outputs[0])


def test_build_sft_rejects_missing_inputs(tmp_path: Path):
    with pytest.raises(UserError, match="nothing to build from"):
        build_sft(SFTBuild(output=tmp_path))
    with pytest.raises(UserError, match="input not found"):
        build_sft(SFTBuild(output=tmp_path, specs=[str(tmp_path / "missing")]))


@pytest.mark.slow
def test_build_dpo_pairs_policy_mistakes_from_vllm(sft_dir: Path, vllm_engine, tmp_path: Path):
    stats = build_dpo(DPOBuild(sft=[str(sft_dir)], output=tmp_path, max_prompts=12, max_tokens=48),
                      policy=vllm_engine)
    pairs = read(tmp_path / "dpo.jsonl.gz")
    assert stats["prompts"] == 12 and stats["policy_wrong"] + stats["policy_correct"] == 12
    assert stats["kept"] == len(pairs) and stats["inputs"] == len(pairs) + sum(stats["excluded"].values())
    assert any(p["origin"] == "policy" for p in pairs), "a 135M model gets some telecom answers wrong"
    assert any(p["origin"].startswith("corrupt:") for p in pairs)
    for pair in pairs:
        assert pair["chosen"][0]["content"] != pair["rejected"][0]["content"]
        assert pair["prompt"][0]["role"] == "user" and pair["chosen"][0]["role"] == "assistant"
