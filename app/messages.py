"""Questions asking which message one node sends (to another) for some end, and the call-flow steps that
answer them.

"Which message does the UE send to complete the handover?" is answered by a step of TS 38.300 §9.2.3.2.1,
"8. The UE synchronises to the target cell and completes the RRC handover procedure by sending
RRCReconfigurationComplete message to target gNB.", and "What does the AMF send to the gNB to release the UE
context?" by one of TS 23.502 (written "<sender> to <receiver>: <message> (...)"). The question's words are
in every step and note of the flows around them; the answer is the step whose sender (and receiver) are the
asked ones and whose message, sentence or clause title says the asked end. Words do not tell every request
apart: "to request an RRC connection" finds TS 38.401's RRCReestablishmentRequest step (its clause is titled
"RRC connection reestablishment") before the RRCSetupRequest one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.sentences import terms

_ASKS_MESSAGE = re.compile(
    r"^\s*(?:which|what)\s+(?:(?:[\w\-]+\s+)?messages?\s+)?(?:does|do|shall|should|would)\s+(?P<sender>.+?)\s+"
    r"(?:send|transmit)(?:\s+to\s+(?P<receiver>.+?))?\s+(?:to|in\s+order\s+to|for|when|upon|on|during|at|in)\s+"
    r"(?P<end>[^?]+?)\s*\??\s*$", re.I)
"""The question form: "Which message does the UE send to request an RRC connection?", "What does the source
gNB send to the target gNB to start a handover?" ("after" is a flow's next step: grounding.ASKS_AFTER)."""
_AFTER = re.compile(r"\b(?:after|before)\b", re.I)
"""What a node sends after or before a step is the flow's next or previous step (grounding.ASKS_AFTER)."""
_NODES = frozenset({"ue", "gnb", "enb", "ng-ran", "ran", "an", "amf", "smf", "upf", "mn", "sn", "gnb-cu",
                    "gnb-du"})
"""Nodes a question's end may name ("to page a UE"): every step of a flow names them."""
_RAN_NODE = frozenset({"gnb", "ng-ran", "ran", "an"})
"""The names a flow gives the radio node a question calls the gNB: TS 23.502 writes "(R)AN" or "NG-RAN"."""
_STEP_NUMBER = re.compile(r"^[\s\-*\u2022]*(?:\d+[a-z]?\s*[.)]|[a-z]\d*\.)?\s*")
_PROSE_SEND = re.compile(r"^(?:(?:if|when|upon|once|after)\b[^.;:]{0,120}?,\s*(?:then\s+)?)?(?:the\s+)?"
                         r"(?P<sender>[^.,;:]{1,40}?)\s+(?:(?:then|also|may|shall|can)\s+)?"
                         r"(?:sends?|transmits?|forwards?|respond(?:s|ed)?\s+(?:to\s+)?[^.,;:]{0,40}?with|"
                         r"replies\s+with|[^.;:]{1,100}?\bby\s+sending)\s+(?P<rest>.+)", re.I)
"""A step saying who sends: "The UE sends an RRCSetupRequest message to the gNB-DU.", "The target gNB-CU-CP
responds the source gNB-CU-CP with an HANDOVER REQUEST ACKNOWLEDGE message.", "The UE synchronises to the
target cell and completes the RRC handover procedure by sending RRCReconfigurationComplete message ...",
"If the UE is registered to different PLMNs ..., then the UE shall send a PDU Session Establishment Request
..."."""
_FLOW_SEND = re.compile(r"^(?P<sender>[^:.;]{1,40}?)\s+to\s+(?P<receiver>[^:.;]{1,40}?)\s*:\s*(?P<rest>.+)")
"""TS 23.502's form: "3. AMF to (R)AN: N2 UE Context Release Command (Cause)."."""
_MESSAGE = re.compile(r"\b[A-Z][A-Z0-9\-]+(?:\s+[A-Z][A-Z0-9\-]+)+\b"
                      r"|\b(?=[\w\-]{6})[A-Z][A-Za-z0-9]*[a-z][A-Z][\w\-]*"
                      r"|\b[A-Z][\w\-/]*\s+(?:[\w\-/]+\s+){0,4}?(?:[Rr]equest|[Rr]esponse|[Cc]ommand|[Cc]omplete|"
                      r"[Aa]ccept|[Rr]eject|[Ii]ndication|[Nn]otification|[Aa]cknowledge|[Rr]equired|[Cc]onfirm|"
                      r"[Mm]essage)\b")
"""A message's name: "HANDOVER REQUEST ACKNOWLEDGE", "RRCSetupRequest" (not "QoS"), "N2 Path Switch
Request", "N4 session establishment request" (TS 23.502 §4.4.1.2 writes it lower case)."""
_FLOW_MESSAGE_AT = 16
"""Where a flow step's message starts at the latest, after "[Conditional]" or a "N2"-like prefix."""
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_OPTIONAL_LETTER = re.compile(r"\((\w)\)(?=\w)")


@dataclass(frozen=True)
class AskedMessage:
    """Who sends, to whom (may be unsaid) and the end asked, as content terms."""

    sender: str
    receiver: str
    end_terms: frozenset[str]


def asked_message(question: str) -> AskedMessage | None:
    """The parts of a "Which message does A send (to B) to <end>?" question (`_ASKS_MESSAGE`), or None."""
    match = _ASKS_MESSAGE.match(" ".join(question.split()))
    if not match or _AFTER.search(question):
        return None
    # the nodes a flow names in every step say nothing of its end ("to page a UE": the UE is in every step)
    end_terms = _words(re.sub(r"\bset\s+up\b", "setup", match["end"], flags=re.I)) - _NODES
    sender = _node(match["sender"])
    return AskedMessage(sender, _node(match["receiver"] or ""), end_terms) if sender and end_terms else None


def _node(phrase: str) -> str:
    """A node as asked, lower case, without its article ("the source gNB" -> "source gnb")."""
    return " ".join(re.sub(r"^(?:a|an|the)\s+", "", phrase.strip(), flags=re.I).lower().split())


def sending_closeness(sentence: str, title: str, asked: AskedMessage) -> float | None:
    """How closely a step sending a message from the asked sender (to the asked receiver) says the asked
    end: twice the end's terms its words or its message's name say ("RRCSetupRequest" says "RRC Setup
    Request"), once those only its clause `title` says, less a tenth for each other word of the message's
    name ("RRC CONNECTION SETUP COMPLETE" says more than a request for an RRC connection than
    "RRCSetupRequest"); None when it is no such step, or only its title says the end (every step of a
    handover clause is titled with the handover)."""
    text = _OPTIONAL_LETTER.sub(r"\1", _STEP_NUMBER.sub("", sentence, count=1))
    flow = _FLOW_SEND.match(text)
    prose = None if flow else _PROSE_SEND.match(text)
    step = flow or prose
    if step is None or not _is(step["sender"], asked.sender):
        return None
    rest = step["rest"]
    message = _MESSAGE.search(rest)
    # a flow's step names its message first ("AMF to (R)AN: N2 UE Context Release Command (Cause)"), not
    # a clause on what a node then does ("(R)AN to UE: The NG-RAN performs RRC Connection Reconfiguration")
    if message is None or (flow and message.start() > _FLOW_MESSAGE_AT):
        return None
    if asked.receiver and not (_is(flow["receiver"], asked.receiver) if flow
                               else _names(rest, asked.receiver)):
        return None
    name = _CAMEL.sub(" ", message.group(0)).replace("_", " ")
    said = asked.end_terms & _words(f"{sentence} {name}")
    titled = asked.end_terms & _words(title) - said
    other = _words(name) - asked.end_terms
    return 2 * len(said) + len(titled) - 0.1 * len(other) if said else None


def _words(text: str) -> frozenset[str]:
    """A text's content terms, its upper-case names read as words ("HANDOVER REQUEST" says "handover")."""
    return frozenset(terms(text.lower())[0])


def _is(phrase: str, node: str) -> bool:
    """Whether a step's sender or receiver phrase is the asked node: its last word names the node's, a part
    of its name allowed ("gNB-DU" for the gNB, "target NG-RAN" for the NG-RAN, "(R)AN" for the RAN)."""
    words = re.findall(r"[\w\-]+", phrase.lower())
    wanted = node.split()
    if not words or not wanted:
        return False
    last = words[-1]
    named = (last == wanted[-1] or last.split("-")[0] == wanted[-1]
             or {last, wanted[-1]} <= _RAN_NODE)
    return named and all(
        w in words for w in wanted[:-1] if w in {"source", "target", "old", "new", "serving"})


def _names(text: str, node: str) -> bool:
    """Whether `text` names the node after "to" ("... message to the gNB-DU")."""
    for match in re.finditer(r"\bto\s+(?:the\s+)?((?:[\w\-()]+\s*){1,3})", text, re.I):
        words = match.group(1).split()  # "to the UPF that contains ...": "UPF", "UPF that", ...
        if any(_is(" ".join(words[:k]), node) for k in range(1, len(words) + 1)):
            return True
    return False
