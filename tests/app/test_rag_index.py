"""The index over real 3GPP specs: clause-bounded chunks, cited clauses for known questions, release
filter, abbreviation expansion, in-place add/remove, resume, and the `telecomgpt index` CLI."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from app import index_store
from app.expansion import expand_query
from app.index_store import IndexStore
from app.indexer import remove_from_index, update_index
from app.retrieval import Retriever
from telecomgpt.errors import UserError

# Questions whose answers sit in known clauses of the indexed specs: (question, clause expected in the top 5;
# one of its sub-clauses counts too).
KNOWN_CLAUSES = [
    ("What is the cell selection criterion S for NR?", "TS 38.304 §5.2.3.2"),
    ("How are the paging frame and paging occasion determined for discontinuous reception?",
     "TS 38.304 §7.1"),
    ("What does a transparent mode RLC entity do?", "TS 38.322 §4.2.1.1"),
    ("When does an AM RLC entity retransmit an RLC SDU?", "TS 38.322 §5.3.2"),
    ("How does PDCP discard SDUs when the discardTimer expires?", "TS 38.323 §5.3"),
    ("Which header compression protocol does PDCP use?", "TS 38.323 §5.7"),
]
CLAUSE_HEADING = re.compile(r"^#{1,6}\s*\d+(?:\.\d+)*\s*[A-Z]")


@pytest.mark.parametrize(("question", "citation"), KNOWN_CLAUSES)
def test_known_questions_cite_their_clause(retriever, question: str, citation: str):
    cited = [hit.citation for hit in retriever.search(question, k=5)]
    assert any(c == citation or c.startswith(citation + ".") for c in cited), (f"{question!r}: {citation} "
                                                                               f"not in {cited}")


def test_hits_carry_spec_metadata(retriever, spec_files):
    hit = retriever.search("cell selection criterion S", k=1)[0]
    meta = hit.metadata
    assert (meta["spec"], meta["version"], meta["release"], meta["kind"]) == ("38.304", "18.0.0", 18, "TS")
    assert meta["clause"] and meta["title"] and meta["source"] == str(spec_files[0].resolve())
    assert hit.citation.startswith("TS 38.304 §") and hit.score > 0 and 0 < meta["similarity"] <= 1


def test_chunks_never_cross_clause_boundaries(spec_index, spec_files):
    records = [json.loads(line) for line in (spec_index / "chunks.jsonl").read_text().splitlines()]
    by_clause: dict[tuple, list[dict]] = {}
    for record in records:
        by_clause.setdefault((record["source"], record["clause"]), []).append(record)
        assert len(record["text"]) <= 1000
        # a chunk never contains the heading of another numbered clause
        headings = [line for line in record["text"].splitlines() if CLAUSE_HEADING.match(line)]
        assert not headings, record["text"][:200]
    parts = by_clause[(str(spec_files[0].resolve()), "5.2.3.2")]  # a long clause, split in order
    assert len(parts) > 1
    assert sorted(p["part"] for p in parts) == list(range(len(parts)))


def test_abbreviations_from_specs_expand_queries(retriever):
    assert retriever.abbreviations.get("RLC") == "Radio Link Control"
    assert "Radio Link Control" in expand_query("What does an AM RLC entity do?", retriever.abbreviations)
    assert expand_query("nothing to expand here", retriever.abbreviations) == "nothing to expand here"


def test_release_filter(retriever):
    assert all(h.metadata["release"] == 18 for h in retriever.search("RLC retransmission", k=5, release=18))
    assert retriever.search("RLC retransmission", k=5, release=16) == []


def test_unrelated_question_finds_nothing(retriever):
    assert retriever.search("What is a good recipe for chocolate cake with strawberries?", k=5) == []


def test_dense_and_bm25_modes_each_work(retriever):
    for mode in ("dense", "bm25"):
        cited = [h.citation for h in retriever.search("cell selection criterion S", k=5, mode=mode)]
        assert "TS 38.304 §5.2.3.2" in cited, (mode, cited)


def test_add_remove_in_place_and_replace_changed_file(spec_index, tmp_path):
    index = tmp_path / "index"
    shutil.copytree(spec_index, index)
    note = tmp_path / "extra" / "zebra.md"
    note.parent.mkdir()
    note.write_text("# Zebra timer\nSpec: TS 38.331 §9.1.1\n\n"
                    "The zebra timer guards the striped procedure.\n")
    before = len(Retriever.load(index))
    report = update_index(index, [note.parent], progress=False)
    assert report.indexed == [str(note.resolve())] and len(Retriever.load(index)) == before + 1
    assert Retriever.load(index).search("zebra timer striped procedure", k=1)[0].citation == ("TS 38.331 "
                                                                                              "§9.1.1")

    note.write_text("# Okapi counter\nSpec: TS 38.331 §9.1.2\n\nThe okapi counter counts forest visits.\n")
    update_index(index, [note], progress=False)
    retriever = Retriever.load(index)
    assert len(retriever) == before + 1
    assert not any("zebra" in r["text"] for r in retriever.records)
    assert retriever.search("okapi counter forest visits", k=1)[0].citation == "TS 38.331 §9.1.2"

    again = update_index(index, [note], progress=False)
    assert again.unchanged == [str(note.resolve())] and again.indexed == []
    assert remove_from_index(index, [note.parent]) == (1, 1)
    assert len(Retriever.load(index)) == before


def test_bad_files_are_accounted_for(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "good.md").write_text("# Good\n\nHARQ combines FEC with retransmission.\n")
    (tmp_path / "docs" / "broken.docx").write_bytes(b"this is not a zip archive")
    report = update_index(tmp_path / "idx", [tmp_path / "docs"], progress=False)
    assert (len(report.indexed) == 1
            and list(report.errors) == [str((tmp_path / "docs" / "broken.docx").resolve())])
    manifest = json.loads((tmp_path / "idx" / "manifest.json").read_text())
    assert manifest["complete"] and len(manifest["files"]) + len(manifest["errors"]) == 2


def test_cli_search_json_and_errors(run_cli, spec_index, tmp_path):
    run = run_cli("index", "search", "--index", str(spec_index), "PDCP header compression",
                  "-k", "3", "--release", "18", "--json", timeout=120)
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert "Packet Data Convergence Protocol" in data["expanded"]
    assert len(data["hits"]) == 3 and all(h["citation"].startswith("TS 38.323") for h in data["hits"])
    missing = run_cli("index", "search", "--index", str(tmp_path / "nope"), "x", timeout=120)
    assert missing.returncode == 2 and "no index at" in missing.stderr and "Traceback" not in missing.stderr
    empty = run_cli("index", "build", "--input", str(tmp_path), "--output", str(tmp_path / "o"), timeout=120)
    assert empty.returncode == 2 and "no supported files" in empty.stderr


def test_interrupted_build_is_refused_then_resumed(tmp_path):
    docs = Path(__file__).resolve().parents[2] / "app" / "knowledge"
    store = IndexStore.open(tmp_path / "idx")
    store.save(final=False)  # what a crash after a checkpoint leaves behind
    with pytest.raises(UserError, match="incomplete"):
        Retriever.load(tmp_path / "idx")
    report = update_index(tmp_path / "idx", [docs], progress=False)
    assert report.indexed and not report.errors
    assert Retriever.load(tmp_path / "idx").search("RRC connection re-establishment", k=3)


def test_large_index_searches_an_hnsw_graph_with_the_same_answers(spec_index, retriever, tmp_path,
                                                                  monkeypatch):
    """Above EXACT_SEARCH_LIMIT chunks the dense index is HNSW; hits and the release filter must not
    change."""
    import faiss

    copy = tmp_path / "index"
    shutil.copytree(spec_index, copy)
    monkeypatch.setattr(index_store, "EXACT_SEARCH_LIMIT", 0)
    index_store.IndexStore.open(copy, create=False)._build_search_indexes()
    graph = Retriever.load(copy)
    assert isinstance(graph.dense, faiss.IndexHNSWFlat)
    for question, _ in KNOWN_CLAUSES:
        exact = [hit.citation for hit in retriever.search(question, k=3, mode="dense")]
        approximate = [hit.citation for hit in graph.search(question, k=3, mode="dense")]
        assert approximate == exact, question
    assert all(h.metadata["release"] == 18 for h in graph.search("RLC retransmission", k=5, release=18,
                                                                 mode="dense"))
    assert graph.search("RLC retransmission", k=5, release=16, mode="dense") == []
