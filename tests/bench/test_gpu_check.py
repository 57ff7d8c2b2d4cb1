"""`bench/gpu_check.sh --dry-run`: the GPU check's exact stage commands, on CPU with 2 steps and a 2-layer
model."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_gpu_check_dry_run_trains_every_stage(tmp_path: Path, embedded_model_dir: Path):
    out = tmp_path / "gpu_check"
    result = subprocess.run(["bash", str(ROOT / "bench/gpu_check.sh"), "--dry-run", "--output", str(out)],
                            capture_output=True, text=True, timeout=840)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    lines = [ln for ln in result.stdout.splitlines() if ln.split()[:1] and ln.split()[0] in
             {"cpt", "sft-lora", "sft-qlora", "dpo"}]
    assert [ln.split()[:2] for ln in lines] == [[s, "ok"] for s in ("cpt", "sft-lora", "sft-qlora", "dpo")]
    assert all("tokens/s" in ln and "MFU    n/a" in ln and "cpu_rss" in ln for ln in lines)  # no peak on CPU
    results = {r["stage"]: r for r in json.loads((out / "gpu_check.json").read_text())}
    for stage, r in results.items():
        assert r["steps"] == 2 and r["tokens_per_second"] > 0 and r["peak_memory_gib"] > 0, stage
        assert "--use_cpu" in r["command"] and "configs/finetune/smollm2-135m/gpu" in " ".join(r["command"])
    # CPT: 2 steps x 2 wrapped rows x 64 tokens; 2-layer model: N = 2 x 3,538,944 + 49,152 x 576 = 35,389,440
    assert results["cpt"]["tokens"] == 256
    assert results["cpt"]["flops_per_token"] == 6 * 35_389_440 + 12 * 2 * 576 * 64
    assert ((out / "sft-qlora" / "adapter_config.json").is_file()
            and (out / "dpo" / "adapter_config.json").is_file())
