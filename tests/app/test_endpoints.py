"""Questions asking which interface or reference point connects two nodes (app/endpoints.py), on TS 23.501
from ../shared: the retriever finds the chunk of the long reference-point list that has the
line, and the answer leads with it."""

from __future__ import annotations

import pytest

from app.endpoints import asked_link, links
from app.grounding import GroundingSession
from app.source_rules import choose_sources

ARCH = "23.501_5GS_Architecture_j70.md"


def test_the_ends_of_a_connection_question_and_the_lines_naming_both():
    link = asked_link("Which reference point connects the AMF and the SMF?")
    assert link is not None
    assert links("N11:Reference point between the AMF and the SMF.", link)
    assert links("N11: Reference point between the SMF and the AMF.", link)  # either order
    # a line naming one end, the same name in another node's, or two of one end says nothing of N11
    assert not links("N16a:Reference point between SMF and I-SMF.", link)
    assert not links("N16:Reference point between two SMFs.", link)
    assert not links("N22:Reference point between AMF and NSSF.", link)
    # another name of an end (the index's abbreviations), "(R)AN" read as the RAN, and TS 38.401's form
    to_dn = asked_link("Which reference point connects the UPF to a data network?", {"DN": "Data Network"})
    assert links("N6:Reference point between the UPF and a DN.", to_dn)
    assert links("N3:Reference point between the (R)AN and the UPF.",
                 asked_link("What is the reference point between the RAN and the UPF?"))
    e1 = asked_link("Which interface connects the gNB-CU-CP and the gNB-CU-UP?")
    assert links("-The gNB-CU-UP is connected to the gNB-CU-CP through the E1 interface;", e1)
    # an association "between" the two ends is no interface
    assert not links("... TNL associations between the gNB-CU-CP and the gNB-CU-UP pair.", e1)
    assert asked_link("What is a QoS flow?") is None
    assert asked_link("Which interface does the AMF terminate?") is None


@pytest.mark.parametrize(("question", "line"), [
    ("Which reference point connects the AMF and the SMF?", "N11:Reference point between the AMF and"),
    ("Which reference point connects the UPF to a data network?", "N6:Reference point between the UPF and a"),
])
def test_a_connection_question_is_led_by_the_line_naming_both_ends(markdown_spec_retriever, question: str,
                                                                   line: str):
    """TS 23.501 §4.2.7 lists the reference points over several chunks, each naming the AMF and the SMF: the
    question's three sources had the chunk from N13 on, and the answer led with "N16a: Reference point
    between SMF and I-SMF."; for the UPF and a data network the lead was a UPF function naming N6 in
    passing."""
    hits = choose_sources(markdown_spec_retriever(ARCH).search(question, k=5), passages=3)
    assert any(line in hit.text for hit in hits), [hit.citation for hit in hits]
    lead = GroundingSession(question, hits).lead()
    assert lead.startswith(line), lead

