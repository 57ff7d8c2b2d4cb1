"""Weighted reciprocal-rank fusion (app/retrieval.py): the weights really steer the hybrid ranking."""

from __future__ import annotations

import pytest

QUERY = "What happens when the t-Reassembly timer expires in the RLC receiving entity?"


def ids(hits) -> list[str]:
    return [h.metadata["chunk_id"] for h in hits]


@pytest.mark.slow
def test_a_zero_weight_leaves_the_other_ranking(retriever):
    """With the dense weight at 0, hybrid ranks as BM25 alone (and the other way round); equal weights
    mix both, so the fused list differs from at least one of them."""
    bm25 = ids(retriever.search(QUERY, k=5, mode="bm25"))
    dense = ids(retriever.search(QUERY, k=5, mode="dense"))
    assert len(bm25) == len(dense) == 5 and bm25 != dense
    assert ids(retriever.search(QUERY, k=5, mode="hybrid", bm25_weight=1.0, dense_weight=0.0)) == bm25
    assert ids(retriever.search(QUERY, k=5, mode="hybrid", bm25_weight=0.0, dense_weight=1.0)) == dense
    equal = ids(retriever.search(QUERY, k=5, mode="hybrid", bm25_weight=1.0, dense_weight=1.0))
    assert equal != bm25 or equal != dense


@pytest.mark.slow
def test_candidate_depth_bounds_the_fused_list(retriever):
    """Each ranking is read only `candidates` deep: with 2 candidates each, at most 4 chunks can come back."""
    assert len(retriever.search(QUERY, k=10, mode="hybrid", candidates=2)) <= 4
    assert len(retriever.search(QUERY, k=10, mode="hybrid", candidates=50)) == 10


def test_glossary_chunks_do_not_match_the_expansion_of_the_query(starter_retriever):
    """Abbreviation lists are scored on the query as typed: the expansion ("AMF (Access and Mobility
    Management Function)") comes from those lists, so it must not lift them above the clause about the AMF."""
    question = "What does the AMF do in the 5G core?"
    glossary = [h.citation for h in starter_retriever.search(question, k=3, mode="bm25")]
    assert glossary[0] == "TS 23.501 §4.2.3", glossary
    assert "TR 21.905 §3" not in glossary
    # the glossary still answers a question that names its own words
    named = starter_retriever.search("AMF Access and Mobility Management Function abbreviation", k=5,
                                     mode="bm25")
    assert "TR 21.905 §3" in [h.citation for h in named]
