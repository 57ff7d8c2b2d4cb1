"""Releases in questions and in indexes: "in Release 17", "Rel-18", "R17" pin retrieval to that release.

3GPP answers change between releases, so a question that names one is answered from that release's chunks
when the index holds it, and says which release it used when it does not.
"""

from __future__ import annotations

import re
from collections import Counter

_NAMED = re.compile(r"\b(?:release|rel)[\s.-]*(\d{1,2})\b|\bR(\d{2})\b", re.I)
FIRST, LAST = 8, 25
"""Releases a question can name (Rel-8 started LTE; later ones are welcome): "R2" or "release 3" in other
senses are left alone."""


def release_named(text: str) -> int | None:
    """The release a question names ("What changed in Rel-18?" -> 18), or None (also when it names two)."""
    found = {int(a or b) for a, b in _NAMED.findall(text)}
    found = {r for r in found if FIRST <= r <= LAST}
    return found.pop() if len(found) == 1 else None


_TAG = re.compile(r"\s*[\[(]\s*(?:3GPP\s+)?(?:release|rel)[\s.-]*\d{1,2}\s*[\])]\s*$", re.I)


def without_release_tag(text: str) -> str:
    """`text` without a trailing bracketed release ("What is an acceptable cell? [3GPP Release 17]" -> "What
    is an acceptable cell?"): a tag that scopes the question, which `release_named` reads as the release to
    search. Left in, its words are matched as if they were the topic (cover pages and the release
    numbering clauses rank first) and the question's form ("What is X?") is no longer read. A release named
    in the sentence itself ("What changed in Rel-18?") may be the topic and stays."""
    return _TAG.sub("", text)


def releases_of(records: list[dict]) -> list[int]:
    """The 3GPP releases an index's chunks come from, ascending (chunks without one are left out)."""
    return sorted({int(r["release"]) for r in records if r.get("release")})


def release_note(named: int, held: list[int]) -> str:
    """What the answer says when the question names a release the index does not hold."""
    have = ", ".join(f"Release {r}" for r in held) or "no release-tagged specifications"
    return (f"Note: this index holds no Release {named} specifications ({have}); the sources below are "
            "from the releases it holds.\n\n")


def other_release_note(named: int, sources: list[dict]) -> str:
    """What the answer says when a question names a release the index holds, but not for every spec among
    the sources: which sources are from which other release."""
    others = sorted({(m.get("kind") or "TS", m.get("spec"), m.get("release")) for m in sources
                     if m.get("spec") and m.get("release") and int(m["release"]) != named})
    if not others:
        return ""
    listed = ", ".join(f"{kind} {spec} (Release {release})" for kind, spec, release in others)
    return (f"Note: this index holds no Release {named} version of {listed}; those sources are from the "
            "release it holds.\n\n")


def index_contents(records: list[dict]) -> list[dict]:
    """One row per indexed file: kind (TS/TR), spec, version, release, chunk count, sorted by spec."""
    counts = Counter((r.get("kind") or "", r.get("spec") or "", r.get("version") or "", r.get("release") or 0,
                      r.get("source", "")) for r in records)
    rows = [{"kind": kind, "spec": spec, "version": version, "release": release or None, "chunks": n,
             "file": source} for (kind, spec, version, release, source), n in counts.items()]
    return sorted(rows, key=lambda row: (row["spec"] == "", row["spec"], row["file"]))
