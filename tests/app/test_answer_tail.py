"""What an answer shows after a lead that defines: no definition of a term the question does not name
(GroundingSession._defines_unasked), on real specs from ../shared (`glossary_retriever`: TR 21.905, TS 23.501,
TS 37.340 and TS 38.300). Definition lines come in lists, and the quotes after the lead took its neighbours:
N6's line after N3's, "MCG SRB" and "SRB5" beside the MN and SN terminated bearers, "SRES" after "SRB"."""

from __future__ import annotations

import pytest

from app.grounding import GroundingSession
from app.retrieval import Retriever
from app.sentences import strip_citations
from app.source_rules import choose_sources


def _answer(retriever: Retriever, question: str) -> str:
    """The extractive answer as the assistant shows it with its defaults: lead, then the quotes after it."""
    hits = choose_sources(retriever.search(question, k=5, asked=question), passages=3)
    session = GroundingSession(question, hits, abbreviations=retriever.abbreviations)
    session.lead()
    session.finish()
    return strip_citations(session.text)


@pytest.mark.parametrize(("question", "shown", "unasked"), [
    ("What is the N3 interface?", "N3:Reference point between the (R)AN and the UPF.", ["N6:"]),
    ("How does an MN terminated bearer differ from an SN terminated bearer?",
     "SN terminated bearer: in MR-DC, a radio bearer for which PDCP is located in the SN.",
     ["MCG SRB", "SRB5"]),
    ("What is an SRB?", "SRB Signalling Radio Bearer", ["SRES"]),
])
def test_no_unasked_definition_follows_a_defining_lead(glossary_retriever: Retriever, question: str,
                                                       shown: str, unasked: list[str]):
    answer = _answer(glossary_retriever, question)
    assert shown in answer, answer
    for other in unasked:
        assert other not in answer, answer


def test_a_definition_the_question_names_may_follow(glossary_retriever: Retriever):
    """The rule reads the question: where it names the other term too, or asks what links two ends, that
    line answers it ("NG-U: user plane interface between NG-RAN and 5GC." beside NG-C's line)."""
    answer = _answer(glossary_retriever, "Which interface connects an NG-RAN node to the 5GC?")
    assert answer.startswith("NG-C: control plane interface between NG-RAN and 5GC."), answer
    assert "NG-U: user plane interface between NG-RAN and 5GC." in answer, answer
