"""Questions asking how two things differ ("What is the difference between the MCG and the SCG?"): the
retriever looks up what each one is and the answer leads with both definitions (app/term_lookup.asked_pair,
Retriever._compared_rows, GroundingSession._pair_lead), on real specs from ../shared: TR 21.905, TS 23.501,
TS 37.340 and TS 38.300 (`glossary_retriever`)."""

from __future__ import annotations

import pytest

from app.grounding import GroundingSession
from app.retrieval import Hit, Retriever
from app.sentences import strip_citations
from app.source_rules import choose_sources
from app.term_lookup import AskedTerm, asked_pair, asked_term, refers_elsewhere


@pytest.mark.parametrize(("question", "first", "second"), [
    ("What is the difference between the MCG and the SCG?", "MCG", "SCG"),
    ("What are the main differences between CM-IDLE and CM-CONNECTED in 5GS?", "CM-IDLE", "CM-CONNECTED"),
    ("Explain the difference between SSC mode 1 and SSC mode 3.", "SSC mode 1", "SSC mode 3"),
    ("How does SUCI differ from SUPI?", "SUCI", "SUPI"),
    ("How do RRC_IDLE and RRC_INACTIVE differ?", "RRC_IDLE", "RRC_INACTIVE"),
    ("Compare an MN terminated bearer with an SN terminated bearer.", "MN terminated bearer",
     "SN terminated bearer"),
    ("gNB vs ng-eNB", "gNB", "ng-eNB"),
])
def test_a_difference_question_asks_two_terms(question: str, first: str, second: str):
    assert asked_pair(question) == (AskedTerm("definition", first), AskedTerm("definition", second))
    # and no one term: "difference between the MCG and the SCG" was looked up as a term of its own
    assert asked_term(question) is None


@pytest.mark.parametrize("question", [
    "What is a split bearer?",
    "Which reference point connects the AMF and the SMF?",  # a connection (app/endpoints.py)
    "What is the difference between the first of the two timers configured by RRC for the UE and the other?",
])
def test_other_questions_ask_no_pair(question: str):
    assert asked_pair(question) is None


def _lead(retriever: Retriever, question: str) -> tuple[str, list]:
    hits = choose_sources(retriever.search(question, k=5, asked=question), passages=3)
    session = GroundingSession(question, hits, abbreviations=retriever.abbreviations)
    return strip_citations(session.lead()), hits


@pytest.mark.parametrize(("question", "first", "second"), [
    # both lines are in TS 37.340 §3.1, in two chunks: the second waited behind the other clauses and the
    # lead was "This procedure can also be used to configure an SN terminated MCG bearer ..." (§10.2.1)
    ("What is the difference between the MCG and the SCG?",
     "Master Cell Group:in MR-DC, a group of serving cells associated with the Master Node",
     "Secondary Cell Group: in MR-DC, a group of serving cells associated with the Secondary Node"),
    # was "In case an SN terminated bearer is released or reconfigured to an MN terminated bearer, ..."
    ("How does an MN terminated bearer differ from an SN terminated bearer?",
     "MN terminated bearer: in MR-DC, a radio bearer for which PDCP is located in the MN.",
     "SN terminated bearer: in MR-DC, a radio bearer for which PDCP is located in the SN."),
    # TS 38.300 §3.2's own lines, not TS 37.340's "Ng-eNB: as defined in TS 38.300."
    ("gNB vs ng-eNB", "gNB: node providing NR user plane and control plane protocol terminations",
     "ng-eNB: node providing E-UTRA user plane and control plane protocol terminations"),
])
def test_a_difference_question_leads_with_what_each_one_is(glossary_retriever: Retriever, question: str,
                                                           first: str, second: str):
    lead, hits = _lead(glossary_retriever, question)
    assert lead.startswith(first), (lead, [h.citation for h in hits])
    assert second in lead, (lead, [h.citation for h in hits])
    assert lead.index(first) < lead.index(second)


def test_a_pair_lead_shows_only_what_says_what_a_term_is(glossary_retriever: Retriever):
    """These four specs define the PCell ("PCell: SpCell of a master cell group.", TS 37.340) and no SCell:
    "What is an SCell?" on them is led by a sentence naming an SCell in passing, which says nothing of how
    the two differ, so the lead is the PCell's line alone."""
    lead, hits = _lead(glossary_retriever, "What is the difference between a PCell and an SCell?")
    assert lead == "PCell: SpCell of a master cell group.", (lead, [h.citation for h in hits])


def test_a_looked_up_chunk_is_not_made_to_wait_behind_other_clauses(glossary_retriever: Retriever):
    """Rule 2 of app/source_rules.py (at most one chunk per clause first) keeps the chunks the retriever
    looked up for the question's form together: the MCG's and the SCG's lines are in two chunks of TS
    37.340 §3.1, and both are among the three sources."""
    question = "What is the difference between the MCG and the SCG?"
    hits = glossary_retriever.search(question, k=5, asked=question)
    looked_up = [h for h in hits if h.metadata.get("looked_up")]
    assert [h.citation for h in looked_up] == ["TS 37.340 §3.1", "TS 37.340 §3.1"]
    chosen = choose_sources(hits, passages=3)
    assert all(h in chosen[:3] for h in looked_up)
    # a chunk not looked up still waits: the same two hits unmarked put another clause second
    plain = [Hit(h.text, h.score, {k: v for k, v in h.metadata.items() if k != "looked_up"}) for h in hits]
    assert [h.citation for h in choose_sources(plain, passages=3)[:2]] != ["TS 37.340 §3.1"] * 2


def test_a_definition_pointing_elsewhere_comes_after_the_one_it_points_to(glossary_retriever: Retriever):
    """TS 37.340 §3.1's "Ng-eNB: as defined in TS 38.300." led "What is the ng-eNB?" on this index, where
    TS 38.300 §3.2 defines it."""
    assert refers_elsewhere("Ng-eNB: as defined in TS 38.300 [3].")
    assert not refers_elsewhere("ng-eNB: node providing E-UTRA user plane and control plane protocol "
                                "terminations towards the UE, and connected via the NG interface to the 5GC.")
    lead, hits = _lead(glossary_retriever, "What is the ng-eNB?")
    assert lead.startswith("ng-eNB: node providing E-UTRA user plane"), (lead, [h.citation for h in hits])
    # the lookup's own order, the question's ranking left out (on the 8-file index TS 37.340's chunk ranked
    # first among the three defining it, and the only one looked up was the pointer): TS 38.300's first
    rows = glossary_retriever._defining_rows("What is the ng-eNB?", None, {})
    assert Hit(glossary_retriever.records[rows[0]]["text"], 0.0,
               glossary_retriever.records[rows[0]]).citation == "TS 38.300 §3.2"
