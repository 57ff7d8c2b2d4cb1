"""Units of spec text that must stay together: a procedure step with the steps nested under it, a list stem
with its items.

MAC and RRC procedures are written as nested steps, one a line: "1>when a timeAlignmentTimer expires:" is a
condition, and the "2>"/"3>" lines under it are what happens then. Cut between them, a quote shows the
condition without its actions (or an action without the condition it belongs to). Likewise "The MAC sublayer
supports the following functions:" says nothing without the items after it. `units` groups a text's parts
(its lines or paragraphs, in order) so that a head keeps what belongs to it:

  - a step "k>..." owns the lines after it that are nested deeper (k+1>, k+2>, ...), and the list items under
    it when it ends with ":";
  - a stem (a plain part ending with ":") owns the list items and steps right after it;
  - a condition written over several lines at one depth ("1>if A; and" / "1>if B:") is one head.

A unit longer than `max_chars` is cut at its children: the head keeps as many whole children as fit, then
the first part of the next one (recursively), so a long procedure still reads as conditions with actions; a
condition whose first action does not fit keeps the chain down to it anyway (a unit may then be longer).
The chunker (app.chunks.split_text) and the sentence splitter of stored text (app.sentences.split_sentences)
both use it.
"""

from __future__ import annotations

import re

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
    while (0 < depth < _ITEM_LEVEL and i < len(parts) and CONTINUED.search(head[-1])
           and level(parts[i]) == depth):
        head.append(parts[i])
        i += 1
    children = []
    while i < len(parts) and _owns(head[-1], depth, level(parts[i])):
        child, i = _node(parts, i)
        children.append(child)
    return (head, children), i


def _bare(parts: list[str]) -> bool:
    """Whether a unit ends in a condition or stem (":") with nothing after it."""
    return parts[-1].rstrip().endswith(":")


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
    out: list[list[str]] = []
    i = 0
    while i < len(parts):
        node, i = _node(parts, i)
        out += _flatten(node, max_chars)
    return out
