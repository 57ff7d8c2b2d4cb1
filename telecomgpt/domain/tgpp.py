"""3GPP specification helpers: names → spec/version/release/working group, documents → clauses.

Other packages (the RAG index, the SFT/DPO builders, the working-group classification task) import
this module; its public API is fixed in the project contracts:

    spec_info(path_or_name) -> SpecInfo
    to_markdown(path) -> str                       (docx/zip/md; pandoc output cached by content hash)
    split_clauses(markdown) -> list[Clause]
    read_spec(path) -> (SpecInfo, list[Clause])
    find_abbreviations(clauses), find_definitions(clauses) -> dict[str, str]
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from telecomgpt.domain.tgpp_clauses import Clause, split_clauses
from telecomgpt.domain.tgpp_glossary import find_abbreviations, find_definitions
from telecomgpt.domain.tgpp_markdown import SpecFileError, to_markdown

__all__ = [
    "Clause", "SpecFileError", "SpecInfo", "WORKING_GROUPS", "decode_version", "find_abbreviations",
    "find_definitions", "read_spec", "spec_info", "split_clauses", "to_markdown", "working_group",
]

# Responsible working group by spec number, longest matching prefix of the 5-digit number wins.
# Sources: the 3GPP specification numbering scheme (series = first two digits; in the radio series
# the hundreds digit names the RAN group: 1xx RAN4, 2xx RAN1, 3xx RAN2, 4xx RAN3, 5xx RAN5), and the
# responsible-group field of the spec pages for the exceptions below. 8xx/9xx numbers are study
# reports (TRs) owned by the TSG as a whole unless listed.
WORKING_GROUPS: dict[str, str] = {
    "21": "SA",  # requirements, vocabulary (21.905), working methods
    "22": "SA1", "23": "SA2", "24": "CT1", "26": "SA4", "27": "CT3", "28": "SA5", "29": "CT4",
    "31": "CT6", "32": "SA5", "33": "SA3", "34": "RAN5", "35": "SA3",
    "43": "RAN6", "44": "RAN6", "45": "RAN6",
    # UTRA, LTE, multi-RAT and NR radio series
    "25": "RAN", "251": "RAN4", "252": "RAN1", "253": "RAN2", "254": "RAN3",
    "36": "RAN", "361": "RAN4", "362": "RAN1", "363": "RAN2", "364": "RAN3", "365": "RAN5",
    "37": "RAN", "371": "RAN4", "372": "RAN1", "373": "RAN2", "374": "RAN3", "375": "RAN5",
    "38": "RAN", "381": "RAN4", "382": "RAN1", "383": "RAN2", "384": "RAN3", "385": "RAN5",
    "38843": "RAN1", "38901": "RAN1",  # AI/ML air-interface study, channel model TR
    # Service-based and policy interfaces that CT3 (not CT4) is responsible for
    "29122": "CT3", "29212": "CT3", "29213": "CT3", "29214": "CT3", "29215": "CT3",
    "29512": "CT3", "29513": "CT3", "29514": "CT3", "29517": "CT3", "29520": "CT3", "29521": "CT3",
    "29522": "CT3", "29523": "CT3", "29525": "CT3", "29554": "CT3", "29591": "CT3",
}

# "38211-i10", "38101-1-i10", "38.211_PHY-Channels_j30", "TS 38.211 V18.1.0", "21905-h20"
_NAME_RE = re.compile(r"(?<![\d.])(\d{2})\.?(\d{3})((?:-\d{1,2})?)"  # series, number, part
                      r"(?:[-_ ](?:[\w-]*?_)?([0-9a-z]{3})(?![0-9a-z]))?")  # version code
_TEXT_HEAD_RE = re.compile(r"3GPP\s+(TS|TR)\s+(\d{2}\.\d{3}(?:-\d{1,2})?)\s+V(\d+\.\d+\.\d+)")
_RELEASE_RE = re.compile(r"\(Release\s+(\d+)\)")


@dataclasses.dataclass
class SpecInfo:
    """What a 3GPP document is. `spec` is "" and the rest None when the name carries no spec number."""

    spec: str  # "38.211", "38.101-1"
    version: str | None  # "18.1.0"
    release: int | None  # 18 (the version's major number)
    series: str | None  # "38"
    working_group: str | None  # "RAN1"; None for series not in WORKING_GROUPS
    kind: str | None  # "TS" or "TR"
    title: str | None = None  # filled by read_spec from the cover page


def decode_version(code: str) -> str:
    """`i10` → "18.1.0": 3GPP writes each field as one character, 0-9 then a-z for 10-35."""
    if len(code) != 3:
        raise ValueError(f"3GPP version code must have 3 characters: {code!r}")
    return ".".join(str(int(char, 36)) for char in code.lower())


def working_group(spec: str) -> str | None:
    """Responsible working group of "38.211" / "38.101-1" from WORKING_GROUPS (longest prefix)."""
    digits = spec.split("-")[0].replace(".", "")
    for length in range(len(digits), 1, -1):
        if digits[:length] in WORKING_GROUPS:
            return WORKING_GROUPS[digits[:length]]
    return None


def spec_info(path_or_name: str | Path) -> SpecInfo:
    """Decode a file name or spec string ("38211-i10.docx", "38.321_MAC_j20.md", "TS 38.211 V18.1.0")."""
    name = Path(str(path_or_name)).name
    head = _TEXT_HEAD_RE.search(name)
    if head:
        return _info(head.group(2), head.group(3), head.group(1))
    match = _NAME_RE.search(name)
    if not match:
        return SpecInfo("", None, None, None, None, None)
    spec = f"{match.group(1)}.{match.group(2)}{match.group(3)}"
    version = decode_version(match.group(4)) if match.group(4) else None
    return _info(spec, version, None)


def _info(spec: str, version: str | None, kind: str | None) -> SpecInfo:
    # Study reports are numbered x.8xx / x.9xx (and 21.9xx); everything else is a TS.
    kind = kind or ("TR" if spec[3] in "89" else "TS")
    release = int(version.split(".")[0]) if version else None
    return SpecInfo(spec, version, release, spec[:2], working_group(spec), kind)


def read_spec(path: str | Path) -> tuple[SpecInfo, list[Clause]]:
    """Convert and split a spec; the cover page supplies the title (and the number when the name lacks it)."""
    markdown = to_markdown(path)
    clauses = split_clauses(markdown)
    info = spec_info(path)
    cover = markdown[:6000]
    head = _TEXT_HEAD_RE.search(cover)
    if head and (not info.spec or head.group(2) == info.spec):
        from_text = _info(head.group(2), head.group(3), head.group(1))
        info = dataclasses.replace(from_text, version=info.version or from_text.version,
                                   release=info.release or from_text.release)
    elif info.spec and info.release is None and (release := _RELEASE_RE.search(cover)):
        info.release = int(release.group(1))
    info.title = _cover_title(cover)
    return info, clauses


def _cover_title(cover: str) -> str | None:
    """The title: the cover-page parts between '3rd Generation Partnership Project;' and '(Release N)'."""
    start = cover.find("Generation Partnership Project;")
    end = _RELEASE_RE.search(cover, max(start, 0))
    if start < 0 or not end:
        return None
    block = cover[start + len("Generation Partnership Project;"): end.start()]
    block = re.sub(r"<[^>]+>|\|", " ", block)
    parts = [p.strip(" *\\\n\t") for p in re.split(r"[;\n]", block)]
    parts = [p for p in parts if p and not p.startswith("Technical Specification Group")]
    return "; ".join(parts) or None
