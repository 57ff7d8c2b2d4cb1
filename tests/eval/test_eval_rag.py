"""Model + RAG: the same task and prompts, with passages from a real index (app.retrieval) put first."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.models.lm import load_retriever
from eval.runner import EvalRequest, run
from telecomgpt.errors import UserError

KNOWLEDGE = Path(__file__).resolve().parents[2] / "app" / "knowledge"


@pytest.mark.slow
def test_rag_model_puts_retrieved_context_before_the_same_prompt(vllm_engine, bench_dir: Path, eval_cache: Path,
                                                                  tmp_path: Path):
    from app.indexer import update_index

    index = tmp_path / "index"
    update_index(index, sorted(KNOWLEDGE.glob("*.md")), progress=False)
    request = EvalRequest(tasks=["teleqna_standards_specifications"], data_dir=bench_dir, output=tmp_path / "out",
                          limit=2, cache_dir=eval_cache, index=str(index))
    # log-likelihood requests of one question share a context, so retrieval runs once per question
    summary = run(request, llm=vllm_engine)
    assert summary["rag_index"] == str(index) and summary["tasks"]["teleqna_standards_specifications"]["n"] == 2
    rows = [json.loads(line) for line in (tmp_path / "out" / "samples" / "teleqna_standards_specifications.jsonl")
            .read_text().splitlines()]
    augmented = [row for row in rows if row["prompt"].startswith("Context from the 3GPP index:\n[1] ")]
    assert augmented, "no retrieved context in any prompt"
    for row in augmented:
        assert "\n\nQuestion: " in row["prompt"] and row["prompt"].endswith("Answer:")


def test_missing_index_is_a_one_line_error(tmp_path: Path):
    with pytest.raises(UserError, match="no index at"):
        load_retriever(str(tmp_path / "no-index"))
    with pytest.raises(UserError, match="--index"):
        load_retriever(None)
