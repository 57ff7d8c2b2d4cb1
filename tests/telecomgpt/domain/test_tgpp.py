"""3GPP helpers on real specs: names, versions, working groups, docx/zip/md conversion, clauses, glossary."""

from __future__ import annotations

import time
import zipfile

import pytest

from telecomgpt.domain.tgpp import (
    SpecFileError,
    decode_version,
    find_abbreviations,
    find_definitions,
    read_spec,
    spec_info,
    split_clauses,
    to_markdown,
    working_group,
)


@pytest.mark.parametrize(
    ("name", "spec", "version", "release", "group", "kind"),
    [
        ("38211-i10.docx", "38.211", "18.1.0", 18, "RAN1", "TS"),
        ("38101-1-i10.zip", "38.101-1", "18.1.0", 18, "RAN4", "TS"),
        ("38.321_MAC_j20.md", "38.321", "19.2.0", 19, "RAN2", "TS"),
        ("23.501_5GS_Architecture_j70.md", "23.501", "19.7.0", 19, "SA2", "TS"),
        ("21905-h20.docx", "21.905", "17.2.0", 17, "SA", "TR"),
        ("38901-hc0.docx", "38.901", "17.12.0", 17, "RAN1", "TR"),
        ("29512-i40.docx", "29.512", "18.4.0", 18, "CT3", "TS"),
        ("29510-i50.docx", "29.510", "18.5.0", 18, "CT4", "TS"),
        ("24301-i50.docx", "24.301", "18.5.0", 18, "CT1", "TS"),
        ("36413-i00.docx", "36.413", "18.0.0", 18, "RAN3", "TS"),
        ("33220-i20.docx", "33.220", "18.2.0", 18, "SA3", "TS"),
    ],
)
def test_spec_info_from_names(name, spec, version, release, group, kind):
    info = spec_info(name)
    found = (info.spec, info.version, info.release, info.working_group, info.kind)
    assert found == (spec, version, release, group, kind)
    assert info.series == spec[:2]


def test_version_digits_and_unknown_names():
    assert decode_version("i10") == "18.1.0" and decode_version("j70") == "19.7.0"
    assert decode_version("hc0") == "17.12.0"
    with pytest.raises(ValueError):
        decode_version("i1")
    assert spec_info("rel_17.docx").spec == ""
    assert working_group("99.123") is None


def test_release19_markdown_clauses_and_glossary(shared_dir):
    info, clauses = read_spec(shared_dir / "data/corpus/3gpp/rel19-md/38.211_PHY-Channels_j30.md")
    assert info.title == "NR; Physical channels and modulation" and info.release == 19
    numbers = [c.number for c in clauses]
    assert numbers[:3] == ["", "1", "2"]  # front matter, then Scope, References
    by_number = {c.number: c for c in clauses}
    assert by_number["4.3.1"].title == "Frames and subframes" and by_number["4.3.1"].level == 3
    assert by_number["A"].title == "Change history"
    assert "6.3.2.5.2A" in by_number  # lettered clause kept apart from 6.3.2.5.2
    abbreviations = find_abbreviations(clauses)
    assert abbreviations["BWP"] == "Bandwidth Part" and abbreviations["CSI-RS"] == "CSI Reference Signal"


def test_a_markdown_spec_marks_where_it_lost_a_formula(shared_dir):
    """The Release-19 markdown specs dropped their inline formulas: "frames with  duration" would read as a
    whole sentence that says nothing of how long a frame is."""
    folder = shared_dir / "data/corpus/3gpp/rel19-md"
    by_number = {c.number: c for c in read_spec(folder / "38.211_PHY-Channels_j30.md")[1]}
    frames = by_number["4.3.1"].text
    assert "frames with […] duration, each consisting of ten subframes of […] duration." in frames
    assert "The number of consecutive OFDM symbols per subframe is […]." in frames
    assert "A resource block is defined as […] consecutive subcarriers" in by_number["4.4.4.1"].text
    assert "|  |  | Cyclic prefix |" in to_markdown(folder / "38.211_PHY-Channels_j30.md")  # empty cells stay
    # a spec that lost no formula reads as written, its typos included ("they are In-Service .")
    architecture = folder / "38.401_NG-RAN_Architecture_j20.md"
    assert to_markdown(architecture) == architecture.read_text()
    overall = to_markdown(folder / "38.300_NG-RAN_Overall_j20.md")
    assert "reports for each threshold configured , the buffer size" in overall


def test_glued_headings_use_clause_order(shared_dir):
    _, clauses = read_spec(shared_dir / "data/corpus/3gpp/rel19-md/23.501_5GS_Architecture_j70.md")
    by_number = {c.number: c for c in clauses}
    assert by_number["4.4.6"].title == "5G LAN-type Services"  # not clause "4.4.65G"
    assert by_number["5.8.2.2.4"].title.startswith("IPv6 Prefix Delegation")
    assert by_number["5.35A.1"].title == "General"
    assert by_number["4.2.5a"].title.startswith("Radio Capabilities")
    assert find_abbreviations(clauses)["5G DDNMF"] == "5G Direct Discovery Name Management Function"


def test_docx_and_zip_convert_with_cache(shared_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("TELECOMGPT_HOME", str(tmp_path / "home"))
    docx = shared_dir / "data/corpus/3gpp/rel18-docx/38202-i10.docx"
    info, clauses = read_spec(docx)
    assert (info.spec, info.version, info.kind) == ("38.202", "18.1.0", "TS")
    assert info.title == "NR; Services provided by the physical layer"
    assert [c.number for c in clauses][:4] == ["", "1", "2", "3"]
    assert {"5.2.1", "6.3", "A"} <= {c.number for c in clauses}
    assert find_abbreviations(clauses)["PDSCH"] == "Physical Downlink Shared Channel"
    markdown = to_markdown(docx)
    assert "<table" not in markdown and "media/image" not in markdown and "| --- |" in markdown
    assert list((tmp_path / "home/cache/markdown").rglob("*.md"))
    started = time.perf_counter()
    assert to_markdown(docx) == markdown
    assert time.perf_counter() - started < 0.5  # served from the content-hash cache, not pandoc
    archive = tmp_path / "38202-i10.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(docx, "38202-i10.docx")
    assert to_markdown(archive) == markdown


def test_vocabulary_tr_glossary(shared_dir):
    info, clauses = read_spec(shared_dir / "data/corpus/3gpp/21905-h20.docx")
    assert info.kind == "TR" and info.title == "Vocabulary for 3GPP Specifications"
    abbreviations, definitions = find_abbreviations(clauses), find_definitions(clauses)
    assert len(abbreviations) > 1000 and abbreviations["RRC"] == "Radio Resource Control"
    assert len(definitions) > 400 and definitions["Access Stratum"].startswith("functional grouping")


def test_broken_files_raise_reasons(tmp_path):
    cases = {
        "empty.docx": b"",
        "binary.docx": bytes(range(256)) * 10,
        "corrupted.docx": b"PK\x03\x04" + b"\x00garbage" * 50,
        "latin1.md": "Clause 5 - détails élémentaires".encode("latin-1"),
    }
    reasons = {}
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(SpecFileError) as excinfo:
            to_markdown(tmp_path / name)
        reasons[name] = str(excinfo.value)
    assert reasons["empty.docx"].startswith("empty file")
    assert reasons["binary.docx"].startswith("not a docx")
    assert reasons["corrupted.docx"].startswith("corrupted docx")
    assert reasons["latin1.md"].startswith("not UTF-8")


def test_split_clauses_ignores_fenced_code_and_unnumbered_headings():
    markdown = "cover\n# 1 Scope\ntext\n```\n# 2 not a heading\n```\n## A\nletters\n# 2 References\n[1] x\n"
    clauses = split_clauses(markdown)
    assert [(c.number, c.title) for c in clauses] == [("", ""), ("1", "Scope"), ("2", "References")]
    assert "# 2 not a heading" in clauses[1].text and "## A" in clauses[1].text
