"""3GPP specs → one document per clause (or per spec), with spec/version/release/working-group metadata.

Clause-level documents let the dedup stages see the same clause across releases and formats
(Release-18 .docx vs Release-19 .md), and let boilerplate clauses (cover page, change history) be
dropped as a unit with their own reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from datatrove.data import Document

from telecomgpt.domain.tgpp import read_spec

# Whole clauses that are not technical text: the front matter (cover page, copyright, foreword,
# table of contents) and the change-history annex.
BOILERPLATE_TITLES = re.compile(r"^(change history|foreword|contents)$", re.I)


class Skip(Exception):
    """A whole input (or part) deliberately not used; the message is the reason (goes to excluded/)."""


def boilerplate_reason(number: str, title: str) -> str | None:
    if not number:
        return "front_matter"
    if BOILERPLATE_TITLES.match(title.strip()):
        return "change_history" if "history" in title.lower() else "front_matter"
    return None


def read_3gpp(path: str, mode: str = "clause") -> Iterator[Document]:
    info, clauses = read_spec(path)
    base = {"source": "3gpp", "path": path, "spec": info.spec, "version": info.version,
            "release": info.release,
            "series": info.series, "working_group": info.working_group, "spec_kind": info.kind,
            "title": info.title}
    name = f"{info.kind or ''} {info.spec}".strip() or path.rsplit("/", 1)[-1]
    if mode == "document":
        text = "\n\n".join(f"{'#' * max(c.level, 1)} {c.heading}\n\n{c.text}" if c.number else c.text
                           for c in clauses)
        yield Document(text=text, id=f"3gpp/{name}/v{info.version}", metadata=base)
        return
    for index, clause in enumerate(clauses):
        if not clause.text.strip():
            continue  # a heading with no body of its own (its sub-clauses carry the text)
        heading = f"{name} clause {clause.heading}" if clause.number else f"{name} front matter"
        metadata = dict(base, clause=clause.number, clause_title=clause.title,
                        boilerplate=boilerplate_reason(clause.number, clause.title))
        yield Document(text=f"# {heading}\n\n{clause.text}", id=f"3gpp/{name}/v{info.version}/{index:05d}",
                       metadata=metadata)
