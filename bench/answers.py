"""Answer benchmark through the real server: TeleQnA questions asked without their options, over the
OpenAI API.

    .venv/bin/python bench/answers.py [--index DIR] [--limit N] [--rows bare,rag,grounded,extractive]
                                      [--max-minutes 240] [--output docs/benchmarks.md | --print-only]
                                      [--rescore]

Starts a vLLM server with the embedded model (loopback), or uses a running OpenAI-compatible service
(`--llm-base-url URL`, model `--llm-model`: a team's GPU vLLM; neither started nor stopped here), and the
assistant's app over `--index` (default: the full-corpus index bench/retrieval.py builds), then asks the
TeleQnA dev questions of the categories Standards overview, Standards specifications and Lexicon, *without*
their options, through the openai SDK (streaming, so the time to the first token is measured). Four rows,
each through the same endpoint:

  - bare model: the LLM's model (`telecomgpt`), passed through (no retrieval), the assistant's decoding;
  - RAG, grounding off: `telecomgpt-rag` with `"grounding": "off"` (today's RAG: the raw generation is shown);
  - grounded RAG: `telecomgpt-rag` as served (unsupported sentences dropped, extractive fallback);
  - extractive only: `telecomgpt-rag` with `"grounding": "extractive"` (quotes of the top clauses, no model).

Each answer is mapped to the option it supports by `eval.metrics.open_answers.OptionScorer` (the scorer of
the `teleqna_open` lm-eval task); abstentions count as wrong and are reported apart. Faithfulness and
citation precision are computed here, offline, with the assistant's own checker (app.grounding) over the
text each row showed, so rows with and without grounding are measured by the same rule:

  - faithfulness: the share of shown sentences (of answers that do not abstain) whose support score against
    the chunk(s) they cite reaches the checker's threshold (an uncited sentence is checked against every
    source, as the checker does; a repeated or claim-less sentence counts as unsupported). The sentences are
    the ones the API's `grounding` field lists, else the answer text split into sentences;
  - citation precision: the share of [n] markers whose chunk n alone supports the sentence.

Accuracy gaps (each row vs the bare model, grounded vs RAG without grounding) come with a paired 95%
bootstrap interval over the questions (`bench.report.paired_difference`): at a few hundred questions a gap
of a few points is inside it. Rows run one after the other; vLLM's prefix cache is emptied before each row (so
a row never reuses the previous row's prompts), then one warm-up question that is not from the benchmark is
asked. Nothing is tuned on these questions: they are only measured. Per-answer records (with question text) go
to `--samples`, outside the repository, and the run's settings and timings beside them (run.json).

`--rescore` asks nothing: it re-scores the saved answers of the last run (accuracy, faithfulness, citation
precision) with the current option mapping and checker, and rewrites the section, saying so. A change to how
answers are measured then costs seconds, not a 35-minute run; what was answered and how fast stays the run's.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from app.grounding import (  # noqa: E402
    GroundingConfig,
    GroundingSession,
    SupportScorer,
    citations_of,
    strip_citations,
)
from app.retrieval import Hit, Retriever  # noqa: E402
from bench.report import BENCHMARKS_MD, machine_line, paired_difference, write_section  # noqa: E402
from eval.data.store import build_source  # noqa: E402
from eval.metrics.open_answers import SOURCES_BLOCK, OptionScorer, has_loop  # noqa: E402
from telecomgpt import paths  # noqa: E402
from telecomgpt.config import DEFAULT_MODEL, Settings  # noqa: E402
from telecomgpt.errors import UserError  # noqa: E402
from telecomgpt.llm.external import ExternalLLM  # noqa: E402
from telecomgpt.llm.server import VLLMServer  # noqa: E402
from telecomgpt.models import prepare  # noqa: E402

CATEGORIES = {"standards_overview": "Standards overview",
              "standards_specifications": "Standards specifications", "lexicon": "Lexicon"}
ROWS = {
    "bare": ("bare model", None, None),
    "rag": ("RAG, grounding off", "telecomgpt-rag", "off"),
    "grounded": ("grounded RAG", "telecomgpt-rag", None),
    "extractive": ("extractive only", "telecomgpt-rag", "extractive"),
}
"""row key -> (label, model at the app's endpoint (None: the LLM's own, passed through), request `grounding`
field)."""
WARM_UP = "What is a PDU session?"


@dataclass
class Answer:
    """One question answered by one row."""

    row: str
    id: str
    category: str
    question: str
    n_options: int
    gold: int
    text: str = ""
    sources: list[dict] = field(default_factory=list)
    grounding: dict | None = None
    ttft_s: float | None = None
    """Seconds to the first shown text (with the lead: a verbatim quote of the top clause)."""
    ttft_generated_s: float | None = None
    """Seconds until the first checked generated sentence had arrived (None: the answer shows none)."""
    total_s: float | None = None
    error: str | None = None
    choice: int | None = None
    correct: bool = False
    abstained: bool = False
    looped: bool = False
    sentences: int = 0
    supported: int = 0
    citations: int = 0
    good_citations: int = 0


MEASURED = ("choice", "correct", "abstained", "looped", "sentences", "supported", "citations",
            "good_citations")
"""Fields of an Answer computed from its text after the run (what `--rescore` recomputes)."""


def load_questions(limit: int | None) -> list[dict]:
    """The dev questions of the three categories, in file order, at most `limit` per category."""
    folder = build_source("teleqna")
    questions = []
    for slug in CATEGORIES:
        rows = [json.loads(line) for line in (folder / f"{slug}.jsonl").read_text().splitlines()
                if line.strip()]
        questions += [{**row, "slug": slug} for row in rows[:limit]]
    return questions


def first_generated_seconds(arrived: list[tuple[float, int]], grounding: dict | None) -> float | None:
    """When the first shown sentence of origin "generated" had fully arrived, from (seconds, characters so
    far) per streamed piece and the final `grounding` field (shown sentences are joined by one space)."""
    sentences = (grounding or {}).get("sentences") or []
    k = next((i for i, s in enumerate(sentences) if s.get("origin") == "generated"), None)
    if k is None:
        return None
    end = sum(len(s["text"]) for s in sentences[:k + 1]) + k
    return next((t for t, size in arrived if size >= end), None)


def ask(client, row: str, question: str, timeout_s: float, bare_settings: dict,
        arrived: list | None = None) -> tuple[str, dict, float | None, float]:
    """Stream one answer: (text, last chunk's extra fields, seconds to first text, seconds in all); `arrived`
    collects (seconds, characters so far) per piece. `bare_settings` holds the LLM's model name ("model")
    and the assistant's decoding settings, which the bare row asks with."""
    _, model, grounding = ROWS[row]
    if model is None:  # the plain model, with the assistant's decoding settings
        model = bare_settings["model"]
        kwargs = {"max_tokens": bare_settings["max_tokens"]}
        extra_body = {k: v for k, v in bare_settings.items() if k not in ("max_tokens", "model")}
    else:
        kwargs, extra_body = {}, {"grounding": grounding} if grounding else {}
    started = time.perf_counter()
    first = None
    pieces, extras = [], {}
    stream = client.chat.completions.create(model=model, messages=[{"role": "user", "content": question}],
                                            stream=True, temperature=0.0, timeout=timeout_s,
                                            extra_body=extra_body or None, **kwargs)
    for chunk in stream:
        delta = chunk.choices[0].delta.content if chunk.choices else None
        if delta:
            first = first if first is not None else time.perf_counter() - started
            pieces.append(delta)
            if arrived is not None:
                arrived.append((time.perf_counter() - started, sum(map(len, pieces))))
        extras.update({k: v for k, v in (chunk.model_extra or {}).items() if k in ("sources", "grounding")})
    return "".join(pieces), extras, first, time.perf_counter() - started


def check_faithfulness(answer: Answer, retriever, scorer, config) -> None:
    """Offline, for every row alike: each shown sentence against its cited chunk(s) (see module docstring).
    `config` is the assistant's GroundingConfig; it is used in its report-only form (nothing dropped)."""
    records = [retriever.chunk(s["chunk_id"]) if s.get("chunk_id") else None for s in answer.sources]
    hits = [Hit(text=r["text"], score=0.0, metadata=r) for r in records if r is not None]
    if answer.abstained or not hits or len(hits) != len(answer.sources):
        return
    session = GroundingSession(answer.question, hits, scorer, replace(config, unsupported="keep"))
    # The sentences as the assistant showed them (one a line, so they are split there), when the API says:
    # joined by spaces, two quotes ("…; [1] - …") would be read back as one sentence.
    shown = [s["text"] for s in (answer.grounding or {}).get("sentences") or []]
    session.check_all("\n".join(shown) if shown else SOURCES_BLOCK.sub("", answer.text))
    for sentence in session.shown:
        answer.sentences += 1
        answer.supported += bool(sentence.supported)
        claim = strip_citations(sentence.text)
        for n in citations_of(sentence.text):
            answer.citations += 1
            if 1 <= n <= len(hits):
                score, _ = scorer.score(claim, session.evidence_of(n))
                answer.good_citations += score >= config.threshold


def score_answer(answer: Answer, question: dict, option_scorer) -> None:
    match = option_scorer.match(question["question"], question["choices"], answer.text)
    answer.choice, answer.abstained = match.choice, match.abstained
    answer.correct = match.correct(question["gold"])
    answer.looped = has_loop(answer.text)


def measure(answer: Answer, question: dict, option_scorer, retriever, support_scorer, grounding) -> None:
    """Everything measured from an answer's text once it is in (the MEASURED fields): during a run and by
    `--rescore` alike."""
    score_answer(answer, question, option_scorer)
    if answer.row != "bare":
        check_faithfulness(answer, retriever, support_scorer, grounding)


def percentile(values: list[float], q: float) -> float | None:
    return float(np.percentile(values, q)) if values else None


def summarize(answers: list[Answer]) -> dict:
    """Row metrics over its answered questions (errors count as wrong, and are counted)."""
    n = len(answers)
    ttft = [a.ttft_s for a in answers if a.ttft_s is not None]
    generated = [a.ttft_generated_s for a in answers if a.ttft_generated_s is not None]
    total = [a.total_s for a in answers if a.total_s is not None]
    sentences = sum(a.sentences for a in answers)
    citations = sum(a.citations for a in answers)
    return {
        "n": n, "accuracy": sum(a.correct for a in answers) / n if n else None,
        "chance": statistics.mean(1 / a.n_options for a in answers) if n else None,
        "faithfulness": sum(a.supported for a in answers) / sentences if sentences else None,
        "sentences": sentences,
        "citation_precision": sum(a.good_citations for a in answers) / citations if citations else None,
        "citations": citations,
        "abstained": sum(a.abstained for a in answers), "looped": sum(a.looped for a in answers),
        "errors": sum(a.error is not None for a in answers),
        "ttft_p50": percentile(ttft, 50), "ttft_p95": percentile(ttft, 95),
        "generated_ttft_p50": percentile(generated, 50), "generated_answers": len(generated),
        "lead_answers": sum(bool(((a.grounding or {}).get("sentences") or [{}])[0].get("origin") == "lead")
                            for a in answers),
        "total_p50": percentile(total, 50), "total_p95": percentile(total, 95),
        "mean_s": statistics.mean(total) if total else None,
        "by_category": {CATEGORIES[slug]: sum(a.correct for a in answers if a.category == slug)
                        / max(1, sum(a.category == slug for a in answers))
                        for slug in CATEGORIES if any(a.category == slug for a in answers)},
    }


def run_rows(args, questions: list[dict]) -> tuple[dict[str, list[Answer]], dict]:
    """Start the servers (vLLM only without --llm-base-url), ask every row its questions, stop what was
    started (by pid) whatever happens."""
    import httpx
    from openai import OpenAI

    # lazy: fastapi, langchain_core (keep `--help` and argument errors fast)
    from app.pipeline import RAGConfig, RAGPipeline
    from app.server.api import ServerConfig, create_app
    from app.server.run import BackgroundServer

    external = ExternalLLM(args.llm_base_url, args.llm_model) if args.llm_base_url else None
    if external:
        external.check()  # unreachable, or no such model: one line (main), before the index loads
    else:
        os.environ["VLLM_SERVER_DEV_MODE"] = "1"  # the server started here exposes POST /reset_prefix_cache
    retriever = Retriever.load(args.index)
    vllm = None if external else VLLMServer(prepare(), kv_cache_gb=args.kv_cache_gb,
                                            log_file=args.samples.parent / "vllm.log")
    app_server = None
    info: dict = {"chunks": len(retriever), "files": retriever.file_count, "machine": machine_line()}
    answers: dict[str, list[Answer]] = {}
    started = time.perf_counter()
    try:
        if external:
            base_url, info["llm_service"] = external.base_url, external.base_url
            print(f"answering through {base_url} ({args.llm_model}), not started here", flush=True)
        else:
            vllm.start(timeout_s=600)
            base_url, info["vllm_start_s"] = vllm.base_url, time.perf_counter() - started
            print(f"vLLM server pid {vllm.pid} ready in {info['vllm_start_s']:.0f} s (log: {vllm.log_file})",
                  flush=True)
        # shipped defaults, not this machine's
        config = RAGConfig.from_settings(Settings(), base_url=base_url, model=args.llm_model)
        pipeline = RAGPipeline(retriever, config, SupportScorer())
        app_server = BackgroundServer(create_app(pipeline, ServerConfig(model_label=DEFAULT_MODEL))).start()
        client = OpenAI(base_url=f"{app_server.url}/v1", api_key="EMPTY", max_retries=0)
        bare_settings = {"model": args.llm_model, "max_tokens": config.max_tokens,
                         "repetition_penalty": config.repetition_penalty}
        if config.frequency_penalty:
            bare_settings["frequency_penalty"] = config.frequency_penalty
        info["decoding"] = {**{k: v for k, v in bare_settings.items() if k != "model"}, "temperature": 0.0}
        info["rag_config"] = {"k": config.k, "passages": config.passages,
                              "passage_chars": config.passage_chars}
        info["threshold"] = config.grounding.threshold
        option_scorer, support_scorer = OptionScorer(), pipeline.scorer
        rows_started = time.perf_counter()
        for i, row in enumerate(args.rows):
            # An equal share of what is left, so time a fast row (extractive) leaves goes to the next ones.
            budget_s = (args.max_minutes * 60 - (time.perf_counter() - rows_started)) / (len(args.rows) - i)
            # a service not started here may not expose vLLM's dev route: then the row says so (run.json)
            reset = httpx.post(f"{base_url.removesuffix('/v1')}/reset_prefix_cache", timeout=30)
            info["prefix_cache_reset"] = info.get("prefix_cache_reset", True) and reset.status_code == 200
            ask(client, row, WARM_UP, args.timeout_s, bare_settings)
            row_started, answers[row] = time.perf_counter(), []
            for question in questions:
                if time.perf_counter() - row_started > budget_s:
                    info.setdefault("cut_by_time", []).append(row)
                    break
                answer = Answer(row, question["id"], question["slug"], question["question"],
                                len(question["choices"]), question["gold"])
                try:
                    arrived: list[tuple[float, int]] = []
                    text, extras, answer.ttft_s, answer.total_s = ask(client, row, question["question"],
                                                                      args.timeout_s, bare_settings, arrived)
                    answer.text, answer.sources = text, extras.get("sources") or []
                    answer.grounding = extras.get("grounding")
                    answer.ttft_generated_s = first_generated_seconds(arrived, answer.grounding)
                except Exception as exc:  # a failed request is an error of this row, not of the benchmark
                    answer.error = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
                measure(answer, question, option_scorer, retriever, support_scorer, config.grounding)
                answers[row].append(answer)
            took = time.perf_counter() - row_started
            print(f"{ROWS[row][0]}: {len(answers[row])} questions in {took:.0f} s "
                  f"({took / max(1, len(answers[row])):.1f} s per question)", flush=True)
    finally:
        if app_server is not None:
            app_server.stop()
        if vllm is not None:
            vllm.stop()
    info["seconds"] = time.perf_counter() - started
    return answers, info


def run_info_path(samples: Path) -> Path:
    """Where a run's settings and timings are kept, beside its samples (what `--rescore` renders)."""
    return samples.with_name("run.json")


def rescore(args, questions: list[dict]) -> tuple[dict[str, list[Answer]], dict]:
    """The last run's answers (`--samples`) measured again with today's option mapping and checker."""
    info_path = run_info_path(args.samples)
    if not args.samples.is_file() or not info_path.is_file():
        sys.exit(f"error: --rescore needs a finished run's {args.samples} and {info_path}; run without "
                 "--rescore first")
    info = json.loads(info_path.read_text())
    if info.get("limit") != args.limit:
        wanted = f"--limit {info['limit']}" if info.get("limit") else "no --limit"
        sys.exit(f"error: the saved run asked other questions; pass {wanted}, as it did")
    by_id = {q["id"]: q for q in questions}
    retriever = Retriever.load(args.index)
    grounding = GroundingConfig()  # the checker's defaults, as served (check_faithfulness only reports)
    option_scorer, support_scorer = OptionScorer(), SupportScorer()
    answers: dict[str, list[Answer]] = {}
    for line in args.samples.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record["row"] not in args.rows:
            continue
        answer = Answer(**{k: v for k, v in record.items() if k not in MEASURED})
        measure(answer, by_id[answer.id], option_scorer, retriever, support_scorer, grounding)
        answers.setdefault(answer.row, []).append(answer)
    info.update(threshold=grounding.threshold, rescored=str(dt.date.today()))
    return answers, info


def explanation_ceiling(questions: list[dict]) -> tuple[int, int]:
    """The scorer alone: how often the TeleQnA explanation, given as the answer, maps to the gold option."""
    scorer = OptionScorer()
    usable = [q for q in questions if q.get("explanation")]
    right = sum(scorer.match(q["question"], q["choices"], q["explanation"]).correct(q["gold"])
                for q in usable)
    return right, len(usable)


def accuracy_difference(answers: dict[str, list[Answer]], row: str,
                        baseline: str) -> tuple[float, float, float] | None:
    """Accuracy of `row` minus `baseline` on the questions both answered, with its paired 95% bootstrap
    interval (bench.report.paired_difference); None when either row is missing."""
    if row not in answers or baseline not in answers:
        return None
    base = {a.id: a.correct for a in answers[baseline]}
    paired = [a for a in answers[row] if a.id in base]
    if not paired:
        return None
    return paired_difference([a.correct for a in paired], [base[a.id] for a in paired])


def _interval(diff: tuple[float, float, float] | None) -> str:
    return "—" if diff is None else f"{diff[0]:+.3f} [{diff[1]:+.3f}, {diff[2]:+.3f}]"


def _fmt(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f} s"


def render(summaries: dict[str, dict], info: dict, questions: list[dict], args, plot_name: str | None,
           differences: dict[str, tuple[float, float, float] | None] | None = None) -> str:
    """The section's markdown. `differences`: "ROW-BASELINE" -> accuracy_difference(...)."""
    differences = differences or {}
    per_category = {CATEGORIES[s]: sum(q["slug"] == s for q in questions) for s in CATEGORIES}
    started_here = (f"vLLM start-up {info['vllm_start_s']:.0f} s" if "vllm_start_s" in info
                    else f"LLM service {info.get('llm_service')} (not started here)")
    bare_acc = summaries.get("bare", {}).get("accuracy")
    rows = ["| row | n | accuracy | chance | vs bare [95% CI] | faithfulness | citation precision | "
            "abstained | looped | TTFT p50 | TTFT p95 | first generated sentence p50 | total p50 | "
            "total p95 |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for key, s in summaries.items():
        delta = "—" if key == "bare" else _interval(differences.get(f"{key}-bare"))
        rows.append(f"| {ROWS[key][0]} | {s['n']} | {_fmt(s['accuracy'])} | {_fmt(s['chance'])} | {delta} "
                    f"| {_fmt(s['faithfulness'])} ({s['sentences']} sentences) "
                    f"| {_fmt(s['citation_precision'])} ({s['citations']}) | {s['abstained']} | "
                    f"{s['looped']} | {_seconds(s['ttft_p50'])} | {_seconds(s['ttft_p95'])} "
                    f"| {_seconds(s['generated_ttft_p50'])} ({s['generated_answers']}) | "
                    f"{_seconds(s['total_p50'])} | {_seconds(s['total_p95'])} |")
    cats = list(per_category)
    by_cat = ["| row | " + " | ".join(cats) + " |", "|---|" + "---|" * len(cats)]
    for key, s in summaries.items():
        by_cat.append(f"| {ROWS[key][0]} | " + " | ".join(_fmt(s["by_category"].get(c)) for c in cats) + " |")
    right, usable = info["ceiling"]
    grounded, rag = summaries.get("grounded"), summaries.get("rag")
    targets = []
    if grounded and bare_acc is not None and rag:
        checks = [
            ("accuracy ≥ bare + 0.10 and above RAG without grounding",
             grounded["accuracy"] >= bare_acc + 0.10 and grounded["accuracy"] > rag["accuracy"]),
            ("faithfulness ≥ 0.9", (grounded["faithfulness"] or 0) >= 0.9),
            ("zero looped answers", grounded["looped"] == 0),
            ("TTFT p50 < 1.5 s (first checked text shown)", grounded["ttft_p50"] is not None
             and grounded["ttft_p50"] < 1.5),
        ]
        generated = grounded["generated_ttft_p50"]
        targets = ["Targets for grounded RAG (issue 12): " + "; ".join(
            f"{name}: {'met' if ok else 'NOT met'}" for name, ok in checks) + ". "
            f"{grounded['lead_answers']} of {grounded['n']} grounded answers open with the lead (a verbatim "
            "quote of the top clause, `origin: \"lead\"`, shown before the model's first token), so their "
            "TTFT is the lead's; the first checked *generated* sentence arrived at p50 "
            f"{_seconds(generated)} ({grounded['generated_answers']} answers had one; the others showed "
            "quotes only).",
            "",
            "Paired 95% bootstrap intervals of grounded RAG's accuracy (the same questions, resampled): "
            f"{_interval(differences.get('grounded-bare'))} vs bare, "
            f"{_interval(differences.get('grounded-rag'))} vs RAG without grounding. An interval that holds "
            "0 means this many questions cannot tell the two rows apart."]
    errors = sum(s["errors"] for s in summaries.values())
    decoding = info.get("decoding", {})
    return "\n".join([
        "## Open answers through the served API (`bench/answers.py`)", "",
        info.get("machine") or machine_line(),
        *([f"Re-scored offline on {info['rescored']} from this run's saved answers (`--rescore`): accuracy, "
           "faithfulness and citation precision are measured by today's code; the answers and their timings "
           "are the run's."] if info.get("rescored") else []), "",
        "SmolLM2-135M-Instruct (embedded) on a vLLM server, the assistant's app in front of it, the openai "
        f"SDK streaming. TeleQnA dev questions asked **without their options** "
        f"({', '.join(f'{c} {n}' for c, n in per_category.items())}"
        f"{'' if args.limit is None else f'; first {args.limit} per category'}). Index: {info['files']} "
        f"files, {info['chunks']} chunks. Decoding for every row: greedy, max_tokens "
        f"{decoding.get('max_tokens')}, repetition_penalty {decoding.get('repetition_penalty')} (the "
        f"assistant's defaults; the bare model gets them too). RAG: {info['rag_config']['passages']} of "
        f"k={info['rag_config']['k']} chunks in the prompt, each cut to "
        f"{info['rag_config']['passage_chars']} characters. Support threshold {info['threshold']}. "
        f"{started_here}; whole run {info['seconds']:.0f} s. vLLM's prefix cache "
        f"{'was emptied' if info.get('prefix_cache_reset') else 'could NOT be emptied'} before each row.", "",
        *rows, "",
        "Accuracy: the answer is mapped to the option it supports (`eval.metrics.open_answers.OptionScorer`: "
        "MiniLM cosine + share of the option's distinctive words in the answer, weights fixed a priori; the "
        "`teleqna_open` lm-eval task scores the same way); abstentions count as wrong. Chance: the mean of "
        "1/options. TTFT: seconds to the first shown text; with the lead (grounded row) that is a verbatim, "
        "cited quote of the top clause, and the next column gives the first checked generated sentence "
        "(answers that had one, counted in brackets). Faithfulness: shown sentences whose support score "
        "against their cited chunk reaches the threshold (app.grounding's checker, run offline on every "
        "row's text; answers that abstain are left out). Citation precision: [n] markers whose chunk "
        "supports the sentence. Looped: a repeated 8-gram. The RAG rows without and with grounding share the "
        "prompt and the greedy generation; they differ only in what is shown.", "",
        f"Scorer check, no model: the TeleQnA explanation given as the answer maps to the gold option for "
        f"{right} of {usable} questions ({right / max(1, usable):.2f}), the ceiling this mapping allows.", "",
        "Accuracy by category:", "", *by_cat, "",
        *targets, *([""] if targets else []),
        *([f"Requests that failed (counted wrong): {errors}."] if errors else []),
        *([f"Rows cut by the time budget: {', '.join(info['cut_by_time'])}."] if info.get("cut_by_time")
          else []),
        *([f"![answers]({plot_name})"] if plot_name else []),
    ]).rstrip()


def plot(summaries: dict[str, dict], path: Path) -> None:
    """Accuracy and faithfulness per row, chance level as a dashed line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [ROWS[k][0] for k in summaries]
    x = np.arange(len(labels))
    fig, ax = plt.subplots(figsize=(7, 3.6))
    acc = [s["accuracy"] or 0.0 for s in summaries.values()]
    faith = [s["faithfulness"] for s in summaries.values()]
    ax.bar(x - 0.2, acc, 0.4, label="open-answer accuracy")
    ax.bar(x + 0.2, [f or 0.0 for f in faith], 0.4, label="faithfulness")
    for i, value in enumerate(faith):
        if value is None:  # the bare model cites nothing: no faithfulness to show
            ax.text(i + 0.2, 0.02, "n/a", ha="center", fontsize=8)
    chance = next((s["chance"] for s in summaries.values() if s["chance"] is not None), None)
    if chance is not None:
        ax.axhline(chance, color="grey", linestyle="--", linewidth=1, label="chance")
    ax.set_xticks(x, labels, fontsize=8)
    ax.set_ylim(0, 1)
    ax.legend(fontsize=8, loc="upper left")
    ax.set_title("TeleQnA dev, questions without options (bench/answers.py)", fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, default=paths.home() / "bench" / "retrieval-index")
    parser.add_argument("--limit", type=int, default=None, help="questions per category (default: all)")
    parser.add_argument("--rows", default=",".join(ROWS), help=f"comma-separated, from {', '.join(ROWS)}")
    parser.add_argument("--max-minutes", type=float, default=300.0,
                        help="time budget of the rows, shared equally (a fast row's leftover goes to the "
                             "next); a row stops asking when its share is spent")
    parser.add_argument("--timeout-s", type=float, default=120.0, help="one request's timeout")
    parser.add_argument("--llm-base-url",
                        help="ask through this running OpenAI-compatible service (ends in /v1) instead of "
                             "starting vLLM here (the bare row's settings are then that service's)")
    parser.add_argument("--llm-model", default=Settings().served_model_name,
                        help="the model name at --llm-base-url (default: %(default)s)")
    parser.add_argument("--kv-cache-gb", type=float, default=2.0,
                        help="vLLM's KV cache (the server's default: 2)")
    parser.add_argument("--output", type=Path, default=BENCHMARKS_MD,
                        help="markdown file whose `answers` section is written; the plot goes beside it")
    parser.add_argument("--rescore", action="store_true",
                        help="ask nothing: re-score the last run's saved answers with the current code and "
                             "rewrite the section (see above)")
    parser.add_argument("--print-only", action="store_true",
                        help="print the section; write no report or plot")
    parser.add_argument("--samples", type=Path, default=paths.home() / "bench" / "answers" / "samples.jsonl",
                        help="every answer with its scores (holds benchmark text: keep it out of the "
                             "repository)")
    args = parser.parse_args(argv)
    args.rows = [r.strip() for r in args.rows.split(",") if r.strip()]
    unknown = [r for r in args.rows if r not in ROWS]
    if unknown or not args.rows:
        sys.exit(f"error: unknown row(s) {', '.join(unknown) or '(none given)'}; choose from "
                 f"{', '.join(ROWS)}")
    if not (args.index / "manifest.json").exists():
        sys.exit(f"error: no index at {args.index}; build one "
                 "(bench/retrieval.py or `telecomgpt index build`)")
    if args.limit is not None and args.limit < 1:
        sys.exit("error: --limit must be at least 1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    questions = load_questions(args.limit)
    if args.rescore and args.llm_base_url:
        sys.exit("error: --rescore asks nothing; it takes no --llm-base-url")
    if args.rescore:
        answers, info = rescore(args, questions)
    else:
        args.samples.parent.mkdir(parents=True, exist_ok=True)
        try:
            answers, info = run_rows(args, questions)
        except UserError as exc:  # the service at --llm-base-url is down or serves another model
            sys.exit(f"error: {exc.one_line()}")
        with args.samples.open("w", encoding="utf-8") as handle:
            for row in answers.values():
                for answer in row:
                    handle.write(json.dumps(asdict(answer), ensure_ascii=False) + "\n")
        run_info_path(args.samples).write_text(json.dumps({**info, "limit": args.limit}, indent=2))
    info["ceiling"] = explanation_ceiling(questions)
    summaries = {row: summarize(rows) for row, rows in answers.items()}
    plot_path = args.output.parent / "answers.png"
    differences = {f"{row}-{base}": accuracy_difference(answers, row, base)
                   for row, base in [(r, "bare") for r in answers if r != "bare"] + [("grounded", "rag")]}
    body = render(summaries, info, questions, args, None if args.print_only else plot_path.name,
                  differences)
    if not args.print_only:
        plot(summaries, plot_path)
        write_section("answers", body, args.output)
    print(body)
    print(json.dumps({row: {k: v for k, v in s.items() if k != "by_category"}
                      for row, s in summaries.items()}))


if __name__ == "__main__":
    main()
