"""Code instruction examples from source repositories: code -> docstring, docstring -> code, infilling.

Functions come from `telecomgpt.domain.code_functions`, the same files and the same function boundaries the
code evaluation uses, so decontamination compares like with like. Only functions of a useful size with a
real doc are kept; a method is moved to column 0.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from finetune.data.records import Example, pick
from telecomgpt.domain.code_functions import CodeFunction, code_files, go_functions, python_functions
from telecomgpt.domain.keys import stable_hash

MIN_LINES, MAX_LINES = 4, 60
MIN_DOC_CHARS = 30


@dataclass
class Function:
    """One documented function: its code without the doc, the doc, and the full code."""

    name: str
    signature: str
    doc: str
    bare: str
    full: str
    lang: str
    file: str


def _usable(fn: CodeFunction, file: str) -> Function | None:
    """The example-sized functions: a doc of MIN_DOC_CHARS, MIN_LINES-MAX_LINES lines with and without it."""
    bare = fn.text(doc=False)
    if not fn.name or len(fn.doc) < MIN_DOC_CHARS or not MIN_LINES <= fn.size <= MAX_LINES \
            or bare.count("\n") + 1 < MIN_LINES:
        return None
    return Function(fn.name, fn.signature, fn.doc, bare, fn.text(), fn.lang, file)


def repo_functions(paths: list[str]) -> Iterator[Function]:
    """Documented functions of every Python and Go code file under `paths`, in a stable order."""
    for raw in paths:
        root = Path(raw)
        base = root if root.is_dir() else root.parent
        for path in code_files(root):
            source = path.read_text(errors="replace")
            try:
                found = python_functions(source) if path.suffix == ".py" else go_functions(source)
            except (SyntaxError, ValueError):  # not parseable Python: nothing to learn from
                continue
            for fn in found:
                usable = _usable(fn, f"{base.name}/{path.relative_to(base)}")
                if usable:
                    yield usable


DOC_QUESTIONS = ("Write a concise documentation comment for this {lang} function from "
                 "{repo}:\n```{lang}\n{code}\n```",
                 "Explain what the following {lang} function from {repo} does, as a "
                 "docstring:\n```{lang}\n{code}\n```")
CODE_QUESTIONS = ("Write the {lang} function `{sig}` for {repo}. It should do the following:\n{doc}",
                  "Implement `{sig}` in {lang} ({repo}) according to this description:\n{doc}")
INFILL_QUESTION = ("Fill in the code marked <FILL> in this {lang} function from {repo}. Answer with the "
                   "missing line(s) only.\n```{lang}\n{code}\n```")


def code_examples(paths: list[str]) -> Iterator[Example]:
    """code_docstring, docstring_code and code_infill examples from every documented function."""
    for fn in repo_functions(paths):
        repo = fn.file.split("/")[0]
        meta = {"file": fn.file, "function": fn.name, "lang": fn.lang}
        fmt = {"lang": fn.lang, "repo": repo, "sig": fn.signature, "doc": fn.doc}
        yield Example("code_docstring", pick(DOC_QUESTIONS, fn.full).format(code=fn.bare, **fmt), fn.doc,
                      meta, key=f"doc:{stable_hash(fn.bare)}")
        yield Example("docstring_code", pick(CODE_QUESTIONS, fn.full).format(**fmt),
                      f"```{fn.lang}\n{fn.full if fn.lang == 'python' else fn.bare}\n```", meta,
                      key=f"code:{stable_hash(fn.full)}")
        infill = _infill(fn.bare)
        if infill:
            masked, missing = infill
            yield Example("code_infill", INFILL_QUESTION.format(code=masked, **fmt), missing, meta,
                          key=f"infill:{stable_hash(masked)}")


def _infill(code: str) -> tuple[str, str] | None:
    """Mask 1-3 consecutive substantive lines in the body (chosen from the code's hash)."""
    lines = code.splitlines()
    header = next((i for i, line in enumerate(lines) if line.lstrip().startswith(("def ", "async def ",
                                                                                  "func "))), 0)
    candidates = [i for i in range(header + 1, len(lines) - 1)
                  if len(lines[i].strip()) >= 12 and not lines[i].strip().startswith(("#", "//"))]
    if not candidates:
        return None
    start = candidates[stable_hash(code) % len(candidates)]
    span = 1 + stable_hash(code[::-1]) % 3
    end = start + 1
    while end < min(start + span, len(lines) - 1) and lines[end].strip():
        end += 1
    indent = lines[start][: len(lines[start]) - len(lines[start].lstrip())]
    missing = textwrap.dedent("\n".join(lines[start:end])).strip("\n")
    masked = "\n".join(lines[:start] + [indent + "<FILL>"] + lines[end:])
    return masked, missing
