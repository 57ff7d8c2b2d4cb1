"""User-facing errors.

A `UserError` is a mistake the user can fix (a missing file, an unknown model, a port in use).
The CLI prints its message on one line and exits with code 2 instead of showing a traceback.
"""

from __future__ import annotations


class UserError(Exception):
    """A mistake in the user's input or environment; shown as one line, exit code 2."""

    exit_code = 2

    def __init__(self, message: str, *, hint: str | None = None):
        super().__init__(message)
        self.hint = hint

    def one_line(self) -> str:
        text = str(self).replace("\n", " ").strip()
        return f"{text} ({self.hint})" if self.hint else text


def raised_by_ctrl_c(exc: BaseException) -> bool:
    """True when EXC is a KeyboardInterrupt or arose from one (its `__cause__` / `__context__` chain).

    A Ctrl-C does not always arrive as a KeyboardInterrupt: one that lands while a class body runs
    `__set_name__` (the `datasets` dataclasses, during their import) surfaces as
    `RuntimeError("Error calling __set_name__ ...")` caused by it, and it must still end as an interrupt.
    """
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False
