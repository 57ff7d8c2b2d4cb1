"""Resume for the slow dataset builders: each finished work item is appended to a journal in the output
folder, so running the same command again after a crash or Ctrl-C skips what was done.

The journal's name holds a hash of everything that decides the items (inputs, settings), so a changed command
starts afresh instead of mixing two builds; the builder removes it once the dataset is written.
"""

from __future__ import annotations

import json
from pathlib import Path

import orjson

from telecomgpt.domain.keys import stable_hash


class Journal:
    """Finished items by key: read back from an earlier run of the same build, appended to as items finish."""

    def __init__(self, folder: Path, name: str, fingerprint: dict):
        digest = stable_hash(json.dumps(fingerprint, sort_keys=True, default=str))
        self.path = Path(folder) / f".{name}-{digest:016x}.journal.jsonl"
        self.done: dict[str, object] = {}
        if self.path.exists():
            for line in self.path.read_bytes().splitlines():
                try:
                    item = orjson.loads(line)
                except orjson.JSONDecodeError:  # the line being written when the run stopped
                    continue
                self.done[item["key"]] = item["value"]
        self._handle = None

    @property
    def resumed(self) -> int:
        return len(self.done)

    def put(self, key: str, value: object) -> None:
        if self._handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = open(self.path, "ab")  # noqa: SIM115 - kept open across items, closed by finish()
        self._handle.write(orjson.dumps({"key": key, "value": value}) + b"\n")
        self._handle.flush()
        self.done[key] = value

    def finish(self) -> None:
        """The build is written: the journal is no longer needed."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        self.path.unlink(missing_ok=True)
