"""Benchmark n-gram index on the real dev splits, in their official formats (encrypted zip included)."""

from __future__ import annotations

import json

import pytest
import pyzipper

from data_pipeline.decontaminate import BenchmarkNgrams
from telecomgpt.errors import UserError


@pytest.fixture(scope="module")
def benchmarks(shared_dir):
    return BenchmarkNgrams.from_paths([shared_dir / "data/benchmarks"], n=13)


def _teleqna_items(shared_dir) -> dict:
    with pyzipper.AESZipFile(shared_dir / "data/benchmarks/teleqna/TeleQnA.zip") as archive:
        archive.setpassword(b"teleqnadataset")
        return json.loads(archive.read("TeleQnA.txt"))


def test_reads_every_official_format(benchmarks):
    prefixes = {item_id.split(":")[0] for item_id in benchmarks.items}
    assert {"TeleQnA", "fin_E", "fin_M", "fin_H", "srsRANBench", "S0_test_public"} <= prefixes
    assert len(benchmarks) > 2500 and not benchmarks.skipped


def test_matches_planted_benchmark_text_only(benchmarks, shared_dir):
    key, item = next(iter(_teleqna_items(shared_dir).items()))
    planted = ("An unrelated introduction about radio networks. " + item["question"] + " "
               + item["explanation"])
    assert f"TeleQnA:{key}" in benchmarks.matches(planted)
    # case/punctuation-insensitive
    assert f"TeleQnA:{key}" in benchmarks.matches(planted.upper().replace(",", " ,"))
    clean = (shared_dir / "data/corpus/3gpp/rel19-md/37.340_Multi_Connectivity_j20.md").read_text()[:4000]
    assert benchmarks.matches(clean) == []


def test_missing_benchmark_path_is_a_user_error(tmp_path):
    with pytest.raises(UserError):
        BenchmarkNgrams.from_paths([tmp_path / "nope.json"])
