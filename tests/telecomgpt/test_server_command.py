"""The vLLM command line `telecomgpt serve` builds: multi-GPU parallelism and passed-through engine arguments.

No vLLM is started: the command is what a GPU machine would run (tensor/data parallelism cannot be exercised
on the CPU build of vLLM).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from telecomgpt.cli.serve import _split_vllm_args
from telecomgpt.errors import UserError
from telecomgpt.llm.server import VLLMServer


def _value(cmd: list[str], flag: str) -> str:
    return cmd[cmd.index(flag) + 1]


def test_command_carries_parallelism_and_engine_arguments(embedded_model_dir: Path):
    extra = _split_vllm_args(["--gpu-memory-utilization 0.9", "--max-num-seqs 512 --enable-prefix-caching"])
    server = VLLMServer(embedded_model_dir, port=8123, tensor_parallel_size=2, data_parallel_size=4,
                        extra_args=extra)
    cmd = server.command()
    assert _value(cmd, "--tensor-parallel-size") == "2" and _value(cmd, "--data-parallel-size") == "4"
    assert cmd[-5:] == ["--gpu-memory-utilization", "0.9", "--max-num-seqs", "512", "--enable-prefix-caching"]
    assert _value(cmd, "--model") == str(server.model_dir) and _value(cmd, "--port") == "8123"


def test_single_gpu_command_has_no_parallel_flags(embedded_model_dir: Path):
    cmd = VLLMServer(embedded_model_dir, port=8123).command()
    assert "--tensor-parallel-size" not in cmd and "--data-parallel-size" not in cmd


def test_bad_parallelism_and_bare_words_are_one_line_errors(embedded_model_dir: Path):
    with pytest.raises(UserError, match="at least 1"):
        VLLMServer(embedded_model_dir, tensor_parallel_size=0)
    with pytest.raises(UserError, match="start with --"):
        _split_vllm_args(["gpu-memory-utilization 0.9"])
    assert _split_vllm_args(['--override-generation-config \'{"temperature": 0.2}\'']) == [
        "--override-generation-config", '{"temperature": 0.2}']


def test_serve_cli_accepts_dash_values_and_rejects_bad_sizes_in_one_line(run_cli, assert_one_line_error):
    """The options reach VLLMServer (its check fires) and a `--`-leading --vllm-arg value is not taken for a
    flag."""
    result = run_cli("serve", "--vllm-arg", "--gpu-memory-utilization 0.9", "--tensor-parallel-size", "0",
                     timeout=120)
    assert_one_line_error(result, "must be at least 1")
