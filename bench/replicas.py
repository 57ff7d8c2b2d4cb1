"""The assistant in front of an external vLLM: same answers as the built-in one, and two replicas under load.

    .venv/bin/python -m bench.replicas [--index DIR] [--clients 16] [--seconds 60] [--max-requests 400]

1. **Same answers.** `telecomgpt serve --index I` (its own vLLM) answers the starter questions
   (bench/rag_ttft.py's QUESTIONS, written for the starter notes) at temperature 0, one at a time; it is
   stopped, then one vLLM is started by hand with the same model, dtype, context length and KV cache
   (telecomgpt.llm.server.VLLMServer, as `serve` starts it), and two `telecomgpt serve --index I
   --llm-base-url URL` replicas answer the same questions. The answer bytes are compared.
2. **Load.** `--clients` streamed chats at once for `--seconds` (each client sends its next question as soon
   as its last one ended, alternating between the two replicas as a round-robin load balancer would; no new
   request after `--seconds`, at most `--max-requests` in all). A request counts as completed when it
   answered 200, sent no error event, ended with `data: [DONE]` and streamed non-empty content; anything
   else is an error, with its reason. Time to first content and total time per request: p50/p95.

Every process started here (the built-in server with its vLLM, the external vLLM, the replicas) is stopped
by pid at the end, and the bench checks none is left. Results go to docs/benchmarks.md (section
`replicas`) unless --print-only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.rag_ttft import QUESTIONS  # noqa: E402
from bench.report import machine_line, write_section  # noqa: E402
from telecomgpt import paths  # noqa: E402
from telecomgpt.config import load_settings  # noqa: E402
from telecomgpt.llm.server import VLLMServer, free_port, stop_family  # noqa: E402

TELECOMGPT = str(Path(sys.executable).with_name("telecomgpt"))
LOAD_QUESTIONS = QUESTIONS + ["What is a PDU session?", "How does HARQ work in NR?",
                              "What is the random access procedure?", "What is DRX?"]
"""The load's questions: the starter questions and four more about the starter notes (no benchmark items)."""


def starter_index() -> Path:
    """Where `make demo` keeps the starter index (under TELECOMGPT_HOME)."""
    return paths.home() / "indexes" / "starter"


def _family(pid: int) -> list[psutil.Process]:
    """The process and everything it spawned (vLLM's engine workers leave its group)."""
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


class Assistant:
    """One `telecomgpt serve` process on a loopback port, with its log."""

    def __init__(self, name: str, index: Path, extra: list[str], start_timeout_s: float):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = paths.logs_dir() / f"bench-replicas-{name}.log"
        self.log = open(self.log_path, "w")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen([TELECOMGPT, "serve", "--index", str(index), "--port", str(self.port),
                                         *extra], stdout=self.log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, env={
                                            **os.environ, "HF_HUB_OFFLINE": "1",
                                            # a busy 2-core machine can take more than the default 300 s
                                            "TELECOMGPT_SERVE__STARTUP_TIMEOUT_S": str(start_timeout_s)})
        self.pids: list[int] = []

    def wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"{self.url}: serve exited with {self.process.returncode} "
                                 f"(log {self.log_path})")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url + "/health", timeout=5).status_code == 200:
                    return
            time.sleep(1.0)
        raise SystemExit(f"{self.url}: not healthy within {timeout_s:.0f} s (log {self.log_path})")

    def stop(self) -> None:
        # the CLI stops its own vLLM on SIGTERM: the root gets the chance first
        self.pids = stop_family(self.process, grace_s=30.0, root_first=True)
        self.log.close()


GROUNDINGS = ("default", "off")
"""The answer as served (checked: often quotes of the sources only, which match whatever the LLM said) and
with grounding off (the LLM's own text, unchecked): the second is what tests that both LLMs answer alike."""


def ask(url: str, question: str, grounding: str = "default") -> tuple[str, bool]:
    """The assistant's answer to one question at temperature 0 (not streamed: the whole content), and
    whether it shows a sentence the LLM generated."""
    body = {"model": "telecomgpt-rag", "messages": [{"role": "user", "content": question}], "temperature": 0,
            **({} if grounding == "default" else {"grounding": grounding})}
    reply = httpx.post(url + "/v1/chat/completions", json=body, timeout=600)
    reply.raise_for_status()
    sentences = (reply.json().get("grounding") or {}).get("sentences") or []
    return (reply.json()["choices"][0]["message"]["content"],
            any(s.get("origin") == "generated" for s in sentences))


async def one_stream(client: httpx.AsyncClient, url: str, question: str) -> dict:
    """One streamed chat: its outcome ("ok" or why not), time to first content and total time."""
    body = {"model": "telecomgpt-rag", "messages": [{"role": "user", "content": question}], "stream": True,
            "temperature": 0}
    started = time.perf_counter()
    first, text, done, problem = None, "", False, None
    try:
        async with client.stream("POST", url + "/v1/chat/completions", json=body) as reply:
            if reply.status_code != 200:
                return {"outcome": f"HTTP {reply.status_code}"}
            async for line in reply.aiter_lines():
                if not line.startswith("data: "):
                    continue
                if line == "data: [DONE]":
                    done = True
                    continue
                event = json.loads(line[6:])
                if "error" in event:
                    problem = f"error event: {event['error'].get('code')}"
                for choice in event.get("choices") or []:
                    piece = (choice.get("delta") or {}).get("content")
                    if piece:
                        first = first if first is not None else time.perf_counter() - started
                        text += piece
    except (httpx.HTTPError, json.JSONDecodeError) as exc:
        return {"outcome": type(exc).__name__}
    outcome = problem or ("no [DONE]" if not done else "empty content" if not text.strip() else "ok")
    return {"outcome": outcome, "ttft": first, "total": time.perf_counter() - started}


async def load(urls: list[str], clients: int, seconds: float, max_requests: int) -> tuple[list[dict], float]:
    """`clients` chat loops for `seconds`, round-robin over `urls`: every request's result, and the wall time
    until the last one ended."""
    sent = 0
    results: list[dict] = []
    started = time.perf_counter()

    async def client_loop(number: int, client: httpx.AsyncClient) -> None:
        nonlocal sent
        turn = number
        while time.perf_counter() - started < seconds and sent < max_requests:
            sent += 1
            question = LOAD_QUESTIONS[turn % len(LOAD_QUESTIONS)]
            results.append(await one_stream(client, urls[turn % len(urls)], question))
            turn += 1

    async with httpx.AsyncClient(timeout=httpx.Timeout(300.0), limits=httpx.Limits(max_connections=clients)) \
            as client:
        await asyncio.gather(*(client_loop(i, client) for i in range(clients)))
    return results, time.perf_counter() - started


def _pct(values: list[float], q: float) -> str:
    return f"{np.percentile(values, q):.1f} s" if values else "n/a"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=None, help="index to serve [default: starter]")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--max-requests", type=int, default=400)
    parser.add_argument("--start-timeout", type=float, default=1200.0,
                        help="seconds to wait for a server (vLLM on a busy 2-core machine can take minutes)")
    parser.add_argument("--print-only", action="store_true")
    args = parser.parse_args()
    index = args.index or starter_index()
    if not (index / "manifest.json").is_file():
        raise SystemExit(f"{index} is not an index; build it with `make demo` or `telecomgpt index build`")
    settings = load_settings()
    machine = machine_line()
    stopped: list[int] = []

    # 1a. the built-in assistant: `serve --index` starts its own vLLM
    builtin = Assistant("builtin", index, [], args.start_timeout)
    try:
        builtin.wait_ready(args.start_timeout)
        built_in = {g: [ask(builtin.url, q, g) for q in QUESTIONS] for g in GROUNDINGS}
    finally:
        builtin.stop()
        stopped += builtin.pids

    # 1b. one vLLM started apart (as `serve` starts its own), two replicas in front of it
    external = VLLMServer(settings.model, served_model_name=settings.served_model_name,
                          max_model_len=settings.serve.max_model_len, kv_cache_gb=settings.serve.kv_cache_gb,
                          max_lora_rank=settings.serve.max_lora_rank, dtype=settings.dtype)
    replicas: list[Assistant] = []
    try:
        external.start(timeout_s=args.start_timeout)
        replicas = [Assistant(f"replica{i}", index, ["--llm-base-url", external.base_url], args.start_timeout)
                    for i in (1, 2)]
        for replica in replicas:
            replica.wait_ready(args.start_timeout)
        replica_answers = [{g: [ask(r.url, q, g)[0] for q in QUESTIONS] for g in GROUNDINGS}
                           for r in replicas]
        results, wall = asyncio.run(load([r.url for r in replicas], args.clients, args.seconds,
                                         args.max_requests))
    finally:
        for replica in replicas:
            replica.stop()
            stopped += replica.pids
        stopped += [m.pid for m in _family(external.pid)] if external.pid else []
        external.stop()
    left = [pid for pid in stopped if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"]

    same = {(i, g): [a == b for (a, _), b in zip(built_in[g], answers[g], strict=True)]
            for i, answers in enumerate(replica_answers) for g in GROUNDINGS}
    ok = [r for r in results if r["outcome"] == "ok"]
    errors: dict[str, int] = {}
    for r in results:
        if r["outcome"] != "ok":
            errors[r["outcome"]] = errors.get(r["outcome"], 0) + 1
    ttft = [r["ttft"] for r in ok if r["ttft"] is not None]
    total = [r["total"] for r in ok]
    differing = [f"- {q!r} (grounding {g}): built-in {a!r} / external {b!r}" for g in GROUNDINGS
                 for q, (a, _), b in zip(QUESTIONS, built_in[g], replica_answers[0][g], strict=True)
                 if a != b]
    shown = {g: f"{sum(x for _, x in built_in[g])}/{len(built_in[g])}" for g in GROUNDINGS}
    all_same = all(all(s) for s in same.values())
    body = "\n".join([
        "## Assistant in front of an external vLLM (`bench/replicas.py`)", "", machine, "",
        f"Index: the starter index ({index.name}). Model {Path(str(settings.model)).name}, vLLM dtype "
        f"{external.dtype}, max_model_len {settings.serve.max_model_len}, KV cache "
        f"{settings.serve.kv_cache_gb:g} GiB on both sides; the assistant's default settings, temperature 0.",
        "", "**Same answers.** `serve --index` (own vLLM) vs `serve --index --llm-base-url` (two replicas in "
        "front of one vLLM started apart), the starter questions one at a time:", "",
        "| replica | grounding | byte-identical answers | built-in answers showing LLM-generated text |",
        "| --- | --- | --- | --- |",
        *[f"| replica {i + 1} | {g} | {sum(s)}/{len(s)} | {shown[g]} |" for (i, g), s in same.items()], "",
        "Grounding `default` is the answer as served (checked; answers made only of quotes of the sources "
        "would match whatever the LLM said); `off` is the LLM's own text.", "",
        *(["Answers that differ (replica 1):", "", *differing, ""] if differing else []),
        f"**Load.** {args.clients} concurrent streamed chats for {args.seconds:g} s through the two replicas "
        f"(round robin), at most {args.max_requests} requests; wall time until the last stream ended: "
        f"{wall:.0f} s.", "",
        "| sent | completed ([DONE], content) | errored | TTFT p50 | TTFT p95 | total p50 | total p95 |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        f"| {len(results)} | {len(ok)} | {len(results) - len(ok)} | {_pct(ttft, 50)} | {_pct(ttft, 95)} | "
        f"{_pct(total, 50)} | {_pct(total, 95)} |", "",
        *([f"Errors: {', '.join(f'{k}: {v}' for k, v in errors.items())}.", ""] if errors else []),
        f"Processes started and stopped by pid: {len(set(stopped))}; left running: {len(left)}.", "",
        f"Targets: same answers {'met' if all_same else 'NOT met'}; 16 chats for 60 s "
        f"through two replicas, nothing lost: {'met' if results and len(ok) == len(results) else 'NOT met'}.",
    ])
    print(body)
    if not args.print_only:
        write_section("replicas", body)
    if left:
        raise SystemExit(f"processes left running: {left}")


if __name__ == "__main__":
    main()
