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
