"""Documented functions in Python and Go source: one rule for which files count and where a function ends.

Two features read functions out of the code corpus: the evaluation asks about them (`eval.data.code_tasks`)
and the SFT builder trains on them (`finetune.data.code_tasks`), decontaminated against the evaluation's
items. Both must therefore cut the same functions out of the same files. The rule is the evaluation's,
since it defines what must not leak into training, and it is also the stricter one:

- Files: `.py` and `.go` files whose name does not contain "test" (Go's `_test.go`, pytest's `test_*.py`,
  `conftest.py`: fixtures and asserts, not documented behaviour). The SFT builder used to skip only
  `_test.go` files, so Python test helpers became training examples the evaluation never checks.
- Python: `ast` gives exact spans; a function counts when it has a docstring and a statement after it.
- Go: `//` doc-comment lines directly above a `func ... {` line, and the function ends at the first line
  that is exactly `}`. gofmt closes every top-level function that way, and, unlike counting braces (what the
  SFT builder used to do), a `'{'` rune, a `"}"` string or a brace in a comment cannot move the end.

Size limits and minimum doc lengths stay with each feature: a good test item and a good training example
are different choices, but they are chosen from the same functions.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

CODE_SUFFIXES = (".py", ".go")
_GO_FUNC = re.compile(r"((?:^//[^\n]*\n)+)(func [^\n]*\{\n(?:.*\n)*?^\}\n)", re.M)
_GO_NAME = re.compile(r"func\s+(?:\([^)]*\)\s*)?(\w+)")


@dataclass(frozen=True)
class CodeFunction:
    """One documented function. Line numbers are 1-based and inclusive; `lines` runs from `start_line`
    (the doc comment in Go, the first decorator or the `def` in Python) to `last_line`."""

    lang: str  # "python" or "go"
    name: str  # "" when a Go signature has no readable name
    signature: str  # "def f(x)" / "func (s *T) F(x int) error": the first line, without ':' / ' {'
    doc: str  # the docstring (as `ast.get_docstring` cleans it) / the comment lines joined by spaces
    lines: tuple[str, ...]
    start_line: int
    first_line: int  # the first decorator, else the def / func line
    def_line: int
    last_line: int
    doc_lines: tuple[int, int]  # the docstring's (Python) or doc comment's (Go) first and last line
    offset: int | None = None  # Go: character offset of the doc comment in the file; None for Python

    def text(self, *, doc: bool = True, decorators: bool = True, dedent: bool = True) -> str:
        """The function's source, with or without its doc and decorators; `dedent` moves a method to column 0
        (by the `def` line's indent)."""
        begin = self.first_line if decorators else self.def_line
        kept = []
        for number, line in enumerate(self.lines, self.start_line):
            if self.doc_lines[0] <= number <= self.doc_lines[1]:
                if doc:
                    kept.append(line)
            elif number >= begin:
                kept.append(line)
        if dedent:
            head = self.lines[self.def_line - self.start_line]
            indent = len(head) - len(head.lstrip())
            kept = [line[indent:] for line in kept]
        return "\n".join(kept)

    @property
    def size(self) -> int:
        """Lines from the first decorator (or the def / func line) to the closing line."""
        return self.last_line - self.first_line + 1


def is_code_file(path: Path) -> bool:
    """A Python or Go source file that is not a test file (see the module docstring)."""
    return path.suffix in CODE_SUFFIXES and "test" not in path.name.lower()


def code_files(root: str | Path) -> list[Path]:
    """The code files under `root` (or `root` itself when it is one), in a stable order."""
    root = Path(root)
    if root.is_file():
        return [root] if is_code_file(root) else []
    return sorted(p for p in root.rglob("*") if is_code_file(p) and p.is_file())


def python_functions(source: str) -> list[CodeFunction]:
    """Documented functions (and methods) with a statement after the docstring, in `ast.walk` order.
    Raises SyntaxError / ValueError for source that does not parse."""
    found, lines = [], source.splitlines()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        doc = ast.get_docstring(node)
        if not doc or len(node.body) < 2:
            continue
        first = node.decorator_list[0].lineno if node.decorator_list else node.lineno
        doc_node = node.body[0]
        found.append(CodeFunction(
            "python", node.name, lines[node.lineno - 1].strip().rstrip(":"), doc,
            tuple(lines[first - 1:node.end_lineno]), first, first, node.lineno, node.end_lineno,
            (doc_node.lineno, doc_node.end_lineno)))
    return found


def go_functions(source: str) -> list[CodeFunction]:
    """Top-level functions with a doc comment, in file order (gofmt layout, see the module docstring)."""
    found = []
    for match in _GO_FUNC.finditer(source):
        comment = match.group(1).split("\n")[:-1]
        code = match.group(2).split("\n")[:-1]
        start = source.count("\n", 0, match.start()) + 1
        def_line = start + len(comment)
        name = _GO_NAME.search(code[0])
        found.append(CodeFunction(
            "go", name.group(1) if name else "", code[0].rstrip(" {"),
            " ".join(line.lstrip("/ ").strip() for line in comment), tuple(comment + code),
            start, def_line, def_line, def_line + len(code) - 1, (start, def_line - 1), match.start()))
    return found
