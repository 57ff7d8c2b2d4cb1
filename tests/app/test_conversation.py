"""Follow-ups keep their subject, and a release named in a question pins retrieval: the real pipeline's
`prepare` (retrieval, standalone question, sources) over the real spec index. `prepare` never calls the LLM,
so these tests need no vLLM server (the endpoint below is never contacted)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from app.conversation import rule_rewrite
from app.pipeline import RAGConfig, RAGPipeline
from app.releases import release_named, without_release_tag
from app.term_lookup import asked_term, defines

NO_LLM = "http://127.0.0.1:9/v1"
FIRST = "What is t-StatusProhibit?"
FOLLOW_UP = "When is it started?"
ANSWER = "38.322 5.3.4"
"""TS 38.322 §5.3.4 Status reporting: the transmitting side starts t-StatusProhibit with a STATUS PDU."""


def _answer_citing(pipeline: RAGPipeline, question: str) -> list[dict]:
    """The messages of a two-turn thread whose first answer cites what the assistant retrieved."""
    from app.prompting import sources_block

    first = pipeline.prepare([{"role": "user", "content": question}])
    return [{"role": "user", "content": question},
            {"role": "assistant", "content": "It prohibits STATUS PDUs." + sources_block(first.sources)},
            {"role": "user", "content": FOLLOW_UP}]


@pytest.fixture(scope="module")
def pipelines(retriever):
    return {rewrite: RAGPipeline(retriever, RAGConfig(base_url=NO_LLM, rewrite=rewrite))
            for rewrite in ("rule", "off")}


def _clauses(prepared) -> list[str]:
    return [f"{h.metadata.get('spec')} {h.metadata.get('clause')}" for h in prepared.sources]


def test_follow_up_without_subject_retrieves_the_answering_clause(pipelines):
    messages = _answer_citing(pipelines["rule"], FIRST)
    rewritten = pipelines["rule"].prepare(messages)
    assert "t-StatusProhibit" in rewritten.question and rewritten.question != FOLLOW_UP
    assert ANSWER in _clauses(rewritten)
    typed = pipelines["off"].prepare(messages)  # retrieval of the last turn alone, as before issue 22
    assert typed.question == FOLLOW_UP
    assert ANSWER not in _clauses(typed)


def test_rule_rewrite_forms():
    thread = [{"role": "user", "content": "What is the gNB-DU ID?"}, {"role": "assistant", "content": "..."},
              {"role": "user", "content": "And the gNB-CU-UP ID?"}]
    assert rule_rewrite(thread) == "What is the gNB-CU-UP ID?"
    thread[-1]["content"] = "How is it allocated?"
    assert rule_rewrite(thread) == "How is gNB-DU ID allocated?"
    thread[-1]["content"] = "How is the gNB-CU-UP ID allocated?"  # standalone: left as typed
    assert rule_rewrite(thread) == "How is the gNB-CU-UP ID allocated?"
    assert rule_rewrite(thread[:1]) == "What is the gNB-DU ID?"


@pytest.mark.parametrize(("first", "follow_up", "standalone"), [
    # the subject is the phrase after the auxiliary, without the do-question's verb or a passive's participle
    ("What data does the UDM manage?", "How is it discovered and selected?",
     "How is UDM discovered and selected?"),
    ("How is the SCP discovered and selected?", "What does it include?", "What does SCP include?"),
    ("What happens at a MAC reset?", "When is it triggered?", "When is MAC reset triggered?"),
    # a fragment is the previous question asked about what it names; "one" stands for the head noun
    ("What is the NG interface?", "And what about the one between two NG-RAN nodes?",
     "What is the interface between two NG-RAN nodes?"),
    ("What are the services and functions of PDCP?", "And those of SDAP?",
     "What are the services and functions of SDAP?"),
    ("What is Registration Management in 5GS?", "And what about connection management?",
     "What is connection management in 5GS?"),
    # a subject the specs abbreviate is named as they do; a misaligned table row is not an abbreviation
    ("What is a bandwidth part?", "What happens when its inactivity timer expires?",
     "What happens when BWP inactivity timer expires?"),
    ("What is the registration area?", "How is it allocated?", "How is registration area allocated?"),
])
def test_rule_rewrite_subjects_and_fragments(first, follow_up, standalone):
    abbreviations = {"BWP": "Bandwidth Part", "UTRAN": "Registration Area"}  # the second as a table misread
    thread = [{"role": "user", "content": first}, {"role": "assistant", "content": "..."},
              {"role": "user", "content": follow_up}]
    assert rule_rewrite(thread, abbreviations) == standalone


def test_release_named_in_question_pins_retrieval(pipelines):
    assert [release_named(q) for q in ("in Release 17", "Rel-18 changes", "R17 timers", "release 3", "R2")] \
        == [17, 18, 17, None, None]
    question = "What does the abbreviation RLC stand for in Release 17?"
    pinned = pipelines["rule"].prepare([{"role": "user", "content": question}])
    # TR 21.905 is the index's one Release-17 document: cited at Release 17 when it answers; the specs the
    # index holds only in Release 18 stay available (not the Rel-17 vocabulary alone) and the note names them
    retriever = pipelines["rule"].retriever
    held_in_17 = {r.get("spec") for r in retriever.records if r.get("release") == 17}
    assert all(h.metadata.get("release") == 17
               for h in pinned.sources if h.metadata.get("spec") in held_in_17)
    others = sorted({h.metadata["spec"] for h in pinned.sources if h.metadata.get("release") != 17})
    assert others and all(f"{spec} (Release 18)" in pinned.note for spec in others)
    # a spec held in both releases: only its Release-17 chunks remain (rows relabelled: one release per file)
    releases = retriever._releases.copy()
    releases[[i for i, r in enumerate(retriever.records) if r.get("spec") == "38.322"][::2]] = 17
    both = SimpleNamespace(_releases=releases, _specs=retriever._specs)
    mask = type(retriever).release_mask(both, 17, per_spec=True)
    assert not mask[(retriever._specs == "38.322") & (releases != 17)].any()
    assert mask[(retriever._specs == "38.323")].all() and mask[releases == 17].all()
    strict = pipelines["rule"].prepare([{"role": "user", "content": question}], release=17)  # the API field
    assert strict.sources and {h.metadata.get("release") for h in strict.sources} == {17}
    unpinned = pipelines["rule"].prepare([{"role": "user", "content": "What does RLC t-Reassembly do?"}])
    assert 18 in {h.metadata.get("release") for h in unpinned.sources}  # without the name: other releases
    missing = pipelines["rule"].prepare([{"role": "user", "content": "How does RLC work in Rel-15?"}])
    assert missing.sources and "no Release 15" in missing.note and "Release 17, Release 18" in missing.note


def test_index_info_lists_specs_versions_releases(spec_index, run_cli):
    result = run_cli("index", "info", str(spec_index))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "releases: Rel-17, Rel-18" in result.stdout
    line = next(line for line in result.stdout.splitlines() if "38.322" in line)
    assert "V18.0.0" in line and "Rel-18" in line
    assert any("21.905" in line and "V17.2.0" in line for line in result.stdout.splitlines())


def test_a_release_tag_scopes_the_question_and_is_not_searched(pipelines):
    """"[3GPP Release 18]" after a question pins the release as "in Release 18" does, then leaves the
    question: its words are no topic to search for, and the question's form is read again ("What does X stand
    for?" gets its glossary line first). A release named inside the sentence may be the topic and stays."""
    tagged = "What is an acceptable cell? [3GPP Release 17]"
    assert without_release_tag(tagged) == "What is an acceptable cell?"
    assert without_release_tag("What is a split bearer? (Rel-16)") == "What is a split bearer?"
    assert without_release_tag("What changed in Rel-18?") == "What changed in Rel-18?"
    assert without_release_tag("What is WEP? [IEEE 802.11]") == "What is WEP? [IEEE 802.11]"
    question = "What does RLC stand for? [3GPP Release 18]"
    pipeline = pipelines["rule"]
    searched: list[str] = []
    search = pipeline.search
    pipeline.search = lambda text, **kw: searched.append(text) or search(text, **kw)
    try:
        prepared = pipeline.prepare([{"role": "user", "content": question}])
    finally:
        del pipeline.search
    assert prepared.question == "What does RLC stand for?"
    assert set(searched) == {"What does RLC stand for?"}  # a tagged single turn is no follow-up to fuse
    lines = prepared.sources[0].text.splitlines()  # the glossary line defining RLC
    assert any(defines(line, asked_term(prepared.question)) for line in lines), prepared.sources[0].citation
