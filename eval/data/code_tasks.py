"""Telecom code tasks from real code (sionna PHY in Python, free5GC NAS in Go).

- summarization: a function without its docstring/leading comment -> the first sentence(s) of that doc;
- infilling: a function with one line replaced by `<MASK>` -> that line.
Functions (and the files they come from) as `telecomgpt.domain.code_functions` finds them, of at most
60 lines; items in a stable pseudo-random order, capped per task and language.
"""

from __future__ import annotations

import re
from pathlib import Path

from eval.data.corpus import code_dir
from eval.data.store import Built, Malformed
from telecomgpt.domain.code_functions import code_files, go_functions, python_functions
from telecomgpt.domain.keys import stable_key

VERSION = "1"
PER_LANGUAGE = 60


def find_inputs(data_dir: Path, options: dict | None = None) -> list[Path]:
    return code_files(code_dir(options))


def _summary(doc: str) -> str:
    first = doc.strip().split("\n\n")[0]
    return " ".join(first.split())


def _python_functions(path: Path, source: str) -> list[tuple[str, str, str]]:
    """(name, code without docstring, docstring summary) for documented functions."""
    return [(f"{path.name}:{fn.name}:{fn.def_line}", fn.text(doc=False, decorators=False, dedent=False),
             _summary(fn.doc)) for fn in python_functions(source) if fn.last_line - fn.def_line <= 60]


def _go_functions(path: Path, source: str) -> list[tuple[str, str, str]]:
    found = []
    for fn in go_functions(source):
        code = fn.text(doc=False)
        if 4 <= code.count("\n") + 1 <= 60 and len(fn.doc) >= 20:
            found.append((f"{path.name}:{fn.offset}", code, fn.doc))
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
