"""Answer benchmark of facts: does the assistant *show* the fact a question asks for, and where is it lost?

    .venv/bin/python bench/answer_facts.py [--modes drop,extractive,off] [--limit N]
                                           [--sets project,teleqna,hidden]
                                           [--adapter DIR [--models base,adapter]]
                                           [--index DIR] [--output docs/benchmarks.md | --print-only]
                                           [--check-facts]

Runs the real assistant in-process (app.pipeline.RAGPipeline with its shipped defaults, the server's async
path `prepare` -> `astream`) against a real vLLM server with the embedded model, on an index of the 8 files
the project's questions are about (the seven Release-19 markdown specs and TR 21.905 of
../shared/data/corpus/3gpp), built with the index's own code under $TELECOMGPT_HOME/bench/answer_facts/
(keyed by a hash of the chunking code, so a change to chunking builds a new one; never in the repository).

Two question sets:
  - project: bench/answer_questions.yaml, written by the project (not from any benchmark); each question has
    its spec, answering clause(s) and key facts (regexes, all must match, case-insensitive). Its "check"
    split (about a third) is only measured, never tuned on; it is reported apart from "dev".
  - teleqna: the TeleQnA dev questions that bench/label_teleqna.py labels with a clause of these 8 specs,
    read from ../shared at run time (never copied here); the expected evidence is the explanation: a text
    "states" it when it holds CHUNK_CONTAINMENT (0.3) of the explanation's word pairs, the rule
    bench/retrieval.py counts a relevant chunk by. Measured only.

A third set, "hidden", asks the project's questions with every retrieved chunk that states their facts left
out: the sources cannot answer, and an answer should abstain (the reading adapter of issue 23 is trained to).
With --adapter, one vLLM serves the base model and the adapter (vLLM LoRA), and both answer every question
through the same pipeline (--models picks). Reported beside the facts: answers with a checked generated
sentence (the model said something the checker kept, not only quotes) and abstentions.

Per grounding mode (request field `grounding`: drop = as served, extractive = quotes only, off = the raw
generation), per question:
  - fact shown: the shown answer (its sentences, citation markers removed) states every key fact;
  - clause in sources: one of the answering clauses is among the prompt's sources;
  - oracle: every key fact is in some retrieved chunk (the k chunks retrieval returned): the answer could have
    shown it. So each miss is attributed: to retrieval (no oracle), to source choice (in a retrieved chunk but
    not in the sources), or to sentence selection (in the sources, not shown);
  - faithfulness: shown sentences supported by the chunk they cite (bench/answers.py's offline check, the
    assistant's own SupportScorer), TTFT (first shown text) and total seconds per answer.

vLLM's prefix cache is emptied before each mode, then a warm-up question not from the sets is asked.
`--check-facts` runs no model: it verifies that every key fact matches the text of one of its answering
clauses as read_spec reads them (the questions file's own test). Per-answer records go to --samples
(outside the repository: they hold TeleQnA text).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import re
import sys
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from app.grounding import GroundingConfig, strip_citations  # noqa: E402
from app.prompting import source_dicts  # noqa: E402
from bench.answers import Answer, check_faithfulness, percentile  # noqa: E402
from bench.report import BENCHMARKS_MD, machine_line, write_section  # noqa: E402
from telecomgpt import paths  # noqa: E402
from telecomgpt.config import ADAPTER_NAME  # noqa: E402  (the name `serve` gives the assistant's adapter)

QUESTIONS = REPO / "bench" / "answer_questions.yaml"
FILES = ["rel19-md/23.501_5GS_Architecture_j70.md", "rel19-md/23.502_5GS_Procedures_j70.md",
         "rel19-md/37.340_Multi_Connectivity_j20.md", "rel19-md/38.211_PHY-Channels_j30.md",
         "rel19-md/38.300_NG-RAN_Overall_j20.md", "rel19-md/38.321_MAC_j20.md",
         "rel19-md/38.401_NG-RAN_Architecture_j20.md", "21905-h20.docx"]
"""The 8 indexed files, under ../shared/data/corpus/3gpp."""
CHUNKING_CODE = ["app/chunks.py", "app/readers.py", "app/procedure_text.py", "app/index_store.py",
                 "telecomgpt/domain/tgpp_clauses.py", "telecomgpt/domain/tgpp_markdown.py",
                 "telecomgpt/domain/markdown_clean.py"]
"""What decides the chunks and what is indexed of them: their hash names the index folder, so a change to
either builds a new index."""
MODES = ("drop", "extractive", "off")
SETS = ("project", "teleqna", "hidden")
"""hidden: the project's questions asked with every retrieved chunk that states their facts left out, so the
sources cannot answer: the answer should abstain (the reading adapter is trained to; issue 23)."""
WARM_UP = "What is a PDU session?"


@dataclass
class Result:
    """One question answered in one mode."""

    set: str
    split: str
    mode: str
    id: str
    question: str
    spec: str
    clauses: list[str]
    text: str = ""
    shown: bool = False
    clause_in_sources: bool = False
    in_sources: bool = False
    oracle: bool = False
    sentences: int = 0
    supported: int = 0
    ttft_s: float | None = None
    total_s: float | None = None
    lead: str = ""
    sources: list[str] = field(default_factory=list)
    generated: bool = False
    """A generated sentence was shown (it passed the checker): the model said something, not only quotes."""
    abstained: bool = False
    """The model said the documents do not answer (an "abstention" sentence, app/prompting.py)."""
    error: str | None = None


# ---------------------------------------------------------------------------------------------- questions


def load_project(path: Path = QUESTIONS) -> list[dict]:
    """The project's questions, each with set "project"."""
    import yaml

    items = yaml.safe_load(path.read_text())["questions"]
    for item in items:
        item["set"] = "project"
        item["patterns"] = [re.compile(f, re.I) for f in item["facts"]]
    return items


def load_teleqna(records: list[dict]) -> list[dict]:
    """TeleQnA dev questions labelled with a clause that is in the index (bench/label_teleqna.py), read from
    ../shared now; each with its explanation's word pairs as the expected evidence."""
    from bench.label_teleqna import LABELS_PATH, labels_at
    from bench.retrieval import teleqna_queries

    shared = paths.shared_dir() or Path("../shared")
    data_dir = shared / "data" / "benchmarks"
    labels = labels_at(LABELS_PATH, shared / "data" / "corpus" / "3gpp", data_dir)
    items = []
    for query in teleqna_queries(records, data_dir, labels, max_queries=10**6):
        spec, clause = sorted(query["targets"])[0]
        items.append({"set": "teleqna", "split": "check", "id": query["id"], "question": query["query"],
                      "spec": spec, "clauses": sorted(c for _, c in query["targets"]), "query": query})
    return items


def flat(text: str) -> str:
    """Text as facts are matched against it: citation markers and markdown emphasis out, spaces collapsed."""
    return " ".join(strip_citations(text.replace("**", "")).split())


def states(item: dict, text: str) -> bool:
    """Whether `text` states the item's expected fact(s)."""
    if item["set"] != "teleqna":
        text = flat(text)
        return all(p.search(text) for p in item["patterns"])
    from bench.label_teleqna import pairs
    from bench.retrieval import CHUNK_CONTAINMENT

    wanted = item["query"]["pairs"]
    return len(pairs(text) & wanted) >= CHUNK_CONTAINMENT * len(wanted)


def in_clause(item: dict, hit) -> bool:
    meta = hit.metadata
    if item["set"] == "teleqna":
        return (meta.get("spec"), meta.get("clause")) in item["query"]["targets"]
    return meta.get("spec") == item["spec"] and meta.get("clause") in item["clauses"]


def available(item: dict, hits: list) -> bool:
    """Every expected fact is in some of `hits` (TeleQnA: a hit relevant by bench/retrieval.py's rule)."""
    if item["set"] == "teleqna":
        from bench.retrieval import relevant

        return any(relevant(h, item["query"]) for h in hits)
    texts = [flat(h.text) for h in hits]
    return all(any(p.search(t) for t in texts) for p in item["patterns"])


def check_facts(items: list[dict]) -> list[str]:
    """Problems of the questions file: a fact that matches none of its answering clauses' text."""
    from telecomgpt.domain.tgpp import read_spec

    base = (paths.shared_dir() or Path("../shared")) / "data" / "corpus" / "3gpp"
    clauses = {}
    for name in FILES:
        info, parsed = read_spec(base / name)
        clauses[info.spec] = {c.number: flat(f"{c.title} {c.text}") for c in parsed}
    problems = []
    for item in items:
        texts = [clauses.get(item["spec"], {}).get(c) for c in item["clauses"]]
        if not any(texts):
            problems.append(f"{item['id']}: no clause {item['clauses']} in {item['spec']}")
            continue
        problems += [f"{item['id']}: fact {p.pattern!r} not in its clauses" for p in item["patterns"]
                     if not any(t and p.search(t) for t in texts)]
    return problems


# ---------------------------------------------------------------------------------------------- running


def index_dir() -> Path:
    """The benchmark's index folder, named by the hash of the chunking code."""
    digest = hashlib.sha1()
    for name in CHUNKING_CODE:
        path = REPO / name
        digest.update(path.read_bytes() if path.is_file() else b"")
    return paths.home() / "bench" / "answer_facts" / f"index-{digest.hexdigest()[:10]}"


def build_index(folder: Path) -> float:
    """Build (or resume) the index of the 8 files; seconds it took."""
    from app.indexer import update_index

    base = (paths.shared_dir() or Path("../shared")) / "data" / "corpus" / "3gpp"
    started = time.perf_counter()
    report = update_index(folder, [base / name for name in FILES], prune=True, progress=False)
    if report.errors:
        sys.exit(f"error: the index could not read {report.errors}")
    return time.perf_counter() - started


class HidingRetriever:
    """The index's retriever with every hit that states an item's facts left out (the "hidden" set)."""

    EXTRA = 10
    """Hits searched beyond `k`, so that left-out chunks are replaced by the next ones."""

    def __init__(self, inner, item: dict):
        self.inner, self.item = inner, item

    def __getattr__(self, name: str):  # records, abbreviations, chunk(): the index's own
        return getattr(self.inner, name)

    def search(self, query: str, k: int = 5, **options):
        hits = self.inner.search(query, k=k + self.EXTRA, **options)
        return [h for h in hits if not available(self.item, [h])][:k]


async def answer_one(pipeline, item: dict, mode: str) -> Result:
    """Ask one question the way the HTTP server does (prepare, then the async checked stream)."""
    from fastapi.concurrency import run_in_threadpool

    result = Result(item["set"], item.get("split", "dev"), mode, item["id"], item["question"], item["spec"],
                    item["clauses"])
    messages = [{"role": "user", "content": item["question"]}]
    started = time.perf_counter()
    prepared = await run_in_threadpool(pipeline.prepare, messages)
    session = pipeline.grounding_session(prepared, mode)
    async for piece in pipeline.astream(prepared, session=session, mode=mode):
        if piece and result.ttft_s is None:
            result.ttft_s = time.perf_counter() - started
    result.total_s = time.perf_counter() - started
    grounding = session.result()
    shown = [s["text"] for s in grounding["sentences"]]
    result.text = "\n".join(shown)
    result.generated = any(s.get("origin") == "generated" for s in grounding["sentences"])
    result.abstained = bool(grounding.get("abstained"))
    result.lead = next((s["text"] for s in grounding["sentences"] if s.get("origin") == "lead"), "")
    result.sources = [h.citation for h in prepared.sources]
    hits = pipeline.search(item["question"])  # what prepare retrieved (same query, same defaults)
    result.shown = states(item, result.text)
    result.clause_in_sources = any(in_clause(item, h) for h in prepared.sources)
    result.in_sources = available(item, prepared.sources)
    result.oracle = available(item, hits)
    answer = Answer("grounded", item["id"], item["set"], item["question"], 0, 0, text=result.text,
                    sources=source_dicts(prepared.sources), grounding=grounding)
    check_faithfulness(answer, pipeline.retriever, pipeline.scorer, GroundingConfig())
    result.sentences, result.supported = answer.sentences, answer.supported
    return result


def describe_adapter(path: Path) -> str:
    """One line on the adapter under test: its folder, rank, size and what its manifest.json says it was
    trained on (`telecomgpt train stack-adapters` writes it)."""
    manifest_file = path / "manifest.json"
    manifest = json.loads(manifest_file.read_text()) if manifest_file.is_file() else {}
    stages = ", ".join(f"{stage.get('run_summary', {}).get('stage', '?')} "
                       f"{stage.get('run_summary', {}).get('steps', '?')} steps"
                       for stage in manifest.get("stages", []))
    kept = [str(d.get("stats", {}).get("kept", "?")) for d in manifest.get("data", [])]
    size = sum(f.stat().st_size for f in path.glob("adapter_model.*"))
    return (f"Adapter `{ADAPTER_NAME}` (vLLM LoRA on the base): {path}, rank {manifest.get('rank', '?')}, "
            f"{size / 1e6:.1f} MB; {stages or 'no manifest'}; training items {' + '.join(kept) or '?'}; "
            f"git {manifest.get('git', {}).get('commit', '?')[:9]}.")


def run(args, items: list[dict], index: Path) -> tuple[list[Result], dict]:
    """Start vLLM, answer every item in every mode, stop vLLM (by pid) whatever happens. Extractive answers
    ask no model: a run of that mode alone starts none (seconds, for a quick check of source and quote
    choice)."""
    import httpx

    from app.pipeline import RAGConfig, RAGPipeline, continues_lead
    from app.retrieval import Retriever
    from telecomgpt.config import Settings
    from telecomgpt.llm.server import VLLMServer
    from telecomgpt.models import prepare

    os.environ["VLLM_SERVER_DEV_MODE"] = "1"  # exposes POST /reset_prefix_cache, used between modes
    retriever = Retriever.load(index)
    args.samples.parent.mkdir(parents=True, exist_ok=True)
    adapters = {ADAPTER_NAME: args.adapter} if args.adapter else {}
    vllm = VLLMServer(prepare(), kv_cache_gb=args.kv_cache_gb, log_file=args.samples.parent / "vllm.log",
                      adapters=adapters)
    info: dict = {"chunks": len(retriever), "machine": machine_line(), "modes": {},
                  "adapter": describe_adapter(args.adapter) if args.adapter else ""}
    results: list[Result] = []
    started = time.perf_counter()
    loop = asyncio.new_event_loop()  # one loop for the run: the async OpenAI client stays bound to it
    needs_model = any(mode != "extractive" for mode in args.modes)
    try:
        if needs_model:
            vllm.start(timeout_s=600)
        info["vllm_start_s"] = time.perf_counter() - started
        # without a model the endpoint is never contacted (extractive mode skips generation)
        base_url = vllm.base_url if needs_model else "http://127.0.0.1:9/v1"
        config = RAGConfig.from_settings(Settings(), base_url=base_url)
        # one pipeline per served model: its chat client is bound to the model name when it is made
        adapter_config = replace(config, model=ADAPTER_NAME,
                                 continue_lead=bool(args.adapter) and continues_lead(args.adapter))
        pipelines = {model: RAGPipeline(retriever, adapter_config if model == "adapter" else config)
                     for model in args.models}
        pipeline = pipelines[args.models[0]]
        info["rag"] = {"k": pipeline.config.k, "passages": pipeline.config.passages,
                       "max_tokens": pipeline.config.max_tokens}
        variants = [(model, mode, reader) for model in args.models for reader in args.readers
                    for mode in args.modes
                    if (reader or mode != "off")  # the raw generation quotes nothing: one run of it is enough
                    and (model == "base" or mode != "extractive")]  # quotes only: no model is asked
        for model, mode, reader in variants:
            pipeline = pipelines[model]
            pipeline.config.grounding = replace(pipeline.config.grounding, reader=reader)
            label = (mode if reader else f"{mode}, no reader") + (", adapter" if model == "adapter" else "")
            if needs_model:
                httpx.post(f"{vllm.root_url}/reset_prefix_cache", timeout=30)
            warm_up = {"set": "project", "id": "warm-up", "question": WARM_UP, "spec": "", "clauses": [],
                       "patterns": []}
            loop.run_until_complete(answer_one(pipeline, warm_up, mode))
            mode_started = time.perf_counter()
            for item in items:
                hidden = item["set"] == "hidden"
                pipeline.retriever = HidingRetriever(retriever, item) if hidden else retriever
                try:
                    result = loop.run_until_complete(answer_one(pipeline, item, mode))
                except Exception as exc:  # one failed answer is counted, not fatal
                    result = Result(item["set"], item.get("split", "dev"), mode, item["id"], item["question"],
                                    item["spec"], item["clauses"], error=f"{type(exc).__name__}: {exc}"[:300])
                result.mode = label
                results.append(result)
            pipeline.retriever = retriever
            info["modes"][label] = time.perf_counter() - mode_started
            print(f"{label}: {len(items)} questions in {info['modes'][label]:.0f} s", flush=True)
    finally:
        loop.close()
        if needs_model:
            vllm.stop()
    info["seconds"] = time.perf_counter() - started
    return results, info


# ---------------------------------------------------------------------------------------------- report


def summarize(rows: list[Result]) -> dict:
    n = len(rows)
    oracle = [r for r in rows if r.oracle]
    sentences = sum(r.sentences for r in rows)
    return {
        "n": n, "shown": sum(r.shown for r in rows), "clause": sum(r.clause_in_sources for r in rows),
        "oracle": len(oracle), "shown_of_oracle": sum(r.shown for r in oracle),
        "miss_retrieval": sum(not r.shown and not r.oracle for r in rows),
        "miss_sources": sum(not r.shown and r.oracle and not r.in_sources for r in rows),
        "miss_sentences": sum(not r.shown and r.in_sources for r in rows),
        "faithfulness": sum(r.supported for r in rows) / sentences if sentences else None,
        "generated": sum(r.generated for r in rows), "abstained": sum(r.abstained for r in rows),
        "sentences": sentences, "errors": sum(r.error is not None for r in rows),
        "ttft_p50": percentile([r.ttft_s for r in rows if r.ttft_s is not None], 50),
        "ttft_p95": percentile([r.ttft_s for r in rows if r.ttft_s is not None], 95),
        "total_p50": percentile([r.total_s for r in rows if r.total_s is not None], 50),
        "total_p95": percentile([r.total_s for r in rows if r.total_s is not None], 95),
    }


def _share(k: int, n: int) -> str:
    return f"{k}/{n} ({k / n:.2f})" if n else "—"


def _s(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def groups(results: list[Result]) -> dict[str, list[Result]]:
    """Report rows: project dev, project check, project all, TeleQnA."""
    out = {"project dev": [r for r in results if r.set == "project" and r.split == "dev"],
           "project check": [r for r in results if r.set == "project" and r.split == "check"],
           "project all": [r for r in results if r.set == "project"],
           "TeleQnA-labelled": [r for r in results if r.set == "teleqna"],
           "project, answer hidden": [r for r in results if r.set == "hidden"]}
    return {k: v for k, v in out.items() if v}


def labels(results: list[Result]) -> list[str]:
    """The run's mode labels in the order they ran ("drop", "drop, no reader", ...)."""
    return list(dict.fromkeys(r.mode for r in results))


def render(results: list[Result], info: dict, args, label: str) -> str:
    lines = ["| questions | mode | fact shown | answering clause in sources | oracle | shown / oracle | "
             "misses: retrieval / sources / sentences | faithfulness | TTFT p50 / p95 s | "
             "total p50 / p95 s | checked generated sentence | abstained |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, rows in groups(results).items():
        for mode in labels(results):
            s = summarize([r for r in rows if r.mode == mode])
            if not s["n"]:
                continue
            faith = "n/a" if s["faithfulness"] is None else f"{s['faithfulness']:.3f} ({s['sentences']})"
            lines.append(f"| {name} | {mode} | {_share(s['shown'], s['n'])} | "
                         f"{_share(s['clause'], s['n'])} | "
                         f"{_share(s['oracle'], s['n'])} | {_share(s['shown_of_oracle'], s['oracle'])} | "
                         f"{s['miss_retrieval']} / {s['miss_sources']} / {s['miss_sentences']} | {faith} | "
                         f"{_s(s['ttft_p50'])} / {_s(s['ttft_p95'])} | {_s(s['total_p50'])} / "
                         f"{_s(s['total_p95'])} | {_share(s['generated'], s['n'])} | "
                         f"{_share(s['abstained'], s['n'])} |")
    errors = sum(r.error is not None for r in results)
    timing = ", ".join(f"{m} {s:.0f} s" for m, s in info["modes"].items())
    return "\n".join([
        f"### {label}", "",
        info["machine"], "",
        *([info["adapter"], ""] if info.get("adapter") else []),
        f"Index of the 8 files ({info['chunks']} chunks; built in {info.get('index_s', 0):.0f} s"
        f"{' (reused)' if info.get('index_reused') else ''}). Assistant defaults: k={info['rag']['k']} "
        f"retrieved, {info['rag']['passages']} sources in the prompt, max_tokens "
        f"{info['rag']['max_tokens']}, "
        f"greedy. vLLM start-up {info['vllm_start_s']:.0f} s; per mode {timing}; whole run "
        f"{info['seconds']:.0f} s{'' if args.limit is None else f' (--limit {args.limit} per set)'}.", "",
        *lines, "",
        *([f"Answers that failed (counted as not shown): {errors}."] if errors else []),
    ]).rstrip()


SECTION_INTRO = """## Facts shown in answers (`bench/answer_facts.py`)

The project's own questions (bench/answer_questions.yaml: written for this benchmark about the seven
Release-19 markdown specs and TR 21.905; "check" is a third kept for checking only) and the TeleQnA dev
questions labelled with a clause of those specs (bench/label_teleqna.py; the explanation is the expected
evidence), asked of the assistant in-process (the server's path) over a real vLLM server with the embedded
SmolLM2-135M-Instruct, on an index of those 8 files. Fact shown: the shown answer states every key fact.
Answering clause in sources: one of the question's clauses is among the prompt's sources. Oracle: every key
fact is in some retrieved chunk. Misses are attributed to retrieval (no oracle), to source choice (in a
retrieved chunk, not in the sources) or to sentence selection (in the sources, not shown). Faithfulness:
shown sentences supported by the chunk they cite (the assistant's checker, offline, bench/answers.py's
rule). Modes: drop (as served), extractive (quotes only), off (the raw generation)."""


def write_report(body: str, label: str, output: Path) -> None:
    """Keep the section's other runs (one ### block per label), replace this label's block."""
    current = output.read_text() if output.exists() else ""
    match = re.search(r"<!-- bench:answer_facts -->(.*?)<!-- /bench:answer_facts -->", current, re.S)
    blocks: dict[str, str] = {}
    if match:
        for block in re.split(r"(?m)^(?=### )", match.group(1)):
            if block.startswith("### "):
                blocks[block.splitlines()[0][4:].strip()] = block.strip()
    blocks[label] = body
    write_section("answer_facts", "\n\n".join([SECTION_INTRO, *blocks.values()]), output)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--modes", default=",".join(MODES), help=f"comma-separated, from {', '.join(MODES)}")
    parser.add_argument("--sets", default=",".join(SETS), help=f"comma-separated, from {', '.join(SETS)}")
    parser.add_argument("--readers", default="on",
                        help="on, off or on,off: order quotes with the answer-sentence reader "
                             "(app/reader.py), without it (cosine + overlap), or both side by side")
    parser.add_argument("--adapter", type=Path, default=None,
                        help="a LoRA adapter folder (e.g. the reading adapter) served on "
                             "the base by the same vLLM; with --models base,adapter both answer in one run")
    parser.add_argument("--models", default=None,
                        help="base, adapter or base,adapter [default: base, or base,adapter with --adapter]")
    parser.add_argument("--split", choices=("all", "dev", "check"), default="all",
                        help="project questions of this split only")
    parser.add_argument("--limit", type=int, default=None, help="first N questions of each set")
    parser.add_argument("--index", type=Path, default=None,
                        help="an index of the 8 files (default: built under "
                             "$TELECOMGPT_HOME/bench/answer_facts)")
    parser.add_argument("--questions", type=Path, default=QUESTIONS)
    parser.add_argument("--label", default="today",
                        help="name of this run in the report (runs with other labels are kept beside it)")
    parser.add_argument("--kv-cache-gb", type=float, default=2.0)
    parser.add_argument("--output", type=Path, default=BENCHMARKS_MD)
    parser.add_argument("--print-only", action="store_true", help="print the table; write no report")
    parser.add_argument("--check-facts", action="store_true",
                        help="run no model: check that every key fact is in its answering clauses")
    parser.add_argument("--samples", type=Path,
                        default=paths.home() / "bench" / "answer_facts" / "samples.jsonl",
                        help="every answer with its measures (holds benchmark text: keep it out of the repo)")
    args = parser.parse_args(argv)
    args.modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    sets = [s.strip() for s in args.sets.split(",") if s.strip()]
    readers = [r.strip() for r in args.readers.split(",") if r.strip()]
    if not readers or set(readers) - {"on", "off"}:
        sys.exit(f"error: --readers takes on, off or on,off, not {args.readers!r}")
    args.readers = [r == "on" for r in readers]
    models = args.models or ("base,adapter" if args.adapter else "base")
    args.models = [m.strip() for m in models.split(",")]
    if set(args.models) - {"base", "adapter"} or ("adapter" in args.models and not args.adapter):
        sys.exit(f"error: --models takes base, adapter or base,adapter (adapter needs --adapter), not "
                 f"{','.join(args.models)!r}")
    if args.adapter and not (args.adapter / "adapter_config.json").is_file():
        sys.exit(f"error: {args.adapter} is not a LoRA adapter folder (no adapter_config.json)")
    bad = [m for m in args.modes if m not in MODES] + [s for s in sets if s not in SETS]
    if bad or not args.modes or not sets:
        sys.exit(f"error: unknown mode or set {', '.join(bad) or '(none given)'}; modes: {', '.join(MODES)}; "
                 f"sets: {', '.join(SETS)}")
    if args.limit is not None and args.limit < 1:
        sys.exit("error: --limit must be at least 1")
    if not args.questions.is_file():
        sys.exit(f"error: no questions file {args.questions}")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    project = load_project(args.questions)
    if args.check_facts:
        problems = check_facts(project)
        print("\n".join(problems) or f"all {len(project)} questions: every fact is in its clauses")
        sys.exit(1 if problems else 0)
    items = []
    chosen = [q for q in project if args.split in ("all", q["split"])][:args.limit]
    if "project" in sets:
        items += chosen
    if "hidden" in sets:
        items += [q | {"set": "hidden"} for q in chosen]
    info_index: dict = {}
    index = args.index
    if index is None:
        index = index_dir()
        info_index["index_reused"] = (index / "manifest.json").exists()
        info_index["index_s"] = build_index(index)
    elif not (index / "manifest.json").exists():
        sys.exit(f"error: no index at {index}")
    if "teleqna" in sets:
        from app.index_store import read_built_index

        records = read_built_index(index)[1]
        items += load_teleqna(records)[:args.limit]
    results, info = run(args, items, index)
    info.update(info_index)
    args.samples.parent.mkdir(parents=True, exist_ok=True)
    with args.samples.open("w", encoding="utf-8") as handle:
        for result in results:
            handle.write(json.dumps(asdict(result), ensure_ascii=False) + "\n")
    body = render(results, info, args, args.label)
    if not args.print_only:
        write_report(body, args.label, args.output)
    print(body)
    print(json.dumps({f"{name}/{mode}": summarize([r for r in rows if r.mode == mode])
                      for name, rows in groups(results).items() for mode in labels(results)}))
    if any(r.error for r in results):
        failed = sum(r.error is not None for r in results)
        print(f"{failed} answers failed; see {args.samples}", file=sys.stderr)


if __name__ == "__main__":
    main()
