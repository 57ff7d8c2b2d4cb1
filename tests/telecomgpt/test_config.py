"""Settings merge defaults < YAML < environment < flags, and reject bad values with one line."""

import pytest

from telecomgpt.config import DEFAULT_MODEL, load_settings
from telecomgpt.errors import UserError


def test_defaults_bind_loopback(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.model == DEFAULT_MODEL == "smollm2-135m-instruct"
    assert settings.serve.host == "127.0.0.1"


def test_priority_yaml_env_flags(monkeypatch, tmp_path):
    config = tmp_path / "settings.yaml"
    config.write_text("model: from-yaml\nmax_tokens: 64\nserve:\n  port: 9001\n  kv_cache_gb: 3\n")
    monkeypatch.setenv("TELECOMGPT_MAX_TOKENS", "32")
    monkeypatch.setenv("TELECOMGPT_SERVE__PORT", "9002")
    settings = load_settings(config, model="from-flag")
    assert settings.model == "from-flag"
    assert settings.max_tokens == 32
    assert settings.serve.port == 9002
    assert settings.serve.kv_cache_gb == 3.0


@pytest.mark.parametrize(
    "yaml_text, needle",
    [("serve:\n  port: 70000\n", "serve.port"), ("temperature: hot\n", "temperature"),
     ("nonsense: 1\n", "nonsense"), ("- a list\n", "mapping"), ("model: [unclosed\n", "not valid YAML")],
)
def test_bad_settings_are_one_line_errors(tmp_path, yaml_text, needle):
    config = tmp_path / "bad.yaml"
    config.write_text(yaml_text)
    with pytest.raises(UserError) as info:
        load_settings(config)
    assert needle in str(info.value)
    assert "\n" not in info.value.one_line()


def test_missing_config_file(tmp_path):
    with pytest.raises(UserError, match="not found"):
        load_settings(tmp_path / "absent.yaml")


def test_command_config_ranks_between_settings_file_and_environment(monkeypatch, tmp_path):
    """A command's own config file (e.g. a training recipe's model) beats the settings file, loses to env and
    flags."""
    config = tmp_path / "settings.yaml"
    config.write_text("model: from-settings-file\n")
    monkeypatch.delenv("TELECOMGPT_MODEL", raising=False)
    assert load_settings(config, command_config={"model": "from-recipe"}).model == "from-recipe"
    assert load_settings(config, command_config={"model": None}).model == "from-settings-file"
    monkeypatch.setenv("TELECOMGPT_MODEL", "from-env")
    assert load_settings(config, command_config={"model": "from-recipe"}).model == "from-env"
    assert (load_settings(config, command_config={"model": "from-recipe"}, model="from-flag").model
            == "from-flag")


def test_judge_settings_from_yaml_env_and_flags(monkeypatch, tmp_path):
    config = tmp_path / "settings.yaml"
    config.write_text("judge:\n  url: http://yaml:1/v1\n  model: yaml-judge\n")
    settings = load_settings(config)
    assert (settings.judge.url, settings.judge.model) == ("http://yaml:1/v1", "yaml-judge")
    # the older single-underscore name still works
    monkeypatch.setenv("TELECOMGPT_JUDGE_URL", "http://env:2/v1")
    monkeypatch.setenv("TELECOMGPT_JUDGE_API_KEY", "secret-key")
    settings = load_settings(config, judge={"model": "flag-judge", "url": None})  # None: flag not given
    assert (settings.judge.url, settings.judge.model, settings.judge.api_key) == (
        "http://env:2/v1", "flag-judge", "secret-key")
    assert "secret-key" not in repr(settings)  # keys never reach logs or results.json through a repr


def test_variables_that_are_not_settings_are_left_alone(monkeypatch, tmp_path):
    """TELECOMGPT_EVAL_DATA, _HOME, _SHARED... have their own meaning; they must not fail validation."""
    monkeypatch.chdir(tmp_path)
    for name in ("TELECOMGPT_EVAL_DATA", "TELECOMGPT_EXTRAS", "TELECOMGPT_ONLINE", "TELECOMGPT_SHARED"):
        monkeypatch.setenv(name, str(tmp_path))
    assert load_settings().model == DEFAULT_MODEL
    monkeypatch.setenv("TELECOMGPT_NO_SUCH_SETTING", "1")
    with pytest.raises(UserError, match="no_such_setting"):
        load_settings()


def test_yaml_syntax_error_names_the_line(tmp_path):
    config = tmp_path / "bad.yaml"
    config.write_text("model: x\nserve:\n  port: [8000\n")
    with pytest.raises(UserError, match=r"not valid YAML \(line \d+, column \d+\)"):
        load_settings(config)
