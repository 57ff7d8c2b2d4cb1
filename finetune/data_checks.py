"""Held-out splits and the over-long-sequence count written to each run's `data_report.json`."""

from __future__ import annotations

from finetune.args import DataArguments
from finetune.training_data import load_records


def split_train_eval(dataset, data: DataArguments):
    """(train, eval or None): eval from `eval_path`, else a seeded `eval_fraction` of the documents."""
    if data.max_train_samples and len(dataset) > data.max_train_samples:
        dataset = dataset.shuffle(seed=data.shuffle_seed).select(range(data.max_train_samples))
    held_out = None
    if data.eval_path:
        held_out = load_records(data.eval_path, _stage_of(dataset), data.text_field)
    elif data.eval_fraction > 0 and len(dataset) >= 2:
        parts = dataset.train_test_split(test_size=data.eval_fraction, seed=data.shuffle_seed)
        dataset, held_out = parts["train"], parts["test"]
    if held_out is not None and len(held_out) > data.max_eval_samples:
        held_out = held_out.select(range(data.max_eval_samples))
    return dataset, held_out


def _stage_of(dataset) -> str:
    columns = set(dataset.column_names)
    if {"chosen", "rejected"} <= columns:
        return "dpo"
    return "cpt" if columns == {"text"} else "sft"


def _rendered(tokenizer, row: dict, answer_key: str | None) -> list[int]:
    """Token ids of one example as the trainer will see it (chat template for conversations)."""
    if "text" in row and answer_key is None:
        return tokenizer(row["text"])["input_ids"]
    if isinstance(row.get("prompt"), str) and isinstance(row.get(answer_key), str):  # plain text: no template
        return tokenizer(row["prompt"] + row[answer_key])["input_ids"]
    if "messages" in row:
        messages = row["messages"]
    else:
        prompt = row["prompt"] if isinstance(row["prompt"], list) else [{"role": "user",
                                                                         "content": row["prompt"]}]
        answer = row[answer_key]
        messages = prompt + (answer if isinstance(answer, list) else [{"role": "assistant",
                                                                       "content": answer}])
    ids = tokenizer.apply_chat_template(messages, tokenize=True)
    return ids["input_ids"] if isinstance(ids, dict) or hasattr(ids, "keys") else ids


def count_overlong(dataset, tokenizer, max_length: int | None, stage: str) -> dict:
    """How many examples exceed `max_length` tokens (the trainer truncates them; CPT packing splits them)."""
    if not max_length or dataset is None:
        return {"examples": len(dataset) if dataset is not None else 0, "overlong": 0,
                "max_length": max_length}
    keys = ["chosen", "rejected"] if stage == "dpo" else ["completion" if "completion" in dataset.column_names
                                                           else None]
    overlong, longest, tokens = 0, 0, 0
    for row in dataset:
        lengths = [len(_rendered(tokenizer, row, key)) for key in keys]
        longest, tokens = max(longest, *lengths), tokens + max(lengths)
        overlong += any(n > max_length for n in lengths)
    action = "split across packed blocks" if stage == "cpt" else "truncated"
    return {"examples": len(dataset), "overlong": overlong, "max_length": max_length, "longest": longest,
            "tokens": tokens, "overlong_action": action}
