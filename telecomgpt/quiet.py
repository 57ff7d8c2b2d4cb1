"""Keep what libraries print during one step (warnings, progress bars, notes from C++ and Python loggers)
out of the user's terminal, in a log file they can read when the step fails.

A first run exports the int8 embedder (torch.onnx prints TracerWarnings, NNCF draws progress bars) and
converts the GGUF model (transformers notes its dtypes): a new user sees pages they cannot act on, while the
rest of the demo prints one line per step. The redirection is at the file-descriptor level, because NNCF's
progress bars and OpenVINO write past Python's sys.stdout.
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def quiet(log: Path) -> Iterator[Path]:
    """Within the block, stdout, stderr and Python warnings go to `log` (appended); errors still raise."""
    log.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(log, "ab") as target, open(log, "a", buffering=1) as text, warnings.catch_warnings(), \
            contextlib.redirect_stdout(text), contextlib.redirect_stderr(text):
        # both levels: sys.stdout may be another object than fd 1 (a test's capture, a notebook)
        warnings.simplefilter("ignore")
        os.dup2(target.fileno(), 1)
        os.dup2(target.fileno(), 2)
        try:
            yield log
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
