"""lm-eval's own validation on every shipped YAML: indexed by TaskManager, built into a ConfigurableTask
(which loads the data and renders the first item), and every item renders with a valid target."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from eval.catalog import EXTRA_TASKS, TASKS, TASKS_DIR, task_manager


def _yaml_names() -> list[str]:
    names = []
    for path in sorted(TASKS_DIR.glob("*/*.yaml")):
        config = yaml.load(path.read_text(), Loader=yaml.BaseLoader)  # BaseLoader: ignores !function tags
        names.append(config["group"] if "group" in config else config["task"])
    return names


@pytest.fixture(scope="module")
def loaded(bench_dir: Path, eval_cache: Path):
    manager = task_manager(bench_dir, eval_cache)
    return manager, manager.load(list(TASKS) + list(EXTRA_TASKS))


def test_every_yaml_is_indexed(loaded):
    manager, _ = loaded
    names = _yaml_names()
    assert len(names) == len(set(names)) == 27
    missing = [n for n in names if n not in manager.all_tasks]
    assert not missing, f"lm-eval skipped these YAMLs (invalid config): {missing}"


def test_every_task_builds_and_renders_its_items(loaded):
    _, result = loaded
    tasks = result["tasks"]
    assert len(tasks) == 22
    for name, task in tasks.items():
        docs = task.eval_docs
        assert len(docs) >= 2, name
        for doc in list(docs)[:20]:
            text, target = task.doc_to_text(doc), task.doc_to_target(doc)
            assert isinstance(text, str) and len(text) > 20, name
            if task.OUTPUT_TYPE == "multiple_choice":
                choices = task.doc_to_choice(doc)
                assert 2 <= len(choices) and 0 <= target < len(choices), name
            else:
                assert target not in (None, "", []), name


def test_groups_aggregate_their_categories(loaded):
    _, result = loaded
    groups = {g.name: g.child_names for g in result["groups"].values()}
    assert groups["teleqna"] == ["teleqna_lexicon", "teleqna_research_overview", "teleqna_research_publications",
                                 "teleqna_standards_overview", "teleqna_standards_specifications"]
    assert groups["oran_bench"] == ["oran_bench_easy", "oran_bench_medium", "oran_bench_hard"]
    assert set(groups) == {"teleqna", "teleqna_gen", "oran_bench", "wireless_math", "telecom_code"}
