"""End-to-end effect of retrieval on TeleQnA dev (Standards overview, Standards specifications, Lexicon), in
one process with one vLLM engine: the bare model, a naive BM25 baseline and the project's retrieval, with both
prompt styles and several context budgets. Writes the `rag_lift` section of docs/benchmarks.md and a plot
(`--categories research`: TeleQnA's research categories instead, where a change is tried before a reported
run, into the section `rag_lift_research`).

    .venv/bin/python bench/rag_lift.py [--index DIR] [--limit N] [--trained-index DIR] [--reranker DIR]
                                       [--categories standards|research]

Configurations (acc and acc_norm of each, lifts in acc_norm points):
- bare model, options-listed prompt (`teleqna_*`) and cloze prompt (`teleqna_cloze_*`);
- naive baseline: plain bm25s (default tokenization) over the same chunks as the index (its chunks.jsonl),
  query = question + every option text, top 3 passages cut at 1,200 characters, after "Context: ...",
  with each prompt style (the project's retrieval is compared with the naive baseline of the same prompt),
  and once more with the options listed and its context after the options, where the project puts its own
  (eval.models.lm.LISTED_OPTIONS): what the placement alone is worth;
- the project's retrieval (eval's `telecomgpt-rag` model, default search mode and budget) with the cloze and
  the options-listed prompt; then, with the prompt that measured better, other context budgets
  (`--budgets`), the trained retriever (`--trained-index`: an index built with `--embedder DIR`) and the
  reranker (`--reranker DIR`).

With `--context-aware`, the naive baseline and the project's retrieval (default budget) are also scored
context-aware on the same contexts (`eval run --context-weight 1`, see eval.models.lm.DEFAULT_CONTEXT_WEIGHT),
rows ending "context-aware, W = 1" (not the default: tried and not adopted, and a third of the run's time).

Beside them, the two rules that never read the question (`eval.baselines`), on the same questions: the no-read
heuristic and the majority answer. `--baselines-only` adds (or refreshes) just those rows in the existing
section, from the benchmark files alone, without running any model.

The index defaults to the one bench/retrieval.py builds over the whole shared corpus.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from app.index_store import import_bm25s, read_manifest  # noqa: E402
from bench.report import BENCHMARKS_MD, machine_line, write_section  # noqa: E402
from eval.baselines import BASELINES, baseline_scores, mcq_items  # noqa: E402
from eval.report import summarize, write_outputs  # noqa: E402
from eval.runner import EvalRequest, _quiet_logs, load_tasks  # noqa: E402
from eval.runner import evaluate as evaluate_tasks  # noqa: E402
from telecomgpt import paths  # noqa: E402
from telecomgpt.config import DEFAULT_MODEL  # noqa: E402

CATEGORY_SETS = {
    "standards": {"standards_overview": "Standards overview",
                  "standards_specifications": "Standards specifications", "lexicon": "Lexicon"},
    # where choices are tried before a reported run (never the reported categories)
    "research": {"research_overview": "Research overview", "research_publications": "Research publications"},
}
"""`--categories`: the TeleQnA categories of a run (task slug -> alias)."""
CATEGORIES = CATEGORY_SETS["standards"]
PROMPTS = {"options": "teleqna_{}", "cloze": "teleqna_cloze_{}"}
"""Task name pattern of each prompt style (options listed in the prompt, or the question alone)."""
STYLES = {"options": "options listed", "cloze": "cloze"}
NAIVE_PASSAGES, NAIVE_CHARS = 3, 1200
CONTEXT_AWARE = 1.0
"""W of the rows scored context-aware (eval.models.lm.DEFAULT_CONTEXT_WEIGHT): context-aware decoding's."""
CONTEXT_AWARE_ROWS = f"context-aware, W = {CONTEXT_AWARE:g}"
"""Suffix of those rows' names."""
PLACED_ROW = "context after the options as the project's"
"""Suffix of the naive row whose context goes where the project's goes (eval.models.lm.LISTED_OPTIONS)."""


def naive_bm25_model(index: Path, **kwargs):
    """The naive baseline as an lm-eval model (built here so that eval imports only when the bench runs)."""
    import copy

    import orjson

    # lazy: lm_eval (keeps `bench/rag_lift.py --help` fast)
    from eval.models.lm import TelecomRAGLM, place_context

    class NaiveBM25LM(TelecomRAGLM):
        """bm25s with its default tokenization over the index's chunk texts; "Context: ..." before the prompt.

        Query = the question + every option text, top 3 chunks, each cut at 1,200 characters (a first cut,
        not at a word break), joined by blank lines. Nothing else: no query expansion, no similarity floor,
        no per-clause cap, no citations.
        """

        def __init__(self, **kw):
            bm25s = import_bm25s()  # numba hidden: it breaks the in-process vLLM engine (see import_bm25s)
            with open(index / "chunks.jsonl", "rb") as handle:
                self.texts = [orjson.loads(line)["text"] for line in handle if line.strip()]
            self.bm25s = bm25s
            self.bm25 = bm25s.BM25()
            self.bm25.index(bm25s.tokenize(self.texts, show_progress=False), show_progress=False)
            super().__init__(retriever=self.bm25, passages=NAIVE_PASSAGES, passage_chars=NAIVE_CHARS, **kw)

        def query(self, context: str, options) -> str:
            question = context.removeprefix("Question: ").removesuffix("\nAnswer:")
            return " ".join([question, *(o.strip() for o in options)])

        def retrieve(self, query: str, question: str | None = None) -> list[str]:
            tokens = self.bm25s.tokenize([query], show_progress=False)
            rows, _ = self.bm25.retrieve(tokens, k=min(self.passages, len(self.texts)), show_progress=False)
            return [self.texts[row][:self.passage_chars] for row in rows[0]]

        placed_as_project = False
        """Whether its context goes where the project's goes (after listed options, see
        eval.models.lm.place_context) rather than first."""

        def render(self, passages: list[str], context: str) -> str:
            block = "Context: " + "\n\n".join(passages)
            return place_context(block, context) if self.placed_as_project else block + "\n\n" + context

        def placed(self) -> NaiveBM25LM:
            """The same baseline (the same BM25 index, not built again) with its context placed as the
            project's, so a row shows what the placement alone is worth."""
            other = copy.copy(self)
            other.placed_as_project, other._cache = True, {}  # the cached prompts are placed the other way
            return other

    return NaiveBM25LM(**kwargs)


@dataclass
class Result:
    """One configuration's scores over the three categories."""

    name: str
    role: str
    """bare, naive, project (default budget), budget, trained or reranker."""
    prompt: str
    seconds: float
    per_category: dict[str, dict] = field(default_factory=dict)
    """category alias -> {"n", "acc", "acc_norm"}."""

    @property
    def n(self) -> int:
        return sum(c["n"] for c in self.per_category.values())

    def metric(self, name: str) -> float:
        return sum(c[name] * c["n"] for c in self.per_category.values()) / max(1, self.n)


def evaluate(name: str, role: str, prompt: str, lm, args) -> Result:
    """The run's categories (`--categories`) with `prompt` through `lm`; outputs kept under --output/NAME
    when given."""
    request = EvalRequest(model=args.model, tasks=[PROMPTS[prompt].format(c) for c in args.category_names],
                          data_dir=args.data_dir, limit=args.limit)
    tasks = load_tasks(request)
    started = time.time()
    raw = evaluate_tasks(tasks, lm, args.limit)
    seconds = time.time() - started
    summary = summarize(raw, request, seconds)
    if args.output:
        write_outputs(raw, summary, args.output / re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-"),
                      render=lm.augment)
    result = Result(name, role, prompt, seconds)
    for task in summary["tasks"].values():
        metrics = task["metrics"]
        result.per_category[task["alias"]] = {"n": task["n"], "acc": metrics["acc"]["value"],
                                              "acc_norm": metrics["acc_norm"]["value"]}
    print(f"{name:40s} acc {result.metric('acc'):.3f}  acc_norm {result.metric('acc_norm'):.3f}  "
          f"n {result.n}  {seconds:.0f} s", flush=True)
    return result


def baseline_results(limit: int | None, data_dir: Path | None, categories: dict = CATEGORIES) -> list[Result]:
    """The no-read heuristic and the majority answer on the questions the configurations answer (the first
    `limit` of each category). The majority position is the one correct most often over all of them, so one
    rule answers every category (optimistic: chosen on the items it is scored on)."""
    items = {alias: mcq_items("teleqna", f"{slug}.jsonl", limit, data_dir)
             for slug, alias in categories.items()}
    position = baseline_scores([i for rows in items.values() for i in rows])["majority"]["position"]
    results = []
    for key in BASELINES:
        name = f"baseline: {BASELINES[key]}" + (f" (option {position})" if key == "majority" else "")
        result = Result(name, "baseline", "-", 0.0)
        for alias, rows in items.items():
            value = baseline_scores(rows, position)[key]["value"]
            # a rule picks one option: nothing to normalise, acc and acc_norm are the same number
            result.per_category[alias] = {"n": len(rows), "acc": value, "acc_norm": value}
        results.append(result)
    return results


def table_row(r: Result, bare: float, naive: float, aliases=tuple(CATEGORIES.values())) -> str:
    """One row of the section's table; `bare` and `naive` are the acc_norm the lifts are measured from,
    `aliases` the categories of its columns."""
    norm = r.metric("acc_norm")
    cats = " | ".join(f"{r.per_category[a]['acc_norm']:.3f}" if a in r.per_category else "-"
                      for a in aliases)
    timing = (f"{r.seconds:.0f} s | {r.n / max(r.seconds, 1e-9):.2f}" if r.role != "baseline"
              else "no model | -")
    return (f"| {r.name} | {r.metric('acc'):.3f} | {norm:.3f} | {100 * (norm - bare):+.1f} | "
            f"{100 * (norm - naive):+.1f} | {cats} | {timing} |")


BASELINE_NOTE = ("Baseline rows: rules that never read the question, on the same questions "
                 "(`eval.baselines`). The no-read heuristic picks \"All of the above\" if offered, else an "
                 "option starting with \"Both\", else the longest option; the majority answer always answers "
                 "the option position that is correct most often among these questions, an optimistic "
                 "baseline (chosen on the items it is scored on). A configuration below them has learnt "
                 "less than the options' form gives away.")


def add_baselines(report: Path, baselines: list[Result]) -> str:
    """The existing rag_lift section of `report` with the baseline rows (and their note) put in or refreshed;
    its other rows are kept as they are, so no model is rerun. Fails when the section's questions per
    category differ from the baselines' (another --limit)."""
    text = report.read_text() if report.exists() else ""
    found = re.search(r"<!-- bench:rag_lift -->\n(.*?)\n<!-- /bench:rag_lift -->", text, re.S)
    if not found:
        sys.exit(f"error: no rag_lift section in {report}; run bench/rag_lift.py without --baselines-only")
    old = found.group(1).splitlines()
    # an earlier run's baseline rows and note (with the blank line after it) go: rerunning refreshes them
    lines = [line for i, line in enumerate(old) if not line.startswith(("| baseline: ", BASELINE_NOTE[:40]))
             and not (not line and i and old[i - 1].startswith(BASELINE_NOTE[:40]))]
    for alias, entry in baselines[0].per_category.items():
        if f"{alias} {entry['n']}" not in found.group(1):
            sys.exit(f"error: the section was not measured on {entry['n']} {alias} questions; pass the "
                     "--limit and --data-dir of its run")
    rows = {line.split(" | ")[0].removeprefix("| "): line.split(" | ")
            for line in lines if line.startswith("| ")}
    bare = float(rows["bare model, cloze"][2])
    naive = float(next(cells for name, cells in rows.items() if name.startswith("naive: "))[2])
    header = next(i for i, line in enumerate(lines) if line.startswith("| configuration |"))
    lines[header + 2:header + 2] = [table_row(r, bare, naive) for r in baselines]
    end = next(i for i in range(header, len(lines)) if not lines[i].startswith("|"))
    lines[end:end] = ["", BASELINE_NOTE]
    return "\n".join(lines)


def parse_budgets(text: str) -> list[tuple[int, int]]:
    try:
        budgets = [tuple(int(x) for x in item.lower().split("x")) for item in text.split(",") if item.strip()]
    except ValueError:
        sys.exit(f"error: --budgets takes PASSAGESxCHARS items, e.g. 2x600,3x800 (got {text!r})")
    if not budgets or any(len(b) != 2 or min(b) < 1 for b in budgets):
        sys.exit(f"error: --budgets takes PASSAGESxCHARS items, e.g. 2x600,3x800 (got {text!r})")
    return budgets  # type: ignore[return-value]


def open_retriever(index: Path, reranker: Path | None = None, query_encoder: bool = True):
    from eval.models.lm import load_retriever  # lazy: lm_eval (keeps `bench/rag_lift.py --help` fast)

    return load_retriever(str(index), str(reranker) if reranker else None, query_encoder=query_encoder)


def run_all(args, llm) -> list[Result]:
    """Every configuration through the same engine; returns them in table order."""
    # lazy: lm_eval (keeps `bench/rag_lift.py --help` fast)
    from eval.models.lm import DEFAULT_PASSAGE_CHARS, DEFAULT_PASSAGES, TelecomLM, TelecomRAGLM

    default = (DEFAULT_PASSAGES, DEFAULT_PASSAGE_CHARS)

    def rag(retriever, budget=default, **kw):
        return TelecomRAGLM(retriever=retriever, passages=budget[0], passage_chars=budget[1], llm=llm,
                            model=args.model, **kw)

    bare = TelecomLM(llm=llm, model=args.model)
    naive = naive_bm25_model(args.index, llm=llm, model=args.model)
    naive_placed = naive.placed()
    naive_label = f"naive: bm25s top {NAIVE_PASSAGES} x {NAIVE_CHARS}"
    results = [evaluate("bare model, options listed", "bare", "options", bare, args),
               evaluate("bare model, cloze", "bare", "cloze", bare, args),
               evaluate(f"{naive_label}, cloze", "naive", "cloze", naive, args),
               evaluate(f"{naive_label}, options listed", "naive", "options", naive, args),
               evaluate(f"{naive_label}, options listed, {PLACED_ROW}", "naive-placed", "options",
                        naive_placed, args)]
    retriever = open_retriever(args.index)
    label = f"project retrieval {default[0]} x {default[1]}"
    project_lms = {p: rag(retriever) for p in ("cloze", "options")}
    project = {p: evaluate(f"{label}, {STYLES[p]}", "project", p, lm, args) for p, lm in project_lms.items()}
    results += project.values()
    # the same contexts scored context-aware (each model keeps its retrieved passages, so these rows cost the
    # scoring alone): what the weighting does, for the naive baseline and the project alike
    aware = []
    scored = [(naive_label, "cloze", naive), (naive_label, "options", naive),
              *((label, style, lm) for style, lm in project_lms.items())] if args.context_aware else []
    for name, style, lm in scored:
        lm.context_weight = CONTEXT_AWARE
        aware.append(evaluate(f"{name}, {STYLES[style]}, {CONTEXT_AWARE_ROWS}", "context-aware", style, lm,
                              args))
    # the prompt that reads retrieved text better
    best = max(project, key=lambda p: project[p].metric("acc_norm"))
    for budget in args.budgets:
        if tuple(budget) != default:
            results.append(evaluate(f"project retrieval {budget[0]} x {budget[1]}, {STYLES[best]}", "budget",
                                    best, rag(retriever, budget), args))
    variants = []
    if read_manifest(args.index).get("query_encoder"):  # the trained retriever, on or off
        results.append(evaluate(f"{label}, without the trained query encoder, {STYLES[best]}", "trained",
                                best, rag(open_retriever(args.index, query_encoder=False)), args))
    if args.trained_index:
        variants.append(("trained retriever", args.trained_index, None))
    if args.reranker:
        variants.append(("reranker", args.index, args.reranker))
        if args.trained_index:
            variants.append(("trained retriever + reranker", args.trained_index, args.reranker))
    for name, index, reranker in variants:
        results.append(evaluate(f"{label}, {name}, {STYLES[best]}", "trained", best,
                                rag(open_retriever(index, reranker)), args))
    return results + aware


def plot(results: list[Result], path: Path, baselines: list[Result] = ()) -> None:
    """acc_norm per configuration (bars), with the bare model (cloze), the naive baseline and the rules that
    never read the question as lines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bare, naive = results[1].metric("acc_norm"), results[2].metric("acc_norm")
    fig, ax = plt.subplots(figsize=(10, 0.45 * len(results) + 1.5))
    names = [r.name for r in results][::-1]
    values = [r.metric("acc_norm") for r in results][::-1]
    ax.barh(names, values, color=["#4c72b0" if n.startswith("project") else "#999999" for n in names])
    ax.axvline(bare, color="#c44e52", linestyle="--", label=f"bare model, cloze ({bare:.3f})")
    ax.axvline(naive, color="#55a868", linestyle=":", label=f"naive baseline ({naive:.3f})")
    for rule, color in zip(baselines, ("#8172b2", "#937860"), strict=False):
        ax.axvline(rule.metric("acc_norm"), color=color, linestyle="-.",
                   label=f"{rule.name.removeprefix('baseline: ')} ({rule.metric('acc_norm'):.3f})")
    for y, value in enumerate(values):
        ax.text(value + 0.003, y, f"{value:.3f}", va="center", fontsize=8)
    ax.set_xlabel(f"acc_norm, TeleQnA dev {' + '.join(results[0].per_category)} (n = {results[0].n})")
    ax.set_xlim(0, max(values + [bare, naive] + [b.metric("acc_norm") for b in baselines]) * 1.15 + 0.01)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, fontsize=8, frameon=False)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")  # long row names: keep the axis label and legend
    plt.close(fig)


def format_lifts(results: list[Result]) -> list[str]:
    """One line per prompt style: the project's retrieval (default budget) against the naive baseline with
    the same prompt, in acc_norm points (issue 21's target: +3 on both)."""
    lines = []
    for style in PROMPTS:
        project = next((r for r in results if r.role == "project" and r.prompt == style), None)
        naive = next((r for r in results if r.role == "naive" and r.prompt == style), None)
        if project and naive:
            lift = 100 * (project.metric("acc_norm") - naive.metric("acc_norm"))
            lines.append(f"- {STYLES[style]}: project {project.metric('acc_norm'):.3f} vs naive "
                         f"{naive.metric('acc_norm'):.3f}, {lift:+.1f} points (target +3: "
                         f"{'met' if lift >= 3 else 'NOT met'}).")
    project = next((r for r in results if r.role == "project" and r.prompt == "options"), None)
    placed = next((r for r in results if r.role == "naive-placed"), None)
    if project and placed:  # the naive baseline with its context where the project puts it: retrieval alone
        lift = 100 * (project.metric("acc_norm") - placed.metric("acc_norm"))
        lines.append(f"- options listed, against the naive baseline with its context placed as the project's "
                     f"(retrieval alone): project {project.metric('acc_norm'):.3f} vs "
                     f"{placed.metric('acc_norm'):.3f}, {lift:+.1f} points.")
    for style in PROMPTS:  # the same comparison scored context-aware
        project, naive = (next((r for r in results if r.role == "context-aware" and r.prompt == style
                                and r.name.startswith(prefix)), None) for prefix in ("project", "naive"))
        if project and naive:
            lift = 100 * (project.metric("acc_norm") - naive.metric("acc_norm"))
            lines.append(f"- {STYLES[style]}, {CONTEXT_AWARE_ROWS}: project {project.metric('acc_norm'):.3f} "
                         f"vs naive {naive.metric('acc_norm'):.3f}, {lift:+.1f} points.")
    return lines


def section(results: list[Result], args, plot_link: str, baselines: list[Result] = ()) -> str:
    """The markdown of the rag_lift section; `baselines` (baseline_results) head the table."""
    from eval.models.lm import DEFAULT_CONTEXT_WEIGHT  # lazy: lm_eval (keeps `bench/rag_lift.py --help` fast)

    bare, naive = results[1].metric("acc_norm"), results[2].metric("acc_norm")
    aliases = list(args.category_names.values())
    rows = ["| configuration | acc | acc_norm | lift vs bare (cloze) | lift vs naive | "
            + " | ".join(f"acc_norm {a}" for a in aliases) + " | run time | questions/s |",
            "|---|---|---|---|---|" + "---|" * len(aliases) + "---|---|"]
    rows += [table_row(r, bare, naive, aliases) for r in [*baselines, *results]]
    project = max((r for r in results if r.role == "project"), key=lambda r: r.metric("acc_norm"))
    lift_bare = 100 * (project.metric("acc_norm") - bare)
    lift_naive = 100 * (project.metric("acc_norm") - naive)
    manifest = read_manifest(args.index)
    encoder = ", with the index's trained query encoder" if manifest.get("query_encoder") else ""
    best_bare = max(results[:2], key=lambda r: r.metric("acc_norm"))
    n_by_cat = ", ".join(f"{a} {results[0].per_category[a]['n']}" for a in aliases
                         if a in results[0].per_category)
    return "\n".join([
        "## RAG lift (`bench/rag_lift.py`)" if args.categories == "standards" else
        f"## RAG lift on TeleQnA's {args.categories} categories (`bench/rag_lift.py --categories "
        f"{args.categories}`: where choices are tried, never reported as the target)", "", machine_line(), "",
        f"SmolLM2-135M-Instruct (embedded), one in-process vLLM engine for every configuration, TeleQnA dev "
        f"({'all questions' if not args.limit else f'first {args.limit} per category'}: {n_by_cat}), "
        f"log-likelihood of each option (acc; acc_norm divides by the option's length in bytes). Index: "
        f"`{args.index.name}`, {len(manifest['files'])} files of the shared corpus. Options listed = the "
        "question and its numbered options before \"Answer:\" (`teleqna`); cloze = the question alone, each "
        "option scored as the continuation (`teleqna_cloze`). Naive = plain bm25s over the same chunks, "
        f"query = question + option texts, top {NAIVE_PASSAGES} cut at {NAIVE_CHARS:,} characters, "
        f"\"Context: ...\" before the prompt (each style; the row ending \"{PLACED_ROW}\" puts it after the "
        "options, where the project puts its context). Project retrieval = `telecomgpt eval run --index` "
        f"(default search mode{encoder}; passages x characters each; options listed: the context after the "
        "options, just before \"Answer:\", as `eval.models.lm.LISTED_OPTIONS` decides). "
        + (f"Rows ending \"{CONTEXT_AWARE_ROWS}\" score the same contexts context-aware, (1 + W) log "
           "p(option | context, prompt) - W log p(option | prompt) (`eval run --context-weight`; the "
           f"default, {DEFAULT_CONTEXT_WEIGHT:g}, is plain log-likelihood). " if args.context_aware else "")
        + "Lifts are acc_norm points.", "",
        *rows, "",
        *([BASELINE_NOTE, ""] if baselines else []),
        f"Project retrieval, default budget and the better prompt (`{project.name}`): {lift_bare:+.1f} "
        f"acc_norm points over the bare model, cloze, and {lift_naive:+.1f} over the naive baseline, cloze. "
        f"Against the bare model's better prompt (`{best_bare.name}`, {best_bare.metric('acc_norm'):.3f}) "
        f"the project's retrieval adds "
        f"{100 * (project.metric('acc_norm') - best_bare.metric('acc_norm')):+.1f}.",
        "", *format_lifts(results), "",
        f"![acc_norm per configuration]({plot_link})", "",
        "Run time is the evaluation alone (retrieval + scoring), with the engine already loaded; the budget "
        "rows show what a longer context costs. A 135M model reads retrieved text poorly; these lifts show "
        "what retrieval adds to the same model, not what a 7-8B model with the same index would reach."])


def main(argv: list[str] | None = None, llm=None) -> list[Result]:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, default=paths.home() / "bench" / "retrieval-index")
    parser.add_argument("--trained-index", type=Path, help="an index built with the trained embedder")
    parser.add_argument("--reranker", type=Path, help="a cross-encoder folder (`telecomgpt train retriever`)")
    parser.add_argument("--limit", type=int, default=None, help="questions per category (default: all)")
    parser.add_argument("--budgets", type=parse_budgets, default=parse_budgets("2x600,3x800,5x1000"),
                        help="context budgets PASSAGESxCHARS of the project's retrieval (default "
                             "2x600,3x800,5x1000)")
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="benchmark files (default: shared dev splits)")
    parser.add_argument("--output", type=Path,
                        help="keep every configuration's eval outputs (samples, results)")
    parser.add_argument("--report", type=Path, default=BENCHMARKS_MD, help="markdown file of the section")
    parser.add_argument("--plot", type=Path, help="default: the section's name .png beside --report")
    parser.add_argument("--categories", choices=list(CATEGORY_SETS), default="standards",
                        help="TeleQnA categories: standards (Standards overview, Standards specifications, "
                             "Lexicon; the reported run, section rag_lift) or research (Research overview "
                             "and publications, where a change is tried first; section rag_lift_research)")
    parser.add_argument("--context-aware", action="store_true",
                        help="also score the naive and the project's contexts context-aware (W = 1)")
    parser.add_argument("--baselines-only", action="store_true",
                        help="only add the baseline rows (no model) to the existing section, measured on the "
                             "questions of --limit and --data-dir")
    args = parser.parse_args(argv)
    args.category_names = CATEGORY_SETS[args.categories]
    section_name = "rag_lift" if args.categories == "standards" else f"rag_lift_{args.categories}"
    args.plot = args.plot or args.report.parent / f"{section_name}.png"
    if args.baselines_only and args.categories != "standards":
        sys.exit("error: --baselines-only refreshes the standards section (rag_lift) only")
    if args.baselines_only:
        body = add_baselines(args.report, baseline_results(args.limit, args.data_dir))
        write_section("rag_lift", body, args.report)
        print(body)
        return []
    for name in ("index", "trained_index"):
        folder = getattr(args, name)
        if folder and not (folder / "manifest.json").exists():
            sys.exit(f"error: no index at {folder}; run bench/retrieval.py (or `telecomgpt index build`) "
                     "first")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from eval.models.lm import open_backend  # lazy: lm_eval (keeps `bench/rag_lift.py --help` fast)

    _quiet_logs()
    engine = llm or open_backend("vllm", args.model)
    try:
        results = run_all(args, engine)
    finally:
        if llm is None:
            engine.close()
    baselines = baseline_results(args.limit, args.data_dir, args.category_names)
    plot(results, args.plot, baselines)
    body = section(results, args, os.path.relpath(args.plot, args.report.parent), baselines)
    write_section(section_name, body, args.report)
    print(body)
    return results


if __name__ == "__main__":
    main()
