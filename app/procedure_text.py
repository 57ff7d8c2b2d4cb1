"""Units of spec text that must stay together: a procedure step with the steps nested under it, a list stem
with its items.

MAC and RRC procedures are written as nested steps, one a line: "1>when a timeAlignmentTimer expires:" is a
condition, and the "2>"/"3>" lines under it are what happens then. Cut between them, a quote shows the
condition without its actions (or an action without the condition it belongs to). Likewise "The MAC sublayer
supports the following functions:" says nothing without the items after it. `units` groups a text's parts
(its lines or paragraphs, in order) so that a head keeps what belongs to it:

  - a step "k>..." owns the lines after it that are nested deeper (k+1>, k+2>, ...), and the list items under
    it when it ends with ":";
  - a stem (a plain part ending with ":") owns the list items and steps right after it, or the formula right
    after it (`displayed`: TS 38.304's "The cell selection criterion S is fulfilled when:" and the line
    "Srxlev > 0 AND Squal > 0" after it are one statement);
  - a condition written over several lines at one depth ("1>if A; and" / "1>if B:") is one head;
  - a label (a name alone in bold or italics: "**acceptable cell:**", "a) *t-PollRetransmit*") owns the one
    paragraph after it, which says what the name is ("This timer is used by the transmitting side ...").

A unit longer than `max_chars` is cut at its children: the head keeps as many whole children as fit, then
the first part of the next one (recursively), so a long procedure still reads as conditions with actions; a
condition whose first action does not fit keeps the chain down to it anyway (a unit may then be longer).
The chunker (app.chunks.split_text) and the sentence splitter of stored text (app.sentences.split_sentences)
both use it.
"""

from __future__ import annotations

import re

from app.source_rules import CAPTION_LINE

STEP = re.compile(r"^\s*(\d)>")
"""A nested procedure step, "1>" to "9>" at the start of a line (TS 38.321, TS 38.331)."""
ITEM = re.compile(r"^\s*(?:[-\u2022](?!-)|\*(?![*\s]*\*)|\d{1,2}[.)]\s|\(?[a-z]\)\s)")
"""A list item: "-text" (the Release-19 markdown has no space), "- text", "• text", "1. text", "a) text"."""
CONTINUED = re.compile(r"\b(?:and|or)\s*$")
"""A condition that goes on at the same depth ("1>if the timer is running; and"); a step ending in ";" is
an action, a sibling of the next one."""
_ITEM_LEVEL = 10
Node = tuple[list[str], list]


def steps(text: str) -> list[str]:
    """The lines of a procedure, one step each, whether it is written a step a line or joined onto one line
    (a unit quoted as one sentence: "1>when ...: 2>if ...; or 2>if ...: 3>flush ...")."""
    return re.split(r"\n|\s+(?=\d>)", text)


def level(part: str) -> int:
    """1-9 for a procedure step (its depth), _ITEM_LEVEL for a list item, 0 for plain text."""
    match = STEP.match(part)
    if match:
        return int(match.group(1))
    return _ITEM_LEVEL if ITEM.match(part) else 0


def is_marked(part: str) -> bool:
    """Whether a line starts a step or a list item (it then starts a new part, never a wrapped line)."""
    return level(part) > 0


_LABEL = (r"^[ \t]*(?:\(?[a-z0-9]{1,2}\\?\)[ \t]*)?(?P<mark>\*{1,2})(?P<name>[^*:\n]{1,80}?)"
          r"(?::(?P=mark)|(?P=mark):?)[ \t]*")
PARAGRAPH_LABEL = re.compile(_LABEL + "$")
"""A part that is only a name in bold or italics, with or without a list letter or a colon: the label of the
paragraph after it, as the Word specs write a definition or a timer ("**acceptable cell:**" above 'An
"acceptable cell" is a cell on which ...', TS 38.304 §4.5; "a\\) *t-PollRetransmit*" above "This timer is
used by the transmitting side of an AM RLC entity in order to retransmit a poll", TS 38.322 §7.3)."""
_SENTENCE_START = r"[\"\u201c]?[A-Z]"
"""How a paragraph of prose starts (a capital, maybe after an opening quote)."""
LABELLED = re.compile(_LABEL + rf"\n[ \t]*\n[ \t]*(?={_SENTENCE_START})", re.M)
"""A label followed by its paragraph, in a chunk's text (`Glossary` reads the names it defines)."""


def labelled(label: str) -> str:
    """A label as the head of the definition line it starts, list letter left out: "*t-PollRetransmit*:",
    "**acceptable cell:**" (app.term_lookup reads "name: text" as a definition line)."""
    match = PARAGRAPH_LABEL.match(label)
    mark, name = match["mark"], match["name"].strip()
    return f"{mark}{name}:{mark}" if label.rstrip().endswith(f":{mark}") else f"{mark}{name}{mark}:"


DISPLAYED_CHARS = 200
"""Longest line read as a displayed formula (`displayed`)."""


def displayed(part: str) -> bool:
    """Whether a plain part is a displayed formula or expression: one short line that is no sentence (it ends
    in no ".", ";" or ":"), no table row, heading, label or caption ("Srxlev > 0 AND Squal > 0"). A stem owns
    it only right after itself: after a list's items, "Figure 4.2.1.3.1-1: Model of an acknowledged mode
    entity" was read as one."""
    text = part.strip()
    return (0 < len(text) <= DISPLAYED_CHARS and "\n" not in text and level(text) == 0
            and not text.startswith(("|", "#")) and not re.search(r"[.;:]$", text)
            and not PARAGRAPH_LABEL.match(text) and not CAPTION_LINE.match(text))


def _prose(part: str) -> bool:
    """Whether a part is a paragraph of prose: plain text that starts as a sentence does. Not the ASN.1 under
    a message's name in TS 38.331 ("*MasterInformationBlockSidelink*" above "-- ASN1START")."""
    return level(part) == 0 and bool(re.match(_SENTENCE_START, part.lstrip()))


def _owns(head: str, head_level: int, part_level: int) -> bool:
    if head_level == 0:  # a stem: only when it ends with ":", its items and steps
        return head.rstrip().endswith(":") and part_level > 0
    if head_level == _ITEM_LEVEL:
        return False
    if part_level == _ITEM_LEVEL:
        return head.rstrip().endswith(":")
    return head_level < part_level < _ITEM_LEVEL


def _node(parts: list[str], i: int) -> tuple[Node, int]:
    head, depth = [parts[i]], level(parts[i])
    i += 1
    if PARAGRAPH_LABEL.match(head[0]):  # a label owns the one paragraph after it (and what that owns)
        if i < len(parts) and _prose(parts[i]) and not PARAGRAPH_LABEL.match(parts[i]):
            child, i = _node(parts, i)
            return (head, [child]), i
        return (head, []), i
    while (0 < depth < _ITEM_LEVEL and i < len(parts) and CONTINUED.search(head[-1])
           and level(parts[i]) == depth):
        head.append(parts[i])
        i += 1
    children = []
    if depth == 0 and head[-1].rstrip().endswith(":") and i < len(parts) and displayed(parts[i]):
        children.append(([parts[i]], []))  # the formula right after the sentence introducing it
        i += 1
    while i < len(parts) and _owns(head[-1], depth, level(parts[i])):
        child, i = _node(parts, i)
        children.append(child)
    return (head, children), i


def _bare(parts: list[str]) -> bool:
    """Whether a unit ends in a condition or stem (":") or a label with nothing after it."""
    return parts[-1].rstrip().endswith(":") or bool(PARAGRAPH_LABEL.match(parts[-1]))


def _parts(node: Node) -> list[str]:
    head, children = node
    return head + [p for child in children for p in _parts(child)]


def _size(parts: list[str]) -> int:
    return sum(len(p) for p in parts) + max(0, len(parts) - 1)


def _flatten(node: Node, max_chars: int) -> list[list[str]]:
    parts = _parts(node)
    head, children = node
    if _size(parts) <= max_chars or not children:
        return [parts]
    unit, out = list(head), []
    for k, child in enumerate(children):
        whole = _parts(child)
        if _size(unit + whole) <= max_chars:
            unit += whole
            continue
        # the first child that does not fit: its own first unit joins the head when there is room for it and
        # it does not end in a bare condition (which would then show without its actions)
        room = max_chars - _size(unit) - 1
        pieces = _flatten(child, room) if room > 0 else []
        if pieces and _size(pieces[0]) <= room and not _bare(pieces[0]):
            unit += pieces[0]
            pieces = pieces[1:]
        else:
            pieces = _flatten(child, max_chars)
            if _bare(unit) and pieces and not _bare(pieces[0]):
                # a condition never stands alone: it keeps the chain down to its first action, even when
                # that is longer than max_chars
                unit += pieces[0]
                pieces = pieces[1:]
        out = [unit, *pieces]
        for later in children[k + 1:]:
            out += _flatten(later, max_chars)
        return out
    return [unit]


def owned(parts: list[str], i: int) -> list[str]:
    """Part i with what belongs to it, in order: a step with the steps nested under it (and, for a condition
    over several lines, "1>if A; or" / "1>if B:", the lines that go on with it), a stem with its items."""
    node, _ = _node(parts, i)
    return _parts(node)


def units(parts: list[str], max_chars: int) -> list[list[str]]:
    """Consecutive groups of `parts` (lines or paragraphs in reading order) that keep a procedure step with
    its nested steps and a list stem with its items, each at most `max_chars` (joined by one character)
    unless a single part is longer. Every part is in exactly one group, in order."""
    return [unit for _, unit in headed_units(parts, max_chars)]


def headed_units(parts: list[str], max_chars: int) -> list[tuple[list[str], list[str]]]:
    """`units`, each with the heads above it where it was cut off a longer procedure and starts with a step:
    the stem and conditions it sits under, in order ([] for the others). Repeated before it, they make it read
    as a statement of its own: "The MAC entity shall: 1>if ... at least one BSR has been triggered and not
    cancelled: 2>if UL-SCH resources are available ...: 3>start or restart retxBSR-Timer." rather than
    "3>start or restart retxBSR-Timer." (TS 38.321 §5.4.5). The quoted sentences
    (app.sentences.split_sentences) always repeat them, the chunker where a chunk starts with the group.
    A list's later items get no heads: every piece of a long list would read as the stem's statement, and
    the one with its first items is the answer to "What does X do?"."""
    out: list[tuple[list[str], list[str]]] = []
    i = 0
    while i < len(parts):
        node, i = _node(parts, i)
        chains, start = _heads_above(node), 0
        for k, piece in enumerate(_flatten(node, max_chars)):
            # a piece lies in one subtree, so the heads above its first part are above all of it
            heads = [part for head in chains[start] for part in head] if k and STEP.match(piece[0]) else []
            out.append((heads, piece))
            start += len(piece)
    return out


def _heads_above(node: Node, above: tuple[list[str], ...] = ()) -> list[tuple[list[str], ...]]:
    """For each part of `node`, in order, the heads of the nodes above it."""
    head, children = node
    below = [chain for child in children for chain in _heads_above(child, (*above, head))]
    return [above] * len(head) + below
