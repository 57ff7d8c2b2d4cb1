"""Code instruction examples from source repositories: code -> docstring, docstring -> code, infilling.

Python functions are found with `ast` (exact spans and docstrings); Go functions by their doc comment
and brace matching, since no Go parser ships for Python. Only functions of a useful size are kept.
"""

from __future__ import annotations

import ast
import re
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from finetune.data.records import Example, pick, stable_hash

MIN_LINES, MAX_LINES = 4, 60
_GO_FUNC = re.compile(r"((?:^//[^\n]*\n)+)(func [^\n]*\{)[ \t]*\n", re.M)


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


def python_functions(path: Path, root: Path) -> Iterator[Function]:
    source = path.read_text(errors="replace")
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return
    lines = source.splitlines()
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        doc = ast.get_docstring(node)
        start = (node.decorator_list[0].lineno if node.decorator_list else node.lineno) - 1
        size = node.end_lineno - start
        if not doc or len(doc) < 30 or not MIN_LINES <= size <= MAX_LINES or len(node.body) < 2:
            continue
        doc_node = node.body[0]
        full_lines = lines[start:node.end_lineno]
        indent = len(full_lines[0]) - len(full_lines[0].lstrip())
        full_lines = [line[indent:] for line in full_lines]
        cut = (doc_node.lineno - 1 - start, doc_node.end_lineno - start)
        bare = full_lines[:cut[0]] + full_lines[cut[1]:]
        header = lines[node.lineno - 1].strip()
        if len(bare) < MIN_LINES:
            continue
        yield Function(node.name, header.rstrip(":"), doc, "\n".join(bare), "\n".join(full_lines), "python",
                       f"{root.name}/{path.relative_to(root)}")


def go_functions(path: Path, root: Path) -> Iterator[Function]:
    source = path.read_text(errors="replace")
    for match in _GO_FUNC.finditer(source):
        body_start, depth, end = match.end(2) - 1, 0, None
        for i in range(body_start, len(source)):
            depth += {"{": 1, "}": -1}.get(source[i], 0)
            if depth == 0:
                end = i + 1
                break
        if end is None:
            continue
        code = match.group(2) + source[match.end(2):end]
        doc = " ".join(line.lstrip("/").strip() for line in match.group(1).splitlines())
        name = re.search(r"func\s+(?:\([^)]*\)\s*)?(\w+)", match.group(2))
        if len(doc) < 30 or not name or not MIN_LINES <= code.count("\n") + 1 <= MAX_LINES:
            continue
        yield Function(name.group(1), match.group(2).rstrip(" {"), doc, code, match.group(1) + code, "go",
                       f"{root.name}/{path.relative_to(root)}")


def repo_functions(paths: list[str]) -> Iterator[Function]:
    """Documented functions of every .py and .go file under `paths`, in a stable order."""
    for raw in paths:
        root = Path(raw)
        files = sorted(root.rglob("*")) if root.is_dir() else [root]
        base = root if root.is_dir() else root.parent
        for path in files:
            if path.suffix == ".py":
                yield from python_functions(path, base)
            elif path.suffix == ".go" and not path.name.endswith("_test.go"):
                yield from go_functions(path, base)


DOC_QUESTIONS = ("Write a concise documentation comment for this {lang} function from {repo}:\n```{lang}\n{code}\n```",
                 "Explain what the following {lang} function from {repo} does, as a docstring:\n```{lang}\n{code}\n```")
CODE_QUESTIONS = ("Write the {lang} function `{sig}` for {repo}. It should do the following:\n{doc}",
                  "Implement `{sig}` in {lang} ({repo}) according to this description:\n{doc}")
INFILL_QUESTION = ("Fill in the code marked <FILL> in this {lang} function from {repo}. Answer with the missing "
                   "line(s) only.\n```{lang}\n{code}\n```")


def code_examples(paths: list[str]) -> Iterator[Example]:
    """code_docstring, docstring_code and code_infill examples from every documented function."""
    for fn in repo_functions(paths):
        repo = fn.file.split("/")[0]
        meta = {"file": fn.file, "function": fn.name, "lang": fn.lang}
        fmt = {"lang": fn.lang, "repo": repo, "sig": fn.signature, "doc": fn.doc}
        yield Example("code_docstring", pick(DOC_QUESTIONS, fn.full).format(code=fn.bare, **fmt), fn.doc, meta,
                      key=f"doc:{stable_hash(fn.bare)}")
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
    header = next((i for i, line in enumerate(lines) if line.lstrip().startswith(("def ", "async def ", "func "))), 0)
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
