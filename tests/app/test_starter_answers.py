"""What the assistant shows first for questions a new user asks of the starter index (`make demo`'s
app/knowledge notes): a term's kinds are not the term, and a procedure is named with or without the word
"procedure" (and "this procedure" in a clause about it is the one asked about). Extractive answers (quotes
only), so no model is needed."""

from __future__ import annotations

from conftest import clause_hit, extractive_answer

from app.grounding import GroundingConfig, GroundingSession
from app.sentences import strip_citations
from app.term_lookup import asked_term, opens_with, opens_with_kind, states_purpose_here


def test_a_sentence_about_kinds_of_the_term_does_not_define_it(starter_retriever):
    """TS 38.300 §9.2.3.2 in the notes has no definition of a handover; its sentence on two kinds of handover
    ("Conditional handover and DAPS handover are variants.") led the answer, above the one on what the source
    gNB and the UE do."""
    asked = asked_term("What is a handover?")
    assert opens_with_kind("Conditional handover and DAPS handover are variants.", asked)
    assert opens_with_kind("- N2-based handovers use the AMF.", asked)
    assert not opens_with_kind("A handover moves a UE to a target cell.", asked)
    assert not opens_with_kind("The source gNB decides the handover.", asked)
    assert not opens_with_kind("Each handover is prepared by the source.", asked)  # a determiner, no kind
    _, answer = extractive_answer(starter_retriever, "What is a handover?")
    assert answer.startswith("The source gNB configures measurements, receives measurement reports, decides "
                             "the handover"), answer
    assert "are variants" not in answer.split(". ")[0]


def test_a_procedure_is_named_with_or_without_the_word(starter_retriever):
    """"Random access gives a UE uplink synchronisation and a first uplink grant: ..." (TS 38.321 §5.1 in the
    notes) says what the random access procedure is for; the answer had opened with the message sequence of
    four-step access."""
    asked = asked_term("What is the purpose of the random access procedure?")
    assert asked.kind == "role" and opens_with("Random access gives a UE uplink synchronisation.", asked)
    assert not opens_with("Access uses a preamble.", asked)
    _, answer = extractive_answer(starter_retriever, "What is the purpose of the random access procedure?")
    assert answer.startswith("Random access gives a UE uplink synchronisation and a first uplink"), answer


def test_the_purpose_of_this_procedure_answers_for_the_procedure_its_clause_names():
    """TS 38.331 §5.3.3.1 is titled "General" and says "The purpose of this procedure is to establish an RRC
    connection."; naming the procedure without the word "procedure" must not put its other sentence ("RRC
    connection establishment involves SRB1 establishment.") first. In a clause about another procedure,
    "this procedure" is that one."""
    question = "What is the purpose of the RRC connection establishment procedure?"
    asked = asked_term(question)
    purpose = "The purpose of this procedure is to establish an RRC connection."
    clause = (f"Figure 5.3.3.1-1: RRC connection establishment, successful\n\n{purpose} RRC connection "
              "establishment involves SRB1 establishment.")
    assert states_purpose_here(purpose, clause, asked)
    assert not states_purpose_here("The purpose of this procedure is to release the RRC connection.",
                                   "RRC connection release. The purpose of this procedure is to release the "
                                   "RRC connection.", asked)
    session = GroundingSession(question, [clause_hit("38.331", "5.3.3.1", "General", clause)],
                               config=GroundingConfig())
    session.finish()
    assert strip_citations(session.text).startswith(purpose), session.text
