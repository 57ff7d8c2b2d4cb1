"""`telecomgpt data build-dpo`: preference pairs from SFT data and the policy model's own answers.

Record format (TRL's conversational preference format; documented in docs/finetune.md):

    {"id": ..., "source": <SFT builder>, "origin": "policy" | "corrupt:<how>",
     "prompt": [{"role": "user", ...}], "chosen": [{"role": "assistant", "content": <reference>}],
     "rejected": [{"role": "assistant", "content": <wrong answer>}], "score": <judge score or null>}

`policy` pairs: the policy model (vLLM engine, HF or any OpenAI-compatible endpoint) answers the prompt and
the judge finds the answer wrong. `corrupt:*` pairs: the reference with a plausible error put in
(another item's answer, changed numbers, a broken line of code, a truncated answer).

With `rag` (reading data from `build-sft --rag`) the judge is the assistant's own answer checker
(finetune/data/rag_reading.py `checker_verdict`): a pair is made when it would drop the policy's answer, or
the answer cites a document that does not hold the fact, cites none, or answers where the sources do not
say; its reason is kept as `verdict`. No corrupted references there: the rejected answers are the model's own.
Policy answers are journaled as they come, so the same command resumes after an interruption.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from finetune.data.filtering import Finalizer, default_benchmarks, load_benchmark_ngrams
from finetune.data.journal import Journal
from finetune.data.records import normalize
from finetune.training_data import iter_records, resolve_files
from telecomgpt.config import DEFAULT_MODEL
from telecomgpt.domain.keys import stable_hash
from telecomgpt.errors import UserError
from telecomgpt.llm import GenerationParams, get_backend


@dataclass
class DPOBuild:
    """Inputs, policy model and judge settings."""

    sft: list[str]
    output: Path
    backend: str = "vllm"
    model: str = DEFAULT_MODEL
    base_url: str | None = None
    max_prompts: int = 0
    max_tokens: int = 128
    temperature: float = 0.7
    threshold: float = 0.5
    corrupt_fraction: float = 0.5
    benchmarks: list[str] = field(default_factory=list)
    decontaminate: bool = True
    rag: bool = False
    """Reading data from `build-sft --rag`: judged by the assistant's checker, no corrupted references."""
    batch: int = 64
    """Prompts per policy call (the journal is written after each)."""
    command: str = ""
    """The command line that asked for this build, kept in stats.json."""


def judge(answer: str, reference: str) -> float:
    """1.0 when a short reference appears in the answer, else ROUGE-L F1 of answer vs reference."""
    from rouge_score import rouge_scorer

    ans, ref = normalize(answer), normalize(reference)
    if not ans:
        return 0.0
    if len(ref.split()) <= 12 and ref in ans:
        return 1.0
    return rouge_scorer.RougeScorer(["rougeL"]).score(ref, ans)["rougeL"].fmeasure


_NUMBER = re.compile(r"(?<![\w.])(\d+)(?![\w])")
_OPERATORS = [("==", "!="), ("<=", ">"), (" + ", " - "), ("True", "False"), ("&&", "||"), (" < ", " >= ")]


def corrupt(reference: str, others: list[str], key: str) -> tuple[str, str] | None:
    """(how, corrupted text) — deterministic in `key` — or None when no corruption applies."""
    h = stable_hash(key)
    if "```" in reference:
        for old, new in _OPERATORS[h % len(_OPERATORS):] + _OPERATORS[: h % len(_OPERATORS)]:
            if old in reference:
                return "operator", reference.replace(old, new, 1)
    numbers = _NUMBER.findall(reference)
    if numbers and h % 2 == 0:
        target = numbers[h % len(numbers)]
        return "number", _NUMBER.sub(lambda m: str(int(m.group(1)) + 1 + h % 3) if m.group(1) == target
                                     else m.group(1), reference, count=1)
    candidates = [o for o in others if normalize(o) != normalize(reference)]
    if candidates:
        return "swap", candidates[h % len(candidates)]
    words = reference.split()
    if len(words) >= 12:
        return "truncate", " ".join(words[: len(words) // 2])
    return None


def _text(message_list) -> str:
    return message_list[-1]["content"] if isinstance(message_list, list) else str(message_list)


def build_dpo(job: DPOBuild, policy=None) -> dict:
    """Sample the policy, judge, add corrupted-reference pairs; dedup/decontaminate; write dpo.jsonl.gz.

    `policy` is an already open `LLMBackend` to use instead of opening (and closing) `job.backend`."""
    rows = [r for f in resolve_files(job.sft) for r in iter_records(f) if r.get("prompt")
            and r.get("completion")]
    if not rows:
        raise UserError(f"no prompt/completion records in {', '.join(job.sft)} (expected build-sft output)")
    if job.rag:
        rows = [r for r in rows if (r.get("meta") or {}).get("sources") is not None]
        if not rows:
            raise UserError(f"no reading records in {', '.join(job.sft)}", hint="build them with "
                            "`telecomgpt data build-sft --rag`")
    rows.sort(key=lambda r: stable_hash(_text(r["prompt"])))
    if job.max_prompts:
        rows = rows[: job.max_prompts]
    params = GenerationParams(max_tokens=job.max_tokens, temperature=job.temperature, seed=0)
    journal = Journal(job.output, "dpo-policy", {"sft": [str(f) for f in resolve_files(job.sft)],
                                                 "model": str(job.model), "params": repr(params)})
    answers = _policy_answers(job, rows, params, journal, policy)
    if job.rag:
        stats = _rag_pairs(job, rows, answers)
        journal.finish()
        return stats
    by_source: dict[str, list[str]] = {}
    for r in rows:
        by_source.setdefault(r.get("source", ""), []).append(_text(r["completion"]))
    benchmarks = [Path(b) for b in job.benchmarks] or (default_benchmarks() if job.decontaminate else [])
    finalizer = Finalizer(load_benchmark_ngrams(benchmarks) if job.decontaminate else None)
    verdicts: Counter = Counter(policy_correct=0, policy_wrong=0)
    for row, answer in zip(rows, answers, strict=True):
        reference, prompt_text = _text(row["completion"]), _text(row["prompt"])
        score = judge(answer, reference)
        verdicts["policy_correct" if score >= job.threshold else "policy_wrong"] += 1
        if score < job.threshold:
            record = _pair(row, reference, answer.strip() or "(no answer)", "policy", score)
            finalizer.add(record, f"p:{normalize(prompt_text)}:{normalize(answer)}")
        if stable_hash("c" + prompt_text) % 1000 < job.corrupt_fraction * 1000:
            bad = corrupt(reference, by_source.get(row.get("source", ""), []), prompt_text)
            if bad:
                finalizer.add(_pair(row, reference, bad[1], f"corrupt:{bad[0]}", None),
                              f"c:{normalize(prompt_text)}:{normalize(bad[1])}")
    stats = finalizer.write(job.output, "dpo", {"prompts": len(rows), **verdicts,
                                                "policy_model": str(job.model), "threshold": job.threshold})
    journal.finish()
    return stats


def _policy_answers(job: DPOBuild, rows: list[dict], params: GenerationParams, journal: Journal,
                    policy=None) -> list[str]:
    """The policy's answer to every row, in batches, journaled (the ones an earlier run gave are reused)."""
    from tqdm import tqdm

    todo = [r for r in rows if _key(r) not in journal.done]
    if todo:
        kwargs = {"model": job.model} | ({"base_url": job.base_url} if job.base_url else {})
        if job.backend == "vllm":
            kwargs |= {"max_model_len": 2048, "kv_cache_gb": 1.0}
        own = policy is None
        policy = policy or get_backend(job.backend, **kwargs)
        try:
            with tqdm(total=len(rows), initial=len(rows) - len(todo), desc="policy answers",
                      unit="prompt", dynamic_ncols=True) as bar:
                for start in range(0, len(todo), job.batch):
                    batch = todo[start:start + job.batch]
                    for row, answer in zip(batch, policy.chat([r["prompt"] for r in batch], params),
                                           strict=True):
                        journal.put(_key(row), answer)
                    bar.update(len(batch))
        finally:
            if own:
                policy.close()
    return [journal.done[_key(r)] for r in rows]


def _key(row: dict) -> str:
    return row.get("id") or f"{stable_hash(_text(row['prompt'])):016x}"


def _rag_pairs(job: DPOBuild, rows: list[dict], answers: list[str]) -> dict:
    """Reading pairs: the target against the policy's own answer wherever the assistant's checker rejects
    it."""
    from app.grounding import SupportScorer
    from finetune.data.rag_reading import checker_verdict

    benchmarks = [Path(b) for b in job.benchmarks] or (default_benchmarks() if job.decontaminate else [])
    finalizer = Finalizer(load_benchmark_ngrams(benchmarks) if job.decontaminate else None)
    scorer = SupportScorer()
    verdicts: Counter = Counter()
    for row, answer in zip(rows, answers, strict=True):
        verdict = checker_verdict(answer, row, scorer)
        verdicts[verdict or "served"] += 1
        if verdict:
            finalizer.add(reading_pair(row, answer, verdict),
                          f"p:{normalize(_text(row['prompt']))}:{normalize(answer)}")
    return finalizer.write(job.output, "dpo", {
        "prompts": len(rows), "policy_served": verdicts.pop("served", 0), "policy_rejected": dict(verdicts),
        "policy_model": str(job.model), "command": job.command, "benchmarks": [str(b) for b in benchmarks]})


def reading_pair(row: dict, answer: str, verdict: str) -> dict:
    """The pair of a reading item whose policy `answer` the checker rejects (`verdict`): both answers open
    with the item's lead, as the assistant shows them; `meta.lead` marks it as given, not learnt
    (finetune/training_data.py moves it into the prompt)."""
    from finetune.data.rag_reading import opened

    # the policy answered without the lead in its turn; the assistant shows the lead before it
    lead = row["meta"].get("lead") or ""
    rejected = opened(lead, answer.strip() or "(no answer)")
    record = _pair(row, _text(row["completion"]), rejected, "policy", None)
    return record | {"verdict": verdict, "meta": {"lead": lead}}


def _pair(row: dict, chosen: str, rejected: str, origin: str, score: float | None) -> dict:
    return {
        "id": f"{origin}-{stable_hash(_text(row['prompt']) + rejected):016x}",
        "source": row.get("source", ""),
        "origin": origin,
        "prompt": row["prompt"],
        "chosen": [{"role": "assistant", "content": chosen}],
        "rejected": [{"role": "assistant", "content": rejected}],
        "score": score,
    }
