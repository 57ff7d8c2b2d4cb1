"""The benchmark readers on the real dev splits, and their behaviour on broken input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from eval.data.benchmarks import build_oran, build_srsran, build_teleqna, build_wireless_math
from eval.data.store import build_source, manifest
from telecomgpt.errors import UserError


def test_teleqna_zip_is_decrypted_and_split_by_category(bench_dir: Path):
    built = build_teleqna(bench_dir)
    counts = {name: len(rows) for name, rows in built.splits.items()}
    assert counts["all.jsonl"] == 1000 and built.malformed == []
    assert counts == {"lexicon.jsonl": 50, "research_overview.jsonl": 200, "research_publications.jsonl": 450,
                      "standards_overview.jsonl": 100, "standards_specifications.jsonl": 200,
                      "all.jsonl": 1000}
    for row in built.splits["all.jsonl"]:
        assert 2 <= len(row["choices"]) <= 5 and 0 <= row["gold"] < len(row["choices"])


def test_every_item_is_accounted_for(bench_dir: Path):
    """inputs = items + malformed, line for line, for the list-per-line and JSONL formats."""
    oran = build_oran(bench_dir)
    lines = sum(1 for p in oran.inputs for line in p.read_text().splitlines() if line.strip())
    assert len(oran.splits["all.jsonl"]) + len(oran.malformed) == lines == 1394
    srsran = build_srsran(bench_dir)
    assert len(srsran.splits["test.jsonl"]) + len(srsran.malformed) == 300
    math = build_wireless_math(bench_dir)
    assert len(math.splits["mcq.jsonl"]) + len(math.splits["fill.jsonl"]) + len(math.malformed) == 191
    assert all(m.reason for m in oran.malformed + math.malformed)


def test_malformed_lines_are_counted_not_fatal(bench_dir: Path, tmp_path: Path):
    folder = tmp_path / "srsran_bench"
    folder.mkdir()
    good = (bench_dir / "srsran_bench" / "srsRANBench.json").read_text().splitlines()[:5]
    broken = ['["truncated question", ["1. a"', '{"question": "no options"}', '["q", ["1. a", "2. b"], "7"]']
    (folder / "srsRANBench.json").write_text("\n".join(good + broken) + "\n")
    built = build_srsran(tmp_path)
    assert len(built.splits["test.jsonl"]) == 5 and len(built.malformed) == 3
    assert [m.where for m in built.malformed] == ["line 6", "line 7", "line 8"]


def test_teleqna_txt_directly_in_data_dir_and_a_broken_entry(bench_dir: Path, tmp_path: Path):
    import pyzipper

    with pyzipper.AESZipFile(bench_dir / "teleqna" / "TeleQnA.zip") as archive:
        archive.setpassword(b"teleqnadataset")
        data = json.loads(archive.read("TeleQnA.txt"))
    first = dict(list(data.items())[:4])
    broken_key = list(first)[3]
    first[broken_key] = {"question": "broken", "option 1": "a", "answer": "option 9: nowhere"}
    (tmp_path / "TeleQnA.txt").write_text(json.dumps(first, indent=1))
    built = build_teleqna(tmp_path)
    assert len(built.splits["all.jsonl"]) == 3 and [m.where for m in built.malformed] == [broken_key]


def test_wrong_zip_password_is_a_one_line_error(bench_dir: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TELEQNA_PASSWORD", "not-the-password")
    with pytest.raises(UserError, match="cannot decrypt"):
        build_teleqna(bench_dir)


def test_missing_files_are_one_line_errors(tmp_path: Path):
    with pytest.raises(UserError, match="fin_E.json"):
        build_oran(tmp_path)
    with pytest.raises(UserError, match="data directory not found"):
        build_srsran(tmp_path / "absent")


def test_cache_is_deterministic_and_rebuilt_when_input_changes(bench_dir: Path, tmp_path: Path):
    data = tmp_path / "data"
    shutil.copytree(bench_dir / "srsran_bench", data / "srsran_bench")
    first = build_source("srsran_bench", data, tmp_path / "a")
    second = build_source("srsran_bench", data, tmp_path / "b")
    assert (first / "test.jsonl").read_bytes() == (second / "test.jsonl").read_bytes()
    with (data / "srsran_bench" / "srsRANBench.json").open("a") as handle:
        handle.write("not json\n")
    rebuilt = build_source("srsran_bench", data, tmp_path / "a")
    assert rebuilt != first and manifest("srsran_bench", data, tmp_path / "a")["malformed"] == 1
