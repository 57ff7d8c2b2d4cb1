"""`telecomgpt data run|stats`: shipped config loads; user mistakes give one line and exit code 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from data_pipeline.config import PipelineConfig, load_config

REPO = Path(__file__).resolve().parents[2]
TELECOMGPT = [sys.executable, "-c", "from telecomgpt.cli.main import main; main()"]


def test_every_shipped_config_loads():
    for path in sorted((REPO / "configs/data").glob("*.yaml")):
        config = load_config(path)
        assert isinstance(config, PipelineConfig) and config.minhash.buckets * config.minhash.rows == 112
        assert config.line_rules["code"].enabled is False


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--input", "/nonexistent/specs", "--output", "{tmp}/out"], "input not found"),
        (["run", "--input", "{tmp}", "--output", "{tmp}/out", "--config", "{tmp}/bad.yaml"], "invalid setting"),
        (["run", "--input", "{tmp}", "--output", "{tmp}/out", "--executor", "slurm"], "unknown executor"),
        (["stats", "{tmp}/nothing"], "no report.md"),
    ],
)
def test_user_mistakes_are_one_line_errors(tmp_path, args, message):
    (tmp_path / "bad.yaml").write_text("minhash_buckets: 3\n")
    done = subprocess.run([*TELECOMGPT, "data", *[a.format(tmp=tmp_path) for a in args]],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_help_explains_the_command():
    done = subprocess.run([*TELECOMGPT, "data", "run", "--help"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "--benchmarks" in done.stdout and "resume" in done.stdout.lower()
