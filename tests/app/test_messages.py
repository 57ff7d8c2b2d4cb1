"""Questions asking which message a node sends for some end (app/messages.py), on real specs from ../shared:
the retriever finds the call-flow step, and the answer leads with it."""

from __future__ import annotations

import pytest

from app.grounding import GroundingSession
from app.messages import asked_message, sending_closeness
from app.sentences import strip_citations
from app.source_rules import choose_sources


def test_the_parts_of_a_message_question_and_the_steps_sending_it():
    complete = asked_message("Which message does the UE send to complete the handover?")
    assert complete is not None and complete.sender == "ue" and not complete.receiver
    # TS 38.300 §9.2.3.2.1: the step that names the end; the flow's other UE steps do not
    assert sending_closeness("8.The UE synchronises to the target cell and completes the RRC handover "
                             "procedure by sending RRCReconfigurationComplete message to target gNB.", "",
                             complete)
    assert sending_closeness("1.The source gNB sends the HANDOVER REQUEST message to the target gNB.",
                             "Intra-AMF handover", complete) is None  # another sender
    # TS 23.502's "<sender> to <receiver>: <message>", the RAN node by any of its names
    release = asked_message("What does the AMF send to the gNB to release the UE context?")
    assert release.receiver == "gnb"
    assert sending_closeness("3. AMF to (R)AN: N2 UE Context Release Command (Cause).", "AN Release", release)
    reconfigure = asked_message("What does the gNB send to the UE to reconfigure the RRC connection?")
    assert sending_closeness("13.(R)AN to UE: The NG-RAN performs RRC Connection Reconfiguration with the "
                             "UE.", "", reconfigure) is None  # a deed, no message
    # only the title saying the end is not enough: every step of a handover clause has it
    start = asked_message("What does the source gNB send to the target gNB to start a handover?")
    title = "Inter-gNB handover involving gNB-CU-UP change"
    assert sending_closeness("9.The source gNB-CU-CP sends an SN STATUS TRANSFER message to the target "
                             "gNB-CU-CP.", title, start) is None
    assert sending_closeness("1.The source gNB-CU-CP sends the HANDOVER REQUEST message to the target "
                             "gNB-CU-CP.", title, start)
    # a message name in lower case (TS 23.502 §4.4.1.2), and the nodes every step names are no end
    establish = asked_message("What does the SMF send to the UPF to establish an N4 session?")
    step = ("2.The SMF sends an N4 session establishment request message to the UPF that contains the "
            "structured control information ...")
    establishment = sending_closeness(step, "", establish)
    modification = sending_closeness("3.SMF to UPF: N4 Session Modification Request (AN Tunnel Info).", "",
                                     establish)
    assert establishment > modification, (establishment, modification)
    assert asked_message("Which message does the gNB send to page a UE?").end_terms == {"page"}
    # what comes after a step is its flow's next step (grounding.ASKS_AFTER), not this lookup
    assert asked_message("What does the target gNB send to the source gNB after admission control?") is None
    assert asked_message("What is a HANDOVER REQUEST?") is None


@pytest.mark.parametrize(("question", "spec", "lead"), [
    # the lead was a Registration Request sentence of TS 23.502
    ("Which message does the UE send to complete the handover?", "38.300_NG-RAN_Overall_j20.md",
     "8.The UE synchronises to the target cell and completes the RRC handover procedure by sending "
     "RRCReconfigurationComplete message to target gNB."),
    # the flow's fifth step led, the target's HANDOVER REQUEST ACKNOWLEDGE
    ("What does the source gNB send to the target gNB to start a handover?",
     "38.401_NG-RAN_Architecture_j20.md", "HANDOVER REQUEST message to the target gNB-CU"),
])
def test_a_message_question_is_led_by_the_step_sending_it(markdown_spec_retriever, question: str, spec: str,
                                                          lead: str):
    """A step of the asked sender naming the asked end, out of the flow's steps and notes."""
    hits = choose_sources(markdown_spec_retriever(spec).search(question, k=5, asked=question), passages=3)
    shown = strip_citations(GroundingSession(question, hits).lead())
    assert lead in shown and "ACKNOWLEDGE" not in shown, shown
