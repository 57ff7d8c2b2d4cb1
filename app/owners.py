"""Questions asking which network function (or node) does something, and the spec text that answers them.

"Which network function allocates the UE IP address?" is answered by an item of one function's list, "The
Session Management function (SMF) includes the following functionality. ...: -UE IP address allocation &
management ..." (TS 23.501 §6.2.2), or by a sentence naming the doer after the deed, "UPF selection is
performed by SMF." (§5.8.1). The question's words are in many chunks that name other functions (a DHCP
procedure, the NEF's storing into the UDR), so the answer is the list whose item or the sentence whose
deed is the one asked, in either form: "allocates the UE IP address" is "UE IP address allocation",
"stores subscription data" is "Storage and retrieval of subscription data".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.sentences import terms
from app.term_lookup import states_list

_ASKS_OWNER = re.compile(r"^\s*(?:(?:which|what)\s+(?:(?:5GC?|core|network|NG-RAN|RAN)\s+)?"
                         r"(?:network\s+functions?|NFs?|functions?|nodes?|entit(?:y|ies)|elements?)|who)\s+"
                         r"(?P<verb>[a-z]+?)(?:es|s)\s+(?P<object>[^?]+?)\s*\??\s*$", re.I)
"""The question form: "Which network function allocates the UE IP address?", "Which NF selects the SMF?",
"Who allocates the 5G-GUTI?"."""
_NOT_A_DEED = frozenset({"i", "ha", "doe", "connect", "link", "support", "belong", "correspond",
                         "mean", "stand"})
"""Verbs that ask no deed of a function's list ("is", "has", "does"; "connects" asks an interface, app/
endpoints.py; "supports" asks a feature, answered elsewhere). "Which entity terminates the F1 interface?" is
one: "The gNB-DU terminates the F1 interface connected with the gNB-CU." (TS 38.401 §3.1) answers it."""
_LIGHT_VERBS = frozenset({"perform", "handl", "provid", "execut", "carri", "do"})
"""Verbs (as `_ASKS_OWNER` cuts them) whose object names the deed."""
_VERB_ENDINGS = ("", "e", "s", "es", "ed", "d")
"""The forms of a deed's stem ("allocat", "assign") as a verb ("allocate", "allocates", "assigns"), not as a
noun ("allocation")."""
_DEFINES_DOER = re.compile(r"^\W*[^:]{1,60}:\s*(?:an?|the)\s+(?:[\w\-]+\s+){0,3}?"
                           r"(?:node|function|entity|unit)\s+(?P<deed>(?:hosting|performing|providing|handling|"
                           r"supporting|terminating|managing)\b.+)", re.I)
"""A definition naming its thing's deed: "gNB Central Unit (gNB-CU): a logical node hosting RRC, SDAP and PDCP
protocols of the gNB ..." (TS 38.401 §3.1)."""
_CIRCUMSTANCE = re.compile(r"\s+(?:for|in|during|when|while|from|on|at|per|after|before|if|with)\s+", re.I)
_PERFORMED_BY = re.compile(r"\b(?:is|are)\s+(?:performed|done|handled|provided|supported|allocated|stored|"
                           r"selected|managed)\s+by\s+(?:the\s+)?[A-Z]", re.I)
"""A sentence naming the doer after the deed: "UPF selection is performed by SMF."."""
_DOER_FIRST = re.compile(r"^\W*(?:[Tt]he\s+)?(?:(?:[A-Z][\w\-]*\s+){1,5}\([A-Z][\w\-]*\)"
                         r"|[A-Za-z]*[A-Z][\w\-]*[A-Z0-9][\w\-]*)"
                         r"\s+(?:(?:shall|may|can|should|also|then|will)\s+)*(?P<verb>[a-z]+)\s+(?P<object>.+)")
"""A sentence whose subject is a named function or node, the deed right after it: "The AMF shall allocate a
5G Globally Unique Temporary Identifier (5G-GUTI) to the UE ...", "The SMF assigns the QFI for a new QoS Flow
..."."""


@dataclass(frozen=True)
class AskedOwner:
    """What a "Which network function <does> <what>?" question asks to be done: the verb's stem, the
    object's content terms."""

    deed: str
    object_terms: frozenset[str]


def asked_owner(question: str) -> AskedOwner | None:
    """The deed a "Which network function allocates the UE IP address?" question asks the doer of."""
    match = _ASKS_OWNER.match(" ".join(question.split()))
    if not match or match["verb"].lower() in _NOT_A_DEED:
        return None
    verb = match["verb"].lower()
    # "allocates" -> "allocat", "stores" -> "stor", "selects" -> "select": the stem "allocation" and
    # "storage" share; a light verb says nothing of the deed, its object does ("performs authentication":
    # "-Supports authentication for 3GPP access ...", the AUSF's)
    deed = "" if verb in _LIGHT_VERBS else verb.removesuffix("e")
    # the thing done, not its circumstances: "the UPF" of "selects the UPF for a PDU session"
    thing = _CIRCUMSTANCE.split(match["object"], maxsplit=1)[0]
    object_terms = frozenset(terms(thing)[0])
    return AskedOwner(deed, object_terms) if object_terms else None


def does(line: str, owner: AskedOwner) -> bool:
    """Whether `line` names the asked deed: a word of the verb's stem ("allocation", "Storage"), unless the
    verb is a light one, and every content term of its object."""
    words = re.findall(r"[a-z]+", line.lower())
    return ((not owner.deed or any(word.startswith(owner.deed) for word in words))
            and owner.object_terms <= set(terms(line)[0]))


def owns(unit: str, owner: AskedOwner) -> bool:
    """Whether a quotable unit says who does the asked deed: a list of what one function does
    (`term_lookup.states_list`) with an item naming the deed, a sentence naming the doer after it ("UPF
    selection is performed by SMF.") or before it, as its subject ("The AMF shall allocate a 5G-GUTI ..."
    for "Who allocates the 5G-GUTI?", which was led by "The 5G System supports allocation of a temporary
    identifier (5G-GUTI) ..."), or a definition naming it ("gNB Central Unit (gNB-CU): a logical node
    hosting RRC, SDAP and PDCP protocols ..." for the node hosting RRC)."""
    performed = _PERFORMED_BY.search(unit)
    if performed:  # the deed before "is performed by", the doer after it
        return does(unit[:performed.start()], owner)
    defined = _DEFINES_DOER.match(unit)
    if defined:  # "gNB Central Unit (gNB-CU): a logical node hosting RRC, SDAP and PDCP protocols ..."
        return does(defined["deed"], owner)
    doer_first = _DOER_FIRST.match(unit)
    if doer_first and owner.deed and doer_first["verb"] in {owner.deed + end for end in _VERB_ENDINGS}:
        return does(f"{doer_first['verb']} {doer_first['object']}", owner)  # "The AMF shall allocate ..."
    head, _, items = unit.partition(":")
    return bool(items) and states_list(head + ":") and any(
        does(item, owner) for item in re.split(r"(?:^|\s)-(?=\S)", items))
