"""Model + RAG: the same task and prompts, with passages from a real index (app.retrieval) put first."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from app.indexer import update_index
from app.retrieval import Retriever
from eval.models.lm import TelecomRAGLM, clip, load_retriever
from eval.runner import EvalRequest, run
from telecomgpt.errors import UserError

KNOWLEDGE = Path(__file__).resolve().parents[2] / "app" / "knowledge"


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real index over the assistant's knowledge notes (a few hundred chunks)."""
    folder = tmp_path_factory.mktemp("rag") / "index"
    update_index(folder, sorted(KNOWLEDGE.glob("*.md")), progress=False)
    return folder


@pytest.mark.slow
def test_rag_model_puts_retrieved_context_before_the_same_prompt(vllm_engine, bench_dir: Path,
                                                                 eval_cache: Path,
                                                                  tmp_path: Path, index: Path):
    request = EvalRequest(tasks=["teleqna_standards_specifications"], data_dir=bench_dir,
                          output=tmp_path / "out", limit=2, cache_dir=eval_cache, index=str(index))
    # log-likelihood requests of one question share a context, so retrieval runs once per question
    summary = run(request, llm=vllm_engine)
    assert (summary["rag_index"] == str(index)
            and summary["tasks"]["teleqna_standards_specifications"]["n"] == 2)
    rows = [json.loads(line)
            for line in (tmp_path / "out" / "samples" / "teleqna_standards_specifications.jsonl")
            .read_text().splitlines()]
    augmented = [row for row in rows if row["prompt"].startswith("Context from the 3GPP index:\n[1] ")]
    assert augmented, "no retrieved context in any prompt"
    for row in augmented:
        assert "\n\nQuestion: " in row["prompt"] and row["prompt"].endswith("Answer:")


@pytest.mark.slow
def test_context_budget_reaches_the_prompt(vllm_engine, bench_dir: Path, eval_cache: Path, tmp_path: Path,
                                           index: Path):
    """`eval run --passages 2 --passage-chars 200` on the cloze task: at most 2 passages of at most 200
    characters (plus their citation) before the question, and results.json records the budget."""
    request = EvalRequest(tasks=["teleqna_cloze_lexicon"], data_dir=bench_dir, output=tmp_path / "out",
                          limit=3, cache_dir=eval_cache, index=str(index), passages=2, passage_chars=200)
    summary = run(request, llm=vllm_engine)
    assert summary["rag_budget"] == {"passages": 2, "passage_chars": 200}
    rows = [json.loads(line) for line in (tmp_path / "out" / "samples" / "teleqna_cloze_lexicon.jsonl")
            .read_text().splitlines()]
    augmented = [row["prompt"] for row in rows if row["prompt"].startswith("Context from the 3GPP "
                                                                           "index:\n[1] ")]
    assert augmented, "no retrieved context in any prompt"
    for prompt in augmented:
        context, question = prompt.removeprefix("Context from the 3GPP index:\n").split("\n\nQuestion: ")
        passages = re.split(r"\n\n\[\d+\] ", context.removeprefix("[1] "))
        assert 1 <= len(passages) <= 2 and question.endswith("\nAnswer:")
        for passage in passages:
            text = passage.rsplit(" (", 1)[0]  # "<text> (<citation>)"
            assert 0 < len(text) <= 200, passage


@pytest.mark.slow
def test_multiple_choice_query_carries_the_options(vllm_engine, index: Path):
    """A cloze prompt does not list the options, so the options scored after it join the query, and every
    option of a question gets the same context."""
    lm = TelecomRAGLM(retriever=Retriever.load(index), passages=1, passage_chars=300, llm=vllm_engine)
    context = "Question: Which procedure does the UE start after a radio link failure?\nAnswer:"
    options = [" RRC connection re-establishment", " Paging", " Cell reselection"]
    assert lm.query(context, options) == context + " RRC connection re-establishment Paging Cell reselection"
    listed = "Question: q\nOptions:\n1. Paging\n2. Handover\nAnswer:"
    assert lm.query(listed, [" Paging", " Handover"]) == listed  # already in the prompt: not repeated
    augmented = lm.augment(context, options)
    assert augmented.startswith("Context from the 3GPP index:\n[1] ") and "\n\n[2] " not in augmented
    assert augmented.endswith(context) and lm.augment(context) == augmented  # one context per question


def test_clip_cuts_at_a_word_break_within_the_budget():
    text = "Radio link failure triggers RRC connection re-establishment in the UE."
    assert clip(text, 200) == text and clip("  padded  ", 3) == "pad"
    assert clip(text, 30) == "Radio link failure triggers" and len(clip(text, 30)) <= 30
    assert clip("x" * 50, 10) == "x" * 10


def test_missing_index_is_a_one_line_error(tmp_path: Path):
    with pytest.raises(UserError, match="no index at"):
        load_retriever(str(tmp_path / "no-index"))
    with pytest.raises(UserError, match="--index"):
        load_retriever(None)
