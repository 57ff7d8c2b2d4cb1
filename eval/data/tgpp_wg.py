"""3GPP working-group classification (TelecomGPT's 3GPP classification task), built from any spec folder.

Each item is an excerpt of one technical clause (4 and up: not scope, references or definitions),
labelled with the working group responsible for its spec (`telecomgpt.domain.tgpp.spec_info`). Every item
offers the same choices: the groups present in the folder.
"""

from __future__ import annotations

import re
from pathlib import Path

from eval.data.corpus import spec_files
from eval.data.store import Built, Malformed
from telecomgpt.domain.keys import stable_key
from telecomgpt.domain.tgpp import read_spec
from telecomgpt.errors import UserError

PER_SPEC = 15
EXCERPT_CHARS = 500
_NOISE = re.compile(r"<[^>]+>|\|[-: |]*\||\s+")


def find_inputs(data_dir: Path, options: dict | None = None) -> list[Path]:
    return spec_files(options)


def _excerpt(text: str) -> str:
    text = _NOISE.sub(" ", text).strip()
    if len(text) <= EXCERPT_CHARS:
        return text
    return text[:EXCERPT_CHARS].rsplit(" ", 1)[0] + " ..."


def _technical(number: str) -> bool:
    head = number.split(".")[0]
    return head.isdigit() and int(head) >= 4


def build(data_dir: Path, options: dict | None = None) -> Built:
    files = find_inputs(data_dir, options)
    items, malformed = [], []
    for path in files:
        try:
            info, clauses = read_spec(path)
        except (UserError, ValueError, OSError) as exc:
            malformed.append(Malformed(path.name, "file", f"{type(exc).__name__}: {exc}"[:200]))
            continue
        if not info.working_group:
            malformed.append(Malformed(path.name, "file",
                                       f"no working group known for spec {info.spec or '?'}"))
            continue
        usable = [c for c in clauses if _technical(c.number) and len(_excerpt(c.text)) >= 200]
        usable.sort(key=lambda c: stable_key(info.spec, c.number))
        for clause in usable[:PER_SPEC]:
            items.append({"id": f"{info.spec}:{clause.number}", "spec": info.spec, "clause": clause.number,
                          "excerpt": _excerpt(clause.text), "label": info.working_group,
                          "category": info.working_group})
    labels = sorted({item["label"] for item in items})
    for item in items:
        item["choices"], item["gold"] = labels, labels.index(item["label"])
    items.sort(key=lambda item: stable_key(item["id"]))
    return Built({"test.jsonl": items}, files, malformed)
