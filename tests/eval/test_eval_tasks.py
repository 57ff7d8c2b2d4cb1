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
    assert len(names) == len(set(names)) == 37
    missing = [n for n in names if n not in manager.all_tasks]
    assert not missing, f"lm-eval skipped these YAMLs (invalid config): {missing}"


def test_every_task_builds_and_renders_its_items(loaded):
    _, result = loaded
    tasks = result["tasks"]
    assert len(tasks) == 30
    for name, task in tasks.items():
        docs = task.eval_docs
        assert len(docs) >= 2, name
        for doc in list(docs)[:20]:
            text, target = task.doc_to_text(doc), task.doc_to_target(doc)
            assert isinstance(text, str) and len(text) > 10, name  # teleqna_open: the bare question
            if task.OUTPUT_TYPE == "multiple_choice":
                choices = task.doc_to_choice(doc)
                assert 2 <= len(choices) and 0 <= target < len(choices), name
            else:
                assert target not in (None, "", []), name


def test_groups_aggregate_their_categories(loaded):
    _, result = loaded
    groups = {g.name: g.child_names for g in result["groups"].values()}
    assert groups["teleqna"] == ["teleqna_lexicon", "teleqna_research_overview",
                                 "teleqna_research_publications",
                                 "teleqna_standards_overview", "teleqna_standards_specifications"]
    assert groups["oran_bench"] == ["oran_bench_easy", "oran_bench_medium", "oran_bench_hard"]
    assert groups["teleqna_cloze"] == [n.replace("teleqna_", "teleqna_cloze_") for n in groups["teleqna"]]
    assert groups["teleqna_open"] == ["teleqna_open_lexicon", "teleqna_open_standards_overview",
                                      "teleqna_open_standards_specifications"]
    assert set(groups) == {"teleqna", "teleqna_cloze", "teleqna_gen", "teleqna_open", "oran_bench",
                           "wireless_math", "telecom_code"}


def test_cloze_tasks_ask_the_question_alone_and_score_the_same_options(loaded):
    """lm-eval's ARC style: no option list in the prompt; the same items, choices, gold and metrics as the
    options-listed tasks, so the two prompt styles are compared on identical questions."""
    _, result = loaded
    tasks = result["tasks"]
    for slug in ("lexicon", "research_overview", "research_publications", "standards_overview",
                 "standards_specifications"):
        cloze, listed = tasks[f"teleqna_cloze_{slug}"], tasks[f"teleqna_{slug}"]
        assert len(cloze.eval_docs) == len(listed.eval_docs) >= 50, slug
        assert [m["metric"] for m in cloze.config.metric_list] == ["acc", "acc_norm"]
        for doc, same in list(zip(cloze.eval_docs, listed.eval_docs, strict=True))[:10]:
            text, choices = cloze.doc_to_text(doc), cloze.doc_to_choice(doc)
            assert text == f"Question: {doc['question']}\nAnswer:", slug
            assert "Options:" in listed.doc_to_text(same) and "Options:" not in text
            assert (choices == listed.doc_to_choice(same)
                    and cloze.doc_to_target(doc) == listed.doc_to_target(same))
            assert all(choice in listed.doc_to_text(same) for choice in choices)


def test_open_tasks_ask_the_question_alone_and_map_answers_to_options(loaded):
    """teleqna_open: the prompt is the bare question (no option text), and the scorer maps an answer that
    restates one option to that option, whatever its position."""
    _, result = loaded
    tasks = result["tasks"]
    for slug in ("lexicon", "standards_overview", "standards_specifications"):
        task, listed = tasks[f"teleqna_open_{slug}"], tasks[f"teleqna_{slug}"]
        assert (task.OUTPUT_TYPE == "generate_until"
                and len(task.eval_docs) == len(listed.eval_docs) >= 50), slug
        for doc in list(task.eval_docs)[:5]:
            assert task.doc_to_text(doc) == doc["question"], slug
            assert task.doc_to_target(doc) == doc["choices"][doc["gold"]]
            for i, choice in enumerate(doc["choices"]):
                scores = task.process_results(doc, [f"The answer is {choice}."])
                assert scores["acc"] == float(i == doc["gold"]), (slug, choice)
                assert scores["chance"] == 1 / len(doc["choices"]) and scores["abstained"] == 0.0
            idk = task.process_results(doc, ["I don't know: the indexed documents contain nothing relevant."])
            assert idk["acc"] == 0.0 and idk["abstained"] == 1.0
