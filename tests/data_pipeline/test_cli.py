"""`telecomgpt data run|stats`: shipped config loads; user mistakes give one line and exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from data_pipeline.config import PipelineConfig, load_config

REPO = Path(__file__).resolve().parents[2]


def test_every_shipped_config_loads():
    for path in sorted((REPO / "configs/data").glob("*.yaml")):
        config = load_config(path)
        assert isinstance(config, PipelineConfig) and config.minhash.buckets * config.minhash.rows == 112
        assert config.line_rules["code"].enabled is False


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--input", "/nonexistent/specs", "--output", "{tmp}/out"], "input not found"),
        (["run", "--input", "{tmp}", "--output", "{tmp}/out", "--config", "{tmp}/bad.yaml"],
         "invalid setting"),
        (["run", "--input", "{tmp}", "--output", "{tmp}/out", "--executor", "slurm"], "unknown executor"),
        (["stats", "{tmp}/nothing"], "no report.md"),
    ],
)
def test_user_mistakes_are_one_line_errors(run_cli, assert_one_line_error, tmp_path, args, message):
    (tmp_path / "bad.yaml").write_text("minhash_buckets: 3\n")
    done = run_cli("data", *[a.format(tmp=tmp_path) for a in args], timeout=120)
    assert_one_line_error(done, message)


def test_help_explains_the_command(run_cli):
    done = run_cli("data", "run", "--help", timeout=120)
    assert done.returncode == 0 and "--benchmarks" in done.stdout and "resume" in done.stdout.lower()
