"""Settings merge defaults < YAML < environment < flags, and reject bad values with one line."""

import pytest

from telecomgpt.config import load_settings
from telecomgpt.errors import UserError


def test_defaults_bind_loopback(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.model == "smollm2-135m-instruct"
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
    [("serve:\n  port: 70000\n", "serve.port"), ("temperature: hot\n", "temperature"), ("nonsense: 1\n", "nonsense"),
     ("- a list\n", "mapping"), ("model: [unclosed\n", "not valid YAML")],
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
