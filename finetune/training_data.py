"""Load training data for a stage from the pipeline's output or the dataset builders' output.

Reads .jsonl / .jsonl.gz / .parquet files (or folders of them; a folder with a `data/` subfolder means the
data pipeline's output) into a `datasets.Dataset`, keeping only the columns the stage needs, so that
heterogeneous `metadata` fields across files never break the Arrow schema. Records are streamed through
`Dataset.from_generator`, so a corpus larger than memory is fine.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import orjson

from telecomgpt.errors import UserError

SUFFIXES = (".jsonl", ".jsonl.gz", ".json.gz", ".parquet")
SCHEMAS = {
    "cpt": [("text",)],
    "sft": [("messages",), ("prompt", "completion"), ("text",)],
    "dpo": [("prompt", "chosen", "rejected")],
}
"""Accepted column sets per stage, in order of preference (TRL's dataset formats)."""
ANSWER_COLUMNS = ("completion", "chosen", "rejected")
ROW_FORMAT = "lead-in-prompt"
"""Names what `_generate` makes of a record; change it with that code, or a cached dataset of the old rows is
reused."""


def resolve_files(paths: list[str]) -> list[Path]:
    """Expand folders into their data files; a folder holding `data/` is the pipeline's output."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            root = path / "data" if (path / "data").is_dir() else path
            found = sorted(p for p in root.rglob("*") if p.is_file() and p.name.endswith(SUFFIXES)
                           and not _is_excluded(p.relative_to(root)))
            if not found:
                raise UserError(f"no .jsonl/.jsonl.gz/.parquet files in {root}")
            files.extend(found)
        elif path.is_file():
            if not path.name.endswith(SUFFIXES):
                raise UserError(f"unsupported data file {path} (expected {', '.join(SUFFIXES)})")
            files.append(path)
        else:
            raise UserError(f"dataset not found: {path}")
    return files


def _is_excluded(relative: Path) -> bool:
    """Files of dropped records (`excluded.jsonl.gz`, `excluded/`, `rejected/`) are never training data."""
    return any(part.startswith(("excluded", "rejected")) for part in relative.parts)


def iter_records(path: Path) -> Iterator[dict]:
    """Yield the JSON objects (or parquet rows) of one file."""
    if path.name.endswith(".parquet"):
        import pyarrow.parquet as pq

        for batch in pq.ParquetFile(path).iter_batches(batch_size=1024):
            yield from batch.to_pylist()
        return
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as handle:
        for line_no, line in enumerate(handle, 1):
            if line.strip():
                try:
                    yield orjson.loads(line)
                except orjson.JSONDecodeError as exc:
                    raise UserError(f"{path}:{line_no}: not valid JSON ({exc})") from None


def detect_columns(files: list[Path], stage: str, text_field: str = "text") -> tuple[str, ...]:
    """The column set (from SCHEMAS) every file provides; raise a UserError naming what is missing."""
    choices = [tuple(text_field if c == "text" else c for c in cols) for cols in SCHEMAS[stage]]
    chosen: tuple[str, ...] | None = None
    for path in files:
        first = next(iter_records(path), None)
        if first is None:
            continue
        match = next((cols for cols in choices if all(c in first for c in cols)), None)
        if match is None:
            wanted = " or ".join("+".join(c) for c in choices)
            raise UserError(f"{path}: wrong schema for {stage}: has columns {sorted(first)}, needs {wanted}")
        if chosen is not None and match != chosen:
            raise UserError(f"{path}: mixes dataset formats ({'+'.join(match)} vs {'+'.join(chosen)})")
        chosen = match
    if chosen is None:
        raise UserError(f"empty dataset: no records in {', '.join(map(str, files))}")
    return chosen


def after_lead(answer: str, lead: str) -> str:
    """What an answer that opens with `lead` has the model write after it."""
    return answer[len(lead):].strip()


def _lead_in_prompt(record: dict, row: dict) -> dict:
    """A conversational row whose record names a `meta.lead` (text the assistant shows before the model
    speaks: the reading data's quoted lead, build-sft/build-dpo --rag) with the lead moved out of the answers
    into the prompt as an open assistant turn, which the model continues (`render_open_turns`): it is served
    that way, and the loss then falls on what the model writes, not on a copy of its prompt."""
    lead = ((record.get("meta") or {}).get("lead") or "").strip()
    answers = [c for c in ANSWER_COLUMNS if c in row]
    if not lead or not isinstance(row.get("prompt"), list) or not answers:
        return row
    texts = [row[c][0]["content"] if isinstance(row[c], list) and len(row[c]) == 1 else None for c in answers]
    if not all(isinstance(t, str) and t.startswith(lead) for t in texts):
        return row
    row["prompt"] = [*row["prompt"], {"role": "assistant", "content": lead}]
    for column, text in zip(answers, texts, strict=True):
        row[column] = [{"role": "assistant", "content": after_lead(text, lead)}]
    return row


def _generate(files: tuple[str, ...], columns: tuple[str, ...], stamp: tuple[str, ...]) -> Iterator[dict]:
    """Rows of `columns`; `stamp` (sizes and mtimes) only feeds the datasets cache fingerprint."""
    for name in files:
        for record in iter_records(Path(name)):
            row = _lead_in_prompt(record, {c: record.get(c) for c in columns})
            if all(row[c] not in (None, "", []) for c in columns):
                yield row


def load_records(paths: list[str], stage: str, text_field: str = "text"):
    """A `datasets.Dataset` of the stage's columns from `paths`; records with empty fields are dropped."""
    from datasets import Dataset

    files = resolve_files(paths)
    columns = list(detect_columns(files, stage, text_field))
    # the datasets cache keys on these arguments, not on the code the rows pass through: ROW_FORMAT names it
    stamp = [ROW_FORMAT, *(f"{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in files)]
    # Tuples, not lists: datasets shards a generator over every list-valued argument.
    kwargs = {"files": tuple(str(p) for p in files), "columns": tuple(columns), "stamp": tuple(stamp)}
    try:
        dataset = Dataset.from_generator(_generate, gen_kwargs=kwargs)
    except Exception as exc:  # datasets wraps generator errors; surface our own UserError
        cause = exc
        while cause is not None and not isinstance(cause, UserError):
            cause = cause.__cause__ or cause.__context__
        if cause is None and next(_generate(**kwargs), None) is None:
            cause = UserError(f"empty dataset: every record in {', '.join(paths)} has an empty "
                              f"{'/'.join(columns)}")
        raise (cause or exc) from None
    if len(dataset) == 0:
        raise UserError(f"empty dataset: every record in {', '.join(paths)} has an empty {'/'.join(columns)}")
    if text_field != "text" and text_field in columns:
        dataset = dataset.rename_column(text_field, "text")
    return dataset


def _open_turn(prompt) -> bool:
    return isinstance(prompt, list) and bool(prompt) and prompt[-1].get("role") == "assistant"


def render_open_turns(dataset, tokenizer):
    """`dataset` as plain prompt/completion text through the chat template where some prompt ends with an open
    assistant turn (`_lead_in_prompt`); unchanged otherwise.

    Hand-rendered, not left to TRL: its conversational tokenization (1.16) always adds a generation prompt
    after the prompt, which would close the open turn and start another. Rendered prompts continue the final
    message (`continue_final_message`, as vLLM serves the lead), the others get the generation prompt; the
    answer is what the model writes after it, and TRL appends the end-of-turn token to plain answers."""
    if dataset is None or "prompt" not in dataset.column_names:
        return dataset
    if not any(_open_turn(p) for p in dataset["prompt"]):
        return dataset
    answers = [c for c in ANSWER_COLUMNS if c in dataset.column_names]

    def render(row: dict) -> dict:
        open_turn = _open_turn(row["prompt"])
        prompt = tokenizer.apply_chat_template(row["prompt"], tokenize=False,
                                               add_generation_prompt=not open_turn,
                                               continue_final_message=open_turn)
        out = {"prompt": prompt}
        for column in answers:
            text = "".join(m["content"] for m in row[column])
            out[column] = f" {text}" if open_turn and text else text
        return out

    return dataset.map(render, desc="rendering open assistant turns")
