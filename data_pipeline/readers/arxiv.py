"""arXiv: metadata snapshot JSONL(.gz) (title + abstract), LaTeX sources (.tex, .tar.gz) and PDFs (pypdf)."""

from __future__ import annotations

import gzip
import json
import re
import tarfile
from collections.abc import Iterator
from pathlib import Path

from datatrove.data import Document

from telecomgpt.domain.tgpp import SpecFileError

_LATEX_COMMENT = re.compile(r"(?<!\\)%.*$", re.M)
_LATEX_DROP_ENVS = re.compile(r"\\begin\{(figure|table|thebibliography|tikzpicture)\*?\}.*?\\end\{\1\*?\}",
                              re.S)
_LATEX_DROP_CMDS = re.compile(r"\\(label|ref|eqref|cite[pt]?|bibliographystyle|bibliography|includegraphics|"
                              r"input|include)(\[[^\]]*\])?\{[^}]*\}")


def read_arxiv_jsonl(path: str) -> Iterator[Document]:
    """The public arXiv metadata snapshot schema: id, title, abstract, categories, authors, update_date."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise SpecFileError(f"invalid JSON at line {line_no} ({exc.msg})") from None
            title = " ".join(str(record.get("title", "")).split())
            abstract = " ".join(str(record.get("abstract", "")).split())
            yield Document(text=f"{title}\n\n{abstract}".strip(), id=f"arxiv/{record.get('id', line_no)}",
                           metadata={"source": "arxiv", "path": path, "arxiv_id": record.get("id"),
                                     "categories": record.get("categories"),
                                     "date": record.get("update_date")})


def latex_to_text(source: str) -> str:
    """Body text of a LaTeX paper: preamble, comments, figures/tables and reference commands removed,
    math kept as LaTeX (the tokenizer sees the formulas the way papers write them)."""
    start = source.find("\\begin{document}")
    body = source[start + len("\\begin{document}"):] if start >= 0 else source
    body = body.split("\\end{document}")[0]
    body = _LATEX_COMMENT.sub("", body)
    body = _LATEX_DROP_ENVS.sub("", body)
    body = _LATEX_DROP_CMDS.sub("", body)
    body = re.sub(r"\\(section|subsection|subsubsection)\*?\{([^}]*)\}", r"\n## \2\n", body)
    return re.sub(r"\n{3,}", "\n\n", body).strip()


def read_latex(path: str) -> Document:
    if path.endswith(".tex"):
        raw = Path(path).read_bytes()
        sources = {Path(path).name: raw}
    else:
        try:
            with tarfile.open(path, "r:gz") as archive:
                sources = {m.name: archive.extractfile(m).read() for m in archive.getmembers()
                           if m.isfile() and m.name.endswith(".tex")}
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise SpecFileError(f"corrupted tar.gz ({exc})") from None
        if not sources:
            raise SpecFileError("no .tex file in the archive")
    try:
        texts = {name: data.decode("utf-8") for name, data in sources.items()}
    except UnicodeDecodeError as exc:
        raise SpecFileError(f"not UTF-8 LaTeX ({exc.reason})") from None
    # the main file declares the document class; the others are \input into it (appended here)
    main = sorted(texts, key=lambda name: ("\\documentclass" not in texts[name], name))
    text = "\n\n".join(latex_to_text(texts[name]) for name in main)
    if not text.strip():
        raise SpecFileError("LaTeX without body text")
    return Document(text=text, id=f"arxiv-latex/{Path(path).name}",
                    metadata={"source": "arxiv", "path": path})


def read_pdf(path: str) -> Document:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        pages = [page.extract_text() or "" for page in PdfReader(path).pages]
    except (PdfReadError, OSError, ValueError, KeyError) as exc:
        raise SpecFileError(f"unreadable PDF ({exc})") from None
    text = "\n\n".join(pages).strip()
    if not text:
        raise SpecFileError("PDF without extractable text (scanned?)")
    return Document(text=text, id=f"arxiv-pdf/{Path(path).name}", metadata={"source": "arxiv", "path": path})
