"""Reading data (build-sft --rag, build-dpo --rag) on a real spec: the serving prompt, targets that state
their clause's fact, no-answer items without the answer, benchmark text kept out, the checker as DPO judge."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest

from app.grounding import NGRAM
from app.prompting import NOT_IN_SOURCES, PROMPT, prompt_messages
from app.retrieval import Retriever
from app.sentences import citations_of, ngrams, strip_citations
from finetune.data.build_dpo import DPOBuild, build_dpo
from finetune.data.rag_reading import RAGBuild, build_rag_sft, checker_verdict, continuation, mined_groups
from finetune.data.records import normalize, record_text
from telecomgpt.errors import UserError

ADDED = {"the", "mac", "entity", "shall"}
"""The only words a target may add to its clause's: "The MAC entity shall <action>"."""


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in gzip.open(path)]


def document(record: dict, n: int) -> str:
    """Document n of the record's prompt as the model reads it."""
    user = record["prompt"][-1]["content"]
    blocks = re.split(r"\n\n(?=\[\d+\] )", user.split("Documents:\n", 1)[1].rsplit("\n\nQuestion:", 1)[0])
    return next(b for b in blocks if b.startswith(f"[{n}] "))


def answering(record: dict) -> str:
    """The answering sentence as the prompt would show it (a procedure line's "2>" level aside)."""
    return normalize(re.sub(r"^\s*\d>", "", record["meta"]["positive"]))


@pytest.fixture(scope="module")
def rows(rag_sft_dir: Path) -> list[dict]:
    return read(rag_sft_dir / "sft.jsonl.gz")


def test_every_input_is_kept_or_excluded_with_a_reason(rag_sft_dir: Path, rows: list[dict]):
    stats = json.loads((rag_sft_dir / "stats.json").read_text())
    excluded = read(rag_sft_dir / "excluded.jsonl.gz")
    assert stats["inputs"] == len(rows) + len(excluded) == sum(stats["built_by_source"].values())
    assert stats["kept"] == len(rows) == 40 and all(r["reason"] for r in excluded)
    assert {"rag_procedure", "rag_definition", "rag_no_answer"} <= set(stats["kept_by_source"])
    assert stats["answer_retrieved"] + stats["answer_placed"] >= len(rows) - stats["kept_by_source"][
        "rag_no_answer"]
    assert not list(rag_sft_dir.glob(".*journal*")), "the journal is removed once the dataset is written"


def after_lead(row: dict) -> str:
    """What the model is trained to write after the lead the assistant quotes first."""
    assert row["completion"][0]["content"].startswith(row["meta"]["lead"])
    return continuation(row)


def test_targets_state_the_fact_of_their_answering_clause(rows: list[dict]):
    answers = [r for r in rows if not r["meta"]["no_answer"]]
    assert len(answers) >= 25
    for row in answers:
        target, n = row["meta"]["target"], row["meta"]["answer_n"]
        assert target.endswith(f" [{n}].") and citations_of(target) == [n], target
        clause = normalize(document(row, n))
        assert answering(row) in clause  # the answering sentence is in document n
        missing = set(normalize(strip_citations(target)).split()) - set(clause.split()) - ADDED
        assert not missing, (target, missing)
        assert row["meta"]["support"] >= 0.88  # and the assistant's checker finds it supported there


def test_the_model_continues_the_lead_instead_of_restating_it(rows: list[dict]):
    """The assistant quotes the lead before the model speaks (`continue_lead`): where the lead misses the
    fact the model writes it; where the lead states it, the model writes the sentence after it in that
    source (or stops), never the fact again."""
    answers = [r for r in rows if not r["meta"]["no_answer"]]
    cases = {r["meta"]["after_lead"] for r in answers}
    assert {"lead_misses", "next_sentence"} <= cases <= {"no_lead", "lead_misses", "next_sentence", "stops"}
    for row in answers:
        lead, after, target = row["meta"]["lead"], after_lead(row), row["meta"]["target"]
        case = row["meta"]["after_lead"]
        if case in ("no_lead", "lead_misses"):
            assert after == target and bool(lead) == (case == "lead_misses")
            continue
        assert lead and after != target
        # the target says again what the lead says: the checker would drop it as "repeated"
        lead_words, fact_words = normalize(strip_citations(lead)), normalize(strip_citations(target))
        assert (set(ngrams(lead_words, NGRAM)) & set(ngrams(fact_words, NGRAM))
                or fact_words in lead_words), (lead, target)
        if case == "next_sentence":
            n = citations_of(lead)[0]
            assert citations_of(after) == [n]
            assert normalize(strip_citations(after)) in normalize(document(row, n))


def test_no_answer_items_have_the_answering_clause_removed(rows: list[dict]):
    none = [r for r in rows if r["meta"]["no_answer"]]
    assert 0.1 <= len(none) / len(rows) <= 0.35  # about one in five
    for row in none:
        assert row["source"] == "rag_no_answer" and after_lead(row) == NOT_IN_SOURCES
        assert answering(row) not in normalize(row["prompt"][-1]["content"])
        assert row["meta"]["answer_n"] is None and row["meta"]["sources"]


def test_the_prompt_is_the_serving_prompt_byte_for_byte(rag_index: Path, rag_settings, rows: list[dict]):
    """Items whose answering clause retrieval found itself get exactly what the assistant sends vLLM."""
    from app.pipeline import RAGPipeline  # lazy: langchain (keeps collecting the fast tests quick)

    pipeline = RAGPipeline(Retriever.load(rag_index), rag_settings)
    natural = [r for r in rows if r["meta"]["retrieved"]]
    assert natural
    for row in natural[:5]:
        prepared = pipeline.prepare([{"role": "user", "content": row["meta"]["question"]}])
        sent = pipeline.llm._get_request_payload(PROMPT.format_messages(**prepared.inputs))["messages"]
        assert row["prompt"] == prompt_messages(prepared.inputs) == [
            {"role": m["role"], "content": m["content"]} for m in sent]
    assert rows[0]["prompt"][0]["role"] == "system" and "Documents:\n[1] " in rows[0]["prompt"][1]["content"]


def test_decontamination_drops_a_planted_benchmark_sentence(rag_sft_dir: Path, rag_planted, rows: list[dict]):
    _, sentences = rag_planted
    excluded = read(rag_sft_dir / "excluded.jsonl.gz")
    assert any(r["reason"].startswith("contaminated:") and r["meta"]["positive"] in sentences
               for r in excluded)
    for sentence in sentences:
        planted = " ".join(normalize(sentence).split()[:13])
        assert not any(planted in normalize(record_text(r)) for r in rows)


def test_the_checker_judges_answers_to_reading_items(rows: list[dict]):
    answer = next(r for r in rows
                  if r["meta"]["after_lead"] == "lead_misses" and len(r["meta"]["sources"]) >= 2)
    target, n = after_lead(answer), answer["meta"]["answer_n"]
    assert checker_verdict(target, answer) == ""
    other = 1 if n != 1 else 2
    assert checker_verdict(target.replace(f"[{n}]", f"[{other}]"), answer) in ("wrong_source", "dropped")
    assert checker_verdict(strip_citations(target), answer) == "uncited"
    assert checker_verdict("The MAC entity restarts the modem and sends a PDF to the AMF [1].",
                           answer) == "dropped"
    assert checker_verdict(NOT_IN_SOURCES, answer) == "abstained_with_evidence"
    # after a lead that states the fact, saying it again is what the assistant drops ("repeated")
    stated = next(r for r in rows if r["meta"]["after_lead"] == "next_sentence")
    assert checker_verdict(stated["meta"]["target"], stated) == "dropped"
    assert checker_verdict(after_lead(stated), stated) in ("", "wrong_source")
    none = next(r for r in rows if r["meta"]["no_answer"])
    assert checker_verdict(NOT_IN_SOURCES, none) == ""
    assert checker_verdict(target, none) == "answered_without_evidence"


def test_bad_inputs_are_one_line_errors(run_cli, assert_one_line_error, rag_index: Path, rag_settings,
                                        tmp_path: Path):
    assert_one_line_error(run_cli("data", "build-sft", "--rag", "--output", str(tmp_path / "o")), "--index")
    with pytest.raises(UserError, match="no index at"):
        build_rag_sft(RAGBuild(output=tmp_path, index=str(tmp_path / "missing"), rag=rag_settings))
    with pytest.raises(UserError, match="corpus not found"):
        build_rag_sft(RAGBuild(output=tmp_path, index=str(rag_index), rag=rag_settings,
                               specs=[str(tmp_path / "no-such-spec.md")]))
    other = tmp_path / "38.300_NG-RAN_Overall_j20.md"
    other.write_text("# 1 Scope\nNot indexed.\n")
    with pytest.raises(UserError, match="is not in the index"):
        build_rag_sft(RAGBuild(output=tmp_path, index=str(rag_index), rag=rag_settings, specs=[str(other)]))


@pytest.mark.slow
def test_build_dpo_rag_pairs_the_targets_with_the_base_models_rejected_answers(rag_sft_dir: Path, vllm_engine,
                                                                                tmp_path: Path):
    stats = build_dpo(DPOBuild(sft=[str(rag_sft_dir)], output=tmp_path, max_prompts=6, max_tokens=48,
                               rag=True), policy=vllm_engine)
    pairs = read(tmp_path / "dpo.jsonl.gz")
    assert stats["prompts"] == 6 == stats["policy_served"] + sum(stats["policy_rejected"].values())
    assert stats["kept"] == len(pairs) >= 1, "a 135M base model's answers are rarely served as they are"
    rows = read(rag_sft_dir / "sft.jsonl.gz")
    for pair in pairs:
        assert pair["verdict"] and pair["origin"] == "policy"
        assert pair["prompt"][0]["role"] == "system"  # the serving prompt, as in the SFT record
        source = next(r for r in rows if r["prompt"] == pair["prompt"])
        rejected = pair["rejected"][0]["content"]
        assert rejected.startswith(source["meta"]["lead"])  # as the assistant shows it: after the lead
        assert pair["chosen"] == source["completion"] and checker_verdict(
            rejected[len(source["meta"]["lead"]):].strip(), source) == pair["verdict"]


def test_held_out_clauses_give_no_question(rag_index: Path, tmp_path: Path):
    """`--hold-out bench/answer_questions.yaml`: no question is mined from a chunk of a held-out clause
    that states a held-out fact (the answer benchmark about the same specs stays unseen); other chunks of
    the clause and other clauses are still mined."""
    from finetune.data.rag_reading import held_out_clauses

    retriever = Retriever.load(rag_index)
    groups = mined_groups(retriever, [], seed=0)
    chunk = next(r for r in retriever.records
                 if r.get("clause") and sum(g["chunk_id"] == r["chunk_id"] for g in groups) >= 2)
    positive = next(g["positive"] for g in groups if g["chunk_id"] == chunk["chunk_id"])
    fact = re.escape(" ".join(positive.split()[:4]))
    held = tmp_path / "held.yaml"
    held.write_text(json.dumps({"questions": [{"id": "q", "spec": chunk["spec"], "clauses": [chunk["clause"]],
                                                "facts": [fact]}]}))
    held_out = held_out_clauses(str(held))
    assert held_out == [(chunk["spec"], chunk["clause"], f"(?:{fact})")]
    kept = mined_groups(retriever, [], seed=0, held_out=held_out)
    assert not any(g["chunk_id"] == chunk["chunk_id"] for g in kept)
    assert len(kept) >= len(groups) - 60 and len(kept) < len(groups)
    held.write_text("questions: [{spec: '38.321', clauses: ['5.1'], facts: ['(unclosed']}]")
    with pytest.raises(UserError, match="no regular expression"):
        held_out_clauses(str(held))


def test_a_kind_cap_keeps_the_glossary_from_setting_the_answers_shape(rag_index: Path, rag_settings,
                                                                      rag_planted, tmp_path: Path):
    """`--max-per-kind`: no mined kind (definition, abbreviation, procedure, ...) passes the cap; the groups
    left by it are counted, not built (inputs = kept + excluded still holds)."""
    build_rag_sft(RAGBuild(output=tmp_path, index=str(rag_index), rag=rag_settings, max_items=24,
                           max_per_kind=4, benchmarks=[str(rag_planted[0])]))
    stats = json.loads((tmp_path / "stats.json").read_text())
    kept = read(tmp_path / "sft.jsonl.gz")
    excluded = read(tmp_path / "excluded.jsonl.gz")
    assert stats["inputs"] == len(kept) + len(excluded) and stats["max_per_kind"] == 4
    assert sum(stats["left_by_kind_cap"].values()) > 0
    by_kind: dict[str, int] = {}
    for record in kept:  # no-answer items count with the kind they were mined as
        by_kind[record["meta"]["kind"]] = by_kind.get(record["meta"]["kind"], 0) + 1
    assert by_kind and max(by_kind.values()) <= 4, by_kind


def test_the_interface_miner_takes_no_determiner_for_a_name():
    from finetune.data.reader_pairs import groups_of_chunk

    text = ("The interface between MWAB-UE and MWAB-gNB is implementation based and not in scope of this "
            "specification.\nThe Xn interface is defined between two NG-RAN nodes.")
    questions = [g["question"] for g in groups_of_chunk(text, "38.300", {}, "Overall architecture")]
    assert "What does the Xn interface connect?" in questions
    assert not any("The interface" in q for q in questions), questions
