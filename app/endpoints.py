"""Questions asking which interface or reference point connects two named nodes, and the sentences that
answer them.

"Which reference point connects the AMF and the SMF?" is answered by one line of TS 23.501 §4.2.7's long
list, "N11: Reference point between the AMF and the SMF.", while the lines around it name the AMF or the SMF
as often: a ranking by shared words alone showed "N16a: Reference point between SMF and I-SMF." The answer
is the line that has both ends, and only them, after "between".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.term_lookup import normalize_term, other_name

_CONNECTOR = r"(?:reference\s+points?|interfaces?)"
_ASKS_LINK = (
    re.compile(rf"^\s*(?:which|what)\s+{_CONNECTOR}\s+(?:(?:inter)?connects?|links?|(?:is|are|lies|exists?)"
               rf"\s+(?:used\s+)?between)\s+(?P<a>.+?)\s+(?:and|to|with)\s+(?P<b>[^?]+?)\s*\??\s*$", re.I),
    re.compile(rf"^\s*what\s+(?:is|are)\s+the\s+(?:name\s+of\s+the\s+)?{_CONNECTOR}\s+between\s+(?P<a>.+?)"
               rf"\s+and\s+(?P<b>[^?]+?)\s*\??\s*$", re.I),
)
"""The question forms: "Which reference point connects the UPF to a data network?", "Which interface is
used between the gNB-CU and the gNB-DU?", "What is the interface between an NG-RAN node and the AMF?"."""
_BETWEEN = re.compile(r"\bbetween\s+(?P<x>[^.;:,()]+?)\s+and\s+(?P<y>[^.;:,()]+)", re.I)
_CONNECTED = re.compile(r"^[\W\d]*(?P<x>[^.;:,()]+?)\s+(?:is|are)\s+(?:inter)?connected\s+(?:to|with)\s+"
                        r"(?P<y>[^.;:,()]+?)\s+(?:through|via|over|by)\s", re.I)
"""The other way TS 38.401 says it: "The gNB-CU-UP is connected to the gNB-CU-CP through the E1 interface"."""
_CONNECTS = re.compile(r"\binterfaces?\b|\breference\s+points?\b|^\W*N\d+[a-z]?\s*:", re.I)
"""What a sentence must name to say how two ends connect: the TNL associations "between the gNB-CU-CP and the
gNB-CU-UP pair" are no interface."""
_OPTIONAL_LETTER = re.compile(r"\((\w)\)(?=\w)")
"""A letter a name may go without, "(R)AN" for the RAN or the AN: read as the RAN."""
_WORD = re.compile(r"[\w\-]+")
_GENERIC = frozenset({"node", "function", "entity", "network"})
"""A word a question may add to a node's name that its spec leaves out ("the AMF node"): matched if present,
never required."""


@dataclass(frozen=True)
class AskedLink:
    """The two ends a question asks the connection of, each with its other names (abbreviation, expansion)."""

    a: frozenset[str]
    b: frozenset[str]


def asked_link(question: str, abbreviations: dict[str, str] | None = None) -> AskedLink | None:
    """The ends of a "Which interface connects A and B?" question (`_ASKS_LINK`), or None for any other
    question. `abbreviations` (abbreviation -> expansion, the index's table) gives each end its other name:
    "Data Network" for a question's "DN", "DN" for its "data network"."""
    text = " ".join(question.split())
    for pattern in _ASKS_LINK:
        match = pattern.match(text)
        if match:
            ends = [_names(match[part], abbreviations or {}) for part in ("a", "b")]
            if all(ends):
                return AskedLink(*ends)
    return None


def _names(end: str, abbreviations: dict[str, str]) -> frozenset[str]:
    """An end as asked, without its article, and its other name (`term_lookup.other_name`)."""
    name = normalize_term(end)
    other = other_name(re.sub(r"^(?:(?:a|an|the)\s+)", "", end.strip(), flags=re.I), abbreviations)
    return frozenset(filter(None, (name, normalize_term(other))))


def links(sentence: str, link: AskedLink) -> bool:
    """Whether `sentence` names the interface or reference point between the asked ends, in either order:
    "N6: Reference point between the UPF and a Data Network." for the UPF and a data network, "The gNB-CU-UP
    is connected to the gNB-CU-CP through the E1 interface"; not "Reference point between two SMFs" nor
    "between SMF and I-SMF" for the AMF and the SMF."""
    text = _OPTIONAL_LETTER.sub(r"\1", sentence)
    if not _CONNECTS.search(text):
        return False
    for match in [*_BETWEEN.finditer(text), *_CONNECTED.finditer(text)]:
        x, y = match["x"], match["y"]
        if (_is_end(x, link.a) and _is_end(y, link.b)) or (_is_end(x, link.b) and _is_end(y, link.a)):
            return True
    return False


def _is_end(phrase: str, names: frozenset[str]) -> bool:
    """Whether a phrase after "between" opens with one of an end's names ("the SMF in the visited network"
    is the SMF), plural or not, a generic word of the name ("node") allowed to be missing."""
    words = _WORD.findall(normalize_term(phrase))
    for name in names:
        wanted = _WORD.findall(name)
        required = [w for w in wanted if w not in _GENERIC] or wanted
        head = words[:len(wanted)]
        if [w.removesuffix("s") for w in head[:len(required)]] == [w.removesuffix("s") for w in required]:
            return True
    return False
