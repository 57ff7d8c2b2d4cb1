"""The one benchmark-archive reader (used by eval and the pipeline), on the real AES-encrypted TeleQnA.zip."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from data_pipeline.decontaminate import BenchmarkNgrams
from telecomgpt.domain.benchmark_files import zip_password, zip_texts
from telecomgpt.errors import UserError


@pytest.fixture(scope="module")
def teleqna_zip(shared_dir: Path) -> Path:
    return shared_dir / "data/benchmarks/teleqna/TeleQnA.zip"


def test_published_password_decrypts_teleqna(teleqna_zip: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("TELEQNA_PASSWORD", raising=False)
    members = dict(zip_texts(teleqna_zip))
    assert list(members) == ["TeleQnA.txt"] and len(json.loads(members["TeleQnA.txt"])) == 1000
    assert zip_password(Path("any/other.zip")) is None


def test_teleqna_password_variable_is_honoured_by_every_reader(teleqna_zip: Path,
                                                                monkeypatch: pytest.MonkeyPatch):
    """Both the evaluation and the decontamination index read through here, so both obey the variable."""
    monkeypatch.setenv("TELEQNA_PASSWORD", "not-the-password")
    with pytest.raises(UserError, match="cannot decrypt TeleQnA.txt") as error:
        list(zip_texts(teleqna_zip))
    assert "TELEQNA_PASSWORD" in error.value.one_line()
    with pytest.raises(UserError, match="cannot decrypt"):
        BenchmarkNgrams.from_paths([teleqna_zip])


def test_a_broken_archive_is_a_one_line_error(tmp_path: Path):
    broken = tmp_path / "TeleQnA.zip"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(UserError, match="benchmark zip is unreadable"):
        list(zip_texts(broken))
