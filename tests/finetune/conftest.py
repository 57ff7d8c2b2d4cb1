"""Small real datasets for the finetune tests, built once per session from ../shared.

The CPT corpus mimics the data pipeline's output (DIR/data/*.jsonl.gz with a `text` field): clauses of
TS 38.211 (Release 19) split with the core's own `telecomgpt.domain.tgpp`.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from finetune_helpers import write_jsonl

from finetune.data.build_dpo import _pair, corrupt
from finetune.data.build_sft import SFTBuild, build_sft
from finetune.data.filtering import Finalizer
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
