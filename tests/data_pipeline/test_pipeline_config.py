"""`telecomgpt data run --config`: every kind of bad pipeline YAML is one line on stderr and exit code 2.

Real files in tmp_path through the real command line (a new process); the config is read before any input.
"""

from __future__ import annotations

import pytest

from data_pipeline.config import PipelineConfig, load_config
from telecomgpt.errors import UserError


@pytest.mark.parametrize(
    ("yaml_text", "needle"),
    [
        ("tasks: 2\nminhash: {buckets: [14\n", "is not valid YAML"),            # syntax error
        ("tasks: 2\nminhash_buckets: 3\n", "invalid setting 'minhash_buckets'"),  # unknown key (a typo)
        ("minhash:\n  rowz: 8\n", "invalid setting 'minhash.rowz'"),              # unknown nested key
        ("line_rules:\n  arxiv: {max_capitals: 0.5}\n", "line_rules.arxiv.max_capitals"),
        ("tasks: two\n", "invalid setting 'tasks'"),                              # wrong type
        ("clause_mode: chapter\n", "invalid setting 'clause_mode'"),               # not one of the choices
        ("tasks: 0\n", "greater than or equal to 1"),                               # out of range
        ("- tasks\n- 2\n", "must hold a mapping"),                                  # not a mapping
    ],
)
def test_bad_pipeline_yaml_is_a_one_line_error(run_cli, assert_one_line_error, tmp_path, yaml_text, needle):
    config = tmp_path / "pipeline.yaml"
    config.write_text(yaml_text)
    done = run_cli("data", "run", "--input", str(tmp_path), "--output", str(tmp_path / "out"), "--config",
                   str(config), timeout=120)
    line = assert_one_line_error(done, needle)
    assert str(config) in line  # the message says which file to fix
    assert not (tmp_path / "out").exists()  # nothing ran


def test_missing_pipeline_yaml(run_cli, assert_one_line_error, tmp_path):
    done = run_cli("data", "run", "--input", str(tmp_path), "--output", str(tmp_path / "out"), "--config",
                   str(tmp_path / "absent.yaml"), timeout=120)
    assert_one_line_error(done, f"config file not found: {tmp_path / 'absent.yaml'}")


def test_yaml_values_reach_the_model_and_unnamed_sources_keep_their_rules(tmp_path):
    config = tmp_path / "pipeline.yaml"
    config.write_text("tasks: 3\nclause_mode: document\nminhash: {rows: 4}\nline_rules:\n  arxiv: "
                      "{max_digits: 0.2}\n")
    loaded = load_config(config)
    assert (loaded.tasks, loaded.clause_mode, loaded.minhash.rows, loaded.minhash.buckets) == (3, "document",
                                                                                               4, 14)
    assert loaded.line_rules["arxiv"].max_digits == 0.2
    assert loaded.line_rules["code"].enabled is False  # not named in the YAML: the built-in rules stay
    assert load_config(None) == PipelineConfig()


def test_an_empty_file_means_the_defaults(tmp_path):
    config = tmp_path / "empty.yaml"
    config.write_text("# nothing set\n")
    assert load_config(config) == PipelineConfig()
    with pytest.raises(UserError, match="not found"):
        load_config(tmp_path / "absent.yaml")
