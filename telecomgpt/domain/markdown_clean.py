"""Normalize pandoc's GFM output of 3GPP Word files into plain, model-friendly markdown.

pandoc writes complex tables as HTML, math as $`...`$ / ```math fences, headings deeper than six
levels as literal '#######' paragraphs, and keeps image links and table-of-contents anchors. The
rules here turn that into pipe tables, $...$ math, ATX headings and plain text, close to the
Release-19 markdown files 3GPP text also comes in (so cross-format near-duplicates stay near).
A table of one cell is how the Word files box a displayed formula (TS 38.304 §5.2.3.2: "The cell selection
criterion S is fulfilled when:" above a one-cell table "Srxlev > 0 AND Squal > 0"): it becomes its text, a
paragraph, so the formula reads as the end of the sentence that introduces it, not as a table header.
The Release-19 markdown files lost their inline formulas altogether: `mark_lost_formulas` marks the places.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

_TABLE_RE = re.compile(r"<table[\s>].*?</table>", re.S)
_IMAGE_RE = re.compile(r"!\[[^\]]*\]\([^)]*\)(\{[^}]*\})?|<img\b[^>]*>")
_TOC_PAGE_RE = re.compile(r"\s*\[\d+\]\(#[^)]*\)")
_ANCHOR_LINK_RE = re.compile(r"\[([^\]]*)\]\(#[^)]*\)")
_INLINE_MATH_RE = re.compile(r"\$`(.+?)`\$")
_MATH_FENCE_RE = re.compile(r"``` ?math\n(.*?)\n```", re.S)
_INLINE_TAG_RE = re.compile(r"</?(?:sup|sub|span|strong|em|b|i|u|a|div|p|mark|small)\b[^>]*>")
_BR_RE = re.compile(r"<br\s*/?>")
_DEEP_HEADING_RE = re.compile(r"^#{7,}[ \t]*\\?\n((?:.+\n)*)", re.M)
_SETEXT_RE = re.compile(r"^([^\n|#>].*)\n(=+|-+)[ \t]*\n", re.M)
_ONE_CELL_TABLE_RE = re.compile(r"^\|[ \t]*((?:\\\||[^|\n])*[^|\s])[ \t]*\|[ \t]*\n"
                                r"\|[ \t]*:?-{3,}:?[ \t]*\|[ \t]*$(?!\n\|)", re.M)
"""A pipe table of one cell and no body rows, as pandoc writes a boxed formula (and `html_table_to_pipe` an
HTML table of one cell, escaped pipes included)."""
_ESCAPE_RE = re.compile(r"\\([\[\]*_<>#`'\"~-])")
_MATH_OR_CODE_RE = re.compile(r"(\$\$.*?\$\$|\$[^$\n]+\$|```.*?```|`[^`\n]+`)", re.S)


class _TableParser(HTMLParser):
    """Collect the rows and cell texts of an HTML table; nested tables are flattened into their cell."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None
        self._depth = 0

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._depth += 1
        elif tag == "tr" and self._depth == 1:
            self.rows.append([])
        elif tag in ("td", "th") and self._depth == 1:
            self._cell = []
        elif tag in ("br", "p") and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag):
        if tag == "table":
            self._depth -= 1
        elif tag in ("td", "th") and self._depth == 1 and self._cell is not None:
            if not self.rows:
                self.rows.append([])
            self.rows[-1].append(" ".join("".join(self._cell).split()).replace("|", "\\|"))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def html_table_to_pipe(table_html: str) -> str:
    """One HTML table as a GFM pipe table (first row as the header, short rows padded)."""
    parser = _TableParser()
    parser.feed(table_html)
    rows = [row for row in parser.rows if row]
    if not rows:
        return ""
    width = max(len(row) for row in rows)
    lines = ["| " + " | ".join(row + [""] * (width - len(row))) + " |" for row in rows]
    lines.insert(1, "| " + " | ".join(["---"] * width) + " |")
    return "\n".join(lines)


def _deep_heading(match: re.Match) -> str:
    # '######## \\\nAnnex A (informative):\\\nChange history' → '# Annex A (informative): Change history'
    text = " ".join(part.strip().rstrip("\\").strip() for part in match.group(1).splitlines())
    level = "#" if text.startswith("Annex") else "######"
    return f"{level} {text}\n"


LOST_FORMULA = "[…]"
"""Put where a markdown spec lost an inline formula (`mark_lost_formulas`), so no reader takes the sentence
for a whole one."""
_GAP_RE = re.compile(r"[ \t]{2,}(?=\S)")
_GAP_BEFORE_STOP_RE = re.compile(r"(\w)[ \t]+(?=[.,;](?:\s|$))")
_OBJECT_BEFORE_STOP_RE = re.compile(r"\b(is|are|be|to|by|of|with|as|from|than|and|or|where|at|in|for|on|"
                                    r"equals?)[ \t]+(?=[.,;](?:\s|$))", re.I)
"""A word that needs something after it, then a stop: the formula was there ("per subframe is .")."""
_LINE_START_RE = re.compile(r"\s*(?:[-*\u2022]|\w{1,3}[.)]|\d>|NOTE\s*\d*:?)?\s*", re.I)


def mark_lost_formulas(text: str) -> str:
    """`text` with LOST_FORMULA where a formula was: the Release-19 markdown specs are 3GPP's Word files
    with every inline formula dropped, and what is left is two spaces inside a line ("organized into frames
    with  duration, each consisting of ten subframes of  duration") or a space before a stop or comma ("The
    number of consecutive OFDM symbols per subframe is .", "for a given antenna port , subcarrier spacing
    configuration , and transmission direction"). Read as it is, the sentence says something
    else: "frames with duration" leads an answer to how long a subframe is over TS 38.300's "frames with 10
    ms duration, consisting of ten 1 ms subframes". Table rows (empty cells are cells), code and ASN.1
    (aligned columns), list markers and the gap after a sentence's end keep their spaces."""
    out, fenced = [], False
    for line in text.split("\n"):
        if line.lstrip().startswith("```"):
            fenced = not fenced
        if fenced or line.lstrip().startswith(("|", "```")) or "::=" in line:
            out.append(line)
            continue
        start = _LINE_START_RE.match(line).end()
        body = _GAP_RE.sub(lambda m: m.group(0) if m.string[max(0, m.start() - 1)] in ".!?:;"
                           else f" {LOST_FORMULA} ", line[start:])
        # any word before a spaced stop where the line lost a formula already; elsewhere it is mostly a typo
        # ("until the gNB-DU indicates that they are In-Service .")
        before_stop = _GAP_BEFORE_STOP_RE if LOST_FORMULA in body else _OBJECT_BEFORE_STOP_RE
        out.append(line[:start] + before_stop.sub(rf"\1 {LOST_FORMULA}", body))
    return "\n".join(out)


def _unescape_outside_math(text: str) -> str:
    parts = _MATH_OR_CODE_RE.split(text)
    return "".join(part if i % 2 else _ESCAPE_RE.sub(r"\1", part) for i, part in enumerate(parts))


def normalize_pandoc_markdown(text: str) -> str:
    """Apply the rules in the module docstring; idempotent on already-clean markdown."""
    text = _TABLE_RE.sub(lambda m: "\n" + html_table_to_pipe(m.group(0)) + "\n", text)
    text = _ONE_CELL_TABLE_RE.sub(lambda m: m.group(1), text)
    text = _IMAGE_RE.sub("", text)
    text = _TOC_PAGE_RE.sub("", text)
    text = _ANCHOR_LINK_RE.sub(r"\1", text)
    text = _MATH_FENCE_RE.sub(lambda m: "$$" + m.group(1).strip() + "$$", text)
    text = _INLINE_MATH_RE.sub(lambda m: "$" + m.group(1) + "$", text)
    text = _BR_RE.sub(" ", text)
    text = _INLINE_TAG_RE.sub("", text)
    text = re.sub(r"[ \t]*\\$", "", text, flags=re.M)  # pandoc hard line breaks
    text = _DEEP_HEADING_RE.sub(_deep_heading, text)
    # multi-line headings stay setext even with --markdown-headings=atx
    text = _SETEXT_RE.sub(lambda m: ("# " if m.group(2)[0] == "=" else "## ") + m.group(1).strip() + "\n",
                          text)
    text = _unescape_outside_math(text)
    text = html.unescape(text) if "&" in text else text
    text = re.sub(r"^> ?", "", text, flags=re.M)  # cover-page text boxes come out as block quotes
    text = re.sub(r"[ \t]+$", "", text, flags=re.M)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip() + "\n"
