"""`eval run` shows one overall progress bar: questions done / total, with a rate."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


def test_loglikelihood_reports_questions_done(vllm_engine, capsys):
    from lm_eval.api.instance import Instance

    from eval.models.lm import TelecomLM  # lazy: lm_eval (keeps collecting the fast tests quick)

    lm = TelecomLM(llm=vllm_engine)
    questions = [f"Question: Which layer handles function {n} in NR?\nAnswer:" for n in range(5)]
    requests = [Instance(request_type="loglikelihood", doc={}, arguments=(q, f" {option}"), idx=i)
                for q in questions for i, option in enumerate(("RRC", "PDCP", "RLC"))]
    scores = lm.loglikelihood(requests)
    assert len(scores) == 15 and all(lp < 0 for lp, _ in scores)
    # scored in steps, each option still a continuation of its own question (same as scoring it alone)
    alone = lm.llm.loglikelihood([(questions[0], " RRC")])[0][0]
    assert scores[0][0] == pytest.approx(alone, abs=0.05)
    err = capsys.readouterr().err
    assert "questions" in err and "5/5" in err and ("question/s" in err or "s/question" in err), err[-500:]
