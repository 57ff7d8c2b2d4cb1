"""Line rules on real specs: ≥95% of clause body text survives, boilerplate clauses and noisy lines go."""

from __future__ import annotations

from data_pipeline.filters import BoilerplateClauseFilter
from data_pipeline.line_rules import LineRules, clean_text, line_problem
from data_pipeline.readers.tgpp import read_3gpp

SPECS = ["rel19-md/38.211_PHY-Channels_j30.md", "rel19-md/38.321_MAC_j20.md",
         "rel19-md/37.340_Multi_Connectivity_j20.md", "rel18-docx/38202-i10.docx"]


def test_clause_text_survives_and_boilerplate_goes(shared_dir):
    rules, boilerplate = LineRules(), BoilerplateClauseFilter()
    body_in = body_out = boiler_in = 0
    for name in SPECS:
        for doc in read_3gpp(str(shared_dir / "data/corpus/3gpp" / name)):
            if boilerplate.filter(doc) is True:
                body_in += len(doc.text)
                body_out += len(clean_text(doc.text, rules)[0])
            else:
                boiler_in += len(doc.text)
    assert body_in > 1_000_000 and boiler_in > 50_000
    assert body_out / body_in >= 0.95, f"only {body_out / body_in:.3f} of clause text kept"


def test_cover_page_lines_are_dropped_even_inside_documents(shared_dir):
    cover = next(read_3gpp(str(shared_dir / "data/corpus/3gpp/rel19-md/38.211_PHY-Channels_j30.md")))
    assert cover.metadata["boilerplate"] == "front_matter"
    cleaned, removed = clean_text(cover.text, LineRules())
    assert "Tel.: +33" not in cleaned and "All rights reserved" not in cleaned
    assert removed["contact"] and removed["copyright"]


def test_tables_asn1_and_math_are_not_prose():
    rules = LineRules()
    kept = ["| 0 | 15 | Normal |", "RRCSetupRequest ::= SEQUENCE {", "    ue-Identity  InitialUE-Identity,",
            "$N_{\\text{symb}}^{\\text{slot}} = 14$", "-- ASN1STOP",
            "# 5.3.7 RRC connection re-establishment"]
    assert [clean_text(line, rules)[0] for line in kept] == [line.strip() for line in kept]
    assert line_problem("Contact: john.doe@example.com for details", rules) == "contact"
    assert line_problem("VALBONNE - FRANCE SOPHIA ANTIPOLIS CEDEX TELECOM", rules) == "uppercase"
    assert line_problem("data data data data data data data data data data", rules) == "repeated_words"
    assert line_problem("The UE shall initiate the procedure when the timer T310 expires.", rules) is None
