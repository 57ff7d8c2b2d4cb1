"""Telecom code tasks from real code (sionna PHY in Python, free5GC NAS in Go).

- summarization: a function without its docstring/leading comment -> the first sentence(s) of that doc;
- infilling: a function with one line replaced by `<MASK>` -> that line.
Functions of 4-60 lines; items in a stable pseudo-random order, capped per task and language.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from eval.data.corpus import code_dir, stable_key
from eval.data.store import Built, Malformed

VERSION = "1"
PER_LANGUAGE = 60
_GO_FUNC = re.compile(r"((?:^//[^\n]*\n)+)(func [^\n]*\{\n(?:.*\n)*?^\}\n)", re.M)


def find_inputs(data_dir: Path, options: dict | None = None) -> list[Path]:
    folder = code_dir(options)
    return sorted(p for p in folder.rglob("*") if p.suffix in (".py", ".go") and p.is_file()
                  and "test" not in p.name.lower())


def _summary(doc: str) -> str:
    first = doc.strip().split("\n\n")[0]
    return " ".join(first.split())


def _python_functions(path: Path, source: str) -> list[tuple[str, str, str]]:
    """(name, code without docstring, docstring summary) for documented functions."""
    found, lines = [], source.splitlines()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or not ast.get_docstring(node):
            continue
        doc_node = node.body[0]
        if node.end_lineno - node.lineno > 60 or len(node.body) < 2:
            continue
        body = lines[node.lineno - 1:doc_node.lineno - 1] + lines[doc_node.end_lineno:node.end_lineno]
        found.append((f"{path.name}:{node.name}:{node.lineno}", "\n".join(body), _summary(ast.get_docstring(node))))
    return found


def _go_functions(path: Path, source: str) -> list[tuple[str, str, str]]:
    found = []
    for match in _GO_FUNC.finditer(source):
        comment = " ".join(line.lstrip("/ ").strip() for line in match.group(1).splitlines())
        code = match.group(2).rstrip()
        if 4 <= code.count("\n") + 1 <= 60 and len(comment) >= 20:
            found.append((f"{path.name}:{match.start()}", code, comment))
    return found


def _infill(key: str, code: str) -> tuple[str, str] | None:
    """Mask one substantial line (not the signature or a lone brace) chosen by a stable hash."""
    lines = code.splitlines()
    candidates = [i for i, line in enumerate(lines[1:-1], start=1)
                  if len(line.strip()) >= 12 and not line.strip().startswith(("#", "//"))]
    if not candidates:
        return None
    index = candidates[int(stable_key(key), 16) % len(candidates)]
    masked = lines[:index] + [re.match(r"\s*", lines[index]).group(0) + "<MASK>"] + lines[index + 1:]
    return "\n".join(masked), lines[index].strip()


def build(data_dir: Path, options: dict | None = None) -> Built:
    files = find_inputs(data_dir, options)
    functions: dict[str, list] = {"python": [], "go": []}
    malformed: list[Malformed] = []
    for path in files:
        try:
            source = path.read_text(encoding="utf-8")
            if path.suffix == ".py":
                functions["python"] += _python_functions(path, source)
            else:
                functions["go"] += _go_functions(path, source)
        except (SyntaxError, UnicodeDecodeError, ValueError) as exc:
            malformed.append(Malformed(path.name, "file", f"{type(exc).__name__}: {exc}"[:200]))
    summarization, infilling = [], []
    for language, found in functions.items():
        found.sort(key=lambda f: stable_key(f[0]))
        for key, code, summary in found[:PER_LANGUAGE]:
            summarization.append({"id": key, "language": language, "code": code, "reference": summary,
                                  "category": language})
        for key, code, _ in found[PER_LANGUAGE:2 * PER_LANGUAGE]:
            masked = _infill(key, code)
            if masked:
                infilling.append({"id": key, "language": language, "code": masked[0], "reference": masked[1],
                                  "category": language})
    return Built({"summarization.jsonl": summarization, "infilling.jsonl": infilling}, files, malformed)
