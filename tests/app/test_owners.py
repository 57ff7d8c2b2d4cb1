"""Questions asking which network function does something (app/owners.py), on TS 23.501 from ../shared: the
retriever finds the list or sentence naming the doer, and the answer leads with it."""

from __future__ import annotations

import pytest

from app.grounding import GroundingSession
from app.owners import asked_owner, owns
from app.sentences import strip_citations
from app.source_rules import choose_sources

ARCH = "23.501_5GS_Architecture_j70.md"


def test_the_deed_of_an_owner_question_and_the_units_naming_its_doer():
    allocates = asked_owner("Which network function allocates the UE IP address?")
    assert allocates is not None
    # the SMF's list holds the deed as a noun (TS 23.501 §6.2.2), TS 38.300 §4.2's as well
    assert owns("The Session Management function (SMF) includes the following functionality. Some or all of "
                "the SMF functionalities may be supported in a single instance of a SMF: -Session Management "
                "e.g. Session Establishment, modify and release. -UE IP address allocation & management "
                "(including optional Authorization).", allocates)
    assert owns("The Session Management function (SMF) hosts the following main functions (see TS 23.501): "
                "-Session Management; -UE IP address allocation and management;", allocates)
    # the DHCP text the question ranked first names the deed and no doer; a list without the deed says nothing
    dhcp = ("To allocate the IP address via DHCPv4, the UE may indicate to the network within the Protocol "
            "Configuration Options that the UE requests to obtain the IPv4 address.")
    assert not owns(dhcp, allocates)
    assert not owns("The User plane function (UPF) includes the following functionality: -Packet routing & "
                    "forwarding.", allocates)
    # the doer after the deed; the object without the question's circumstances ("for a PDU session")
    selects = asked_owner("Which network function selects the UPF for a PDU session?")
    assert owns("UPF selection is performed by SMF.", selects)
    selects_smf = asked_owner("Which network function selects the SMF?")
    assert not owns("UPF selection is performed by SMF.", selects_smf)
    # a definition naming its node's deed (TS 38.401 §3.1)
    hosts_rrc = asked_owner("Which node hosts the RRC protocol in a split gNB?")
    cu = ("gNB Central Unit (gNB-CU): a logical node hosting RRC, SDAP and PDCP protocols of the gNB or RRC "
          "and PDCP protocols of the en-gNB that controls the operation of one or more gNB-DUs.")
    assert owns(cu, hosts_rrc)
    assert not owns(cu, asked_owner("Which node hosts the RLC layer?"))
    # the doer as the subject, the deed right after it (TS 23.501 §5.9.4), asked "Who ...?" too
    who = asked_owner("Who allocates the 5G-GUTI?")
    assert who == asked_owner("Which network function allocates the 5G-GUTI?")
    assert owns("The AMF shall allocate a 5G Globally Unique Temporary Identifier (5G-GUTI) to the UE that "
                "is common to both 3GPP and non-3GPP access.", who)
    assert owns("The SMF assigns the QFI for a new QoS Flow and derives its QoS profile.",
                asked_owner("Who assigns the QFI?"))
    # a noun is no deed done, and a subject that names no function or node does none
    assert not owns("The 5G System supports allocation of a temporary identifier (5G-GUTI) in order to "
                    "support user confidentiality protection.", who)
    slices = asked_owner("Which network function selects the network slice instances?")
    assert not owns("The selection of the set of Network Slice instances for a UE is triggered by the first "
                    "contacted AMF.", slices)
    assert not owns(dhcp, asked_owner("Who allocates the IP address?"))
    terminates = asked_owner("Which entity terminates the F1 interface?")
    assert owns("The gNB-DU terminates the F1 interface connected with the gNB-CU.", terminates)
    assert not owns("The gNB-CU-CP terminates the E1 interface connected with the gNB-CU-UP.", terminates)
    # not an owner question: a connection (app/endpoints.py), what X is, or a verb that asks no deed
    assert asked_owner("Which network function connects the AMF and the SMF?") is None
    assert asked_owner("What is the UPF?") is None
    assert asked_owner("Which network function has the N4 interface?") is None


def test_who_terminates_an_interface_is_said_by_the_node_doing_it(markdown_spec_retriever):
    """"Which entity terminates the F1 interface?" was led by "TS 38.470 specifies F1 interface general
    aspects and principles." (TS 38.401 §10.3): TS 38.401 §3.1's definitions say which nodes terminate it."""
    question = "Which entity terminates the F1 interface?"
    retriever = markdown_spec_retriever("38.401_NG-RAN_Architecture_j20.md")
    hits = choose_sources(retriever.search(question, k=5, asked=question), passages=3)
    shown = strip_citations(GroundingSession(question, hits).lead())
    doers = ("The gNB-DU terminates the F1 interface", "The gNB-CU terminates the F1 interface")
    assert shown.startswith(doers), (shown, [h.citation for h in hits])


@pytest.mark.parametrize(("question", "lead"), [
    # §5.8.2.2.1's DHCP text ("To allocate the IP address via DHCPv4, the UE may indicate ...") led
    ("Which network function allocates the UE IP address?",
     "The Session Management function (SMF) includes the following functionality."),
    # the NEF's functions led, which store data in the UDR
    ("Which network function stores subscription data?",
     "The Unified Data Repository (UDR) supports the following functionality: -Storage and retrieval of "
     "subscription data by the UDM."),
    # a UPF function led, "-Packet routing & forwarding ..."
    ("Which network function selects the UPF for a PDU session?", "UPF selection is performed by SMF."),
    # "The 5G System supports allocation of a temporary identifier (5G-GUTI) ..." (§5.9.1) led
    ("Who allocates the 5G-GUTI?",
     "The AMF shall allocate a 5G Globally Unique Temporary Identifier (5G-GUTI)"),
    # a light verb: the object names the deed (the NSSAAF's name in the list of network functions led)
    ("Which network function performs authentication?",
     "The Authentication Server Function (AUSF) supports the following functionality: -Supports "
     "authentication"),
])
def test_an_owner_question_is_led_by_the_unit_naming_the_doer(markdown_spec_retriever, question: str,
                                                               lead: str):
    hits = choose_sources(markdown_spec_retriever(ARCH).search(question, k=5, asked=question), passages=3)
    shown = strip_citations(GroundingSession(question, hits).lead())
    assert shown.startswith(lead), shown
