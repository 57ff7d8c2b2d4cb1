"""Model + RAG: the same task and prompts, with passages from a real index (app.retrieval) put first."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from app.indexer import update_index
from app.retrieval import Retriever
from eval.models.lm import DEFAULT_CONTEXT_WEIGHT, TelecomRAGLM, context_passages, load_retriever
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
def test_rag_model_puts_retrieved_context_after_the_listed_options(vllm_engine, bench_dir: Path,
                                                                   eval_cache: Path, tmp_path: Path,
                                                                   index: Path):
    """The options-listed prompt keeps its question and options first; the context comes between them and
    "Answer:" (eval.models.lm.LISTED_OPTIONS)."""
    request = EvalRequest(tasks=["teleqna_standards_specifications"], data_dir=bench_dir,
                          output=tmp_path / "out", limit=2, cache_dir=eval_cache, index=str(index))
    # log-likelihood requests of one question share a context, so retrieval runs once per question
    summary = run(request, llm=vllm_engine)
    assert (summary["rag_index"] == str(index)
            and summary["tasks"]["teleqna_standards_specifications"]["n"] == 2)
    rows = [json.loads(line)
            for line in (tmp_path / "out" / "samples" / "teleqna_standards_specifications.jsonl")
            .read_text().splitlines()]
    augmented = [row["prompt"] for row in rows if "\nContext from the 3GPP index:\n[1] " in row["prompt"]]
    assert augmented, "no retrieved context in any prompt"
    for prompt in augmented:
        before, _, after = prompt.partition("\nContext from the 3GPP index:\n[1] ")
        assert before.startswith("Question: ") and re.search(r"\nOptions:\n1\. .*\n2\. ", before, re.S)
        assert after.endswith(")\nAnswer:") and "Options:" not in after  # passages end with their citation


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


@pytest.mark.slow
def test_options_score_what_the_context_adds(vllm_engine, index: Path):
    """Context-aware scoring (`--context-weight W`): each option scores (1 + W) log p(option | context,
    prompt) - W log p(option | prompt), from the same engine's own two log-likelihoods; W = 0, the default,
    is the plain score with the context."""
    question = "Question: Which RRC state keeps the UE context while the UE is not connected?\nAnswer:"
    options = [" RRC_INACTIVE", " RRC_IDLE", " RRC_CONNECTED"]
    requests = [SimpleNamespace(args=(question, option)) for option in options]
    lm = TelecomRAGLM(retriever=Retriever.load(index), passages=2, passage_chars=300, llm=vllm_engine,
                      context_weight=1.0)
    weighted = [score for score, _ in lm.loglikelihood(requests)]
    augmented = lm.augment(question)
    assert augmented != question and augmented.endswith(question)
    read = [score for score, _ in vllm_engine.loglikelihood([(augmented, o) for o in options])]
    unread = [score for score, _ in vllm_engine.loglikelihood([(question, o) for o in options])]
    assert read != unread  # the context changes the scores, so the weighting has something to add
    assert weighted == pytest.approx([2 * r - u for r, u in zip(read, unread, strict=True)], abs=0.05)
    lm.context_weight = DEFAULT_CONTEXT_WEIGHT
    assert DEFAULT_CONTEXT_WEIGHT == 0  # plain log-likelihood unless asked
    assert [score for score, _ in lm.loglikelihood(requests)] == pytest.approx(read, abs=0.05)


def test_a_context_weight_out_of_range_is_a_one_line_error(index: Path):
    with pytest.raises(UserError, match="--context-weight must be between 0 and 10"):
        TelecomRAGLM(retriever=Retriever.load(index), context_weight=-1)


@pytest.fixture(scope="module")
def spec_retriever(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Retriever:
    """A BM25-only index of TR 21.905 (.docx) and TS 37.340 (Release-19 Markdown): seconds to build."""
    base = shared_dir / "data" / "corpus" / "3gpp"
    out = tmp_path_factory.mktemp("specs") / "index"
    report = update_index(out, [base / "21905-h20.docx", base / "rel19-md/37.340_Multi_Connectivity_j20.md"],
                          prune=True, progress=False, dense=False)
    assert not report.errors, report.errors
    return Retriever.load(out)


def test_the_context_is_chosen_as_the_assistant_chooses_its_sources(spec_retriever: Retriever):
    """A multiple-choice query that matches TS 37.340's References clause (its list names the MAC spec)
    gets no References passage, as the assistant's sources would not; retrieval alone ranks it first."""
    query = "Question: Which MAC entity handles the SCG in NR-DC?\nAnswer: the NR MAC entity of the SN"
    # the case arises when the search does not leave such chunks out itself (as eval's did before)
    assert spec_retriever.search(query, k=3, answering_only=False)[0].citation == "TS 37.340 §2"
    passages = context_passages(spec_retriever, query, None, passages=3, passage_chars=300)
    assert len(passages) == 3 and not any(p.endswith("(TS 37.340 §2)") for p in passages), passages
    assert all(len(p.rsplit(" (", 1)[0]) <= 300 for p in passages)


def test_a_term_question_reads_the_defining_line_first(spec_retriever: Retriever):
    """The Abbreviations chunk of TS 37.340 opens with its preamble, and its table rows are no sentences a
    cut by words would keep: the defining line leads the passage."""
    question = "What does MCG stand for?"
    first = spec_retriever.search(question, k=1)[0]
    assert "Master Cell Group" not in first.text[:300]  # the chunk's first characters would miss it
    passage = context_passages(spec_retriever, f"Question: {question}\nAnswer: Master Cell Group "
                               "Main Carrier Gateway", question, passages=2, passage_chars=300)[0]
    assert passage.startswith("MCG Master Cell Group\n") and passage.endswith("(TS 37.340 §3.2)"), passage


def test_a_term_questions_passage_leaves_the_other_terms_entries_out(spec_retriever: Retriever):
    """TR 21.905's chunk defining "handover" defines its neighbours too ("**Hard Handover:** ...",
    "**Guaranteed service:** ..."): they filled the passage's budget and answer nothing. The second
    definition of the term itself stays."""
    question = "What is a handover?"
    passage = context_passages(spec_retriever, f"Question: {question}\nAnswer: The transfer of a connection",
                               question, passages=2, passage_chars=800)[0]
    assert passage.startswith("**Handover:** The transfer of a user's connection"), passage
    assert "radio access network changes the radio transmitters" in passage, passage
    assert "Hard Handover" not in passage and "Guaranteed service" not in passage, passage


def test_missing_index_is_a_one_line_error(tmp_path: Path):
    with pytest.raises(UserError, match="no index at"):
        load_retriever(str(tmp_path / "no-index"))
    with pytest.raises(UserError, match="--index"):
        load_retriever(None)
