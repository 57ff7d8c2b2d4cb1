"""How the assistant reads what the Word specs of ../shared write apart from their prose: a displayed
formula boxed in a one-cell table, a name in bold or italics above the paragraph that says what it is
(timers, cell categories), "The purpose of the X procedure is to ...", a layer named "sublayer" in the
question, a figure described in a sentence, a NOTE beside the normative text and a sentence restating the
question in a source the answer did not read. Real Release-18 .docx specs (TS 38.304, TS 38.322,
TS 38.323), BM25-only indexes: the rules checked here do not depend on dense vectors."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from conftest import clause_hit, extractive_answer

from app.grounding import GroundingConfig, GroundingSession, restates
from app.procedure_text import PARAGRAPH_LABEL, units
from app.reader import FIGURE
from app.sentences import split_sentences, strip_citations
from app.term_lookup import asked_term, states_what
from telecomgpt.domain.markdown_clean import normalize_pandoc_markdown


def test_a_one_cell_table_is_a_displayed_formula_not_a_table():
    """pandoc writes a formula the Word file boxes in a table as a pipe table of one cell; a real table
    stays a table."""
    text = normalize_pandoc_markdown("The criterion S is fulfilled when:\n\n| Srxlev > 0 AND Squal > 0 |\n"
                                     "|--------------------------|\n\nwhere:\n\n"
                                     "| a | b |\n|---|---|\n| 1 | 2 |\n")
    assert "\n\nSrxlev > 0 AND Squal > 0\n\nwhere:" in text
    assert "| a | b |\n|---|---|\n| 1 | 2 |" in text
    boxed = "<table><tr><td>Srxlev = Q</td></tr></table>"
    assert normalize_pandoc_markdown(boxed).strip() == "Srxlev = Q"
    # the sentence introducing it ends with it: one quote, never the bare lead-in "... fulfilled when:"
    assert split_sentences("The criterion S is fulfilled when:\n\nSrxlev > 0 AND Squal > 0\n\nwhere:\n\n"
                           "- Srxlev: the RX level value", soft_wraps=True)[0] == \
        "The criterion S is fulfilled when: Srxlev > 0 AND Squal > 0"


def test_the_cell_selection_criterion_is_answered_with_its_formula(word_spec_retriever):
    """TS 38.304 §5.2.3.2 states the S criterion as "The cell selection criterion S is fulfilled when:" over
    a boxed formula. Read as a lead-in and a table header, the clause had nothing to quote and the answer
    was a sidelink clause's "When evaluating S criterion, R criterion (ranking) or ..."."""
    question = "When is the cell selection criterion S fulfilled?"
    hits, answer = extractive_answer(word_spec_retriever("38304-i00.docx"), question)
    assert hits[0].citation == "TS 38.304 §5.2.3.2", [h.citation for h in hits]
    assert answer.startswith("The cell selection criterion S is fulfilled when: Srxlev > 0 AND Squal > 0"), \
        answer


def test_a_label_keeps_the_paragraph_that_says_what_it_is():
    """A name alone in bold or italics (a list letter before it, a colon or not) labels the next paragraph:
    one unit, read as a definition line."""
    for label in ["a\\) *t-PollRetransmit*", "**acceptable cell:**", "b) *t-Reassembly*"]:
        assert PARAGRAPH_LABEL.match(label), label
    assert not PARAGRAPH_LABEL.match("The UE starts *t-Reassembly*")
    parts = ["The following timers are configured:", "a\\) *t-PollRetransmit*", "This timer is used by x.",
             "b\\) *t-Reassembly*", "This timer is used by y."]
    assert units(parts, 450) == [parts[:1], parts[1:3], parts[3:]]
    assert split_sentences("\n\n".join(parts), soft_wraps=True)[1:] == [
        "*t-PollRetransmit*: This timer is used by x.", "*t-Reassembly*: This timer is used by y."]


def test_a_timer_question_gets_the_timers_definition(word_spec_retriever):
    """TS 38.322 §7.3 writes each timer as a label over its paragraph ("a) *t-PollRetransmit*" / "This timer
    is used by the transmitting side of an AM RLC entity in order to retransmit a poll"). The answer to what
    the timer is used for quoted the steps that start it, and §7.3 was not among the sources."""
    question = "What is t-PollRetransmit used for?"
    hits, answer = extractive_answer(word_spec_retriever("38322-i00.docx"), question)
    assert hits[0].citation == "TS 38.322 §7.3", [h.citation for h in hits]
    assert answer.startswith("*t-PollRetransmit*: This timer is used by the transmitting side of an AM RLC "
                             "entity in order to retransmit a poll"), answer


def test_a_sublayers_functions_are_its_layers(word_spec_retriever):
    """TS 38.323 §4.4: "The PDCP layer supports the following functions: ..."; asked about the PDCP
    sublayer, the answer quoted "The PDCP sublayer is configured by upper layers" and a figure's description
    ("Figure 4.2.2-1 represents the functional view of the PDCP entity ...")."""
    question = "Which functions does the PDCP sublayer support?"
    _, answer = extractive_answer(word_spec_retriever("38323-i00.docx"), question)
    assert answer.startswith("The PDCP layer supports the following functions: - transfer of data"), answer
    assert "Figure 4.2.2-1" not in answer
    assert FIGURE.search("Figure 4.2.2-1 represents the functional view of the PDCP entity")


def test_the_purpose_of_a_procedure_says_what_it_does():
    """Every NGAP, XnAP and RRC procedure opens with "The purpose of the X procedure is to ...": for "What is
    the purpose of the NG Setup procedure?" that sentence (TS 38.413 §8.7.1.1), not another procedure's."""
    asked = asked_term("What is the purpose of the NG Setup procedure?")
    assert states_what("The purpose of the NG Setup procedure is to exchange application level data "
                       "needed for the NG-RAN node and the AMF to correctly interoperate on the NG-C "
                       "interface.", asked)
    assert not states_what("The purpose of the Distribution Setup procedure is to assign NG-U resources for "
                           "a multicast MBS session.", asked)


def test_a_note_comes_after_the_normative_sentence():
    """TS 29.244 §6.2.2.2 (its text as the spec writes it): a NOTE that names the same words ranked ahead of
    the sentence saying why a PFCP entity sends a Heartbeat Request."""
    clause = ("NOTE 2: If the UP function supports the SSET feature and connected to an SMF set, each PFCP "
              "entity of the UP function can send heartbeat Requests towards each PFCP entity pertaining to "
              "the same SMF or the SMFs in the SMF set with which a PFCP control association is "
              "established.\n\n"
              "An PFCP entity of a CP or UP function may send a Heartbeat Request to a PFCP entity of a peer "
              "node to find out if the peer PFCP entity is alive.")
    hit = SimpleNamespace(text=clause, metadata={"spec": "29.244", "clause": "6.2.2.2",
                                                 "title": "Heartbeat Request"},
                          citation="TS 29.244 §6.2.2.2")
    question = "Why does a PFCP entity send a Heartbeat Request?"
    session = GroundingSession(question, [hit], config=GroundingConfig())
    assert strip_citations(session.lead()).startswith("An PFCP entity of a CP or UP function may send"), \
        session.lead()



def test_a_sentence_restating_the_question_is_read_in_any_source():
    """TS 23.503 (its text as the spec writes it): asked which function delivers UE policy, the answer read
    the first two sources only and quoted the Definitions clause's "UE policy information" entry; the third
    says "The PCF is responsible for delivery of UE policy."."""
    question = "Which network function is responsible for delivery of UE policy?"
    assert restates(question, "The PCF is responsible for delivery of UE policy.")
    assert not restates(question, "The PCF provides UE policy to the AMF.")
    hits = [clause_hit("23.503", "3.1", "Definitions",
                 "**UE policy information:** Policy information preconfigured in the UE and/or provisioned "
                 "to the UE for access selection (i.e. ANDSP), PDU Session selection (i.e. URSP).\n\n"
                 "**UE Local Configuration:** Information about the association of an application to "
                 "either a PDU Session or to non-seamless Offload."),
            clause_hit("38.470", "5.2.3", "F1-C functions",
                 "This function allows to deliver the network slice policy to the gNB-DU. The policy is "
                 "configured by OAM."),
            clause_hit("23.503", "6.1.2.2.1", "General",
                 "The AMF shall not change the UE policy information provided by PCF. The PCF is "
                 "responsible for delivery of UE policy.")]
    session = GroundingSession(question, hits, config=GroundingConfig())
    lead = strip_citations(session.lead())
    assert lead == "The PCF is responsible for delivery of UE policy.", lead


@pytest.mark.parametrize(("question", "kind", "term"), [
    ("How is SS-RSRQ defined?", "definition", "SS-RSRQ"),
    ("What does the physical layer offer to higher layers?", "role", "physical layer"),
    ("Which functions does the gNB provide towards the UE?", "role", "gNB"),
])
def test_more_question_forms_ask_for_a_term(question: str, kind: str, term: str):
    asked = asked_term(question)
    assert asked is not None and (asked.kind, asked.term) == (kind, term), asked
