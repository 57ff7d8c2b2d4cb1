"""The role checker (app/role_check.py) shipped in app/role_model/, on sentences of two real specs it was not
trained on (TS 38.211 and TS 38.401 are held out in its summary): a claim with two roles swapped inside one
sentence, or a number changed, is refused while the true sentence passes, also inside a grounded answer
where the support scorer alone shows the swapped claim."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.grounding import GroundingConfig, GroundingSession, SupportScorer
from app.retrieval import Hit
from app.role_check import SHIPPED, RoleChecker
from app.sentences import split_sentences, terms
from telecomgpt.domain.tgpp import read_spec

PHY = "data/corpus/3gpp/rel19-md/38.211_PHY-Channels_j30.md"
ARCH = "data/corpus/3gpp/rel19-md/38.401_NG-RAN_Architecture_j20.md"


@pytest.fixture(scope="module")
def checker() -> RoleChecker:
    summary = json.loads((SHIPPED / "role_check_summary.json").read_text())
    held_out = {"38.211_PHY-Channels_j30.md", "38.401_NG-RAN_Architecture_j20.md"}
    assert held_out <= set(summary["held_out_specs"])
    return RoleChecker.load(SHIPPED)


def _clause_and_sentence(path: Path, needle: str) -> tuple[str, str]:
    """The clause text of a real spec that holds `needle`, and its sentence that does."""
    _, clauses = read_spec(path)
    for clause in clauses:
        for sentence in split_sentences(clause.text, soft_wraps=True):
            if needle in sentence:
                return clause.text, sentence
    raise AssertionError(f"{needle!r} not in {path.name}")


@pytest.fixture(scope="module")
def frame(shared_dir: Path) -> tuple[str, str]:
    return _clause_and_sentence(shared_dir / PHY, "each consisting of ten subframes")


def test_a_swapped_subject_is_refused_and_its_true_sentence_passes(checker, frame, shared_dir):
    _, sentence = frame  # "... organized into frames with duration, each consisting of ten subframes of ..."
    swapped = sentence.replace("into frames", "into SUB").replace("ten subframes", "ten frames").replace(
        "into SUB", "into subframes")
    assert swapped != sentence and sorted(terms(swapped)[0]) == sorted(terms(sentence)[0])  # same words
    assert checker.agrees(sentence, sentence)
    assert not checker.agrees(swapped, sentence)
    # the short form of the example, against the same real sentence: also refused
    assert not checker.agrees("A subframe consists of ten frames.", sentence)
    assert checker.agrees("A frame consists of ten subframes.", sentence)

    _, link = _clause_and_sentence(shared_dir / ARCH, "The gNB-CU-UP is connected to the gNB-DU through")
    roles = link.replace("gNB-CU-UP", "@").replace("gNB-DU", "gNB-CU-UP").replace("@", "gNB-DU")
    assert checker.agrees(link, link) and not checker.agrees(roles, link)
    fronted = f"Through the F1-U interface, {link[0].lower()}{link[1:].split(' through')[0]}."
    assert checker.agrees(fronted, link)


def test_a_changed_number_is_refused(checker, frame):
    _, sentence = frame
    for changed in (sentence.replace("ten subframes", "eight subframes"),
                    "A frame consists of 10 subframes.".replace("10", "12")):
        assert not checker.agrees(changed, sentence), changed
    assert checker.agrees("Each frame consists of 10 subframes.", sentence)  # "ten" and "10" are one count


def test_the_grounded_answer_drops_a_swap_the_scorer_alone_shows(frame):
    clause, sentence = frame
    hits = [Hit(text=clause, score=1.0, metadata={"spec": "38.211", "clause": "4.3.1", "title": "Frames",
                                                  "chunk_id": "38211-frames"})]
    swapped = "Each subframe consists of ten frames [1]."
    true = "Each frame consists of ten subframes [1]."
    question = "What does a frame consist of?"
    assert SupportScorer().score("Each subframe consists of ten frames.", [sentence])[0] >= 0.88
    config = {"lead": False, "min_chars": 20}  # the generated sentences alone, not quotes
    alone = GroundingSession(question, hits, config=GroundingConfig(role_check=False, **config))
    assert alone.check_all(f"{true} {swapped}") == f"{true} {swapped}"  # today's scorer passes both
    session = GroundingSession(question, hits, config=GroundingConfig(**config))
    assert session.check_all(f"{true} {swapped}") == true and session.mode == "generated"
    assert [(d["text"], d["reason"]) for d in session.result()["dropped"]] == [(swapped, "unsupported")]
