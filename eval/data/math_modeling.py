"""Telecom math modeling (TelecomGPT's task): fill the equation masked in system-model text.

Sources: 3GPP markdown with LaTeX (`$$lhs = rhs$$` display equations, with the paragraph before and the
"where ..." paragraph after as context) and paper text (arXiv abstracts with an inline `$lhs = rhs$`).
The right-hand side becomes `<MASK>`; the model must write it back.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

from eval.data.corpus import corpus_dir, specs_dir
from eval.data.store import Built, Malformed
from telecomgpt.domain.equations import DISPLAY_MATH, inline_math, split_equation
from telecomgpt.domain.keys import stable_key
from telecomgpt.domain.tgpp import to_markdown
from telecomgpt.errors import UserError

VERSION = "2"
MAX_SPEC_ITEMS = 150
_INLINE = inline_math(3, 160, one_line=False)  # abstracts hard-wrap inside equations


def _spec_sources(options: dict | None) -> list[Path]:
    if (options or {}).get("specs_dir"):
        folder = specs_dir(options)
    else:
        folder = (corpus_dir() or Path("corpus")) / "3gpp" / "tr-library"
    if not folder.is_dir():
        raise UserError(f"3GPP markdown folder not found: {folder}", hint="pass --specs-dir")
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".md", ".docx", ".zip")
                  and p.is_file())


def _papers_file(options: dict | None) -> Path | None:
    chosen = (options or {}).get("papers_file")
    path = Path(chosen) if chosen else (corpus_dir() or Path("corpus")) / "arxiv" / "arxiv-abstracts.jsonl.gz"
    return path if path.is_file() else None


def find_inputs(data_dir: Path, options: dict | None = None) -> list[Path]:
    papers = _papers_file(options)
    return _spec_sources(options) + ([papers] if papers else [])


def _from_markdown(path: Path, text: str) -> list[dict]:
    items = []
    for match in DISPLAY_MATH.finditer(text):
        parts = split_equation(" ".join(match.group(1).split()))
        if not parts:
            continue
        window = re.sub(r"<!--.*?-->", "", text[max(0, match.start() - 700): match.start()])
        before = ([p.strip() for p in window.split("\n\n") if p.strip()] or [""])[-1]
        after = text[match.end(): match.end() + 500].strip().split("\n\n")[0].strip()
        context = f"{before}\n\n$${parts[0]} = <MASK>$$\n\n{after}".strip()
        items.append({"id": f"{path.name}:{match.start()}", "context": context, "target": parts[1],
                      "source": path.name, "category": "3GPP"})
    return items


def _from_papers(path: Path, malformed: list[Malformed]) -> list[dict]:
    items = []
    opened = gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else path.open(encoding="utf-8")
    with opened as handle:
        for number, line in enumerate(handle, start=1):
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                malformed.append(Malformed(path.name, f"line {number}", f"JSONDecodeError: {exc}"[:200]))
                continue
            abstract = str(record.get("abstract") or "")
            for match in _INLINE.finditer(abstract):
                parts = split_equation(match.group(1))
                if parts and re.search(r"[A-Za-z]", parts[0]) and not re.search(r"\d\.\d", parts[1]):
                    context = abstract[:match.start()] + f"${parts[0]} = <MASK>$" + abstract[match.end():]
                    items.append({"id": f"arxiv:{record.get('id', number)}:{match.start()}",
                                  "context": context.strip(),
                                  "target": parts[1], "source": f"arXiv {record.get('id', '')}",
                                  "category": "papers"})
                    break
    return items


def build(data_dir: Path, options: dict | None = None) -> Built:
    items, malformed = [], []
    specs = _spec_sources(options)
    for path in specs:
        try:
            items += _from_markdown(path, to_markdown(path))
        except (UserError, ValueError, OSError) as exc:
            malformed.append(Malformed(path.name, "file", f"{type(exc).__name__}: {exc}"[:200]))
    items.sort(key=lambda item: stable_key(item["id"]))
    items = items[:MAX_SPEC_ITEMS]
    papers = _papers_file(options)
    if papers:
        items += _from_papers(papers, malformed)
    return Built({"test.jsonl": items}, specs + ([papers] if papers else []), malformed)
