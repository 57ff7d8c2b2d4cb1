"""A question asking what a term means or stands for gets the glossary line that defines it
(app/term_lookup.py), on real specs from ../shared: TR 21.905 (the 3GPP vocabulary, .docx), TS 23.501,
TS 37.340 and TS 38.300 (Release-19 Markdown, whose Abbreviations tables lost their column break:
"AMFAccess and Mobility Management Function")."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.grounding import GroundingConfig, GroundingSession
from app.index_store import merged_abbreviations
from app.indexer import update_index
from app.readers import read_file
from app.retrieval import Hit, Retriever
from app.sentences import strip_citations
from app.source_rules import choose_sources, never_answers
from app.term_lookup import (
    ABBREVIATION_TITLE,
    PARAMETER_LINE,
    AskedEvent,
    AskedManner,
    AskedTerm,
    as_question,
    asked_condition,
    asked_event,
    asked_interfaces,
    asked_manner,
    asked_term,
    asks_contents,
    closest_event,
    defines,
    defines_another,
    defines_in_line,
    defining_lines,
    event_closeness,
    event_forms,
    lists_contents,
    names,
    names_as_asked,
    opens_with_condition,
    other_name,
    reference_point_name,
    says_role,
    sent_to_do,
    special_cases,
    states_manner,
    states_purpose_here,
    states_what,
    step_closeness,
    with_alias,
)


@pytest.mark.parametrize(("question", "expected"), [
    ("What is a handover according to the 3GPP vocabulary?", AskedTerm("definition", "handover")),
    ("What does roaming mean in 3GPP vocabulary?", AskedTerm("definition", "roaming")),
    ("What is a split bearer in MR-DC?", AskedTerm("definition", "split bearer")),
    ("What is the Non-Access Stratum?", AskedTerm("definition", "Non-Access Stratum")),
    ("What does HARQ stand for?", AskedTerm("abbreviation", "HARQ")),
    ("what does the acronym URSP stand for", AskedTerm("abbreviation", "URSP")),
    ("What is the full form of UPF?", AskedTerm("abbreviation", "UPF")),
    ("What is the expansion of 'SCG' in MR-DC?", AskedTerm("abbreviation", "SCG")),
    ("What is the role of the home environment in charging?", AskedTerm("role", "home environment")),
    ("What is the purpose of the SMF?", AskedTerm("role", "SMF")),
    ("What is sr-ProhibitTimer used for?", AskedTerm("role", "sr-ProhibitTimer")),
    ("What is the ra-ResponseWindow?", AskedTerm("definition", "ra-ResponseWindow")),
    ("What does the AMF do?", AskedTerm("role", "AMF")),
    ("What is the function of the Xn-U interface?", AskedTerm("role", "Xn-U interface")),
    ("What are the main functions of the AMF?", AskedTerm("role", "AMF")),
    ("What is the SMF responsible for in the 5G core?", AskedTerm("role", "SMF")),
    ("Which protocol layers does the gNB-DU host?", AskedTerm("role", "gNB-DU", "layer protocol")),
    ("Which functions does the AMF host?", AskedTerm("role", "AMF")),  # its functions are its whole role
    ("What functionality does the SCP include in the 5G core?", AskedTerm("role", "SCP")),
    ("What does the MAC entity do when the timeAlignmentTimer expires?", None),  # a procedure, no term
    # what a procedure is, is what it is for; "why" asks what X is for
    ("What is the Service Request procedure?", AskedTerm("role", "Service Request procedure")),
    ("Explain the Service Request procedure.", AskedTerm("role", "Service Request procedure")),
    ("Why is PDCP duplication used?", AskedTerm("role", "PDCP duplication")),
    ("Why is the N26 interface needed?", AskedTerm("role", "N26 interface")),
    ("Why does the UE need a Timing Advance?", AskedTerm("role", "Timing Advance")),
    ("Why does the network page a UE?", None),
    ("Which protocol does PDCP use for header compression?", None),  # what it uses is no role
    ("What is the term for a cell that a UE camps on?", None),  # asks for a name, not what "term" means
    ("Which interface connects a gNB to the UPF?", None),
    ("What is the maximum number of logical channel groups that a UE that is not an IAB-MT may have?", None),
])
def test_the_asked_term_is_read_from_the_questions_form(question: str, expected: AskedTerm | None):
    assert asked_term(question) == expected


def test_a_vocabulary_question_gets_the_defining_chunk_first(glossary_retriever: Retriever):
    question = "What is a handover according to the 3GPP vocabulary?"
    hits = glossary_retriever.search(question, k=5)
    first = hits[0]
    assert (first.metadata["spec"], first.metadata["clause"]) == ("21.905", "3")
    assert "**Handover:**" in first.text
    # without the lookup the clauses that use the word outrank the one that defines it (the case arises)
    plain = glossary_retriever.search(question, k=5, lookup=False)
    assert not any("**Handover:**" in h.text for h in plain[:3]), [h.citation for h in plain]


def test_the_defining_line_leads_the_answer(glossary_retriever: Retriever):
    question = "What is a PSCell?"
    hits = choose_sources(glossary_retriever.search(question, k=5), passages=3)
    session = GroundingSession(question, hits, config=GroundingConfig())
    lead = strip_citations(session.lead())
    assert lead.startswith("PSCell:") and "secondary cell group" in lead, lead
    assert defines(lead, asked_term(question))


def test_a_role_question_is_led_by_the_definition_line_never_by_an_expansion(glossary_retriever: Retriever):
    """ "What is the role of X?" was read as a question about the term "role of X", which no line defines;
    X's definition line says what it does. An expansion does not ("SMF Session Management Function" for the
    SMF's role): it neither defines X for the lookup nor leads."""
    question = "What is the role of the home environment?"
    hits = choose_sources(glossary_retriever.search(question, k=5), passages=3)
    lead = strip_citations(GroundingSession(question, hits, config=GroundingConfig()).lead())
    assert lead.startswith("**Home Environment:** responsible for overall provision"), lead
    smf = asked_term("What is the purpose of the SMF?")
    assert not defines("SMF Session Management Function", smf)
    assert not defines("- **SMF**: Session Management Function", smf)  # a note's glossary writes it so
    assert defines("- **SMF**: Session Management Function", asked_term("What is the SMF?"))
    assert defines("SMF Session Management Function", asked_term("What is the SMF?"))
    question = "What is the purpose of the SMF?"
    hits = choose_sources(glossary_retriever.search(question, k=5), passages=3)
    lead = strip_citations(GroundingSession(question, hits, config=GroundingConfig()).lead())
    assert not lead.startswith("SMF Session Management Function"), lead


def test_an_abbreviation_expands_to_the_sense_the_specs_use(glossary_retriever: Retriever):
    """TR 21.905 lists AMF as "Authentication Management Field"; TS 23.501 and TS 38.300 mean "Access and
    Mobility Management Function", and their glued table line ("AMFAccess and ...") is found and shown
    spaced."""
    assert glossary_retriever.abbreviations["AMF"] == "Access and Mobility Management Function"
    question = "What does AMF stand for?"
    hits = glossary_retriever.search(question, k=5)
    assert "AMFAccess and Mobility Management Function" in hits[0].text
    lead = strip_citations(GroundingSession(question, hits[:3]).lead())
    assert lead == "AMF Access and Mobility Management Function", lead


def test_the_specs_own_sense_breaks_a_tie_with_the_vocabulary(shared_dir):
    """The senses most files use; on a tie, a spec's own before TR 21.905's, which keeps one of several:
    on TR 21.905, TS 23.501 and TS 38.300 from ../shared, DL is the downlink (not TR 21.905's "Data Layer"),
    the MIB the Master Information Block and the NEF the Network Exposure Function."""
    vocabulary = {"AMF": "Authentication Management Field", "X": "x of 21.905", "Y": "y of 21.905"}
    files = {"21905-h20.docx": {"abbreviations": vocabulary},
             "23.501.md": {"abbreviations": {"AMF": "Access and Mobility Management Function", "X": "x"}},
             "38.300.md": {"abbreviations": {"AMF": "Access and Mobility Management Function"}}}
    merged = merged_abbreviations(files)
    assert merged == {"AMF": "Access and Mobility Management Function", "X": "x", "Y": "y of 21.905"}
    base = shared_dir / "data" / "corpus" / "3gpp"
    real = {str(path): {"abbreviations": read_file(path)[1]}
            for path in (base / "21905-h20.docx", base / "rel19-md" / "23.501_5GS_Architecture_j70.md",
                         base / "rel19-md" / "38.300_NG-RAN_Overall_j20.md")}
    merged = merged_abbreviations(real)
    assert (merged["DL"], merged["MIB"], merged["NEF"]) == ("Downlink", "Master Information Block",
                                                            "Network Exposure Function")


def test_left_out_chunks_are_replaced_from_a_deeper_search(glossary_retriever: Retriever):
    """A lookup chunk that answers, then chunks that never answer: the deeper search fills the budget
    instead of leaving the answer with one source."""
    hits = glossary_retriever.search("What is a PSCell?", k=12)
    answering = [h for h in hits if never_answers(h) is None]
    foreword = [h for h in glossary_retriever.search("Foreword present document TSG", k=20,
                                                                answering_only=False)
                if never_answers(h) is not None][:2]
    assert len(answering) >= 3 and len(foreword) == 2
    chosen = choose_sources([answering[0], *foreword], passages=3, deeper=lambda: answering)
    assert len(chosen) >= 3 and all(never_answers(h) is None for h in chosen)
    assert chosen[0] is answering[0]
    # with nothing left out, no deeper search is asked for
    assert choose_sources(answering[:2], passages=3, deeper=lambda: pytest.fail("searched")) == answering[:2]


def test_the_question_decides_the_lookup_when_the_query_is_more(glossary_retriever: Retriever):
    """A multiple-choice query is the question with its options appended (eval's RAG model): its form is no
    longer a question, so `asked=` names the question the lookup reads."""
    question = "What is a handover according to the 3GPP vocabulary?"
    query = (f"Question: {question}\nAnswer: The transfer of a user's connection from one radio channel to "
             "another A cell reselection procedure in idle mode A change of the serving PLMN")
    first = glossary_retriever.search(query, k=5, asked=question)[0]
    assert "**Handover:**" in first.text
    assert asked_term(query) is None  # the query alone asks no term: without `asked=` no lookup is made



@pytest.mark.parametrize("question", ["What is a handover according to the 3GPP vocabulary?",
                                      "What does HARQ stand for?", "What is roaming?"])
def test_no_other_terms_entry_is_quoted_beside_the_defining_line(glossary_retriever: Retriever,
                                                                  question: str):
    """TR 21.905's glossary chunk that defines the term defines dozens of others: before, the extractive
    quotes after the lead were its neighbours ("**Hard Handover:** ...", "HSN Hopping Sequence Number",
    "**Residual error rate:** ..."). Lines continuing the entry itself stay (the case is checked too)."""
    asked = asked_term(question)
    hits = choose_sources(glossary_retriever.search(question, k=5), passages=3)
    session = GroundingSession(question, hits, config=GroundingConfig())
    session.lead()
    session.finish_pieces()
    assert defines(session.shown[0].evidence.sentence, asked), session.shown[0]
    quoted_from_glossaries = 0
    for checked in session.shown[1:]:
        metadata = hits[checked.evidence.n - 1].metadata
        if (metadata.get("spec"), metadata.get("clause")) in {("21.905", "3"), ("21.905", "4")}:
            listed = bool(ABBREVIATION_TITLE.search(metadata.get("title") or ""))
            assert not defines_another(checked.evidence.sentence, asked, listed), checked.text
            quoted_from_glossaries += 1
    if question == "What is roaming?":  # "The serving network could be a shared network ..." continues it
        assert quoted_from_glossaries >= 1



def test_a_longer_abbreviation_is_not_the_asked_ones_line(shared_dir: Path):
    """TS 32.240's Abbreviations clause lists "IMS GWF IMS GateWay Function", "IMS IP Multimedia Subsystem"
    and "IMSI International Mobile Subscriber Identity" one after the other. All three were read as
    expanding IMS, so "What does the abbreviation IMS stand for?" was answered with all three (the last one
    shown as "IMS I International ..."). Only the second one expands IMS; the others expand the longer
    names."""
    chunks, _ = read_file(shared_dir / "data/corpus/3gpp/rel18-docx/32240-i50.docx")
    glossary = next(c for c in chunks if c.clause == "3.3" and "IMS GWF" in c.text)
    assert defining_lines(glossary.text, AskedTerm("abbreviation", "IMS")) == ["IMS IP Multimedia Subsystem"]
    assert defining_lines(glossary.text, AskedTerm("abbreviation", "IMSI")) == [
        "IMSI International Mobile Subscriber Identity"]
    assert defining_lines(glossary.text, AskedTerm("abbreviation", "IMS GWF")) == [
        "IMS GWF IMS GateWay Function"]
    # the other entries of the clause are the other terms' lines, which an answer about IMS leaves out
    listed = bool(ABBREVIATION_TITLE.search(glossary.title))
    assert defines_another("IMSI International Mobile Subscriber Identity", AskedTerm("abbreviation", "IMS"),
                           listed)


def test_a_markdown_glossarys_glued_lines_still_expand(glossary_retriever: Retriever):
    """The Markdown specs' Abbreviations tables lost their column break ("NGAPNG Application Protocol"):
    an expansion glued to its abbreviation, starting with another abbreviation, is still its line."""
    records = [r for r in glossary_retriever.records
               if r.get("spec") in {"38.300", "37.340"} and ABBREVIATION_TITLE.search(r.get("title") or "")]
    text = "\n".join(r["text"] for r in records)
    assert set(defining_lines(text, AskedTerm("abbreviation", "NGAP"))) == {"NGAP NG Application Protocol"}
    assert set(defining_lines(text, AskedTerm("abbreviation", "NR-DC"))) == {"NR-DC NR-NR Dual Connectivity"}


@pytest.mark.parametrize(("question", "sentence", "closely"), [
    # an identifier names the thing alone; a generic head noun ("message") need not be there
    ("What is the MasterInformationBlockSidelink message used for?",
     "The MasterInformationBlockSidelink includes the system information transmitted by a UE via SL-BCH.",
     True),
    # one ordinary word of two is another subject
    ("What is a network slice?", "The network sends RRCRelease to move a UE to RRC_IDLE.", False),
    ("What does Home PLMN mean?",
     "In Figure D.3-2, the N1 (for PLMN) represents the reference point between UE and the AMF in the PLMN.",
     False),
    ("What does the network allocation vector (NAV) mean?", "The NAV is set from the Duration field.", True),
])
def test_a_sentence_names_the_asked_term_closely(question: str, sentence: str, closely: bool):
    asked = asked_term(question)
    assert names(sentence, asked) and names(sentence, asked, closely=True) is closely


def test_a_quote_beside_the_lead_names_what_was_asked(glossary_retriever: Retriever):
    """After "PSCell: SpCell of a secondary cell group." the second source's "The physical layer offers
    information transfer services to MAC ..." was quoted: it names nothing the question asks about. A
    sentence that continues the lead's own entry stays without naming it."""
    question = "What is a PSCell?"
    hits = choose_sources(glossary_retriever.search(question, k=5), passages=3)
    session = GroundingSession(question, hits, config=GroundingConfig())
    session.lead()
    extra = [strip_citations(p) for p in session.finish_pieces()]
    assert not any("physical layer" in text for text in extra), extra


def test_a_procedures_list_of_parameters_defines_them(markdown_spec_retriever):
    """TS 38.321 defines its parameters where a procedure lists them, in no Definitions clause (§5.1.1:
    "-ra-ResponseWindow: the time window to monitor RA response(s) (SpCell only);"). "What is the
    ra-ResponseWindow?" got the clauses that start the window (§5.1.4, "3>start the ra-ResponseWindow ...")
    and never that line; the lookup finds it now, and it leads."""
    retriever = markdown_spec_retriever("38.321_MAC_j20.md")
    question = "What is the ra-ResponseWindow?"
    hits = choose_sources(retriever.search(question, k=5), passages=3)
    assert hits[0].citation == "TS 38.321 §5.1.1", [h.citation for h in hits]
    lead = strip_citations(GroundingSession(question, hits, config=GroundingConfig()).lead())
    assert lead.lstrip("- ").startswith("ra-ResponseWindow: the time window to monitor RA response"), lead
    quotes = GroundingSession(question, hits, config=GroundingConfig())  # the model's text is dropped: quotes
    quotes.check_all("PWNED.")
    first = strip_citations(quotes.result()["sentences"][0]["text"])
    assert first.lstrip("- ").startswith("ra-ResponseWindow:"), first  # before the lines around it
    plain = retriever.search(question, k=5, lookup=False)  # the clauses that use it rank first (the case)
    assert plain[0].citation != "TS 38.321 §5.1.1", [h.citation for h in plain]
    # a parameter's or variable's name, not an ordinary list item's words
    lines = ("-preambleTransMax: the maximum number ...\n-PREAMBLE_INDEX: the index ...\n"
             "-sr-ProhibitTimer (per SR configuration): a timer ...\n"
             "-Too early PSCell change: an SCG failure ...\n-e-mail: an address\n2>if the MAC entity: x")
    named = [m["name"] for m in PARAMETER_LINE.finditer(lines)]
    assert named == ["preambleTransMax", "PREAMBLE_INDEX", "sr-ProhibitTimer"], named


@pytest.mark.parametrize(("sentence", "term", "says"), [
    ("RRC_INACTIVE is a state where a UE remains in CM-CONNECTED.", "RRC_INACTIVE", True),
    ("The QoS Flow is the finest granularity of QoS differentiation in the PDU Session.", "QoS Flow", True),
    ("A resource block is defined as 12 consecutive subcarriers in the frequency domain.", "resource block",
     True),
    ("Point A serves as a common reference point for resource block grids.", "Point A", True),
    ("A QoS Flow is associated with QoS requirements.", "QoS Flow", False),  # about it, not what it is
    ("RRC_INACTIVE is not supported by NB-IoT.", "RRC_INACTIVE", False),
    ("The UE is in RRC_INACTIVE when the RNA is configured.", "RRC_INACTIVE", False),  # not its subject
])
def test_a_sentence_says_what_the_term_is(sentence: str, term: str, says: bool):
    assert states_what(sentence, AskedTerm("definition", term)) is says


def test_a_term_no_glossary_defines_is_found_where_a_clause_says_what_it_is(glossary_retriever: Retriever):
    """No glossary line of these four specs defines RRC_INACTIVE; TS 38.300 §9.2.2.1 says what it is ("RRC_
    INACTIVE is a state where a UE remains in CM-CONNECTED ..."). Retrieval ranked the clauses that only name
    it above that one, and the answer opened with "-CN based MT communication handling support indication
    for RRC_INACTIVE state"."""
    question = "What is RRC_INACTIVE?"
    hits = choose_sources(glossary_retriever.search(question, k=5), passages=3)
    assert hits[0].citation == "TS 38.300 §9.2.2.1", [h.citation for h in hits]
    lead = strip_citations(GroundingSession(question, hits, config=GroundingConfig()).lead())
    assert lead.startswith("RRC_INACTIVE is a state where a UE remains in CM-CONNECTED"), lead
    plain = glossary_retriever.search(question, k=5, lookup=False)  # without it, another clause first
    assert plain[0].citation != "TS 38.300 §9.2.2.1", [h.citation for h in plain]


def test_a_definitions_clause_reads_one_entry_a_sentence(markdown_spec_retriever):
    """TS 38.401 §3.1 writes entries that start in lower case ("gNB Distributed Unit (gNB-DU): a logical node
    hosting RLC, MAC and PHY layers ..."): read as wrapped prose they joined the entry before, and no
    sentence defined the gNB-DU. The gNB-CU-UP's line repeats a phrase of its own ("the user plane part of
    the PDCP protocol" in both halves) and was never quoted; its first half is. Both lead their question."""
    retriever = markdown_spec_retriever("38.401_NG-RAN_Architecture_j20.md")
    for question, opening in [
            ("Which protocol layers does the gNB-DU host?",
             "gNB Distributed Unit (gNB-DU): a logical node hosting RLC, MAC and PHY layers"),
            ("What does the gNB-CU-UP host?",
             "gNB-CU-User Plane (gNB-CU-UP): a logical node hosting the user plane part of the PDCP")]:
        hits = choose_sources(retriever.search(question, k=5), passages=3)
        lead = strip_citations(GroundingSession(question, hits, config=GroundingConfig()).lead())
        assert lead.startswith(opening), (question, lead)


def test_a_definition_line_naming_nothing_asked_does_not_say_what_x_has(glossary_retriever: Retriever):
    """ "Which RRC states does NR support?" was read as NR's role and led by TR 21.905's "**NR:** fifth
    generation radio access technology": it defines NR, and names no RRC state. A definition line answers a
    "Which <things> does X host?" question only where it names those things."""
    asked = asked_term("Which RRC states does NR support?")
    assert asked == AskedTerm("role", "NR", "rrc state")
    assert not defines("**NR:** fifth generation radio access technology", asked)
    assert defines("**NR:** fifth generation radio access technology", AskedTerm("role", "NR"))
    layers = asked_term("Which protocol layers does the gNB-DU host?")
    assert defines("gNB Distributed Unit (gNB-DU): a logical node hosting RLC, MAC and PHY layers of the "
                   "gNB.", layers)
    question = "Which RRC states does NR support?"
    hits = choose_sources(glossary_retriever.search(question, k=5), passages=3)
    lead = strip_citations(GroundingSession(question, hits, config=GroundingConfig()).lead())
    assert "fifth generation radio access technology" not in lead, lead


def test_a_role_question_finds_the_sentence_listing_what_it_does(glossary_retriever: Retriever):
    """No glossary line of these specs says what the NEF or the AMF does; TS 23.501 §6.2.5.0 and §6.2.1 do
    ("The Network Exposure Function (NEF) supports the following independent functionality: -Exposure of
    capabilities and events: ..."). The NEF answer opened with "-A NEF may also support a PFD Function ..."
    (the clause's second chunk), and the AMF's clause was not among the sources: the AMF is named in
    thousands of chunks. The stem's first item is a heading over prose, which it is quoted with."""
    for question, citation, opening in [
            ("What is the purpose of the NEF?", "TS 23.501 §6.2.5.0",
             "The Network Exposure Function (NEF) supports the following independent functionality: "
             "-Exposure of capabilities and events: NF capabilities and events may be securely exposed"),
            ("What is the AMF responsible for in the 5G core network?", "TS 23.501 §6.2.1",
             "The Access and Mobility Management function (AMF) includes the following functionality.")]:
        hits = choose_sources(glossary_retriever.search(question, k=5), passages=3)
        assert hits[0].citation == citation, (question, [h.citation for h in hits])
        lead = strip_citations(GroundingSession(question, hits, config=GroundingConfig()).lead())
        assert lead.startswith(opening), (question, lead)
    role = AskedTerm("role", "NEF")
    assert states_what("The Network Exposure Function (NEF) supports the following functionality:", role)
    assert not states_what("The NEF stores the received information as structured data.", role)


def test_a_role_stated_in_passing_answers_a_role_question_on_the_starter_notes(starter_retriever):
    """The starter notes say what each core function does in one sentence ("The AMF terminates NAS signalling
    and handles registration, ...; the SMF manages PDU sessions and selects and controls the UPF, ..."),
    with no "includes the following functionality" list. "What does the SMF do?" got the PDU session
    procedure's steps ("The SMF gets subscription data from the UDM, ...") and that clause was not among
    the sources."""
    question = "What does the SMF do?"
    hits = choose_sources(starter_retriever.search(question, k=5), passages=3)
    assert hits[0].citation == "TS 23.501 §4.2.3", [h.citation for h in hits]
    lead = strip_citations(GroundingSession(question, hits, config=GroundingConfig()).lead())
    assert "the SMF manages PDU sessions" in lead, lead
    role = AskedTerm("role", "SMF")
    assert says_role("The AMF terminates NAS signalling; the SMF manages PDU sessions.", role)
    assert not says_role("The SMF gets subscription data from the UDM.", role)  # one step of a procedure
    # what X does says what X is where nothing else does (see the SIB1 test); not what X stands for
    assert says_role("The SMF manages PDU sessions.", AskedTerm("definition", "SMF"))
    assert not says_role("The SMF manages PDU sessions.", AskedTerm("abbreviation", "SMF"))
    assert not says_role("The AMF terminates N1 and N2.", AskedTerm("role", "AMF", "protocol"))  # not asked


@pytest.mark.parametrize(("question", "condition"), [
    ("What does the MAC entity do when the timeAlignmentTimer associated with the PTAG expires?",
     "the timeAlignmentTimer associated with the PTAG expires"),
    ("What happens if the dataInactivityTimer expires?", "the dataInactivityTimer expires"),
    ("What does the UE do upon receiving a Paging message?", "receiving a Paging message"),
    ("What can the UE do if random access is not completed after N attempts?",
     "random access is not completed after N attempts"),
    ("What is the ra-ResponseWindow?", None),
    ("When is the sr-ProhibitTimer started?", None),
])
def test_the_asked_condition_is_read_from_the_questions_form(question: str, condition: str | None):
    assert asked_condition(question) == condition


def test_the_outermost_step_testing_a_condition_is_the_closest():
    """The rule ("1>when a timeAlignmentTimer expires:") before its special case ("2>if the ... expires while
    the RACH-less CLTM cell switch is ongoing:"); a step that only starts the timer tests nothing."""
    condition = "the timeAlignmentTimer associated with the PTAG expires"
    rule = ("1>when a timeAlignmentTimer expires:\n2>if the timeAlignmentTimer is associated with a PTAG:\n"
            "3>flush all HARQ buffers for all Serving Cells;")
    special = ("1>if the RACH-less CLTM cell switch is ongoing:\n2>if the TimeAlignmentTimer associated with "
               "PTAG expires while the RACH-less CLTM cell switch is ongoing:\n3>indicate a failure;")
    starting = ("1>when instruction from the upper layer has been received for starting the "
                "TimeAlignmentTimer associated with PTAG:\n2>start the TimeAlignmentTimer.")
    assert step_closeness(rule, condition) > step_closeness(special, condition)
    assert step_closeness(starting, condition) is None
    prose = "The timeAlignmentTimer associated with the PTAG expires after a while."
    assert step_closeness(prose, condition) is None


def test_a_procedure_question_gets_the_step_that_tests_its_condition(markdown_spec_retriever):
    """TS 38.321 §5.2 is cut into 16 chunks that all read alike to "What does the MAC entity do when a Timing
    Advance Command MAC CE is received?"; the one with "1>when a Timing Advance Command MAC CE is received,
    ..." ranked below two others, and the answer opened with a MAC CE field's description ("-Timing Advance
    Command: This field indicates the index value TA ..."). Where no source names the condition's timer, no
    sentence leads: "What does the UE do when T310 expires?" was answered with TR 21.905's UE entry."""
    retriever = markdown_spec_retriever("38.321_MAC_j20.md")
    question = "What does the MAC entity do when a Timing Advance Command MAC CE is received?"
    hits = choose_sources(retriever.search(question, k=5), passages=3)
    assert "1>when a Timing Advance Command MAC CE is received" in hits[0].text, [h.citation for h in hits]
    lead = strip_citations(GroundingSession(question, hits, config=GroundingConfig()).lead())
    assert "1>when a Timing Advance Command MAC CE is received" in lead, lead
    assert "2>apply the Timing Advance Command for the indicated TAG" in lead, lead
    plain = retriever.search(question, k=5, lookup=False)  # without the lookup another chunk first
    assert "1>when a Timing Advance Command MAC CE is received" not in plain[0].text
    question = "What does the UE do when T310 expires?"  # TS 38.331's timer: not in TS 38.321
    hits = choose_sources(retriever.search(question, k=5), passages=3)
    assert GroundingSession(question, hits, config=GroundingConfig()).lead() == ""


def test_of_pieces_testing_a_condition_alike_the_first_is_looked_up(markdown_spec_retriever):
    """TS 38.321 §5.2 repeats "1>when a timeAlignmentTimer expires:" at the head of three chunks: its first
    branch (the PTAG's: flush all HARQ buffers, release PUCCH ...) and two "2>else:" branches after it, all
    testing the condition alike. "What happens when the timeAlignmentTimer expires?" got the first "2>else:"
    piece (an SCell's TAG: "4>maintain NTA ... of this TAG"); the lookup now takes the clause's first piece
    among equals (`Retriever._earlier_part`)."""
    retriever = markdown_spec_retriever("38.321_MAC_j20.md")
    question = "What happens when the timeAlignmentTimer expires?"
    hits = choose_sources(retriever.search(question, k=5), passages=3)
    lead = strip_citations(GroundingSession(question, hits, config=GroundingConfig()).lead())
    assert lead.startswith("The MAC entity shall: 1>when a timeAlignmentTimer expires: 2>if the "
                           "timeAlignmentTimer is associated with a PTAG"), lead
    assert "3>flush all HARQ buffers for all Serving Cells" in lead, lead


def test_the_step_testing_the_condition_leads_not_an_else_branch_naming_its_words(markdown_spec_retriever):
    """TS 38.321 §5.4.4: "What does the MAC entity do when it has no valid PUCCH resource configured for a
    pending SR?" was led by the "1>else" branch, whose nested "2>when the MAC entity has an SR transmission
    occasion on the valid PUCCH resource ..." names most of the condition's words; the step that tests it,
    "1>if the MAC entity has no valid PUCCH resource configured for the pending SR", with its action
    (initiate a Random Access procedure), came second. Of the steps testing a condition, the closest leads."""
    retriever = markdown_spec_retriever("38.321_MAC_j20.md")
    question = "What does the MAC entity do when it has no valid PUCCH resource configured for a pending SR?"
    hits = choose_sources(retriever.search(question, k=5), passages=3)
    session = GroundingSession(question, hits, config=GroundingConfig(lead=False))
    quotes = session.finish_pieces()
    first = strip_citations(quotes[0])
    assert "1>if the MAC entity has no valid PUCCH resource configured for the pending SR" in first, quotes
    assert "initiate a Random Access procedure" in first, quotes
    assert any("1>else" in quote for quote in quotes[1:]), quotes  # still quoted, after the answer
    condition = asked_condition(question)
    assert step_closeness(first, condition) > step_closeness(strip_citations(
        next(q for q in quotes if "1>else" in q)), condition)


def test_a_prose_sentence_opening_with_the_asked_condition_leads(starter_retriever):
    """The starter notes say what follows T310's expiry in prose ("If T310 expires, or random access fails,
    ..., the UE declares radio link failure ..."), no procedure step; the answer opened with the timer table's
    sentence that only names T310, and showed the outcome fourth."""
    question = "What happens when T310 expires?"
    hits = choose_sources(starter_retriever.search(question, k=5), passages=3)
    lead = strip_citations(GroundingSession(question, hits, config=GroundingConfig()).lead())
    assert lead.startswith("If T310 expires") and "radio link failure" in lead, lead
    condition = asked_condition(question)
    assert opens_with_condition("If T310 expires, or random access fails, the UE declares radio link "
                                "failure.", condition)
    assert not opens_with_condition("N311 consecutive in-sync indications stop T310.", condition)
    # not its expiry
    assert not opens_with_condition("When T310 is running, the UE keeps measuring.", condition)


@pytest.mark.parametrize(("sentence", "term", "says"), [
    ("The Scheduling Request (SR) is used for requesting UL-SCH resources for new transmission.",
     "scheduling request", True),
    ("The Scheduling Request (SR) is also used for requesting SL-PRS resources for new transmission.",
     "scheduling request", False),  # what it is also used for, not its purpose
    ("Paging allows the network to reach UEs in RRC_IDLE and in RRC_INACTIVE state.", "paging procedure",
     True),
    ("Paging occasions are defined in TS 38.304.", "paging procedure", False),
    ("Setup allows the gNB to exchange application data.", "setup procedure", False),  # too short a name
    # TS 38.300 §10.4 and TS 37.340 §10.4.1
    ("Power headroom reports (PHR) are needed to provide support for power-aware packet scheduling.",
     "power headroom report", True),
    ("The Secondary Node Release procedure may be initiated either by the MN or by the SN and is used to "
     "initiate the release of the UE context at the SN.", "secondary node release procedure", True),
    ("The Secondary Node Change procedure can be triggered by both the MN and the SN.",
     "secondary node change procedure", False),  # who starts it, not what it is for
    # TS 37.340 §10.3.1, TS 23.502 §4.2.2.3.1, TS 23.501 §6.2.10 and §5.6.17.2
    ("The Secondary Node Modification procedure may be initiated either by the MN or by the SN and be used "
     "to modify, establish or release bearer contexts.", "secondary node modification procedure", True),
    ("The Deregistration procedure allows: -the UE to inform the network that it does not want to access the "
     "5GS any longer;", "deregistration procedure", True),
    ("The Application Function (AF) interacts with the 3GPP Core Network in order to provide services.",
     "application function", True),
    ("The AF is required to provide such reference(s) in the AF requests for Handling of Payload Headers.",
     "af", False),  # what it must do, not what it is for
    # TS 23.501 §6.2.9 (the 14th step of a registration call flow led)
    ("The functionality of N3IWF in the case of untrusted non-3GPP access includes the following:", "n3iwf",
     True),
])
def test_a_sentence_says_what_a_procedure_is_for(sentence: str, term: str, says: bool):
    assert states_what(sentence, AskedTerm("role", term)) is says


def test_a_procedure_named_in_one_word_is_led_by_what_it_is_for(glossary_retriever: Retriever):
    """"What is the purpose of the paging procedure?": TS 38.300 §9.2.5 says it in one sentence, "Paging
    allows the network to reach UEs in RRC_IDLE and in RRC_INACTIVE state ..."; the answer had opened with a
    paging strategy list of TS 23.502. TR 21.905's line "**Paging:** The act of seeking a User Equipment."
    defines the word, not what the procedure is for, and does not lead."""
    question = "What is the purpose of the paging procedure?"
    hits = choose_sources(glossary_retriever.search(question, k=5), passages=3)
    assert hits[0].citation == "TS 38.300 §9.2.5", [h.citation for h in hits]
    lead = strip_citations(GroundingSession(question, hits, config=GroundingConfig()).lead())
    assert lead.startswith("Paging allows the network to reach UEs in RRC_IDLE and in RRC_INACTIVE"), lead


def test_what_a_procedure_is_used_for_leads_not_what_else_it_is_used_for(markdown_spec_retriever):
    """TS 38.321 §5.4.4: "The Scheduling Request (SR) is used for requesting UL-SCH resources for new
    transmission." answers what the SR is for; the answer had opened with §5.22.1.5's "The Scheduling Request
    (SR) is also used for requesting SL-PRS resources ..."."""
    retriever = markdown_spec_retriever("38.321_MAC_j20.md")
    question = "What is the purpose of the scheduling request?"
    hits = choose_sources(retriever.search(question, k=5), passages=3)
    lead = strip_citations(GroundingSession(question, hits, config=GroundingConfig()).lead())
    purpose = "The Scheduling Request (SR) is used for requesting UL-SCH resources for new transmission."
    assert lead == purpose, lead


def test_a_step_on_another_timer_of_the_same_parts_does_not_test_the_condition(markdown_spec_retriever):
    """TS 38.321: "What does the MAC entity do when the bwp-InactivityTimer expires?" was led by §5.7's "1>if
    drx-InactivityTimer for a DRX group expires: ..." (the DRX cycle), because a hyphenated name was matched
    by its parts; §5.15.1's step on the bwp-InactivityTimer (switch to the default BWP) came second."""
    condition = "the bwp-InactivityTimer expires"
    assert step_closeness("1>if drx-InactivityTimer for a DRX group expires: 2>use the Long DRX cycle.",
                          condition) is None
    assert step_closeness("2>if the bwp-InactivityTimer associated with the active DL BWP expires: 3>perform "
                          "BWP switching to a BWP indicated by the defaultDownlinkBWP-Id.", condition)
    assert not opens_with_condition("If the drx-InactivityTimer expires, the UE uses the Long DRX cycle.",
                                    condition)
    retriever = markdown_spec_retriever("38.321_MAC_j20.md")
    question = "What does the MAC entity do when the bwp-InactivityTimer expires?"
    hits = choose_sources(retriever.search(question, k=5), passages=3)
    lead = strip_citations(GroundingSession(question, hits, config=GroundingConfig()).lead())
    assert "if the bwp-InactivityTimer associated with the active DL BWP expires" in lead, lead
    assert "perform BWP switching to a BWP indicated by the defaultDownlinkBWP-Id" in lead, lead


def test_an_interface_question_is_led_by_what_that_interface_does(glossary_retriever: Retriever):
    """TS 38.300 §4.3.2: "What is the function of the Xn-U interface?" was led by "The Xn-C interface supports
    the following functions: ..." of the next clause; "Xn-U provides non-guaranteed delivery of user plane
    PDUs and supports the following functions: -Data forwarding; -Flow control." names the interface without
    the word "interface", and a sentence naming another identifier does not name the asked one."""
    asked = AskedTerm("role", "Xn-U interface")
    assert not names("The Xn-C interface supports the following functions: -Xn interface management.", asked)
    assert says_role("Xn-U provides non-guaranteed delivery of user plane PDUs.", asked)
    question = "What is the function of the Xn-U interface?"
    hits = choose_sources(glossary_retriever.search(question, k=5), passages=3)
    lead = strip_citations(GroundingSession(question, hits, config=GroundingConfig()).lead())
    assert lead.startswith("Xn-U provides non-guaranteed delivery of user plane PDUs"), lead
    assert "Data forwarding" in lead, lead


@pytest.mark.parametrize(("question", "event"), [
    ("When does the MAC entity stop the ra-ResponseWindow?", AskedEvent("stop", "the ra-ResponseWindow")),
    ("When is t-StatusProhibit started?", AskedEvent("start", "t-StatusProhibit")),
    ("When does the UE send a Measurement Report in NR?", AskedEvent("send", "a Measurement Report")),
    ("When is the UE in RRC_IDLE?", None),
    ("What does the MAC entity do when the timeAlignmentTimer expires?", None),
])
def test_the_asked_event_is_read_from_the_questions_form(question: str, event: AskedEvent | None):
    assert asked_event(question) == event


@pytest.mark.parametrize(("sentence", "key"), [
    ("A BSR shall be triggered if any of the following events occur for activated cell group:", (0, 0, 0)),
    ("2>if a Regular BSR has been triggered and logicalChannelSR-DelayTimer is not running:", (1, 2, 0)),
    ("BSR and SR can be triggered during MAC PDU assembly.", (0, 0, 1)),  # SR beside it
    ("1>if the MAC entity has UL resources: 2>trigger a Regular BSR.", (0, 2, 0)),  # a nested step
    ("An SL-BSR shall be triggered if any of the following events occur:", None),  # another report
    ("The Regular BSR and the Periodic BSR shall have precedence over the padding BSR.", None),
    ("The SR configuration of the logical channel that triggered a BSR is used.", None),  # what a channel did
    ("NOTE 1:When Regular BSR triggering events occur, each logical channel triggers one Regular BSR.", None),
])
def test_a_sentence_states_when_the_event_happens(sentence: str, key: tuple[int, int, int] | None):
    assert event_closeness(sentence, AskedEvent("trigger", "a Regular BSR")) == key


def test_when_an_event_happens_is_led_by_the_sentence_stating_it(markdown_spec_retriever):
    """TS 38.321: "When does the MAC entity trigger a Regular BSR?" was led by "A MAC PDU shall contain at
    most one BSR MAC CE, even when multiple events have triggered a BSR."; "When does the MAC entity stop the
    ra-ResponseWindow?" by a step starting it. The sentences stating those events lead now, and where no
    source names the event's object (T300 is TS 38.331's timer) no sentence leads (another timer's expiry
    had)."""
    retriever = markdown_spec_retriever("38.321_MAC_j20.md")
    for question, opening in [
            ("When does the MAC entity trigger a Regular BSR?", "A BSR shall be triggered if any of the"),
            ("When does the MAC entity stop the ra-ResponseWindow?", "The MAC entity may stop ra-Response")]:
        hits = choose_sources(retriever.search(question, k=5), passages=3)
        lead = strip_citations(GroundingSession(question, hits, config=GroundingConfig()).lead())
        assert lead.startswith(opening), (question, lead, [h.citation for h in hits])
    question = "When does the UE start timer T300?"
    hits = choose_sources(retriever.search(question, k=5), passages=3)
    assert GroundingSession(question, hits, config=GroundingConfig()).lead() == ""


def test_a_sentence_naming_the_questions_hyphenated_name_comes_first(markdown_spec_retriever):
    """TS 38.300 §3.2: "Which node terminates the NG-U interface?" (over the 8-spec index, where §3.2's chunk
    with NG-U ranked first) was led by the entry beside NG-U's, "ng-eNB: node providing E-UTRA user plane and
    control plane protocol terminations ..."; a hyphenated name names one thing, and the entry naming it
    ("NG-U: user plane interface between NG-RAN and 5GC.") leads."""
    retriever = markdown_spec_retriever("38.300_NG-RAN_Overall_j20.md")
    entry = "NG-U: user plane interface between NG-RAN and 5GC."
    glossary = next(r for r in retriever.records if entry in r["text"] and "ng-eNB: node" in r["text"])
    question = "Which node terminates the NG-U interface?"
    hits = [Hit(text=glossary["text"], score=1.0, metadata=glossary)]
    lead = strip_citations(GroundingSession(question, hits, config=GroundingConfig()).lead())
    assert lead == entry, lead


@pytest.mark.parametrize(("layer", "opening"), [
    ("SDAP", "The main services and functions of SDAP include: -Mapping between a QoS flow and a data radio"),
    ("RLC", "The main services and functions of the RLC sublayer depend on the transmission mode"),
    ("RRC", "The main services and functions of the RRC sublayer over the Uu interface include"),
])
def test_the_main_functions_of_a_sublayer_lead_not_its_sidelink_ones(markdown_spec_retriever, layer: str,
                                                                        opening: str):
    """TS 38.300: "What are the main functions of the SDAP sublayer?" was led by §16.9.2.5's "The SDAP
    sublayer provides the following service and function over the PC5 interface: ..." (the sidelink's), the
    RLC and PDCP questions by a list item of §6.1 ("-The RLC sublayer offers to the PDCP sublayer RLC
    channels;"); §6.x says "The main services and functions of X include: ...". A statement about the
    sidelink comes after one that is not, unless the question asks about the sidelink."""
    retriever = markdown_spec_retriever("38.300_NG-RAN_Overall_j20.md")
    question = f"What are the main functions of the {layer} sublayer?"
    hits = choose_sources(retriever.search(question, k=5), passages=3)
    lead = strip_citations(GroundingSession(question, hits, config=GroundingConfig()).lead())
    assert lead.startswith(opening), (lead, [h.citation for h in hits])
    assert not asked_interfaces("By which interface is an NG-RAN node connected to the AMF?")  # a node's


@pytest.mark.parametrize(("question", "term"), [
    ("Which nodes does the Xn interface connect?", "Xn interface"),
    ("What does the N11 reference point connect?", "N11 reference point"),
    ("What does an S-NSSAI consist of?", "S-NSSAI"),
])
def test_what_x_connects_or_consists_of_asks_its_definition(question, term):
    assert asked_term(question) == AskedTerm("role", term, "node" if "nodes" in question else "")


def test_how_long_a_thing_is_asks_its_definition():
    """"How long is a radio frame in NR?" lost TR 21.905's "**Radio frame:** A radio frame is a numbered time
    interval of 10 ms duration ..." once Definitions clauses were ranked on the question as typed; as a
    definition question it is looked up."""
    assert asked_term("How long is a radio frame in NR?") == AskedTerm("definition", "radio frame")


def test_which_nodes_an_interface_connects_is_answered_by_its_definition(markdown_spec_retriever):
    """"Which nodes does the Xn interface connect?" was answered with an Xn-C signalling item of TS 38.300
    Annex B; the Definitions clause's "Xn: network interface between NG-RAN nodes." says it."""
    question = "Which nodes does the Xn interface connect?"
    hits = choose_sources(markdown_spec_retriever("38.300_NG-RAN_Overall_j20.md").search(
        question, k=5, asked=question), passages=3)
    lead = GroundingSession(question, hits).lead()
    assert lead.startswith("Xn: network interface between NG-RAN nodes."), lead


@pytest.mark.parametrize(("question", "alias"), [
    ("What is the SCG?", "Secondary Cell Group"),
    ("What is a RAN-based Notification Area?", "RNA"),
    ("What does the SMF do?", "Session Management Function"),
    ("What does SCG stand for?", ""),  # its expansion is the answer, not a name to look up
    ("What is a handover?", ""),  # the expansion of HO and of HANDO: no one other name
])
def test_a_term_gets_its_other_name_from_the_abbreviation_table(glossary_retriever: Retriever, question: str,
                                                               alias: str):
    asked = with_alias(asked_term(question), glossary_retriever.abbreviations)
    assert asked.alias == alias


def test_the_other_name_counts_only_whole():
    asked = AskedTerm("definition", "SCG", alias="Secondary Cell Group")
    assert names("The UE is configured with a Secondary Cell Group by the MN.", asked)
    assert not names("The PSCell is a cell of the group.", asked)


def test_a_term_defined_under_its_full_name_is_answered_by_that_definition(glossary_retriever: Retriever):
    """"What is the SCG?" was led by TS 37.340's "SCG Secondary Cell Group", a line that only spells it out;
    the same spec's Definitions clause says what it is, under its full name."""
    question = "What is the SCG?"
    hits = choose_sources(glossary_retriever.search(question, k=5), passages=3)
    lead = strip_citations(GroundingSession(question, hits,
                                            abbreviations=glossary_retriever.abbreviations).lead())
    assert lead.startswith("Secondary Cell Group: in MR-DC, a group of serving cells"), lead
    assert not strip_citations(GroundingSession(question, hits).lead()).startswith("Secondary Cell Group:")


def test_a_full_name_the_spec_only_abbreviates_is_named(markdown_spec_retriever):
    """TS 38.300 §9.2.2.3 writes "RNA" and never spells it out: without the abbreviation table none of its
    sentences named the RAN-based Notification Area, and on the answer benchmark's index the answer said the
    sources did not hold it."""
    retriever = markdown_spec_retriever("38.300_NG-RAN_Overall_j20.md")
    asked = asked_term("What is a RAN-based Notification Area?")
    sentence = ("NG-RAN may provide different RNA definitions to different UEs but not mix different "
                "definitions to the same UE at the same time.")
    assert sentence in retriever.search("RNA definitions to different UEs", k=1)[0].text
    assert names(sentence, with_alias(asked, retriever.abbreviations))
    assert not names(sentence, asked)


@pytest.mark.parametrize(("question", "sentence"), [
    ("What does the NR PDCP sublayer do?", "The main services and functions of the PDCP sublayer include: "
                                           "-Transfer of data (user plane or control plane);"),
    ("Which functions does the NR SDAP sublayer provide?",
     "The main services and functions of SDAP include: -Mapping between a QoS flow and a data radio bearer;"),
    ("What is the role of NR RRC?", "RRC is responsible for controlling the configuration of radio interface "
                                    "Layers 1 and 2."),
])
def test_nr_before_a_name_names_the_system_not_the_thing(question: str, sentence: str):
    """TS 38.300 never writes "the NR PDCP sublayer": read as the whole name, no sentence said what it does,
    and "-The RLC sublayer offers to the PDCP sublayer RLC channels;" led the answer."""
    assert states_what(sentence, asked_term(question))


def test_a_protocol_is_the_subject_as_its_sublayer_or_entity():
    """"Which modes does RLC support?": "The RLC sublayer supports three transmission modes" says it."""
    assert says_role("The RLC sublayer supports three transmission modes: -Transparent Mode (TM);",
                     AskedTerm("role", "RLC", "mode"))
    assert says_role("The MAC entity handles the following transport channels: -Broadcast Channel (BCH);",
                     AskedTerm("role", "MAC"))
    assert not says_role("The RLC channels carry data.", AskedTerm("role", "RLC"))


@pytest.fixture(scope="module")
def procedures_retriever(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Retriever:
    """A BM25-only index of TR 21.905 (the vocabulary) and TS 23.502 (the 5GS procedures)."""
    base = shared_dir / "data" / "corpus" / "3gpp"
    out = tmp_path_factory.mktemp("procedures") / "index"
    specs = [base / "21905-h20.docx", base / "rel19-md" / "23.502_5GS_Procedures_j70.md"]
    report = update_index(out, specs, prune=True, progress=False, dense=False)
    assert not report.errors, report.errors
    return Retriever.load(out)


def test_what_a_procedure_is_for_is_no_glossary_lines(procedures_retriever: Retriever):
    """TR 21.905's "**Service request:** This is defined as being one invocation of the service through a
    service request primitive." led "What is the purpose of the Service Request procedure?"; TS 23.502 says
    what the procedure is used for."""
    question = "What is the purpose of the Service Request procedure?"
    asked = asked_term(question)
    line = ("**Service request:** This is defined as being one invocation of the service through a service "
            "request primitive.")
    assert not defines(line, asked)
    assert defines(line, AskedTerm("definition", "service request"))
    hits = choose_sources(procedures_retriever.search(question, k=5, asked=question), passages=3)
    lead = strip_citations(GroundingSession(question, hits).lead())
    assert lead.startswith("The Service Request procedure is used by a UE in CM-IDLE state or the 5GC to "
                           "request the establishment of a secure connection to an AMF."), lead


def test_the_clause_stating_a_role_is_never_a_special_cases(markdown_spec_retriever):
    """Read as the MAC's, "The MAC sublayer provides the following services and functions over the PC5
    interface ..." (TS 38.300 §16.9.2.2) states a role too, and the retriever put that clause first for the
    NR MAC's functions; the general list of §6.2.1 answers."""
    retriever = markdown_spec_retriever("38.300_NG-RAN_Overall_j20.md")
    question = "What are the functions of the NR MAC sublayer?"
    assert retriever.search(question, k=3, asked=question)[0].citation == "TS 38.300 §6.2.1"
    pc5 = ("The MAC sublayer provides the following services and functions over the PC5 interface in "
           "addition to the services and functions specified in clause 6.2.1:")
    assert any(pc5 in h.text for h in retriever.search(pc5, k=3))
    assert states_what(pc5, asked_term(question)) and special_cases(pc5) == {"sidelink"}


@pytest.mark.parametrize(("question", "clause", "lead"), [
    # §6.3.2's "The main services and functions of the RLC sublayer depend on the transmission mode and
    # include: ..." states the RLC's role and names a mode; the sentence whose verb has the modes answers
    ("Which modes does the NR RLC support?", "TS 38.300 §6.3.1",
     "The RLC sublayer supports three transmission modes:"),
    # no glossary defines SIB1 and no sentence says "SIB1 is ...": what it does says it; the answer was led
    # by §15.4.2.9's "A request for SIB1 triggers a random access procedure, ..."
    ("What is SIB1?", "TS 38.300 §7.3.1", "-SIB1 defines the scheduling of other system information blocks"),
])
def test_what_x_has_or_does_is_found_where_its_verb_says_it(markdown_spec_retriever, question: str,
                                                            clause: str, lead: str):
    retriever = markdown_spec_retriever("38.300_NG-RAN_Overall_j20.md")
    hits = choose_sources(retriever.search(question, k=5, asked=question), passages=3)
    assert hits[0].citation == clause, [h.citation for h in hits]
    shown = strip_citations(GroundingSession(question, hits).lead())
    assert shown.startswith(lead), shown


def test_a_name_only_spelled_out_is_answered_by_the_clause_saying_what_it_is(markdown_spec_retriever):
    """TS 38.211 spells CORESET out in its Abbreviations clause and never defines it there; §7.3.2.2 says
    what a control-resource set is (hyphenated, as the abbreviation table does not write it). "What is a
    CORESET?" was answered "CORESET Control Resource Set" alone."""
    retriever = markdown_spec_retriever("38.211_PHY-Channels_j30.md")
    question = "What is a CORESET?"
    hits = choose_sources(retriever.search(question, k=5, asked=question), passages=3)
    cited = [h.citation for h in hits]
    assert cited[:2] == ["TS 38.211 §3.3", "TS 38.211 §7.3.2.2"], cited
    lead = strip_citations(GroundingSession(question, hits, abbreviations=retriever.abbreviations).lead())
    assert lead.startswith("A control-resource set consists of"), lead


@pytest.mark.parametrize(("question", "lead"), [
    # TS 23.502 §4.2.3.3 names the procedure in its title only: the lead was the UDSF's "Service operation
    # name: Nudsf_Timer_Start Description: ..."
    ("What is the purpose of the Network Triggered Service Request?",
     "This procedure is used when the network needs to signal"),
    # §4.2.6 "AN Release": TS 23.501's "The MA PDU Session Release procedure is used to release ..." led
    ("What is the purpose of the AN Release procedure?",
     "This procedure is used to release the logical NG-AP signalling connection"),
])
def test_what_a_procedure_is_for_is_found_in_the_clause_titled_with_it(procedures_retriever: Retriever,
                                                                        question: str, lead: str):
    hits = choose_sources(procedures_retriever.search(question, k=5, asked=question), passages=3)
    shown = strip_citations(GroundingSession(question, hits).lead())
    assert shown.startswith(lead), shown


def test_what_this_procedure_is_for_answers_though_it_does_not_name_it(markdown_spec_retriever):
    """TS 38.401 §8.2.1.1 "Inter-gNB-DU Mobility": "This procedure is used for the case when the UE moves from
    one gNB-DU to another gNB-DU within the same gNB-CU during NR operation." names the procedure only in
    its title, and the answer was "I don't know" (no quote named the asked term)."""
    retriever = markdown_spec_retriever("38.401_NG-RAN_Architecture_j20.md")
    question = "What is the purpose of the Inter-gNB-DU Mobility procedure?"
    hits = choose_sources(retriever.search(question, k=5, asked=question), passages=3)
    shown = strip_citations(GroundingSession(question, hits).lead())
    assert shown.startswith("This procedure is used for the case when the UE moves from one gNB-DU to "
                            "another gNB-DU within the same gNB-CU"), shown


def test_this_procedure_is_the_one_its_clause_is_titled_with():
    """TS 23.502 §4.2.4.2, "UE Configuration Update procedure for access and mobility management related
    parameters", names the Registration procedure in its text: its "This procedure is initiated by the AMF
    when ..." led what the Registration procedure is for, and §4.4.2.2's "N4 Session Level Reporting
    Procedure" what the PDU Session Modification is for."""
    sentence = ("This procedure is initiated by the AMF when the AMF wants to update access and mobility "
                "management related parameters in the UE configuration.")
    text = f"{sentence} ... the UE initiates a Registration procedure ..."
    title = "UE Configuration Update procedure for access and mobility management related parameters"
    assert not states_purpose_here(sentence, text, AskedTerm("role", "Registration procedure"), title)
    assert states_purpose_here(sentence, text, AskedTerm("role", "UE Configuration Update procedure"), title)
    assert states_purpose_here(sentence, text, AskedTerm("role", "Registration procedure"), "General")
    assert states_purpose_here("This procedure is used when the network needs to signal with a UE.", "",
                               AskedTerm("role", "Network Triggered Service Request"),
                               "Network Triggered Service Request")
    # "may be initiated ... when" (TS 23.502 §4.8.1.2), and what a procedure is ("Describe the ...")
    suspend = ("This procedure may be initiated by the serving NG-RAN node when the UE is in CM-CONNECTED "
               "and has at least one PDU session with active user plane connection.")
    assert states_purpose_here(suspend, "", AskedTerm("role", "Connection Suspend procedure"),
                               "Connection Suspend procedure")
    assert states_purpose_here(suspend, "", AskedTerm("definition", "Connection Suspend procedure"),
                               "Connection Suspend procedure")
    assert not states_purpose_here(suspend, "the serving NG-RAN node", AskedTerm("definition", "NG-RAN node"),
                                   "Connection Suspend procedure")  # the clause's procedure, not the node


def test_a_name_with_an_abbreviation_among_its_words_is_also_spelt_out(markdown_spec_retriever):
    """"What is the purpose of the SN Modification procedure?": TS 37.340 §10.3.1 writes "The Secondary Node
    Modification procedure may be initiated ... and be used to modify, establish or release bearer contexts
    ..."; the lead was the SN Change procedure's "... can be triggered by both the MN ... and the SN"."""
    assert other_name("SN Modification procedure", {"SN": "Secondary Node"}) == (
        "Secondary Node Modification procedure")
    assert other_name("SN Modification procedure", {"SN": "Secondary Node", "MN": "Master Node"}) == (
        "Secondary Node Modification procedure")
    assert other_name("MN SN procedure", {"SN": "Secondary Node", "MN": "Master Node"}) == ""  # which one?
    assert other_name("F1-U interface", {"F1-U": "F1 User plane interface"}) == "F1 User plane interface"
    retriever = markdown_spec_retriever("37.340_Multi_Connectivity_j20.md")
    question = "What is the purpose of the SN Modification procedure?"
    hits = choose_sources(retriever.search(question, k=5, asked=question), passages=3)
    shown = strip_citations(GroundingSession(question, hits, abbreviations=retriever.abbreviations).lead())
    assert shown.startswith("The Secondary Node Modification procedure may be initiated either by the MN or "
                            "by the SN and be used to modify"), shown


@pytest.mark.parametrize(("question", "step"), [
    # "1>if a Long DRX Command MAC CE is received:" led (a longer name), and §5.7b "DRX for MBS Multicast"
    # has a step as close for a G-RNTI
    ("What does the MAC entity do upon reception of a DRX Command MAC CE?",
     "1>if a DRX Command MAC CE indicated by PDCCH addressed to C-RNTI or CS-RNTI for unicast transmission"),
    # "1>when an (Enhanced) LTM Cell Switch Command MAC CE is received and the Timing Advance Command is not
    # set as FFF:" has more of the question's words and fewer others; §5.2b's LTM Candidate one led before
    ("What does the MAC entity do upon reception of a Timing Advance Command MAC CE?",
     "1>when a Timing Advance Command MAC CE is received"),
])
def test_a_step_names_the_asked_thing_as_asked(markdown_spec_retriever, question: str, step: str):
    condition = asked_condition(question)
    assert not names_as_asked("1>if a Long DRX Command MAC CE is received:", condition)
    retriever = markdown_spec_retriever("38.321_MAC_j20.md")
    hits = choose_sources(retriever.search(question, k=5, asked=question), passages=3)
    assert not any("MBS" in h.metadata.get("title", "") for h in hits[:1]), [h.citation for h in hits]
    shown = strip_citations(GroundingSession(question, hits).lead())
    assert step in shown, shown


def test_a_sentence_ending_on_a_special_case_is_about_it():
    """TS 38.300 §5.7.4.3 (under "5.7 Sidelink", titled "CSI report"): "For unicast, channel state information
    reference signal (CSI-RS) is supported for CSI measurement and reporting in sidelink." led what the
    CSI-RS is used for."""
    assert special_cases("For unicast, channel state information reference signal (CSI-RS) is supported for "
                         "CSI measurement and reporting in sidelink. [1]") == {"sidelink"}
    assert not special_cases("The CSI-RS is used for CSI measurement and reporting in the downlink.")
    # TS 38.300 §16.9.6.2 writes the sidelink's timers "SL HARQ RTT timer" (its "In addition to
    # (pre)configured values for each of these timers, SL HARQ RTT timer value can be derived ..." led what
    # the HARQ RTT timer is)
    assert special_cases("In addition to (pre)configured values for each of these timers, SL HARQ RTT timer "
                         "value can be derived from the retransmission resource timing.") == {"sidelink"}


def test_what_a_channel_carries_is_its_role():
    """TS 38.300 §5.3.3: "Physical uplink control channel (PUCCH) carries the Uplink Control Information (UCI)
    from the UE to the gNB." answers what the PUCCH is used for; TS 38.211's "QPSK and π/2 BPSK modulation
    can be used for long PUCCH ..." led."""
    pucch = AskedTerm("role", "PUCCH")
    assert says_role("Physical uplink control channel (PUCCH) carries the Uplink Control Information (UCI) "
                     "from the UE to the gNB.", pucch)
    assert not says_role("QPSK and π/2 BPSK modulation can be used for long PUCCH with more than 2 bits.",
                         pucch)


def test_another_terms_entry_naming_a_word_of_the_asked_term_does_not_lead(glossary_retriever: Retriever):
    """The expansion of "UE" ("UE (User Equipment)") matches TR 21.905's own entry, "**User Equipment (UE):**
    Allows a user access to network services.", which led "What is the purpose of UE capability transfer?":
    it names a word of the asked term, not the term."""
    question = "What is the purpose of UE capability transfer?"
    hits = choose_sources(glossary_retriever.search(question, k=5, asked=question), passages=3)
    shown = strip_citations(GroundingSession(question, hits).lead())
    assert not shown.startswith("**User Equipment (UE):**"), shown


@pytest.mark.parametrize(("request_", "question"), [
    ("Explain the role of the AMF.", "What is the role of the AMF?"),
    ("List the functions of the UPF.", "What are the functions of the UPF?"),
    ("Tell me what the NEF does.", "What does the NEF do?"),
    ("Explain what a QoS flow is.", "What is a QoS flow?"),
    ("Describe the F1 interface", "What is the F1 interface?"),
    ("Briefly explain network slicing.", "What is network slicing?"),
    ("What is the AMF?", "What is the AMF?"),  # a question stays as it is
])
def test_a_request_asks_as_its_question_does(request_: str, question: str):
    """Engineers ask "Explain the role of the AMF."; the question forms only read "What is ...?", and such a
    request got no lookup (its answer was whatever ranked first)."""
    assert as_question(request_) == question
    assert asked_term(request_) == asked_term(question)


def test_a_request_is_answered_as_its_question(glossary_retriever: Retriever):
    """"Explain the role of the AMF." on TR 21.905, TS 23.501, TS 37.340 and TS 38.300: the same first source
    and lead as "What is the role of the AMF?" (the AMF's functionality list, TS 23.501 §6.2.1; the other
    sources rank by the words of each)."""
    answers = []
    for question in ("Explain the role of the AMF.", "What is the role of the AMF?"):
        hits = choose_sources(glossary_retriever.search(question, k=5, asked=question), passages=3)
        answers.append((hits[0].citation, GroundingSession(question, hits).lead()))
    assert answers[0] == answers[1], answers
    assert answers[0][1].startswith("The Access and Mobility Management function (AMF) includes"), answers


def test_an_interface_is_found_as_the_reference_point_it_is():
    """TS 23.501 §4.2.7 lists the 5GC's interfaces as reference points in a clause of prose, "N3:Reference
    point between the (R)AN and the UPF."; "What is the N3 interface?" was led by the MWAB case ("The N3
    interface terminates at MWAB-gNB and UE-UPF ...") and the N6 one by a field of a table."""
    assert reference_point_name("N3 interface") == "n3 reference point"
    assert reference_point_name("AMF") == ""
    n3 = AskedTerm("definition", "N3 interface")
    assert defines_in_line("N3:Reference point between the (R)AN and the UPF.", n3)
    assert not defines_in_line("N4:Reference point between the SMF and the UPF.", n3)
    # a MAC CE's field line defines the field, and the other name of the term does not count
    sul = AskedTerm("definition", "supplementary uplink", alias="SUL")
    assert not defines_in_line("-SUL: This field indicates whether the MAC CE applies to the NUL carrier or "
                               "SUL carrier configuration.", sul)


@pytest.mark.parametrize(("question", "lead"), [
    ("What is the N3 interface?", "N3:Reference point between the (R)AN and the UPF."),
    ("What is the N6 interface?", "N6:Reference point between the UPF and a Data Network."),
])
def test_what_an_interface_is_is_led_by_its_reference_point_line(markdown_spec_retriever, question: str,
                                                                 lead: str):
    retriever = markdown_spec_retriever("23.501_5GS_Architecture_j70.md")
    hits = choose_sources(retriever.search(question, k=5, asked=question), passages=3)
    shown = strip_citations(GroundingSession(question, hits, abbreviations=retriever.abbreviations).lead())
    assert shown == lead, (shown, [h.citation for h in hits])


def test_an_events_object_is_matched_as_the_spec_writes_it(markdown_spec_retriever):
    """TS 38.321 writes "A BSR shall be triggered if any of the following events occur ...", and "When does
    the MAC entity trigger a Buffer Status Report?" was led by TS 38.300's RLC status reports; the index's
    abbreviation table gives the other form of the object (`event_forms`). A parameter's line says what the
    parameter is, not when the event happens: "-ps-Wakeup (optional): the configuration to start associated
    drx-onDurationTimer ..." led "When is drx-onDurationTimer started?"."""
    retriever = markdown_spec_retriever("38.321_MAC_j20.md")
    asked = asked_event("When does the MAC entity trigger a Buffer Status Report?")
    forms = event_forms(asked, {"BSR": "Buffer Status Report"})
    assert AskedEvent("trigger", "a BSR") in forms
    assert closest_event("A BSR shall be triggered if any of the following events occur:", forms) is not None
    assert event_closeness("-ps-Wakeup (optional): the configuration to start associated drx-onDurationTimer "
                           "in case DCP is monitored but not detected;",
                           AskedEvent("start", "drx-onDurationTimer")) is None
    for question, opening in [
            ("When does the MAC entity trigger a Buffer Status Report?", "A BSR shall be triggered if any"),
            ("When is drx-onDurationTimer started?", "3>start drx-onDurationTimer for this DRX group after"),
            # no key term in the object: a sentence need not name its abbreviation ("RA") to lead
            ("When is the Random Access procedure initiated?", "The Random Access procedure described in")]:
        hits = choose_sources(retriever.search(question, k=5), passages=3)
        lead = strip_citations(GroundingSession(question, hits, abbreviations=retriever.abbreviations).lead())
        assert opening in lead, (question, lead, [h.citation for h in hits])


def test_a_condition_asked_in_a_state_is_a_condition_not_the_subjects_role(glossary_retriever: Retriever):
    """"What does the UE do in RRC_INACTIVE when it moves outside the RNA?" was read as asking the UE's role,
    and TR 21.905's "**User Equipment (UE):** Allows a user access to network services." led; it asks what
    follows the condition, and no glossary entry leads such a question."""
    question = "What does the UE do in RRC_INACTIVE when it moves outside the RNA?"
    assert asked_condition(question) == "it moves outside the RNA"
    assert asked_term(question) is None
    hits = choose_sources(glossary_retriever.search(question, k=5, asked=question), passages=3)
    session = GroundingSession(question, hits, abbreviations=glossary_retriever.abbreviations)
    lead = strip_citations(session.lead())
    assert "selects a cell that does not belong to the configured RNA" in lead, (lead,
                                                                                 [h.citation for h in hits])


@pytest.mark.parametrize(("question", "lead"), [
    # was "-Paging Control Channel (PCCH): a downlink channel that carries paging messages." (TS 38.300)
    ("What is the paging procedure?",
     "Paging allows the network to reach UEs in RRC_IDLE and in RRC_INACTIVE"),
    # was "Registration area is managed per access type i.e. 3GPP access or Non-3GPP access." (TS 23.501)
    ("Why is a Registration Area needed?",
     "**Registration Area:** A (NAS) registration area is an area in which the UE may roam without a need to "
     "perform location registration"),
])
def test_what_a_procedure_is_and_why_a_thing_is_needed_are_asked_as_its_role(glossary_retriever: Retriever,
                                                                              question: str, lead: str):
    hits = choose_sources(glossary_retriever.search(question, k=5, asked=question), passages=3)
    shown = strip_citations(GroundingSession(question, hits,
                                             abbreviations=glossary_retriever.abbreviations).lead())
    assert shown.startswith(lead), (shown, [h.citation for h in hits])


def test_how_a_thing_is_done_is_said_in_the_passive_with_it_as_the_subject(markdown_spec_retriever):
    """"How is a QoS Flow identified?" was led by "-Additional QoS Flow Information." (a list item of TS
    38.300 §12.1); the clause's sentence saying how is in another of its chunks, which the lookup finds
    (`Retriever._manner_rows`)."""
    manner = asked_manner("How is a QoS Flow identified?")
    assert manner == AskedManner("QoS Flow", "identified")
    provided = asked_manner("How is the Allowed NSSAI provided to the UE?")
    assert provided == AskedManner("Allowed NSSAI", "provided")
    assert asked_manner("How is SS-RSRQ defined?") is None  # a term's definition (`asked_term`)
    assert asked_manner("What is a QoS Flow?") is None
    assert states_manner("A QoS flow is identified within a PDU session by a QoS Flow ID (QFI) carried in an "
                         "encapsulation header over NG-U.", manner)
    assert states_manner("A QoS Flow is uniquely identified by its QFI.", manner)
    assert not states_manner("The QFI is used to identify a QoS Flow.", manner)  # not its subject
    assert not states_manner("-Additional QoS Flow Information.", manner)
    # every word of the thing: another NSSAI is another thing
    assert not states_manner("The same Alternative S-NSSAI mapping to the replaced S-NSSAI is provided over "
                             "the Access Types.", provided)
    retriever = markdown_spec_retriever("38.300_NG-RAN_Overall_j20.md")
    question = "How is a QoS Flow identified?"
    hits = choose_sources(retriever.search(question, k=5, asked=question), passages=3)
    lead = strip_citations(GroundingSession(question, hits, abbreviations=retriever.abbreviations).lead())
    assert lead.startswith("A QoS flow is identified within a PDU session by a QoS Flow ID (QFI)"), lead


def test_what_a_channel_carries_is_asked_as_its_role(markdown_spec_retriever):
    """"What does the PUCCH carry?" had no question form, and TS 38.211's "Transform precoding is applied to
    PUCCH Format #3 and Format #4." led."""
    assert asked_term("What does the PUCCH carry?") == AskedTerm("role", "PUCCH")
    retriever = markdown_spec_retriever("38.300_NG-RAN_Overall_j20.md")
    question = "What does the PUCCH carry?"
    hits = choose_sources(retriever.search(question, k=5, asked=question), passages=3)
    lead = strip_citations(GroundingSession(question, hits, abbreviations=retriever.abbreviations).lead())
    assert lead.startswith("Physical uplink control channel (PUCCH) carries the Uplink Control"), lead


def test_a_message_is_for_what_the_step_sending_it_says(markdown_spec_retriever):
    """"What is the purpose of the Path Switch Request?" was led by a U2N relay sentence of TS 38.300 §16.12:
    no sentence has the message as its subject, and the step sending it says what it is for."""
    path_switch = AskedTerm("role", "Path Switch Request")
    assert sent_to_do("9.The target gNB sends a PATH SWITCH REQUEST message to AMF to trigger 5GC to switch "
                      "the DL data path towards the target gNB.", path_switch)
    # a step sending it to a node, with no end; another thing's step; a procedure is no message
    assert not sent_to_do("The target gNB sends a PATH SWITCH REQUEST message to the AMF.", path_switch)
    assert not sent_to_do("-determining whether to send the Paging message to the NG-RAN to page the UE;",
                          AskedTerm("role", "Paging messages"))
    assert not sent_to_do("the NG-eNB sends an RRC Resume message to the UE and the UE moves to CM-CONNECTED "
                          "and RRC_CONNECTED.", AskedTerm("role", "RRC Resume procedure"))
    retriever = markdown_spec_retriever("38.300_NG-RAN_Overall_j20.md")
    question = "What is the purpose of the Path Switch Request?"
    hits = choose_sources(retriever.search(question, k=5, asked=question), passages=3)
    lead = strip_citations(GroundingSession(question, hits, abbreviations=retriever.abbreviations).lead())
    assert "sends a path switch request message to the AMF to inform" in lead, lead


def test_an_entry_naming_only_the_questions_subject_does_not_lead(glossary_retriever: Retriever):
    """A question asking no term ("How does a UE select a cell?" on these four specs; "Which states can a UE
    be in for connection management?" on the 8-file index) was led by TR 21.905's "**User Equipment (UE):**
    Allows a user access to network services.", which shares nothing with it but the UE."""
    question = "How does a UE select a cell?"
    hits = choose_sources(glossary_retriever.search(question, k=5, asked=question), passages=3)
    assert any("**User Equipment (UE):**" in h.text for h in hits)  # the entry is among the sources
    lead = strip_citations(GroundingSession(question, hits).lead())
    assert not lead.startswith("**User Equipment (UE):**"), lead


def test_the_sense_is_read_in_the_defining_line(glossary_retriever: Retriever):
    """TR 21.905's chunk with "MIB Management Information Base" holds "Master Information Block" on another
    line, so it counted as holding the specs' sense and led "What is the MIB?" above TS 38.300's
    "MIBMaster Information Block"."""
    assert glossary_retriever.abbreviations["MIB"] == "Master Information Block"
    question = "What is the MIB?"
    hits = choose_sources(glossary_retriever.search(question, k=5, asked=question), passages=3)
    session = GroundingSession(question, hits, abbreviations=glossary_retriever.abbreviations)
    assert strip_citations(session.lead()) == "MIB Master Information Block", [h.citation for h in hits]


def test_what_a_message_holds_is_its_bracketed_parameters(markdown_spec_retriever):
    """TS 23.502's call flows give a message's contents in brackets after its name; "What parameters does the
    Registration Request contain?" was led by "5.The UE shall send an IKE_AUTH request, which includes ... a
    Registration Request message." (TS 23.502 §4.12.2.2), which names it and holds none of them."""
    request = AskedTerm("role", "Registration Request", wanted="parameter")
    assert asks_contents("What parameters does the Registration Request contain?")
    assert not asks_contents("What is the purpose of the Registration Request?")
    assert lists_contents("1.UE to (R)AN: AN message (AN parameters, Registration Request (Registration "
                          "type, SUCI or 5G-GUTI or PEI, [last visited TAI (if available)], Security "
                          "parameters))", request)
    assert not lists_contents("5.The UE shall send an IKE_AUTH request, which includes an EAP-Response/"
                              "5G-NAS packet that contains the Access Network parameters (AN parameters) and "
                              "a Registration Request message.", request)
    retriever = markdown_spec_retriever("23.502_5GS_Procedures_j70.md")
    question = "What parameters does the Registration Request contain?"
    hits = choose_sources(retriever.search(question, k=5, asked=question), passages=3)
    lead = strip_citations(GroundingSession(question, hits, abbreviations=retriever.abbreviations).lead())
    cited = [h.citation for h in hits]
    assert "Registration Request (Registration type, SUCI or 5G-GUTI or PEI" in lead, (lead, cited)
