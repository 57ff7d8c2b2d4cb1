"""Reading data for the assistant's model (`telecomgpt data build-sft --rag`, `build-dpo --rag`): the job the
assistant gives it, learnt on the prompt it is served.

Each item is a question mined from the index's spec chunks by the answer reader's miner
(finetune/data/reader_pairs.py: definitions, abbreviations, functions, interfaces, nodes, procedures), asked
through the assistant's own pipeline (app/pipeline.py `RAGPipeline.prepare`: standalone question, hybrid
retrieval, source rules, compacted passages), so the prompt is the serving prompt byte for byte
(`app.prompting.prompt_messages`). The retrieval is steered only in what it may return:
- an *answer* item has the clause the question was mined from among the sources: where retrieval put it when
  it ranked within the prompt's passages, else at a seeded place among the retrieved distractors (RAFT);
  the target states the fact in the clause's own words and cites it, "... [n]." — and must pass the
  assistant's answer checker against that clause;
- a *no-answer* item (about one in five, `no_answer_fraction`) has every chunk holding the answering sentence
  removed from the results, and the target is the assistant's `NOT_IN_SOURCES` sentence.

Records are build-sft's prompt/completion format with the prompt's system message; `meta` keeps the sources
(text and metadata), the standalone question and the answer's number, which `build-dpo --rag` needs to check
the base model's own answers with the same checker (`checker_verdict`).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from app.grounding import GroundingConfig, GroundingSession, SupportScorer
from app.index_store import read_manifest, source_key
from app.prompting import NOT_IN_SOURCES, abstains, format_source, prompt_messages
from app.retrieval import Hit, Retriever
from app.sentences import citations_of, strip_citations
from finetune.data.filtering import Finalizer, default_benchmarks, load_benchmark_ngrams
from finetune.data.glossary import spec_files
from finetune.data.journal import Journal
from finetune.data.reader_pairs import _balanced, groups_of_chunk
from finetune.data.records import normalize
from finetune.training_data import after_lead
from telecomgpt.domain.keys import stable_hash
from telecomgpt.errors import UserError

NO_ANSWER = "rag_no_answer"
"""`source` of the no-answer items; answer items are `rag_<kind>`."""
MAX_TARGET_CHARS = 320
"""A target longer than this is a list cut to its first items, else left out (two or three short sentences
is the answer the system prompt asks for)."""
LIST_ITEMS = 3
_REFERENCE = re.compile(r"\s*\[\d+(?:\s*[,-]\s*\d+)*\]")
"""A spec's bibliography reference ("TS 38.331 [5]"): in a target it reads as a citation of document 5."""
_LEVEL = re.compile(r"^\s*\d>\s*")
_SEE_SPEC = re.compile(r",?\s*\(?(?:see|as\s+(?:defined|specified|described)\s+in)\s+"
                       r"(?:clause\s+[\w.]+\s+(?:of|in)\s+)?(?:TS|TR)\s+[\d.]+\)?$")
"""A trailing pointer to another spec ("..., as defined in TS 23.501"): its reference number is gone, and what
is left would read as the source of the fact."""
_PROCEDURE = "What does the MAC entity do "
_ACTION = re.compile(r"(?!(?:the|a|an|if|when|for|upon|where|while|and|or)\b)[a-z]")
"""An action line of a MAC procedure starts with its verb in lower case ("start", "consider", "indicate")."""


@dataclass
class RAGBuild:
    """Where to retrieve from, what to mine, and where to write."""

    output: Path
    index: str
    """An index built by `telecomgpt index build` (the assistant's)."""
    rag: object
    """The assistant's `app.pipeline.RAGConfig` (passages, passage_chars, max_model_len, ...): the prompt is
    packed exactly as it is served with these settings."""
    specs: list[str] = field(default_factory=list)
    """Mine only the chunks of these files (each must be in the index); empty: every chunk of the index."""
    benchmarks: list[str] = field(default_factory=list)
    decontaminate: bool = True
    held_out: list[tuple[str, str, str]] = field(default_factory=list)
    """(spec, clause, facts regex) no question is mined from: the chunks of that clause (and its subclauses)
    that state one of the facts, e.g. the answers of an answer benchmark about the same specs
    (`held_out_clauses`); they may still be retrieved as distractors."""
    max_items: int = 0
    """Keep at most this many items (0 = all), kinds taken in turn in a seeded order."""
    max_per_kind: int = 0
    """Keep at most this many items of one mined kind (0 = no cap), no-answer items counted with the kind they
    were mined as. The specs hold ~1,100 abbreviations and ~900 definitions against a few hundred node,
    interface and procedure statements, so without a cap a build is two thirds "X: expansion" lines, and a
    model trained on it answers every question in that shape ("A gNB provides towards the UE: [1].")."""
    no_answer_fraction: float = 0.2
    seed: int = 0
    command: str = ""
    """The command line that asked for this build, kept in stats.json (the adapter's manifest quotes it)."""


def _clean(text: str) -> str:
    text = _REFERENCE.sub("", _LEVEL.sub("", text.replace("**", "")))
    return " ".join(text.split()).strip()


def _short_list(text: str) -> str | None:
    """A long "X hosts the following functions: -a; -b; ..." cut to its first items; None when not a list."""
    stem, sep, rest = text.partition(":")
    items = [i.strip(" -;.\u2022") for i in re.split(r";\s*|\s+-(?=\S)", rest) if i.strip(" -;.\u2022")]
    if not sep or len(items) < 2:
        return None
    return f"{stem}: {'; '.join(items[:LIST_ITEMS])}"


def target_sentence(group: dict, n: int) -> str | None:
    """The answer to a mined question in the words of its answering sentence, citing document n; None when
    the sentence states no fact worth training on (a bare cross-reference, an over-long sentence)."""
    positive = _SEE_SPEC.sub("", _clean(group["positive"]).rstrip(" ;:.")).rstrip(" ;:.")
    if group["kind"] == "abbreviation":
        abbr, _, expansion = positive.partition(" ")
        # "X: expansion", as definitions read: the checker scores "X stands for ..." below its threshold
        # (an extra content word against a three-word evidence line)
        text = f"{abbr}: {expansion.strip()}"
    elif group["kind"] == "procedure":
        if (not group["question"].startswith(_PROCEDURE) or not _ACTION.match(positive.lstrip(" -"))
                or re.search(r"\b(?:and|or|either)$", positive)):
            return None  # the deeper line goes on with the condition ("SL data ... available; and either")
        # the action alone: "If <condition>, the MAC entity shall <action>" joins two lines of the clause,
        # and the checker (one evidence sentence per claim) dropped 181 of 193 such targets; the question
        # already states the condition
        text = f"The MAC entity shall {positive.lstrip(' -')}"
    else:
        text = positive.lstrip(" -")
    if group["kind"] == "definition":
        meaning = text.partition(":")[2]
        if len(meaning.split()) < 3 or re.match(r"\W*(?:as\s+)?(?:defined|specified)\s+in\b", meaning, re.I):
            return None
    if len(text) > MAX_TARGET_CHARS:
        text = _short_list(text) or ""
        if not text or len(text) > MAX_TARGET_CHARS:
            return None
    return f"{text} [{n}]."


class _Steered:
    """The index's retriever as the pipeline sees it for one item: the answering chunk kept in or put into the
    results, or every chunk holding the answering sentence left out."""

    EXTRA = 8
    """Hits searched beyond `k`, so that left-out chunks are replaced by the next ones."""

    def __init__(self, retriever: Retriever, passages: int):
        self.inner = retriever
        self.records = retriever.records  # RAGPipeline.release_for reads them
        self.abbreviations = retriever.abbreviations  # and RAGPipeline.standalone (the rule rewrite)
        self.passages = passages
        self.sentence = ""
        self.answer: Hit | None = None
        self.position = 0
        self.retrieved = False

    def aim(self, sentence: str, answer: Hit | None, position: int) -> None:
        """Next item: its answering sentence (normalised); `answer` None hides it, else keeps that hit."""
        self.sentence, self.answer, self.position, self.retrieved = sentence, answer, position, False

    def holds(self, hit: Hit) -> bool:
        return self.sentence in normalize(hit.text)

    def search(self, query: str, k: int = 5, **options) -> list[Hit]:
        """`Retriever.search` with the pipeline's options (release, ...), steered for the current item."""
        hits = self.inner.search(query, k=k + self.EXTRA, **options)
        if self.answer is None:
            return [h for h in hits if not self.holds(h)][:k]
        rank = next((i for i, h in enumerate(hits) if h.metadata.get("chunk_id") ==
                     self.answer.metadata["chunk_id"]), None)
        if rank is not None and rank < self.passages:
            self.retrieved = True
            return hits[:k]
        others = [h for h in hits if h.metadata.get("chunk_id") != self.answer.metadata["chunk_id"]]
        others.insert(min(self.position, len(others)), self.answer)
        return others[:k]


def _hit_of(record: dict) -> Hit:
    return Hit(text=record["text"], score=0.0,
               metadata={key: value for key, value in record.items() if key != "text"} | {"similarity": None})


def _blocks(context: str, sources: list[Hit]) -> list[str]:
    """The prompt's document blocks, one per source (each starts with its `format_source` header)."""
    starts = [context.find(format_source(n, hit)) for n, hit in enumerate(sources, start=1)]
    ends = [*starts[1:], len(context)]
    return [context[s:e] for s, e in zip(starts, ends, strict=True)]


def held_out_clauses(path: str) -> list[tuple[str, str, str]]:
    """(spec, clause, facts) from a YAML or JSON file of items with `spec`, `clauses` and optional `facts`
    (regular expressions; a list at the top or under `questions`, as bench/answer_questions.yaml)."""
    import yaml

    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise UserError(f"cannot read the held-out clauses {path}: {exc}") from None
    items = data.get("questions") if isinstance(data, dict) else data
    if not isinstance(items, list) or not all(isinstance(i, dict) and "spec" in i for i in items):
        raise UserError(f"{path} holds no list of items with 'spec' and 'clauses'")
    held = set()
    for item in items:
        facts = "|".join(f"(?:{f})" for f in item.get("facts") or [])
        try:
            re.compile(facts)
        except re.error as exc:
            name = item.get("id", item["spec"])
            raise UserError(f"{path}: a fact of {name} is no regular expression: {exc}") from None
        held |= {(str(item["spec"]), str(clause), facts) for clause in item.get("clauses") or []}
    return sorted(held)


def _is_held_out(record: dict, held_out: list[tuple[str, str, str]]) -> bool:
    """Whether a chunk is of a held-out clause (or a subclause) and states one of its facts: a glossary
    clause of hundreds of terms loses only the chunks that hold a benchmark's answer."""
    clause = record.get("clause") or ""
    text = " ".join(record["text"].split())
    return any(record.get("spec") == spec and (clause == c or clause.startswith(c + "."))
               and (not facts or re.search(facts, text, re.I)) for spec, c, facts in held_out)


def mined_groups(retriever: Retriever, specs: list[str], seed: int,
                 held_out: list[tuple[str, str, str]] = ()) -> list[dict]:
    """Reader groups of the index's chunks (of `specs` when given, none of `held_out` clauses), kinds in turn
    in a seeded order."""
    wanted: set[str] | None = None
    if specs:
        for raw in specs:
            if not Path(raw).exists():
                raise UserError(f"corpus not found: {raw}")
        wanted = {source_key(p) for p in spec_files(specs)}
        held = {r["source"] for r in retriever.records}
        missing = sorted(wanted - held)
        if missing:
            raise UserError(f"{Path(missing[0]).name} is not in the index {retriever.index_dir}",
                            hint="index it first (`telecomgpt index add`) or drop it from --specs")
    groups = []
    for record in retriever.records:
        if (wanted is not None and record["source"] not in wanted) or _is_held_out(record, held_out):
            continue
        for group in groups_of_chunk(record["text"], record.get("spec") or "", retriever.abbreviations,
                                     record.get("title") or ""):
            # the miner asks every "1> if ...:" block what "the MAC entity" does: only true in MAC text
            if group["kind"] == "procedure" and "MAC entity" not in record["text"]:
                continue
            # a spec's reference number in the question ("configured according to TS 38.331 [5]") would read
            # as a document number, in the question and in the target built from it
            groups.append(group | {"chunk_id": record["chunk_id"], "question": _clean(group["question"])})
    return _balanced(groups, seed)


def build_rag_sft(job: RAGBuild) -> dict:
    """Mine, retrieve, pack, target, check; dedup and decontaminate; write `sft.jsonl.gz`; returns stats."""
    from tqdm import tqdm

    from app.pipeline import LEAD_PROMPT, RAGPipeline

    if not Path(job.index).is_dir() or not read_manifest(Path(job.index)):
        raise UserError(f"no index at {job.index}",
                        hint="build one with `telecomgpt index build --input SPECS --output DIR`")
    retriever = Retriever.load(job.index)
    groups = mined_groups(retriever, job.specs, job.seed, job.held_out)
    if not groups:
        raise UserError(f"no questions mined from the index {job.index}",
                        hint="it needs 3GPP spec chunks (definitions, interfaces, procedures, ...)")
    pipeline = RAGPipeline(retriever, job.rag)
    steered = _Steered(retriever, job.rag.passages)
    pipeline.retriever = steered
    rows = {r["chunk_id"]: r for r in retriever.records}
    benchmarks = [Path(b) for b in job.benchmarks] or (default_benchmarks() if job.decontaminate else [])
    finalizer = Finalizer(load_benchmark_ngrams(benchmarks) if job.decontaminate else None)
    manifest = read_manifest(Path(job.index))
    journal = Journal(job.output, "rag-sft", {
        "index": str(Path(job.index).resolve()), "files": manifest.get("files"), "rag": repr(job.rag),
        "specs": job.specs, "fraction": job.no_answer_fraction, "seed": job.seed, "held_out": job.held_out})
    counts: Counter = Counter()
    kinds_kept: Counter = Counter()
    capped: Counter = Counter()  # groups of a kind past max_per_kind
    resumed = journal.resumed
    bar = tqdm(groups, desc="reading items", unit="question", dynamic_ncols=True)
    for group in bar:
        if job.max_items and len(finalizer.kept) >= job.max_items:
            break
        if job.max_per_kind and kinds_kept[group["kind"]] >= job.max_per_kind:
            capped[group["kind"]] += 1  # never built: not an input (as past max_items)
            continue
        key = item_key(group)
        if key not in journal.done:
            journal.put(key, _item(group, key, pipeline, steered, rows, job))
        record, reason = journal.done[key]
        if reason:
            finalizer.exclude(record, reason)
            continue
        if not record["meta"]["no_answer"]:  # where the answering clause came from: retrieval, or placed
            counts["retrieved" if record["meta"]["retrieved"] else "placed"] += 1
        # the same question over other sources may need another answer (reading, not recall): one item per
        # question and answer, not per question
        answer = record["completion"][0]["content"]
        if finalizer.add(record, f"rag:{normalize(group['question'])}|{normalize(answer)}"):
            kinds_kept[group["kind"]] += 1
        bar.set_postfix(kept=len(finalizer.kept))
    bar.close()
    kept = finalizer.kept
    stats = finalizer.write(job.output, "sft", {
        "built_by_source": dict(Counter(r["source"] for r in [*kept, *finalizer.excluded])),
        "candidates_by_kind": dict(Counter(g["kind"] for g in groups)),
        "answer_retrieved": counts["retrieved"], "answer_placed": counts["placed"],
        "max_per_kind": job.max_per_kind,
        "prompt": LEAD_PROMPT,  # each target opens with the lead: serve with `continue_lead`
        "after_lead": dict(Counter(r["meta"].get("after_lead") for r in kept)),
        "left_by_kind_cap": dict(capped),
        "resumed": resumed, "index": str(job.index), "command": job.command, "errors": [],
        "held_out_clauses": len(job.held_out),
        "benchmarks": [str(b) for b in benchmarks]})
    journal.finish()
    return stats


def item_key(group: dict) -> str:
    """A mined group's identity: its record id, its no-answer draw and its place among the sources follow
    from it."""
    return f"{group['chunk_id']}:{group['question']}:{group['positive']}"


def is_no_answer(key: str, fraction: float) -> bool:
    """Whether the item of `key` is drawn as a no-answer item (deterministic, about `fraction` of them)."""
    return (stable_hash(key) % 1000) < fraction * 1000


def _ask(pipeline, steered: _Steered, group: dict, sentence: str, answer: Hit | None, position: int):
    """(prepared question, numbers of the prompt's documents holding the answering sentence)."""
    steered.aim(sentence, answer, position)
    prepared = pipeline.prepare([{"role": "user", "content": group["question"]}])
    if not prepared.knows:
        return prepared, []
    blocks = _blocks(prepared.inputs["context"], prepared.sources)
    return prepared, [n for n, block in enumerate(blocks, start=1) if sentence in normalize(block)]


def _fill(record: dict, prepared, holding: list[int]) -> None:
    record["prompt"] = prompt_messages(prepared.inputs)
    record["meta"] |= {"query": prepared.question, "answer_n": holding[0] if holding else None,
                       "sources": [{"text": h.text, "score": h.score, "metadata": h.metadata}
                                   for h in prepared.sources]}


def _item(group: dict, key: str, pipeline, steered: _Steered, rows: dict, job: RAGBuild) -> tuple[dict, str]:
    """(record, exclusion reason or "") of one mined question.

    Every question is first made an answer item; the drawn share of the *valid* ones then becomes no-answer
    items (asked again with the answering sentence left out), so about `no_answer_fraction` of what is kept
    abstains, whatever share of answer items the checks exclude."""
    digest = stable_hash(key)
    sentence = normalize(_LEVEL.sub("", group["positive"]))  # as the prompt shows it, "2>" level aside
    prepared, holding = _ask(pipeline, steered, group, sentence, _hit_of(rows[group["chunk_id"]]),
                             (digest >> 12) % max(1, job.rag.passages))
    record = {"id": f"rag_{group['kind']}-{digest:016x}", "source": f"rag_{group['kind']}", "prompt": [],
              "completion": [],
              "meta": {"kind": group["kind"], "spec": group.get("spec"), "chunk_id": group["chunk_id"],
                       "question": group["question"], "positive": group["positive"], "no_answer": False,
                       "retrieved": steered.retrieved}}
    if not prepared.knows:
        return record, "nothing_retrieved"
    _fill(record, prepared, holding)
    if not holding:  # compacted out of its passage, or a source rule left the clause out
        return record, "answer_not_in_prompt"
    target = target_sentence(group, holding[0])
    if target is None:
        return record, "no_fact"
    checked = pipeline.grounding_session(prepared, "drop").check_sentence(target)
    record["meta"]["support"] = round(checked.support, 4)
    if not checked.supported or checked.reason:
        return record, "checker_drops_target"
    lead, after, follows = _after_lead(pipeline.grounding_session(prepared, "drop"), target,
                                       _blocks(prepared.inputs["context"], prepared.sources))
    record["completion"] = [{"role": "assistant", "content": opened(lead, after)}]
    record["meta"] |= {"lead": lead, "after_lead": follows, "target": target}
    if not is_no_answer(key, job.no_answer_fraction):
        return record, ""
    prepared, holding = _ask(pipeline, steered, group, sentence, None, 0)
    lead = pipeline.grounding_session(prepared, "drop").lead() if prepared.knows else ""
    record |= {"id": f"rag_no_answer-{digest:016x}", "source": NO_ANSWER,
               "completion": [{"role": "assistant", "content": opened(lead, NOT_IN_SOURCES)}]}
    record["meta"] |= {"no_answer": True, "retrieved": False, "target": target, "lead": lead,
                       "after_lead": "abstains"}
    if not prepared.knows:
        return record, "nothing_retrieved"
    _fill(record, prepared, holding)
    # cannot happen: the steered search left every chunk holding the sentence out
    return record, "answer_in_prompt" if holding else ""


def opened(lead: str, after: str) -> str:
    """The target as the model writes it when served with `continue_lead`: the quoted lead, then its part."""
    return f"{lead} {after}".strip()


def continuation(record: dict) -> str:
    """What a reading item's completion has the model write after its lead (the inverse of `opened`)."""
    return after_lead(record["completion"][0]["content"], record["meta"].get("lead") or "")


def _after_lead(session, target: str, blocks: list[str]) -> tuple[str, str, str]:
    """(lead, what the model writes after it, which case): the assistant quotes the lead before the model
    speaks and the model continues it (`RAGConfig.continue_lead`), so a target that restates the lead would
    be dropped as "repeated". When the lead misses the fact the model writes the target; when it states it,
    the next sentence of the lead's source if the prompt shows it and the checker passes it, else nothing
    (the model stops); with no lead, the target as before."""
    lead = session.lead()
    if not lead:
        return "", target, "no_lead"
    checked = session.check_sentence(target)
    if not checked.reason and checked.supported:
        return lead, target, "lead_misses"
    after = session.after_lead()
    # the stored chunk goes on past its compacted passage: the model may only write what its prompt shows
    if after and normalize(strip_citations(after)) in normalize(blocks[citations_of(after)[0] - 1]):
        checked = session.check_sentence(after)
        if not checked.reason and checked.supported:
            return lead, after, "next_sentence"
    return lead, "", "stops"


def checker_verdict(answer: str, record: dict, scorer: SupportScorer | None = None) -> str:
    """Why the assistant would not serve `answer` to a reading item as it is ("" when it would): it answers
    where the sources do not say (or abstains where they do), the checker drops a sentence of it, it cites a
    document that does not hold the answer, or it cites none. `answer` is what the model wrote after the
    item's lead (`meta["lead"]`), which the assistant shows before it."""
    meta = record["meta"]
    if meta["no_answer"]:
        return "" if abstains(answer) else "answered_without_evidence"
    if abstains(answer):
        return "abstained_with_evidence"
    hits = [Hit(**source) for source in meta["sources"]]
    session = GroundingSession(meta["query"], hits, scorer, GroundingConfig(lead=False))
    lead = meta.get("lead") or ""
    session.check_all(opened(lead, answer))  # after the quoted lead: restating it is "repeated"
    if session.mode == "extractive" or session.dropped:
        return "dropped"
    cited = set(citations_of(answer))
    if cited - {meta["answer_n"]}:
        return "wrong_source"
    return "" if cited else "uncited"
