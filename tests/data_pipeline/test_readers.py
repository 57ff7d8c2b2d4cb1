"""Readers on real inputs: code repositories, arXiv metadata, LaTeX, PDF, StackExchange, source discovery."""

from __future__ import annotations

import io
import tarfile
from collections import Counter

import pytest

from data_pipeline.reader import CorpusReader
from data_pipeline.readers.arxiv import read_arxiv_jsonl, read_latex, read_pdf
from data_pipeline.readers.code import read_code, repo_license
from data_pipeline.readers.stackexchange import read_posts
from data_pipeline.readers.tgpp import Skip
from data_pipeline.sources import discover


def test_discovery_classifies_the_shared_corpus(shared_dir):
    corpus = shared_dir / "data/corpus"
    units = discover([corpus / "3gpp/rel19-md", corpus / "arxiv", corpus / "code"])
    kinds = Counter(unit.kind for unit in units)
    assert kinds["3gpp"] == 7 and kinds["arxiv_jsonl"] == 1 and kinds["code"] > 300
    assert {u.repo.rsplit("/", 1)[-1] for u in units if u.kind == "code"} == {"sionna", "free5gc-nas"}
    assert [u.path for u in units] == sorted(u.path for u in units)  # deterministic sharding


def test_code_files_carry_language_and_license_and_skips_have_reasons(shared_dir):
    repo = shared_dir / "data/corpus/code/free5gc-nas"
    assert repo_license(str(repo)) == "Apache-2.0"
    assert repo_license(str(shared_dir / "data/corpus/code/sionna")) == "Apache-2.0"
    doc = read_code(str(repo / "nas.go"), str(repo))
    assert (doc.metadata["language"] == "Go" and doc.metadata["repo"] == "free5gc-nas"
            and "package nas" in doc.text)
    reasons = Counter()
    for path in sorted(repo.rglob("*")):
        if path.is_file():
            try:
                read_code(str(path), str(repo), max_bytes=20_000)
            except Skip as skip:
                reasons[str(skip)] += 1
    assert reasons["generated"] >= 1 and reasons["huge"] >= 1 and reasons["not_code"] >= 1


def test_arxiv_metadata_snapshot(shared_dir):
    docs = list(read_arxiv_jsonl(str(shared_dir / "data/corpus/arxiv/arxiv-abstracts.jsonl.gz")))
    assert len(docs) > 20_000 and docs[0].id == "arxiv/0704.1858"
    assert docs[0].text.startswith("Detecting the Most Distant Objects with ALMA\n\n")
    assert docs[0].metadata["categories"] == "arXiv_CV"


def test_latex_archive_and_pdf(tmp_path):
    main = (b"\\documentclass{article}\\usepackage{amsmath}\\begin{document}\\section{Model}"
            b"The SINR is $\\gamma = P h / N$ % a comment\n\\input{more}\\cite{x}\\end{document}")
    archive = tmp_path / "2401.12345.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for name, data in (("main.tex", main), ("more.tex", b"Extra section about beamforming.")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    doc = read_latex(str(archive))
    assert "## Model" in doc.text and "$\\gamma = P h / N$" in doc.text and "comment" not in doc.text
    assert "usepackage" not in doc.text and "beamforming" in doc.text and "cite" not in doc.text
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure = plt.figure()
    figure.text(0.1, 0.5, "Massive MIMO beamforming improves spectral efficiency.")
    figure.savefig(tmp_path / "paper.pdf")
    assert "Massive MIMO beamforming" in read_pdf(str(tmp_path / "paper.pdf")).text


def test_stackexchange_posts_keep_accepted_answers(tmp_path):
    posts = tmp_path / "Posts.xml"
    posts.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<posts>\n'
        '<row Id="1" PostTypeId="1" AcceptedAnswerId="3" Title="What is a PRB?" Body="&lt;p&gt;In '
        'NR?&lt;/p&gt;" Tags="&lt;5g&gt;" />\n<row Id="2" PostTypeId="1" Title="Unanswered" Body="x" />\n'
        '<row Id="3" PostTypeId="2" ParentId="1" Body="&lt;p&gt;12 subcarriers.&lt;/p&gt;" />\n</posts>\n')
    docs = list(read_posts(str(posts)))
    assert [d.id for d in docs] == ["stackexchange/1"]
    assert docs[0].text == "What is a PRB?\n\nIn NR?\n\nAnswer:\n12 subcarriers."


@pytest.mark.parametrize("rank", [0, 1])
def test_corpus_reader_shards_units_by_rank(shared_dir, tmp_path, rank):
    reader = CorpusReader([str(shared_dir / "data/corpus/3gpp/rel19-md")], str(tmp_path / "e"),
                          str(tmp_path / "x"))
    specs = {doc.metadata["spec"] for doc in reader.run(rank=rank, world_size=2)}
    expected = [u.path for u in discover([shared_dir / "data/corpus/3gpp/rel19-md"])][rank::2]
    assert len(specs) == len(expected)
