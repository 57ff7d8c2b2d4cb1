"""bench/answers.py end to end on a tiny real index: the assistant's app in front of the session's real vLLM
server (`--llm-base-url`, as against a team's GPU service), one question per category, every row, the report
written to a temporary file (never docs/benchmarks.md), the service left running."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from app.indexer import update_index

REPO = Path(__file__).resolve().parents[2]
SPEC = "rel18-docx/38201-i00.docx"  # TS 38.201, NR physical layer general description: small, real


@pytest.fixture(scope="module")
def tiny_index(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("answers-index") / "index"
    report = update_index(out, [shared_dir / "data" / "corpus" / "3gpp" / SPEC], prune=True, progress=False)
    assert not report.errors, report.errors
    return out


@pytest.mark.slow
def test_answers_bench_on_a_tiny_index(tiny_index: Path, vllm_server, tmp_path: Path):
    benchmarks_md = REPO / "docs" / "benchmarks.md"
    before = benchmarks_md.read_text() if benchmarks_md.exists() else None
    output, samples = tmp_path / "benchmarks.md", tmp_path / "samples.jsonl"
    proc = subprocess.run(
        [sys.executable, str(REPO / "bench" / "answers.py"), "--index", str(tiny_index), "--limit", "1",
         "--output", str(output), "--samples", str(samples), "--max-minutes", "20",
         "--llm-base-url", vllm_server.base_url],
        capture_output=True, text=True, timeout=1200, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-3000:]

    # It answered through the service it was given and left it running.
    assert f"answering through {vllm_server.base_url} (telecomgpt), not started here" in proc.stdout
    assert "vLLM server pid" not in proc.stdout and vllm_server.process.poll() is None

    # The report went to the given file, with the plot beside it; docs/benchmarks.md is untouched.
    text = output.read_text()
    assert "<!-- bench:answers -->" in text and "![answers](answers.png)" in text
    assert f"LLM service {vllm_server.base_url} (not started here)" in text
    assert (tmp_path / "answers.png").stat().st_size > 5000
    assert (benchmarks_md.read_text() if benchmarks_md.exists() else None) == before
    for label in ("bare model", "RAG, grounding off", "grounded RAG", "extractive only"):
        assert re.search(rf"^\| {re.escape(label)} \| 3 \|", text, re.M), label
    # Gaps to the bare model come with their paired bootstrap interval.
    interval = r"[+-]\d\.\d{3} \[[+-]\d\.\d{3}, [+-]\d\.\d{3}\]"
    assert re.search(rf"^\| grounded RAG \| 3 \| [\d.]+ \| [\d.]+ \| {interval} \|", text, re.M)
    assert re.search(rf"Paired 95% bootstrap intervals.*: {interval} vs bare, {interval} vs RAG", text)

    answers = [json.loads(line) for line in samples.read_text().splitlines()]
    by_row: dict[str, list[dict]] = {}
    for answer in answers:
        by_row.setdefault(answer["row"], []).append(answer)
    assert {row: len(rows) for row, rows in by_row.items()} == {"bare": 3, "rag": 3, "grounded": 3,
                                                                "extractive": 3}
    for answer in answers:
        assert answer["error"] is None, answer["error"]
        assert answer["text"].strip() and 0 < answer["ttft_s"] <= answer["total_s"]
        assert answer["abstained"] or answer["choice"] in range(answer["n_options"])
    assert all(not a["sources"] and a["grounding"] is None for a in by_row["bare"])
    modes = {row: {a["grounding"]["mode"] for a in by_row[row]} for row in ("rag", "grounded", "extractive")}
    assert modes["rag"] <= {"unchecked", "idk"} and modes["extractive"] <= {"extractive", "idk"}
    assert modes["grounded"] <= {"generated", "extractive", "idk"}
    # Grounded answers open with the lead quote (shown first, so the TTFT is the lead's), unless no source
    # names the term a "What is X?" question asks about (then the answer abstains); the first checked
    # generated sentence, when there is one, arrives after it.
    led = 0
    for answer in by_row["grounded"]:
        if answer["grounding"]["mode"] != "idk":
            first = answer["grounding"]["sentences"][0]["origin"]
            assert first == "lead" or (answer["abstained"] and first == "abstention"), first
            led += first == "lead"
        generated = [s for s in answer["grounding"]["sentences"] if s["origin"] == "generated"]
        assert (answer["ttft_generated_s"] is None) == (not generated)
        assert (answer["ttft_generated_s"] is None
                or answer["ttft_s"] < answer["ttft_generated_s"] <= answer["total_s"])
    assert led >= 1
    assert all(a["ttft_generated_s"] is None for a in by_row["extractive"])
    # Quotes are supported by the chunk they cite: the offline checker must agree with the server (a quote
    # that repeats an 8-gram of an earlier one is a loop, and the checker counts it as unsupported).
    quoted = [a for a in by_row["extractive"]
              if a["grounding"]["mode"] == "extractive" and not a["abstained"]]
    assert quoted and all(a["sentences"] > 0 for a in quoted)
    assert all(a["supported"] == a["sentences"] for a in quoted if not a["looped"])
    assert all(a["citations"] > 0 for a in quoted)  # every quote carries its [n]

    # --rescore asks nothing and measures the saved answers again: with the same code, the same table; the
    # run's machine line and timings are kept, and the section says it was re-scored.
    run_json = json.loads((tmp_path / "run.json").read_text())
    assert run_json["limit"] == 1 and run_json["machine"] in text
    rescored_md = tmp_path / "rescored.md"
    common = [sys.executable, str(REPO / "bench" / "answers.py"), "--index", str(tiny_index), "--samples",
              str(samples), "--output", str(rescored_md), "--rescore"]
    again = subprocess.run([*common, "--limit", "1"], capture_output=True, text=True, timeout=600, cwd=REPO)
    assert again.returncode == 0, again.stderr[-3000:]
    rescored = rescored_md.read_text()
    assert "Re-scored offline on" in rescored and "vLLM server pid" not in again.stdout
    table = [line for line in text.splitlines() if line.startswith("| ")]
    assert table == [line for line in rescored.splitlines() if line.startswith("| ")]
    assert [json.loads(line) for line in samples.read_text().splitlines()] == answers  # untouched
    wrong = subprocess.run([*common, "--limit", "2"], capture_output=True, text=True, timeout=600, cwd=REPO)
    assert wrong.returncode != 0 and wrong.stderr.strip().splitlines() == [
        "error: the saved run asked other questions; pass --limit 1, as it did"]


def test_an_unreachable_llm_service_is_a_one_line_error(tiny_index: Path, tmp_path: Path):
    from telecomgpt.llm.server import free_port

    down = f"http://127.0.0.1:{free_port()}/v1"
    proc = subprocess.run([sys.executable, str(REPO / "bench" / "answers.py"), "--index", str(tiny_index),
                           "--limit", "1", "--llm-base-url", down, "--samples", str(tmp_path / "s.jsonl"),
                           "--output", str(tmp_path / "b.md")], capture_output=True, text=True, timeout=300,
                          cwd=REPO)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [f"error: LLM endpoint {down} is unreachable (ConnectError) "
                                                "(start it, or check --llm-base-url)"]
    assert not (tmp_path / "b.md").exists() and not (tmp_path / "s.jsonl").exists()
