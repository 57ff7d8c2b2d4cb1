"""Follow-up retrieval: is the answering clause in the top 3 when the follow-up omits its subject?

    .venv/bin/python bench/dialogues.py --index DIR [--dialogues bench/dialogues.json]
        [--check bench/dialogues_check.json] [--before REV] [--k 3] [--print-only]

The dialogues (bench/dialogues.json) are written by the project over the specs in ../shared (the seven
Release-19 markdown specs and TR 21.905): a first question, a follow-up that leaves its subject out, the same
follow-up rewritten by hand as a standalone question, and the clauses that answer it. Build the index with

    telecomgpt index build -I ../shared/data/corpus/3gpp/rel19-md \
        -I ../shared/data/corpus/3gpp/21905-h20.docx -o /tmp/dialogue-index

For each dialogue the first question is retrieved as the assistant would, and its first `passages` hits become
the last answer's "Sources:" block (what the web chat sends back as history). Three queries are then searched:
the follow-up as typed (what the assistant did before issue 22), the rule-based standalone rewrite as the
assistant retrieves it (app/conversation.py: its hits fused with those of the turn as typed) and the
hand-written standalone question; with `--before REV`, also the rule rewrite of app/conversation.py as it
was at git revision REV (the same run, the same index). Reported: the share of dialogues with an answering
clause in the top `k` for each, and the rewrite's rate as a share of the hand rate (target >= 0.9).

Two splits: bench/dialogues.json (the rewrite was tuned on it) and bench/dialogues_check.json (written before
that tuning and not looked at during it), reported apart. Results go to docs/benchmarks.md (section
`dialogues`) unless --print-only.
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import conversation as current  # noqa: E402
from app.prompting import sources_block  # noqa: E402
from app.retrieval import Retriever  # noqa: E402
from bench.report import machine_line, paired_difference, write_section  # noqa: E402

DIALOGUES = Path(__file__).resolve().parent / "dialogues.json"
CHECK = Path(__file__).resolve().parent / "dialogues_check.json"
PASSAGES = 3
"""The first answer cites this many clauses (RAGConfig.passages' default)."""
SEARCHED = 5
"""Hits retrieved per query (RAGConfig.k's default); the top `k` of them count."""


def answers_in(hits, answers: list[list[str]]) -> bool:
    """Whether a hit is one of the answering clauses (or a sub-clause of one)."""
    for hit in hits:
        spec, clause = str(hit.metadata.get("spec") or ""), str(hit.metadata.get("clause") or "")
        if any(spec == s and (clause == c or clause.startswith(c + ".")) for s, c in answers):
            return True
    return False


def conversation(retriever: Retriever, dialogue: dict) -> list[dict]:
    """The messages the web chat sends for the follow-up: the first question, an answer citing the clauses
    retrieved for it, and the follow-up."""
    cited = retriever.search(dialogue["first"], k=5)[:PASSAGES]
    answer = "(the first answer)" + (sources_block(cited) if cited else "")
    return [{"role": "user", "content": dialogue["first"]}, {"role": "assistant", "content": answer},
            {"role": "user", "content": dialogue["follow_up"]}]


def conversation_at(revision: str):
    """app/conversation.py as it was at git `revision`, loaded as a module of its own."""
    repo = Path(__file__).resolve().parent.parent
    source = subprocess.run(["git", "show", f"{revision}:app/conversation.py"], cwd=repo, check=True,
                            capture_output=True, text=True).stdout
    spec = importlib.util.spec_from_loader(f"conversation_{revision}", loader=None)
    module = importlib.util.module_from_spec(spec)
    exec(compile(source, f"{revision}:app/conversation.py", "exec"), module.__dict__)  # noqa: S102 (our file)
    return module


def rewrite_with(module, messages: list[dict], abbreviations: dict[str, str]) -> str:
    """`module.rule_rewrite`, with the index's abbreviations where that version takes them."""
    if "abbreviations" in inspect.signature(module.rule_rewrite).parameters:
        return module.rule_rewrite(messages, abbreviations)
    return module.rule_rewrite(messages)  # a version from before the rewrite took abbreviations


class ServedModelRewrite:
    """The `llm` rewrite (rag.rewrite: llm) as the assistant runs it: `RAGPipeline.standalone` asking the
    served model, measured like a version of the rule rewrite."""

    search_conversation = staticmethod(current.search_conversation)

    def __init__(self, pipeline):
        self.pipeline = pipeline

    def rule_rewrite(self, messages: list[dict], abbreviations: dict[str, str]) -> str:
        return self.pipeline.standalone(messages)


def measure(retriever: Retriever, dialogues: list[dict], k: int, before, llm=None) -> tuple[dict, list[str]]:
    """{row: [1.0 / 0.0 per dialogue]} and the per-dialogue table lines."""
    def search(text: str):
        return retriever.search(text, k=SEARCHED)
    versions = {"rule rewrite": current}
    if before:
        versions[f"rule rewrite before ({before[0]})"] = before[1]
    if llm is not None:
        versions["llm rewrite (served model)"] = llm
    rows: dict[str, list[float]] = {"last turn (issue 22 before)": [], **{name: [] for name in versions},
                                    "hand standalone": []}
    lines = []
    for dialogue in dialogues:
        messages = conversation(retriever, dialogue)
        found = {"last turn (issue 22 before)": search(dialogue["follow_up"]), "hand standalone":
                 search(dialogue["standalone"])}
        rewrites = {}
        for name, module in versions.items():
            rewrites[name] = rewrite_with(module, messages, retriever.abbreviations)
            found[name] = module.search_conversation(search, rewrites[name], dialogue["follow_up"], SEARCHED)
        for name in rows:
            rows[name].append(float(answers_in(found[name][:k], dialogue["answers"])))
        lines.append(f"| {dialogue['follow_up']} | {rewrites['rule rewrite']} | "
                     + " | ".join("yes" if rows[n][-1] else "no" for n in rows) + " |")
    return rows, lines


def split_section(title: str, rows: dict[str, list[float]], lines: list[str], k: int) -> tuple[str, float]:
    """One split's table, summary and per-dialogue details; and the rewrite / hand ratio."""
    rates = {name: sum(v) / len(v) for name, v in rows.items()}
    ratio = rates["rule rewrite"] / rates["hand standalone"] if rates["hand standalone"] else 0.0
    diff, low, high = paired_difference(rows["rule rewrite"], rows["last turn (issue 22 before)"])
    table = "\n".join(f"| {name} | {sum(rows[name]):.0f}/{len(rows[name])} | {rate:.3f} |"
                      for name, rate in rates.items())
    before = [name for name in rows if name.startswith("rule rewrite before")]
    versus = ""
    if before:
        d, lo, hi = paired_difference(rows["rule rewrite"], rows[before[0]])
        versus = f" Rewrite minus {before[0]}: {d:+.3f} (95% interval {lo:+.3f} .. {hi:+.3f})."
    heads = " | ".join(name.replace("rule rewrite", "rewrite").replace(" standalone", "") for name in rows)
    body = f"""### {title}

| query searched | hits | top-{k} rate |
| --- | --- | --- |
{table}

Rule rewrite / hand standalone: {ratio:.2f} (target >= 0.90). Rewrite minus last turn: {diff:+.3f}
(95% paired bootstrap interval {low:+.3f} .. {high:+.3f}).{versus}

<details><summary>Each dialogue</summary>

| follow-up | rule rewrite | {heads} |
| --- | --- | {" | ".join("---" for _ in rows)} |
{chr(10).join(lines)}

</details>
"""
    return body, ratio


def run(index: Path, splits: dict[str, list[dict]], k: int, before_revision: str | None,
        llm=None) -> tuple[str, dict]:
    retriever = Retriever.load(index)
    before = (before_revision, conversation_at(before_revision)) if before_revision else None
    if llm is not None:
        llm = ServedModelRewrite(llm(retriever))
    sections, summary = [], {}
    for title, dialogues in splits.items():
        rows, lines = measure(retriever, dialogues, k, before, llm)
        body, ratio = split_section(f"{title}: {len(dialogues)} dialogues", rows, lines, k)
        sections.append(body)
        summary[title] = {"rates": {name: sum(v) / len(v) for name, v in rows.items()}, "ratio": ratio}
    body = f"""## Follow-up retrieval (bench/dialogues.py)

{machine_line()}

Two-turn dialogues written by the project over an index of the seven Release-19 markdown specs and TR 21.905
({len(retriever)} chunks); the follow-up leaves its subject out. Hit: a clause that answers the follow-up is
in the top {k} of the default hybrid retrieval, searched as `RAGPipeline.prepare` searches (a rewrite that
only guessed is fused with the follow-up as typed). The rule rewrite was tuned on the first split
(bench/dialogues.json); the check split (bench/dialogues_check.json) was written before that tuning and not
looked at during it.

{chr(10).join(sections)}"""
    return body, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True, help="index of the Rel-19 specs + TR 21.905")
    parser.add_argument("--dialogues", type=Path, default=DIALOGUES, help="the tuning split")
    parser.add_argument("--check", type=Path, default=CHECK, help="the held-out split ('' to leave it out)")
    parser.add_argument("--before", default=None, help="git revision whose rewrite to measure too")
    parser.add_argument("--k", type=int, default=3)
    parser.add_argument("--llm", action="store_true",
                        help="also measure the llm rewrite (embedded model, on a vLLM server started here)")
    parser.add_argument("--print-only", action="store_true")
    args = parser.parse_args()
    splits = {"tuning split": json.loads(args.dialogues.read_text())}
    if str(args.check) not in ("", "."):
        splits["check split"] = json.loads(args.check.read_text())
    if not args.llm:
        body, summary = run(args.index, splits, args.k, args.before)
    else:
        from app.pipeline import RAGConfig, RAGPipeline
        from telecomgpt.config import Settings
        from telecomgpt.llm.server import VLLMServer
        from telecomgpt.models import prepare

        vllm = VLLMServer(prepare(), kv_cache_gb=2.0)
        vllm.start(timeout_s=600)
        try:
            config = RAGConfig.from_settings(Settings(), base_url=vllm.base_url, rewrite="llm")
            body, summary = run(args.index, splits, args.k, args.before,
                                llm=lambda retriever: RAGPipeline(retriever, config))
        finally:
            vllm.stop()
    print(body)
    print(json.dumps(summary))
    if not args.print_only:
        write_section("dialogues", body)


if __name__ == "__main__":
    main()
