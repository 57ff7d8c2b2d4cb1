"""The command line: task list, and one-line errors (exit 2) for user mistakes, before any model loads."""

from __future__ import annotations

import socket
from pathlib import Path


def test_list_shows_every_task(run_cli):
    result = run_cli("eval", "list")
    assert result.returncode == 0
    for name in ("teleqna", "teleqna_cloze", "oran_bench", "srsran_bench", "wireless_math",
                 "tgpp_wg_classification", "telecom_math_modeling", "telecom_open_qna", "telecom_code"):
        assert name in result.stdout


def test_user_mistakes_are_one_line_errors(run_cli, assert_one_line_error, tmp_path: Path, bench_dir: Path):
    cases = [
        (["--tasks", "teleqna", "--data-dir", str(tmp_path / "nowhere")], "data directory not found"),
        (["--tasks", "no_such_task", "--data-dir", str(bench_dir)], "unknown task"),
        (["--tasks", "srsran_bench", "--data-dir", str(tmp_path)], "srsRANBench.json"),
        (["--tasks", "teleqna_cloze_lexicon", "--data-dir", str(bench_dir), "--index", str(tmp_path),
          "--passages", "0"], "RAG context budget must be positive"),  # the budget reaches the RAG model
    ]
    for args, message in cases:
        result = run_cli("eval", "run", *args, "--output", str(tmp_path / "out"),
                         "--cache-dir", str(tmp_path / "cache"))
        assert_one_line_error(result, message)


def test_endpoint_down_is_a_clear_error(run_cli, assert_one_line_error, tmp_path: Path, bench_dir: Path):
    with socket.socket() as probe:  # a loopback port with nothing listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = run_cli("eval", "run", "--tasks", "srsran_bench", "--data-dir", str(bench_dir), "--backend",
                     "openai", "--base-url", f"http://127.0.0.1:{port}/v1", "--model", "telecomgpt",
                     "--output", str(tmp_path / "o"), "--cache-dir", str(tmp_path / "cache"))
    assert_one_line_error(result, "cannot reach the endpoint")


def test_baselines_need_no_model(run_cli, assert_one_line_error, tmp_path: Path, bench_dir: Path):
    """`eval baselines`: both rules per task and category on the real dev splits; the WG categories are scored
    with the task's one majority position (a category's own majority would be 1.0: it is the label)."""
    result = run_cli("eval", "baselines", "--tasks", "srsran_bench,tgpp_wg_classification,telecom_code",
                     "--data-dir", str(bench_dir), "--cache-dir", str(tmp_path / "cache"))
    assert result.returncode == 0, result.stderr
    rows = {tuple(cell.strip() for cell in line.strip("|").split("|")[:3]): line
            for line in result.stdout.splitlines() if line.startswith("| ")}
    assert rows[("srsran_bench", "(all)", "300")].endswith("| 0.7700 (option 1) |")  # its skewed labels
    wg = [line for key, line in rows.items() if key[0] == "tgpp_wg_classification" and key[1] != "(all)"]
    assert len(wg) == 4 and sum(line.endswith("| 1.0000 (option 2) |") for line in wg) == 1
    assert "telecom_code" not in result.stdout  # no options to pick
    assert_one_line_error(run_cli("eval", "baselines", "--data-dir", str(tmp_path / "nowhere")),
                          "data directory not found")
