"""A first run is quiet: converting the GGUF model (`models prepare`) and exporting the int8 embedder (the
first `index build`) print one line per step, not transformers' GGUF notes, torch.onnx TracerWarnings or
NNCF progress bars; those go to $TELECOMGPT_HOME/logs/. Run in a fresh TELECOMGPT_HOME, as on a new
machine."""

from __future__ import annotations

from pathlib import Path

import pytest

from telecomgpt.quiet import quiet

pytestmark = pytest.mark.slow

KNOWLEDGE = Path(__file__).resolve().parents[2] / "app" / "knowledge"
NOISE = ("Warning", "warn(", "GGUF", "dequantiz", "%|", "━", "Statistics collection", "Applying")


def _lines(result) -> list[str]:
    return [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]


def test_quiet_sends_python_and_fd_output_to_the_log(tmp_path, capfd):
    import os
    import warnings

    log = tmp_path / "step.log"
    with quiet(log):
        print("from python")
        os.write(2, b"from C\n")
        warnings.warn("a library warning", UserWarning, stacklevel=1)
    print("after")
    out, err = capfd.readouterr()
    assert out == "after\n" and err == ""
    assert "from python" in log.read_text() and "from C" in log.read_text()


def test_first_prepare_and_index_build_print_one_line_per_step(run_cli, tmp_path):
    env = {"TELECOMGPT_HOME": str(tmp_path / "home")}
    prepared = run_cli("models", "prepare", env=env, timeout=900)
    assert prepared.returncode == 0, prepared.stderr[-2000:]
    built = run_cli("index", "build", "-I", str(KNOWLEDGE), "-o", str(tmp_path / "index"), "-q", env=env,
                    timeout=900)
    assert built.returncode == 0, built.stderr[-2000:]
    for result in (prepared, built):
        lines = _lines(result)
        assert len(lines) <= 3, lines
        assert not [line for line in lines if any(n in line for n in NOISE)], lines
    logs = tmp_path / "home" / "logs"
    assert (logs / "embedder-export.log").stat().st_size > 0  # the export ran here, its noise kept
