"""`telecomgpt data build-sft`: instruction data from specs, code and text, deduplicated and decontaminated.

Deterministic builders (no LLM): abbreviations and definitions (specs), code <-> docstring and infilling
(code repos), equation masking (any text with LaTeX). Optional: self-instruct through an endpoint.
The same inputs always give the same file.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from finetune.data.code_tasks import code_examples
from finetune.data.equations import equation_examples
from finetune.data.filtering import Finalizer, default_benchmarks, load_benchmark_ngrams
from finetune.data.glossary import glossary_examples, spec_files
from finetune.data.passages import iter_documents, passages
from finetune.data.records import Example
from finetune.data.self_instruct import self_instruct_examples
from telecomgpt.domain.keys import stable_hash
from telecomgpt.domain.tgpp import to_markdown
from telecomgpt.errors import UserError

log = logging.getLogger("telecomgpt.finetune.data")


@dataclass
class SFTBuild:
    """What to build from, and where to write."""

    output: Path
    specs: list[str] = field(default_factory=list)
    code: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    benchmarks: list[str] = field(default_factory=list)
    decontaminate: bool = True
    max_per_builder: int = 0
    self_instruct: int = 0
    base_url: str | None = None
    model: str = "telecomgpt"
    api_key: str | None = None


def _capped(examples: list[Example], cap: int) -> list[Example]:
    """A deterministic subset: the `cap` examples with the smallest key hash (stable as inputs grow)."""
    if not cap or len(examples) <= cap:
        return examples
    return sorted(examples, key=lambda e: stable_hash(e.dedup_key()))[:cap]


def _spec_documents(paths: list[str], errors: list[dict]):
    for path in spec_files(paths):
        try:
            yield to_markdown(path), {"file": path.name}
        except Exception as exc:  # noqa: BLE001 - recorded once by the glossary builder too
            errors.append({"file": str(path),
                           "error": f"equations: {str(exc).splitlines()[0] if str(exc) else exc}"})


def build_sft(job: SFTBuild) -> dict:
    """Run every builder that has inputs, then dedup, decontaminate and write `sft.jsonl.gz`; returns
    stats."""
    if not (job.specs or job.code or job.text):
        raise UserError("nothing to build from: give --specs, --code and/or --text")
    for raw in [*job.specs, *job.code, *job.text]:
        if not Path(raw).exists():
            raise UserError(f"input not found: {raw}")
    errors: list[dict] = []
    built: list[Example] = []
    if job.specs:
        built += _capped(list(glossary_examples(job.specs, errors)), job.max_per_builder * 3)
    if job.code:
        built += _capped(list(code_examples(job.code)), job.max_per_builder * 3)
    documents = [*_spec_documents(job.specs, errors), *iter_documents(job.text), *iter_documents(job.code)]
    built += _capped(list(equation_examples(documents)), job.max_per_builder)
    rejected: list[dict] = []
    if job.self_instruct:
        if not job.base_url:
            raise UserError("--self-instruct needs --base-url (an OpenAI-compatible endpoint)")
        pool = [(p, meta) for text, meta in iter_documents(job.text or job.specs) for p in passages(text)]
        pool = sorted(pool, key=lambda item: stable_hash(item[0]))[: job.self_instruct]
        accepted, rejected = self_instruct_examples(pool, job.base_url, job.model, api_key=job.api_key)
        built += accepted
    benchmarks = [Path(b) for b in job.benchmarks] or (default_benchmarks() if job.decontaminate else [])
    if job.decontaminate and not benchmarks:
        log.warning("no benchmark files found to decontaminate against; pass --benchmarks")
    finalizer = Finalizer(load_benchmark_ngrams(benchmarks) if job.decontaminate else None)
    for example in built:
        finalizer.add(example.to_record(), example.dedup_key())
    for item in rejected:
        finalizer.exclude(item, item.pop("reason"))
    return finalizer.write(job.output, "sft", {
        "built_by_source": dict(Counter(e.source for e in built)), "errors": errors,
        "benchmarks": [str(b) for b in benchmarks]})
