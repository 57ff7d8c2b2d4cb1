"""Fault tolerance and executors: a killed run resumes to the same output; Ray gives the same output."""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TELECOMGPT = [sys.executable, "-c", "from telecomgpt.cli.main import main; main()"]


def _command(shared_dir: Path, out: Path, config: Path, *extra: str) -> list[str]:
    corpus = shared_dir / "data/corpus"
    return [*TELECOMGPT, "data", "run", "--config", str(config), "--output", str(out), "--workers", "1",
            "--input", str(corpus / "3gpp/rel19-md/38.211_PHY-Channels_j30.md"),
            "--input", str(corpus / "code/free5gc-nas"), *extra]


def _data(out: Path) -> dict[str, list[str]]:
    """Decompressed output per file (gzip headers carry timestamps; the documents must be equal)."""
    return {str(f.relative_to(out)): gzip.open(f, "rt").read().splitlines()
            for f in sorted((out / "data").rglob("*.jsonl.gz"))}


@pytest.fixture(scope="module")
def config(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("config") / "fast.yaml"
    # no token counts, and 4 LSH bands instead of 14: fewer Ray tasks; both runs compared use this config
    text = (REPO / "configs/data/telecom.yaml").read_text()
    path.write_text(text.replace("tokenizer: default", "tokenizer: none").replace("buckets: 14",
                                                                                  "buckets: 4"))
    return path


@pytest.fixture(scope="module")
def reference(shared_dir, config, tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("uninterrupted")
    done = subprocess.run(_command(shared_dir, out, config), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "✓" in done.stdout
    return _data(out)


@pytest.mark.slow
def test_killed_run_resumes_to_identical_output(shared_dir, config, reference, tmp_path):
    out = tmp_path / "run"
    process = subprocess.Popen(_command(shared_dir, out, config), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    # kill the whole process group once the first stage has finished part of its work
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not list((out / "logs/clean/completions").glob("*")):
        assert process.poll() is None, "the run ended before it could be interrupted"
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert not (out / "stats.json").exists()  # really interrupted
    resumed = subprocess.run(_command(shared_dir, out, config), capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert ("Skipping 1 already completed tasks" in resumed.stderr
            or "already been completed" in resumed.stderr)
    assert _data(out) == reference


@pytest.mark.slow
def test_ray_executor_gives_identical_output(shared_dir, config, reference, tmp_path):
    out = tmp_path / "ray"
    # the last --workers wins
    command = _command(shared_dir, out, config, "--executor", "ray", "--workers", "2")
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert _data(out) == reference
