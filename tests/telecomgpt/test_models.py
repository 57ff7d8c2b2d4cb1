"""The model registry: GGUF conversion is faithful, cached, and every user mistake is one clear line."""

import json
import shutil

import pytest

from telecomgpt.errors import UserError
from telecomgpt.models import DEFAULT_MODEL, EMBEDDED_MODELS, list_prepared, prepare


def test_converted_folder_has_everything_vllm_needs(embedded_model_dir):
    config = json.loads((embedded_model_dir / "config.json").read_text())
    assert config["model_type"] == "llama"
    assert (embedded_model_dir / "model.safetensors").stat().st_size > 200 * 2**20  # bf16, not 4-bit
    tokenizer_config = json.loads((embedded_model_dir / "tokenizer_config.json").read_text())
    template = (tokenizer_config.get("chat_template")
                or (embedded_model_dir / "chat_template.jinja").read_text())
    assert "im_start" in template


def test_converted_logits_equal_gguf_loaded_model(embedded_model_dir):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf = EMBEDDED_MODELS[DEFAULT_MODEL].gguf_path()
    reference = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.bfloat16)
    converted = AutoModelForCausalLM.from_pretrained(embedded_model_dir, dtype=torch.bfloat16)
    tokenizer = AutoTokenizer.from_pretrained(embedded_model_dir)
    ids = tokenizer("The RRC layer in 5G NR handles connection establishment", return_tensors="pt").input_ids
    with torch.no_grad():
        expected, got = reference(ids).logits, converted(ids).logits
    assert torch.equal(expected, got)


def test_prepare_is_cached_and_listed(embedded_model_dir):
    assert prepare(DEFAULT_MODEL) == embedded_model_dir
    assert prepare(str(embedded_model_dir)) == embedded_model_dir  # an HF folder is used as it is
    names = {m.name: m for m in list_prepared()}
    assert names[DEFAULT_MODEL].size_bytes > 200 * 2**20


@pytest.mark.parametrize("name", ["no-such-model", "./missing/folder"])
def test_unknown_model(name):
    with pytest.raises(UserError, match="unknown model"):
        prepare(name)


def test_hub_id_offline_is_refused(monkeypatch):
    monkeypatch.delenv("TELECOMGPT_ONLINE", raising=False)
    with pytest.raises(UserError, match="hub downloads are off"):
        prepare("Qwen/Qwen2.5-7B-Instruct")


def test_corrupted_folders(tmp_path, embedded_model_dir):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(UserError, match="no config.json"):
        prepare(empty)
    broken = tmp_path / "broken"
    shutil.copytree(embedded_model_dir, broken, ignore=shutil.ignore_patterns("*.safetensors"))
    with pytest.raises(UserError, match="no weights"):
        prepare(broken)
    (broken / "config.json").write_text("{not json")
    with pytest.raises(UserError, match="corrupted config.json"):
        prepare(broken)


def test_files_that_are_not_models(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(UserError, match="not a .gguf"):
        prepare(text)
    fake = tmp_path / "fake.gguf"
    fake.write_bytes(b"GGUF")
    with pytest.raises(UserError, match="too small"):
        prepare(fake)
