"""Sources that can answer (app/source_rules.py, app/procedure_text.py) on real Release-19 specs from
../shared: reference lists and other chunks that never answer stay out of the sources, one source per
clause, a procedure condition keeps its actions and a list stem its items, in chunks and in quoted
sentences."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.indexer import update_index
from app.prompting import compact_passage
from app.readers import read_file
from app.retrieval import Hit, Retriever
from app.sentences import ELIDED, UNIT_CHARS, after_shown_steps, ngrams, split_sentences
from app.source_rules import choose_sources, clause_key, never_answers

MAC = "38.321_MAC_j20.md"
NGRAN = "38.300_NG-RAN_Overall_j20.md"
ARCH = "23.501_5GS_Architecture_j70.md"
MAC_QUESTIONS = ["How is the timeAlignmentTimer handled in NR MAC?",
                 "Which logical channels are defined in NR MAC?", "How does DRX work in NR MAC?"]
"""Questions ending in "in NR MAC": the References clauses list "NR; Medium Access Control (MAC) protocol
specification" and rank among their top hits."""
STEP = re.compile(r"^\s*\d>")


@pytest.fixture(scope="module")
def rel19(shared_dir: Path) -> Path:
    return shared_dir / "data" / "corpus" / "3gpp" / "rel19-md"


@pytest.fixture(scope="module")
def chunks(rel19: Path) -> dict[str, list]:
    return {name: read_file(rel19 / name)[0] for name in (MAC, NGRAN, ARCH)}


@pytest.fixture(scope="module")
def mac_retriever(rel19: Path, tmp_path_factory: pytest.TempPathFactory) -> Retriever:
    """A BM25-only index of TS 38.321 and TS 38.300 (seconds to build; the rules do not depend on how it
    ranks)."""
    out = tmp_path_factory.mktemp("mac") / "index"
    report = update_index(out, [rel19 / MAC, rel19 / NGRAN], prune=True, progress=False, dense=False)
    assert not report.errors
    return Retriever.load(out)


def _hits(chunks: list) -> list[Hit]:
    return [Hit(text=c.text, score=0.0, metadata=c.metadata()) for c in chunks]


def test_references_and_foreword_are_never_sources(mac_retriever: Retriever, rel19: Path):
    from app.pipeline import RAGConfig, RAGPipeline  # lazy: langchain

    # prepare() only retrieves and packs: no model is asked, so the endpoint is never contacted
    pipeline = RAGPipeline(mac_retriever, RAGConfig(base_url="http://127.0.0.1:9/v1"))
    for question in MAC_QUESTIONS:
        retrieved = mac_retriever.search(question, k=5, answering_only=False)
        assert any(h.metadata["title"] == "References" for h in retrieved), question  # the case arises
        sources = pipeline.prepare([{"role": "user", "content": question}]).sources
        assert sources, question
        assert all(never_answers(h) is None and h.metadata["title"] != "References"
                   for h in sources), question
    foreword = to_foreword(rel19 / MAC)
    assert never_answers(Hit(text=foreword, score=0.0, metadata={"title": "Foreword"})) == "foreword"


def to_foreword(path: Path) -> str:
    """The real Foreword of a spec (front matter: the index skips it; a note may still carry one)."""
    text = path.read_text()
    start = text.index("Foreword")
    return text[start:start + 1500].split("\n", 1)[1]


def test_reference_lists_captions_and_void_never_answer_but_clauses_do(chunks: dict[str, list]):
    mac = _hits(chunks[MAC])
    references = [h for h in mac if h.metadata["clause"] == "2"]
    assert references and all(never_answers(h) == "references" for h in references)
    # the rule reads the text too: a reference list under another title is still one
    listed = Hit(text=references[1].text, score=0.0, metadata={"title": "Annex"})
    assert never_answers(listed) == "reference list"
    caption = next(line for h in _hits(chunks[NGRAN]) for line in h.text.splitlines()
                   if line.startswith("Figure 4.1-1"))
    assert never_answers(Hit(text=caption, score=0.0, metadata={"title": "Overall Architecture"})) == \
        "captions only"
    assert never_answers(Hit(text="Void", score=0.0, metadata={"title": "Power headroom"})) == "void"
    # the rules are narrow: the other chunks of the MAC spec they leave out are its cover page, its change
    # history and chunks of figure captions alone (the MAC CE formats are drawn, not written; a figure's title
    # names them)
    for hit in mac:
        reason = never_answers(hit)
        if reason and hit.metadata["clause"] != "2":
            lines = [line for line in hit.text.splitlines() if line.strip()]
            assert (reason in ("change history", "cover page")
                    or all(line.startswith("Figure ") for line in lines)), hit.text
    assert sum(never_answers(h) is not None for h in mac) < 0.06 * len(mac)


def test_a_change_history_under_the_last_annex_never_answers(chunks: dict[str, list]):
    """TS 38.300's Markdown carries its change history after Annex B.4, so its chunks have that clause's
    number and title; "| 2017.06 | RAN2 98 | R2-1706204 | ... RLC mode for SRB0 ..." was quoted for
    "Which RLC mode is used for SRB0 ...?". The annex's own text still answers."""
    annex = [h for h in _hits(chunks[NGRAN]) if h.metadata["clause"] == "B.4"]
    history = [h for h in annex if "| 2017.06 | RAN2 98 |" in h.text]
    assert history and all(never_answers(h) == "change history" for h in history)
    assert any(never_answers(h) is None and "|" not in h.text for h in annex)


def test_one_source_per_clause_unless_the_budget_is_left_unused(mac_retriever: Retriever):
    hits = mac_retriever.search("How does DRX work in NR MAC?", k=8)
    keys = [clause_key(h) for h in hits if never_answers(h) is None]
    assert len(keys) > len(set(keys)) >= 3  # retrieval returns two chunks of one clause
    chosen = choose_sources(hits, passages=3)
    assert len({clause_key(h) for h in chosen[:3]}) == 3
    two = list(dict.fromkeys(keys))[:2]
    few = [h for h in hits if never_answers(h) is None and clause_key(h) in two]
    assert len(few) >= 3
    # only two clauses: the third source is a second chunk of one of them (the budget would go unused)
    chosen = choose_sources(few, passages=3)
    assert [clause_key(h) for h in chosen[:2]] == two and len(chosen) == len(few)


def test_one_clause_in_two_releases_is_one_source(chunks: dict[str, list], shared_dir: Path):
    """TS 38.321 is in ../shared as Release 18 (.docx) and Release 19 (Markdown): its clause 5.2 from both
    files read as two sources that say the same thing."""
    rel18 = read_file(shared_dir / "data" / "corpus" / "3gpp" / "rel18-docx" / "38321-i00.docx")[0]
    first_of = {}
    for chunk in [*rel18, *chunks[MAC]]:
        first_of.setdefault((chunk.metadata()["source"], chunk.metadata()["clause"]), chunk)
    both = [first_of[(source, "5.2")] for source in dict.fromkeys(s for s, _ in first_of)]
    assert len(both) == 2 and {c.metadata()["release"] for c in both} == {18, 19}
    other = first_of[(chunks[MAC][0].metadata()["source"], "4.4")]
    chosen = choose_sources(_hits([*both, other]), passages=2)
    assert [h.metadata["clause"] for h in chosen[:2]] == ["5.2", "4.4"], [h.citation for h in chosen]


def test_a_procedure_condition_keeps_its_actions(chunks: dict[str, list]):
    condition = "1>when a timeAlignmentTimer expires:"
    holding = [c for c in chunks[MAC] if condition in c.text]
    home = [c for c in holding if "3>flush all HARQ buffers for all Serving Cells;" in c.text]
    assert len(home) == 1
    # the procedure is longer than a chunk: the chunks after the first open with its stem and condition
    later = [c for c in holding if c.part > home[0].part]
    assert later and all(c.text.startswith(f"The MAC entity shall:\n{condition}") for c in later), later
    sentence = next(s for s in split_sentences(home[0].text, soft_wraps=True) if condition in s)
    assert "3>flush all HARQ buffers for all Serving Cells;" in sentence
    # across the whole MAC spec, a chunk or a quotable unit rarely ends in a condition without its actions
    # (before these rules: 197 of 1,375 chunks and 163 sentences did)
    ends = [c for c in chunks[MAC] if STEP.match(c.text.splitlines()[-1]) and c.text.rstrip().endswith(":")]
    bare = [s for c in chunks[MAC] for s in split_sentences(c.text, soft_wraps=True)
            if STEP.match(s) and s.endswith(":")]
    assert len(ends) < 0.04 * len(chunks[MAC]) and len(bare) < 60, (len(ends), len(bare))


def test_a_condition_over_several_lines_is_one_head(chunks: dict[str, list]):
    first = "1>if PREAMBLE_TRANSMISSION_COUNTER is greater than one; and"
    text = next(c.text for c in chunks[MAC] if first in c.text)
    sentence = next(s for s in split_sentences(text, soft_wraps=True) if first in s)
    assert sentence.startswith("The MAC entity shall, for each Random Access Preamble:")  # its stem
    assert "1>if SSB or CSI-RS selected is not changed" in sentence
    assert sentence.endswith("2>increment PREAMBLE_POWER_RAMPING_COUNTER by 1.")


def test_a_step_cut_off_a_long_procedure_keeps_the_conditions_above_it(chunks: dict[str, list]):
    """TS 38.321 §5.4.5: the BSR procedure's unit is longer than a quote (UNIT_CHARS), so it is cut at its
    steps; the piece holding "3>start or restart retxBSR-Timer." was quoted alone, saying nothing of when.
    It now opens with the stem and the conditions above it, and a quote after one showing them shows only
    what is new."""
    action = "3>start or restart retxBSR-Timer."
    conditions = ("The MAC entity shall: 1>if the Buffer Status reporting procedure determines that at least "
                  "one BSR has been triggered and not cancelled: 2>if UL-SCH resources are available for a "
                  "new transmission")
    text = next(c.text for c in chunks[MAC] if action in c.text and conditions[-40:] in c.text)
    sentences = split_sentences(text, soft_wraps=True)
    holding = [s for s in sentences if action in s]
    assert len(holding) == 1 and holding[0].startswith(conditions) and holding[0].endswith(action), holding
    first = next(s for s in sentences if s.startswith(conditions) and "3>instruct the Multiplexing" in s)
    assert action not in first  # the cut is real: two pieces under the same conditions
    assert after_shown_steps(holding[0], set(ngrams(first, 8)), 8) == f"{ELIDED} {action}"
    assert after_shown_steps(first, set(), 8) is None  # nothing shown yet: quoted whole
    # the prompt's passage (600 characters) holds the answering step, its conditions shown once; it had
    # room only for the first piece when each piece repeated them
    passage = compact_passage(text, "When does the MAC entity start or restart retxBSR-Timer?", 600)
    assert passage.count("not cancelled") == 1 and f"{ELIDED} {action}" in passage, passage
    # across the whole MAC spec, far fewer chunks and quotable sentences open with a nested step and nothing
    # above it (the rest sit under conditions too long to repeat within a chunk: the random access clauses)
    opening = [c for c in chunks[MAC] if re.match(r"[2-9]>", c.text)]
    deep = [s for c in chunks[MAC] for s in split_sentences(c.text, soft_wraps=True)
            if re.match(r"[2-9]>", s)]
    assert len(opening) < 270 and len(deep) < 600, (len(opening), len(deep))  # 328 and 956 before
    # a long list's later items are not given its stem: each piece would read as the stem's statement
    stem = "The User plane function (UPF) includes the following functionality."
    upf = [s for c in chunks[ARCH] if stem in c.text for s in split_sentences(c.text, soft_wraps=True)]
    assert sum(s.startswith(stem) for s in upf) == 1


def test_a_list_stem_keeps_its_items(chunks: dict[str, list]):
    for name, stem, item in [
        (NGRAN, "The AMF hosts the following main functions (see TS 23.501 [3]):",
         "-NAS signalling termination;"),
        (MAC, "The MAC sublayer supports the following functions:",
         "-mapping between logical channels and transport channels;"),
        # the announcing sentence is not the one before the list: it still keeps it
        (ARCH, "The Session Management function (SMF) includes the following functionality.",
         "-Session Management e.g. Session Establishment, modify and release"),
    ]:
        home = [c for c in chunks[name] if stem in c.text]
        assert len(home) == 1 and item in home[0].text, stem
        sentence = next(s for s in split_sentences(home[0].text, soft_wraps=True) if stem in s)
        assert sentence.startswith(stem) and item in sentence, sentence


def test_a_long_list_item_shows_its_first_clause_in_the_list_and_comes_whole_after(chunks: dict[str, list]):
    """TS 23.501 §6.2.6: the NRF's second function goes on for 350 characters, so the unit of the list's
    stem kept only the first item, and "What are the functions of the NRF?" was answered with one. A quote
    (`clip_items`) shows the long item's first clause and the items after it; the item comes whole next."""
    stem = "The Network Repository Function (NRF) supports the following functionality:"
    home = next(c for c in chunks[ARCH] if stem in c.text)
    before = next(s for s in split_sentences(home.text, soft_wraps=True) if s.startswith(stem))
    assert "P-CSCF" not in before, before  # the unit as a passage reads it
    sentences = split_sentences(home.text, soft_wraps=True, clip_items=True)
    unit = next(s for s in sentences if s.startswith(stem))
    assert (f"the discovered NF instances {ELIDED} -Supports P-CSCF discovery" in unit
            and len(unit) <= UNIT_CHARS), unit
    whole = next(s for s in sentences if s.startswith("Receive NF Discovery Request"))
    assert whole.endswith("as specified in clause 6.44 of TS 22.261 [2]."), whole
    # a passage cut to a budget reads each item once
    assert sum("Receive NF Discovery Request" in s for s in split_sentences(home.text, True)) == 1


def test_a_sentence_that_lists_inline_is_not_joined_to_the_list_after_it(chunks: dict[str, list]):
    """TS 38.300 §6.1: "The layer 2 of NR is split into the following sublayers: MAC, ... and SDAP." gives
    its own list; the list after it belongs to the next sentence ("The two figures below depict ..."). Joined
    into one quote, the overview led answers about each sublayer's functions."""
    inline = "The layer 2 of NR is split into the following sublayers:"
    home = next(c for c in chunks[NGRAN] if inline in c.text)
    sentences = split_sentences(home.text, soft_wraps=True)
    overview = next(s for s in sentences if s.startswith(inline))
    assert overview.endswith("Service Data Adaptation Protocol (SDAP)."), overview
    assert any(s.startswith("The two figures below depict") and "-The physical layer offers" in s
               for s in sentences), sentences


def test_the_cover_page_is_never_a_source_and_the_scope_clause_waits(chunks: dict[str, list]):
    """TS 38.300's cover page (title block and the 3GPP disclaimer, no clause number) answers nothing; its
    Scope clause answers only questions about the document, so every other clause comes first."""
    hits = _hits(chunks[NGRAN])
    cover = next(h for h in hits if not h.metadata.get("clause"))
    assert "3GPP TS 38.300" in cover.text and never_answers(cover) == "cover page"
    scope = next(h for h in hits if h.metadata.get("title") == "Scope")
    assert never_answers(scope) is None
    architecture = next(h for h in hits if h.metadata.get("clause") == "4.1")
    chosen = choose_sources([cover, scope, architecture], passages=3)
    assert chosen == [architecture, scope]
    assert choose_sources([scope], passages=3) == [scope]  # alone it is still a source


def test_chunks_that_never_answer_are_not_searched(retriever: Retriever):
    """A question naming a release matches the spec cover pages ("3GPP TS 38.323 V18.0.0 (Release 18)"):
    they rank in its top five (the case arises). The search leaves such chunks out before ranking, so its
    five hits are clauses that may answer (before, a question could get only cover pages and References
    from the whole candidate depth, and the assistant said it knew nothing)."""
    question = "What are the main services and functions of the PDCP sublayer? [3GPP Release 18]"
    plain = retriever.search(question, k=5, answering_only=False)
    assert any(never_answers(h) == "cover page" for h in plain), [h.citation for h in plain]
    hits = retriever.search(question, k=5)
    assert len(hits) == 5 and not any(never_answers(h) for h in hits), [h.citation for h in hits]
    assert retriever.answering.sum() < len(retriever.records)
