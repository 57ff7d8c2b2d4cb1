"""The dtype choice (telecomgpt.hardware): bf16 only where the device does it natively; explicit choices win.

Machines are described, not detected, where the point is a kind of machine this runner may not be; the real
detection is checked through ONEDNN_MAX_CPU_ISA, which caps any x86 CPU to AVX2 (no native bf16) for real.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from finetune.recipes import parse_recipe
from telecomgpt import hardware
from telecomgpt.config import read_yaml
from telecomgpt.hardware import CPUInfo, CUDAInfo, Machine, cap_flags, choose_dtype
from telecomgpt.llm.server import VLLMServer

AVX2 = CPUInfo("AMD EPYC 7B12", "x86_64", frozenset({"avx2", "fma"}), 2)
AVX512_NO_BF16 = CPUInfo("Intel Xeon 8259CL", "x86_64", frozenset({"avx2", "avx512f", "avx512_vnni"}), 2)
AVX512_BF16 = CPUInfo("AMD EPYC 9R14", "x86_64", frozenset({"avx2", "avx512f", "avx512_bf16"}), 2)
AMX = CPUInfo("Intel Xeon 8480+", "x86_64", frozenset({"avx2", "avx512f", "amx_tile", "amx_bf16"}), 2)
GRAVITON2 = CPUInfo("Neoverse-N1", "aarch64", frozenset({"asimd", "fp"}), 2)
GRAVITON3 = CPUInfo("Neoverse-V1", "aarch64", frozenset({"asimd", "sve", "bf16", "i8mm"}), 2)
H100 = CUDAInfo("NVIDIA H100 80GB HBM3", 1, True, 80, "9.0")
T4 = CUDAInfo("Tesla T4", 1, False, 15, "7.5")
RECIPES = Path(__file__).resolve().parents[2] / "configs" / "finetune" / "smollm2-135m"


@pytest.mark.parametrize(("cpu", "want"), [(AVX2, "float32"), (AVX512_NO_BF16, "float32"),
                                           (AVX512_BF16, "bfloat16"), (AMX, "bfloat16"),
                                           (GRAVITON2, "float32"), (GRAVITON3, "bfloat16")])
def test_cpu_gets_bf16_only_where_it_computes_bf16_natively(cpu, want):
    machine = Machine(cpu)
    assert {choose_dtype(machine, c) for c in hardware.COMPONENTS} == {want}


def test_cuda_gets_bf16_where_supported_and_float16_elsewhere_while_cpu_only_parts_follow_the_cpu():
    assert choose_dtype(Machine(AVX2, H100), "serve") == "bfloat16"
    assert choose_dtype(Machine(AVX2, T4), "train") == "float16"
    assert choose_dtype(Machine(AVX2, T4), "embedder") == "float32"  # the embedders run on the CPU
    assert choose_dtype(Machine(AVX2, H100), "train", device="cpu") == "float32"  # a CPU recipe (use_cpu)


def test_an_explicit_choice_always_wins():
    assert choose_dtype(Machine(AVX2), "serve", "bfloat16") == "bfloat16"
    assert choose_dtype(Machine(AMX), "serve", "float32") == "float32"
    assert choose_dtype(Machine(AMX, H100), "eval", "auto") == "bfloat16"
    with pytest.raises(ValueError, match="dtype must be one of"):
        choose_dtype(Machine(AVX2), "serve", "fp8")


def test_proc_cpuinfo_is_read_on_x86_and_arm():
    x86 = "processor\t: 0\nmodel name\t: AMD EPYC 7B12\nflags\t\t: fpu avx2 fma\n\nprocessor\t: 1\n"
    assert hardware._parse_proc_cpuinfo(x86) == ("AMD EPYC 7B12", frozenset({"fpu", "avx2", "fma"}))
    arm = "processor\t: 0\nBogoMIPS\t: 243.75\nFeatures\t: fp asimd sve bf16 i8mm\nCPU part\t: 0xd40\n"
    model, flags = hardware._parse_proc_cpuinfo(arm)
    assert "bf16" in flags and CPUInfo(model or "aarch64", "aarch64", flags).bf16


def test_a_onednn_isa_cap_counts_as_the_cpu_it_caps_to():
    flags = frozenset({"avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile"})
    assert cap_flags(flags, "AVX2") == frozenset({"avx2"})
    assert cap_flags(flags, "AVX512_CORE_BF16") == frozenset({"avx2", "avx512f", "avx512_bf16"})
    assert cap_flags(flags, None) == flags


def test_the_dtype_setting_reaches_every_component(monkeypatch):
    monkeypatch.setenv("TELECOMGPT_DTYPE", "float16")
    assert set(hardware.all_dtypes().values()) == {"float16"}
    assert hardware.dtype_for("serve", "float32") == "float32"  # a command's flag beats the setting


def test_recipe_auto_resolves_per_machine_and_true_false_are_kept(monkeypatch):
    monkeypatch.setattr(hardware, "detect", lambda: Machine(AVX2))
    recipe = parse_recipe("sft", RECIPES / "sft.yaml", ["--dataset_path", "x"])
    assert (recipe.train.bf16, recipe.model.bnb_4bit_compute_dtype) == (False, "float32")
    assert recipe.precision["autocast"] == "float32"
    assert "auto for the CPU of CPU AMD EPYC 7B12" in recipe.precision["chosen_by"]
    monkeypatch.setattr(hardware, "detect", lambda: Machine(AMX))
    recipe = parse_recipe("sft", RECIPES / "sft.yaml", ["--dataset_path", "x"])
    assert (recipe.train.bf16, recipe.model.bnb_4bit_compute_dtype) == (True, "bfloat16")
    kept = parse_recipe("cpt", RECIPES / "cpt.yaml", ["--dataset_path", "x", "--bf16", "false"])
    assert not kept.train.bf16 and kept.precision == {"autocast": "float32", "weights": "float32",
                                                      "chosen_by": "the recipe"}
    monkeypatch.setattr(hardware, "detect", lambda: Machine(AVX2))
    forced = parse_recipe("cpt", RECIPES / "cpt.yaml", ["--dataset_path", "x", "--bf16", "true"])
    assert forced.train.bf16 and forced.precision["autocast"] == "bfloat16"
    cli_auto = parse_recipe("cpt", RECIPES / "cpt.yaml", ["--dataset_path", "x", "--bf16", "auto"])
    assert not cli_auto.train.bf16


def test_shipped_cpu_recipes_ask_for_auto():
    for stage in ("cpt", "sft", "dpo"):
        assert read_yaml(RECIPES / f"{stage}.yaml")["bf16"] == "auto"


def test_the_vllm_command_line_carries_the_chosen_dtype(embedded_model_dir, monkeypatch):
    def dtype_of(server: VLLMServer) -> str:
        cmd = server.command()
        return cmd[cmd.index("--dtype") + 1]

    monkeypatch.setattr(hardware, "detect", lambda: Machine(AVX2))
    assert dtype_of(VLLMServer(embedded_model_dir, port=8123)) == "float32"
    monkeypatch.setattr(hardware, "detect", lambda: Machine(AVX512_BF16))
    assert dtype_of(VLLMServer(embedded_model_dir, port=8123)) == "bfloat16"
    assert dtype_of(VLLMServer(embedded_model_dir, port=8123, dtype="float32")) == "float32"


def _env_json(run_cli, **env) -> dict:
    done = run_cli("env", "--json", env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_env_json_names_the_machine_and_the_dtypes(run_cli):
    info = _env_json(run_cli)
    assert set(info["dtypes"]) >= {"serve", "eval", "train", "reranker"}
    assert isinstance(info["cpu"]["bf16"], bool) and info["cpu"]["model"]
    want = "bfloat16" if info["cpu"]["bf16"] else "float32"
    assert info["cuda"] is not None or set(info["dtypes"].values()) == {want}
    capped = _env_json(run_cli, ONEDNN_MAX_CPU_ISA="AVX2")  # any x86 CPU, capped: no native bf16
    if capped["cpu"]["arch"] == "x86_64" and capped["cuda"] is None:
        assert capped["cpu"]["bf16"] is False and set(capped["dtypes"].values()) == {"float32"}
        assert capped["cpu"]["isa_cap"] == "AVX2"
    forced = _env_json(run_cli, TELECOMGPT_DTYPE="bfloat16")
    assert set(forced["dtypes"].values()) == {"bfloat16"} and forced["dtype_setting"] == "bfloat16"


def test_env_rejects_a_bad_dtype_setting_in_one_line(run_cli, assert_one_line_error):
    assert_one_line_error(run_cli("env", env={"TELECOMGPT_DTYPE": "fp8"}, timeout=120), "dtype")
