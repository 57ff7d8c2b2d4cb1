"""One settings path: `eval run`, `train`, `data build-dpo|build-sft` resolve the model like `serve` and
`chat`.

Precedence everywhere: flag > TELECOMGPT_* environment > YAML (`--config`, or a training recipe) > default.
Each case names a model that does not exist, so the command stops early with a one-line error that names
the model it resolved: which source won is visible without loading any model.
"""

from __future__ import annotations

import json
import sys

import pytest

from telecomgpt.cli.main import main

RECIPE = "configs/finetune/smollm2-135m/sft.yaml"
SETTINGS_COMMANDS = [("serve",), ("chat",), ("models", "prepare"), ("eval", "run"), ("data", "build-sft"),
                     ("data", "build-dpo")]


@pytest.mark.parametrize("command", [*SETTINGS_COMMANDS, ("train", "sft")])
def test_commands_accept_config(command, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["telecomgpt", *command, "--help"])
    try:
        main()  # prints the help and returns (the CLI runs click outside standalone mode)
    except SystemExit as exited:
        assert exited.code in (0, None)
    out = capsys.readouterr().out
    assert out.startswith("Usage:") and "--config" in out, out
    if command != ("train", "sft"):
        assert "TELECOMGPT_CONFIG" in out.replace("\n", " ").replace("$", "")


def _models(tmp_path):
    """Three distinct nonexistent model paths and a settings file naming the YAML one."""
    paths = {source: str(tmp_path / f"{source}-model") for source in ("flag", "env", "yaml")}
    (tmp_path / "settings.yaml").write_text(f"model: {paths['yaml']}\n")
    return paths


CASES = [  # (flag given, env given, --config given) -> the source that wins
    (False, False, True, "yaml"),
    (False, True, True, "env"),
    (True, True, True, "flag"),
]


@pytest.mark.parametrize(("flag", "env", "yaml", "winner"), CASES)
def test_eval_run_resolves_the_model_like_serve(run_cli, assert_one_line_error, monkeypatch, tmp_path,
                                                shared_dir, flag, env, yaml, winner):
    monkeypatch.delenv("TELECOMGPT_MODEL", raising=False)
    models = _models(tmp_path)
    bench_dir = shared_dir / "data" / "benchmarks"
    args = ["eval", "run", "--tasks", "srsran_bench", "--data-dir", str(bench_dir), "--limit", "1",
            "--output", str(tmp_path / "out"), "--cache-dir", str(tmp_path / "cache")]
    args += ["--model", models["flag"]] if flag else []
    args += ["--config", str(tmp_path / "settings.yaml")] if yaml else []
    done = run_cli(*args, env={"TELECOMGPT_MODEL": models["env"]} if env else {})
    assert_one_line_error(done, f"unknown model '{models[winner]}'")


def test_models_prepare_takes_the_configured_model(run_cli, assert_one_line_error, monkeypatch, tmp_path):
    monkeypatch.delenv("TELECOMGPT_MODEL", raising=False)
    models = _models(tmp_path)
    done = run_cli("models", "prepare", "--config", str(tmp_path / "settings.yaml"))
    assert_one_line_error(done, f"unknown model '{models['yaml']}'")
    done = run_cli("models", "prepare", "--config", str(tmp_path / "settings.yaml"),
                   env={"TELECOMGPT_MODEL": models["env"]})
    assert_one_line_error(done, f"unknown model '{models['env']}'")


@pytest.fixture
def sft_file(tmp_path):
    path = tmp_path / "sft.jsonl"
    path.write_text(json.dumps({"prompt": [{"role": "user", "content": "What does RLC stand for?"}],
                                "completion": [{"role": "assistant", "content": "Radio Link Control."}],
                                "source": "abbreviation"}) + "\n")
    return path


@pytest.mark.parametrize(("flag", "env", "yaml", "winner"), CASES[:2])
def test_build_dpo_resolves_the_policy_model(run_cli, assert_one_line_error, monkeypatch, tmp_path, sft_file,
                                             flag, env, yaml, winner):
    monkeypatch.delenv("TELECOMGPT_MODEL", raising=False)
    models = _models(tmp_path)
    args = ["data", "build-dpo", "--sft", str(sft_file), "--output", str(tmp_path / "dpo"),
            "--no-decontaminate"]
    args += ["--config", str(tmp_path / "settings.yaml")] if yaml else []
    done = run_cli(*args, env={"TELECOMGPT_MODEL": models["env"]} if env else {})
    assert_one_line_error(done, f"unknown model '{models[winner]}'")
    assert not (tmp_path / "dpo").exists()


def test_train_takes_the_model_from_env_over_the_recipe_and_the_flag_over_both(run_cli, assert_one_line_error,
                                                                               tmp_path, sft_file):
    """For `train` the recipe is the YAML layer: TELECOMGPT_MODEL beats its model_name_or_path, the flag beats
    both."""
    models = _models(tmp_path)
    args = ["train", "sft", "--config", RECIPE, "--dataset_path", str(sft_file), "--output_dir",
            str(tmp_path / "run")]
    done = run_cli(*args, env={"TELECOMGPT_MODEL": models["env"]})
    assert_one_line_error(done, f"unknown model '{models['env']}'")
    done = run_cli(*args, "--model_name_or_path", models["flag"], env={"TELECOMGPT_MODEL": models["env"]})
    assert_one_line_error(done, f"unknown model '{models['flag']}'")
    assert not (tmp_path / "run").exists()  # stopped before anything was loaded or written
