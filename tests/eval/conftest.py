"""Fixtures of the evaluation tests: the benchmark dev splits and one task-data cache per session."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def bench_dir(shared_dir: Path) -> Path:
    """The official-format dev splits in shared/data/benchmarks."""
    return shared_dir / "data" / "benchmarks"


@pytest.fixture(scope="session")
def eval_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh cache for built task data, so the tests exercise the builders, not an old cache."""
    return tmp_path_factory.mktemp("eval-cache")
