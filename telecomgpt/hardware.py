"""The one place that knows the machine: CPU model and bf16 support, CUDA devices, threads; and the dtype each
component computes in.

bf16 halves memory traffic, but only hardware with bf16 instructions computes it fast. Elsewhere PyTorch,
oneDNN and vLLM emulate it, and that costs more than it saves: on a 2-core AMD EPYC with AVX2 only, vLLM
prefill ran 5.5x slower in bf16 than in float32, a CPT step 7.4x, one autocast matmul 70x (issue 25). So the
rule is: bf16 where the device does it natively (CUDA with bf16; x86 with AVX-512-BF16 or AMX; ARM with its
bf16 extension), float16 on CUDA devices without bf16 (T4, V100), float32 otherwise. An explicit choice
always wins: a command's `--dtype`, a recipe's `bf16: true|false`, or the `dtype` setting
(`TELECOMGPT_DTYPE`, `dtype:` in telecomgpt.yaml) for every component at once.

Detection reads /proc/cpuinfo (Linux) or sysctl (macOS) rather than asking torch: torch reports its own
kernel level (`get_cpu_capability()` says AVX512 on CPUs both with and without AVX-512-BF16) and importing it
costs seconds, which `telecomgpt env` and a recipe check should not pay. CUDA is asked of torch only when
torch is already installed with CUDA.
"""

from __future__ import annotations

import os
import platform
import subprocess
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

DTYPES = ("bfloat16", "float16", "float32")
"""The compute dtypes a component can be given."""

DTYPE_CHOICES = ("auto", *DTYPES)
"""What a `--dtype` flag or the `dtype` setting accepts; auto = the machine's choice (`choose_dtype`)."""

DTYPE_HELP = ("Compute dtype: auto (bf16 where the hardware does it natively, float16 on CUDA without bf16, "
              "else float32), bfloat16, float16 or float32 [default: `dtype` from --config / "
              "TELECOMGPT_DTYPE, else auto; `telecomgpt env` shows the choice].")
"""The help of every `--dtype` flag (serve, chat, eval run)."""

COMPONENTS = {
    "serve": "the vLLM server of `serve` and `chat` (`--dtype`)",
    "eval": "the in-process vLLM engine of `eval run` and the dataset builders (`--dtype`)",
    "train": "autocast of `train cpt|sft|dpo` (recipe `bf16: auto|true|false`) and QLoRA's compute dtype",
    "reranker": "the cross-encoders of retrieval (reranker, answer reader)",
    "embedder": "the torch embedder backend (the default OpenVINO int8 backend picks its own precision)",
    "merge": "the weights `train merge` writes (`--dtype`)",
}
"""Every component whose dtype the machine decides, with where a user overrides it."""

CPU_ONLY = {"embedder"}
"""Components that always run on the CPU, whatever GPU the machine has."""

X86_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile", "amx_bf16", "amx_int8")
"""x86 flags that decide kernel speed here (bf16: avx512_bf16 / amx_bf16; int8: vnni / amx_int8)."""

ARM_FLAGS = ("asimd", "sve", "sve2", "bf16", "i8mm")
"""aarch64 feature names (in /proc/cpuinfo's Features line) that matter for the same reasons."""


@dataclass(frozen=True)
class CPUInfo:
    """The CPU as the operating system describes it."""

    model: str
    arch: str
    flags: frozenset[str] = field(default_factory=frozenset)
    cores: int = 1
    isa_cap: str | None = None
    """ONEDNN_MAX_CPU_ISA when set: `flags` are then what the cap leaves (see `cap_flags`)."""

    @property
    def bf16(self) -> bool:
        """Whether the CPU computes bf16 natively (dot-product instructions, not emulation by conversion)."""
        if self.arch in ("x86_64", "amd64", "i386", "i686"):
            return bool({"avx512_bf16", "amx_bf16"} & self.flags)
        return "bf16" in self.flags  # aarch64: FEAT_BF16 (Graviton3, Neoverse V1/N2, Apple M2+)

    def describe(self) -> str:
        """One line for reports: model, cores and how it does bf16 ('AMD EPYC (2 cores, AVX-512 BF16)')."""
        if "amx_bf16" in self.flags:
            kind = "AMX BF16"
        elif "avx512_bf16" in self.flags:
            kind = "AVX-512 BF16"
        elif self.bf16:
            kind = "ARM BF16"
        elif "avx512f" in self.flags:
            kind = "AVX-512, no native bf16"
        elif "avx2" in self.flags:
            kind = "AVX2 only, no native bf16"
        else:
            kind = "no native bf16"
        cap = f", capped to {self.isa_cap} by ONEDNN_MAX_CPU_ISA" if self.isa_cap else ""
        return f"{self.model} ({self.cores} cores, {kind}{cap})"


@dataclass(frozen=True)
class CUDAInfo:
    """The first CUDA device (all devices of a machine are assumed alike, as the recipes do)."""

    name: str
    count: int
    bf16: bool
    memory_gib: float
    capability: str


@dataclass(frozen=True)
class Machine:
    """What the dtype choice depends on."""

    cpu: CPUInfo
    cuda: CUDAInfo | None = None

    def device_for(self, component: str) -> str:
        """'cuda' or 'cpu': where `component` computes on this machine."""
        _check_component(component)
        return "cuda" if self.cuda is not None and component not in CPU_ONLY else "cpu"

    def as_dict(self) -> dict:
        cpu = asdict(self.cpu)
        cpu["flags"] = sorted(self.cpu.flags & {*X86_FLAGS, *ARM_FLAGS})  # the ones that decide speed here
        cpu["bf16"] = self.cpu.bf16
        return {"cpu": cpu, "cuda": asdict(self.cuda) if self.cuda else None}


def describe_machine(machine: Machine | None = None) -> str:
    """One line naming the hardware, for start-up lines and benchmark reports."""
    machine = machine or detect()
    line = f"CPU {machine.cpu.describe()}"
    if machine.cuda:
        cuda = machine.cuda
        line += f"; GPU {cuda.count} x {cuda.name} ({'bf16' if cuda.bf16 else 'no bf16'})"
    return line


def _check_component(component: str) -> None:
    if component not in COMPONENTS:
        raise ValueError(f"unknown component {component!r}; one of {', '.join(COMPONENTS)}")


def choose_dtype(machine: Machine, component: str, explicit: str | None = None,
                 device: str | None = None) -> str:
    """The dtype `component` computes in on `machine`; an explicit choice (other than 'auto') always wins.

    `device` ('cpu' or 'cuda') overrides where the component runs, e.g. a CPU recipe (`use_cpu: true`) on a
    machine that also has a GPU."""
    _check_component(component)
    if explicit and explicit != "auto":
        if explicit not in DTYPES:
            raise ValueError(f"dtype must be one of {', '.join(DTYPE_CHOICES)}, got {explicit!r}")
        return explicit
    if (device or machine.device_for(component)) == "cuda" and machine.cuda is not None:
        return "bfloat16" if machine.cuda.bf16 else "float16"
    return "bfloat16" if machine.cpu.bf16 else "float32"


def dtype_for(component: str, explicit: str | None = None, device: str | None = None) -> str:
    """The dtype `component` uses on this machine: `explicit` (a command's flag), else the `dtype` setting
    (TELECOMGPT_DTYPE or telecomgpt.yaml), else the machine's choice."""
    if not explicit or explicit == "auto":
        from telecomgpt.config import load_settings  # lazy: config imports this module

        explicit = load_settings().dtype
    return choose_dtype(detect(), component, explicit, device)


def torch_dtype(component: str, explicit: str | None = None):
    """`dtype_for` as a torch.dtype."""
    import torch

    return getattr(torch, dtype_for(component, explicit))


def all_dtypes(explicit: str | None = None) -> dict[str, str]:
    """{component: dtype} on this machine, as `telecomgpt env` shows it."""
    return {component: dtype_for(component, explicit) for component in COMPONENTS}


@lru_cache(maxsize=1)
def detect() -> Machine:
    """This machine (read once per process)."""
    return Machine(cpu=read_cpu(), cuda=read_cuda())


def read_cpu() -> CPUInfo:
    arch = platform.machine().lower()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        model, flags = _parse_proc_cpuinfo(cpuinfo.read_text(errors="replace"))
        return CPUInfo(model=model or platform.processor() or arch, arch=arch,
                       flags=cap_flags(flags, os.environ.get("ONEDNN_MAX_CPU_ISA")), cores=cores,
                       isa_cap=os.environ.get("ONEDNN_MAX_CPU_ISA") or None)
    if platform.system() == "Darwin":
        return CPUInfo(model=_sysctl("machdep.cpu.brand_string") or arch, arch=arch,
                       flags=frozenset({"bf16"} if _sysctl("hw.optional.arm.FEAT_BF16") == "1" else ()),
                       cores=cores)
    return CPUInfo(model=platform.processor() or arch, arch=arch, cores=cores)


_ONEDNN_BF16_ISAS = ("AVX512_CORE_BF16", "AVX512_CORE_FP16", "AVX10_1_512", "AVX512_CORE_AMX", "AMX")
"""oneDNN ISA names (or their prefixes) at or above native bf16."""


def cap_flags(flags: frozenset[str], onednn_max_isa: str | None) -> frozenset[str]:
    """The flags the math libraries may use when ONEDNN_MAX_CPU_ISA caps them (e.g. `AVX2`, as bench scripts
    set to measure an AVX2-only machine on a newer one): a capped CPU counts as the CPU it is capped to, so
    the dtype choice matches the kernels that will really run."""
    cap = (onednn_max_isa or "").strip().upper()
    if not cap or cap in ("ALL", "DEFAULT"):
        return flags
    if "AMX" not in cap:
        flags = flags - {"amx_tile", "amx_bf16", "amx_int8"}
    if not cap.startswith(_ONEDNN_BF16_ISAS):
        flags = flags - {"avx512_bf16"}
    if not cap.startswith(("AVX512", "AVX10")):
        flags = frozenset(f for f in flags if not f.startswith("avx512"))
    return flags


def _parse_proc_cpuinfo(text: str) -> tuple[str, frozenset[str]]:
    """(model name, flags) of the first processor: x86 writes `model name` and `flags`, aarch64 `Features`
    (and often no model name at all)."""
    model, flags = "", frozenset()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip().lower()
        if key in ("model name", "cpu model", "hardware") and not model:
            model = value.strip()
        elif key in ("flags", "features") and not flags:
            flags = frozenset(value.split())
        if not line.strip() and model and flags:
            break
    return model, flags


def _sysctl(name: str) -> str | None:
    try:
        done = subprocess.run(["sysctl", "-n", name], capture_output=True, text=True, timeout=5)
        return done.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None


def read_cuda() -> CUDAInfo | None:
    """The first CUDA device, or None. Asks torch only when a CUDA build of it is installed: the CPU wheel
    answers None without the seconds an import takes."""
    import importlib.util

    if importlib.util.find_spec("torch") is None or os.environ.get("CUDA_VISIBLE_DEVICES") == "":
        return None
    if _torch_is_cpu_only_build():
        return None
    import torch

    if not torch.cuda.is_available():
        return None
    props = torch.cuda.get_device_properties(0)
    return CUDAInfo(name=props.name, count=torch.cuda.device_count(),
                    bf16=bool(torch.cuda.is_bf16_supported()), memory_gib=round(props.total_memory / 2**30),
                    capability=f"{props.major}.{props.minor}")


def _torch_is_cpu_only_build() -> bool:
    """True for torch's '+cpu' wheels, read from the package's metadata (no import)."""
    from importlib import metadata

    try:
        return "+cpu" in metadata.version("torch")
    except metadata.PackageNotFoundError:
        return True
