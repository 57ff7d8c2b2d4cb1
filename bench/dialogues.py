"""Follow-up retrieval: is the answering clause in the top 3 when the follow-up omits its subject?

    .venv/bin/python bench/dialogues.py --index DIR [--dialogues bench/dialogues.json] [--k 3] [--print-only]

The dialogues (bench/dialogues.json) are written by the project over the specs in ../shared (the seven
Release-19 markdown specs and TR 21.905): a first question, a follow-up that leaves its subject out, the same
follow-up rewritten by hand as a standalone question, and the clauses that answer it. Build the index with

    telecomgpt index build -I ../shared/data/corpus/3gpp/rel19-md \
        -I ../shared/data/corpus/3gpp/21905-h20.docx -o /tmp/dialogue-index

For each dialogue the first question is retrieved as the assistant would, and its first `passages` hits become
the last answer's "Sources:" block (what the web chat sends back as history). Three queries are then searched:
the follow-up as typed (what the assistant did before issue 22), the rule-based standalone rewrite as the
assistant retrieves it (app/conversation.py: its hits fused with those of the turn as typed) and the
hand-written standalone question. Reported: the share of dialogues with an
answering clause in the top `k` for each, and the rewrite's rate as a share of the hand rate (target >= 0.9).
Results go to docs/benchmarks.md (section `dialogues`) unless --print-only.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.conversation import rule_rewrite, search_conversation  # noqa: E402
from app.prompting import sources_block  # noqa: E402
from app.retrieval import Retriever  # noqa: E402
from bench.report import machine_line, paired_difference, write_section  # noqa: E402

DIALOGUES = Path(__file__).resolve().parent / "dialogues.json"
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


def run(index: Path, dialogues: list[dict], k: int) -> tuple[str, dict]:
    retriever = Retriever.load(index)

    def search(text: str):
        return retriever.search(text, k=SEARCHED)
    rows: dict[str, list[float]] = {"last turn (before)": [], "rule rewrite": [], "hand standalone": []}
    lines = []
    for dialogue in dialogues:
        messages = conversation(retriever, dialogue)
        rewrite = rule_rewrite(messages)
        found = {"last turn (before)": search(dialogue["follow_up"]),
                 "rule rewrite": search_conversation(search, rewrite, dialogue["follow_up"], SEARCHED),
                 "hand standalone": search(dialogue["standalone"])}
        for name, hits in found.items():
            rows[name].append(float(answers_in(hits[:k], dialogue["answers"])))
        lines.append(f"| {dialogue['follow_up']} | {rewrite} | "
                     + " | ".join("yes" if rows[n][-1] else "no" for n in rows) + " |")
    rates = {name: sum(v) / len(v) for name, v in rows.items()}
    ratio = rates["rule rewrite"] / rates["hand standalone"] if rates["hand standalone"] else 0.0
    diff, low, high = paired_difference(rows["rule rewrite"], rows["last turn (before)"])
    table = "\n".join(f"| {name} | {sum(rows[name]):.0f}/{len(rows[name])} | {rate:.3f} |"
                      for name, rate in rates.items())
    body = f"""## Follow-up retrieval (bench/dialogues.py)

{machine_line()}

{len(dialogues)} two-turn dialogues written by the project (bench/dialogues.json) over an index of the seven
Release-19 markdown specs and TR 21.905 ({len(retriever)} chunks); the follow-up leaves its subject out. Hit:
a clause that answers the follow-up is in the top {k} of the default hybrid retrieval (the rewrite row:
its hits fused with those of the follow-up as typed, as `RAGPipeline.prepare` retrieves).

| query searched | hits | top-{k} rate |
| --- | --- | --- |
{table}

Rule rewrite / hand standalone: {ratio:.2f} (target >= 0.90). Rewrite minus last turn: {diff:+.3f}
(95% paired bootstrap interval {low:+.3f} .. {high:+.3f}).

<details><summary>Each dialogue</summary>

| follow-up | rule rewrite | last turn | rewrite | hand |
| --- | --- | --- | --- | --- |
{chr(10).join(lines)}

</details>
"""
    return body, {"rates": rates, "ratio": ratio}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True, help="index of the Rel-19 specs + TR 21.905")
    parser.add_argument("--dialogues", type=Path, default=DIALOGUES)
    parser.add_argument("--k", type=int, default=3)
    parser.add_argument("--print-only", action="store_true")
    args = parser.parse_args()
    body, summary = run(args.index, json.loads(args.dialogues.read_text()), args.k)
    print(body)
    print(json.dumps(summary))
    if not args.print_only:
        write_section("dialogues", body)


if __name__ == "__main__":
    main()
