"""Session-wide fixtures: the shared data folder, the embedded model, one vLLM server and one engine, and
`run_cli` / `assert_one_line_error` for tests of the command line.

A vLLM server takes about a minute to start on CPU, so every test that needs one shares this one.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

# imported after the offline switches above, so no library they load can reach the network
from telecomgpt.llm import get_backend  # noqa: E402
from telecomgpt.llm.server import VLLMServer  # noqa: E402
from telecomgpt.models import prepare  # noqa: E402
from telecomgpt.paths import shared_dir as find_shared  # noqa: E402

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
REPO = Path(__file__).resolve().parents[1]
TELECOMGPT = [str(Path(sys.executable).with_name("telecomgpt"))]
"""The installed `telecomgpt` console script, started as users start it.

Not `python -m telecomgpt.cli.main`: under `-m`, CPython kills the process with SIGINT at exit (returncode -2)
whenever a Ctrl-C once travelled through Python code that a C extension runs (pyarrow's Cython import, say),
even after the CLI caught it and exited 130. The script always exits 130, as docs/finetune.md says."""


def _run_cli(*args: str, env: dict | None = None, timeout: float = 300,
             cwd: Path = REPO) -> subprocess.CompletedProcess:
    """`telecomgpt ARGS` in a new process, offline, with text stdout/stderr captured; `env` adds variables."""
    offline = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    return subprocess.run([*TELECOMGPT, *args], capture_output=True, text=True, timeout=timeout, cwd=cwd,
                          env={**os.environ, **offline, **(env or {})})


def _assert_one_line_error(result: subprocess.CompletedProcess, needle: str = "") -> str:
    """A user mistake: exit code 2 and one line `error: ...` (containing `needle`) on stderr, no traceback."""
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr[-2000:]
    assert lines[0].startswith("error:") and needle in lines[0], lines[0]
    return lines[0]


@pytest.fixture(scope="session")
def run_cli():
    """`run_cli(*args, env=None, timeout=300, cwd=REPO) -> CompletedProcess`: run the CLI in a new process."""
    return _run_cli


@pytest.fixture(scope="session")
def telecomgpt_command() -> list[str]:
    """The `telecomgpt` command as an argv prefix, for tests that drive the process themselves (Popen)."""
    return list(TELECOMGPT)


@pytest.fixture(scope="session")
def assert_one_line_error():
    """`assert_one_line_error(result, needle="")`: the CLI rejected a user mistake in one line (exit code
    2)."""
    return _assert_one_line_error


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The real data beside the checkout (../shared); skipped locally when absent, a failure in CI."""
    found = find_shared()
    if found is None:
        message = "../shared (real corpus and benchmark dev splits) is not beside the checkout"
        if IN_CI:
            pytest.fail(message + "; CI must run these tests, not skip them")
        pytest.skip(message)
    return found


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Where tests leave files for people to look at (screenshots, reports); git-ignored."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def embedded_model_dir() -> Path:
    """The embedded SmolLM2-135M-Instruct as an HF folder (converted from its GGUF once, then cached)."""
    return prepare()


@pytest.fixture(scope="session")
def lora_adapter_dir(embedded_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A freshly initialised LoRA adapter (random B, so it really changes the output) for the base model."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(embedded_model_dir, dtype=torch.float32)
    config = LoraConfig(r=8, lora_alpha=16, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    peft_model = get_peft_model(model, config)
    out = tmp_path_factory.mktemp("adapter") / "telecom-lora"
    peft_model.save_pretrained(out)
    return out


_SESSION_SERVERS: list = []
"""The shared vLLM servers started so far (the liveness check below must not start one itself)."""


@pytest.fixture(scope="session")
def vllm_server(embedded_model_dir: Path, lora_adapter_dir: Path):
    """One real vLLM OpenAI-compatible server on loopback: base model `telecomgpt`, adapter `telecom-lora`."""
    ARTIFACTS.mkdir(exist_ok=True)
    log = ARTIFACTS / "vllm-server.log"  # kept after the run: the first thing to read when it died
    server = VLLMServer(embedded_model_dir, served_model_name="telecomgpt",
                        adapters={"telecom-lora": lora_adapter_dir}, kv_cache_gb=2, log_file=log)
    server.start(timeout_s=600)
    _SESSION_SERVERS.append(server)
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _session_server_still_alive():
    """Fail the test after which the shared vLLM server died, with its exit code and last log lines.

    Without this, a server that crashed (or was killed for memory) shows up later as unrelated
    "cannot reach the endpoint" failures in whichever tests happen to run next.
    """
    yield
    dead = [server for server in _SESSION_SERVERS if server.process.poll() is not None]
    for server in dead:
        _SESSION_SERVERS.remove(server)
        tail = "\n".join(server.log_file.read_text(errors="replace").splitlines()[-40:])
        pytest.fail(f"the shared vLLM server exited with code {server.process.returncode} during this test; "
                    f"log tail:\n{tail}")


@pytest.fixture(scope="session")
def vllm_engine(embedded_model_dir: Path):
    """The in-process vLLM engine over the embedded model, shared by the whole session."""
    backend = get_backend("vllm", model=embedded_model_dir, kv_cache_gb=1, max_model_len=2048)
    yield backend
    backend.close()
