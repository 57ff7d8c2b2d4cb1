"""Keep a vLLM server alive: when its process dies, start it again on the same port, with backoff.

`telecomgpt serve` runs vLLM as a child process. If that process is killed (out of memory, a crash in the
engine, `kill -9`), clients in flight get an error event at once (their connection is reset), `/health`
reports the model as down, and this supervisor restarts the server. Backoff doubles after each failed
start (2 s, 4 s, ... up to a minute), so a model that can no longer start does not spin the machine.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time

from telecomgpt.errors import UserError
from telecomgpt.llm.server import VLLMServer

BACKOFF_S = (2.0, 4.0, 8.0, 16.0, 32.0, 60.0)
"""Wait before restart attempt 1, 2, ...; the last value repeats."""


class VLLMSupervisor:
    """Start `server`, watch its process from a daemon thread, restart it when it dies."""

    def __init__(self, server: VLLMServer, start_timeout_s: float = 300.0, poll_s: float = 0.5,
                 backoff_s: tuple[float, ...] = BACKOFF_S):
        self.server = server
        self.start_timeout_s = start_timeout_s
        self.poll_s = poll_s
        self.backoff_s = backoff_s
        self.state = "starting"
        """starting, ready, restarting (the process died; a new one is on its way) or stopped."""
        self.restarts = 0
        self.last_exit_code: int | None = None
        self.last_error = ""
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="vllm-supervisor", daemon=True)

    def start(self) -> VLLMSupervisor:
        """The first start blocks (and raises its one-line error); later restarts happen in the background."""
        self.server.start(timeout_s=self.start_timeout_s)
        self.state = "ready"
        self._thread.start()
        return self

    def status(self) -> dict:
        """What /health shows about the model server."""
        return {"state": self.state, "ready": self.state == "ready", "pid": self.server.pid,
                "restarts": self.restarts, "last_exit_code": self.last_exit_code,
                "last_error": self.last_error}

    def _watch(self) -> None:
        attempt = 0
        while not self._stopping.is_set():
            process = self.server.process
            if process is not None and process.poll() is None:
                self._stopping.wait(self.poll_s)
                continue
            if self._stopping.is_set():
                break
            if self.state == "ready":
                self.last_exit_code = process.returncode if process is not None else None
            self.state = "restarting"
            self._kill_leftovers()
            if self._stopping.wait(self.backoff_s[min(attempt, len(self.backoff_s) - 1)]):
                break
            try:
                self.server.start(timeout_s=self.start_timeout_s)
            except UserError as exc:
                attempt += 1
                self.last_error = exc.one_line()
                continue
            attempt = 0
            self.restarts += 1
            self.state = "ready"

    def _kill_leftovers(self) -> None:
        """Engine workers of a killed server stay in its process group and hold memory and the port."""
        if self.server.process is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.server.process.pid, signal.SIGKILL)

    def stop(self) -> None:
        self._stopping.set()
        self.server.stop()  # also ends a restart in progress: its start() sees the process gone
        if self._thread.is_alive():
            self._thread.join(timeout=60)
        self.server.stop()
        self._kill_leftovers()
        self.state = "stopped"

    def __enter__(self) -> VLLMSupervisor:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_ready(self, timeout_s: float) -> bool:
        """Block until the server is ready again (True) or `timeout_s` passes (False)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.state == "ready" and self.server.healthy():
                return True
            time.sleep(0.5)
        return False
