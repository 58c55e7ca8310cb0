"""Family 3: one quantity printed with several values."""

import pytest

from helpers.checks import appearances as ap
from helpers.ledger.load import load_ledger

from conftest import TINY_ROOT
from test_arithmetic import cao2024


@pytest.fixture(scope="module")
def toy():
    return load_ledger("toy_arith", root=TINY_ROOT)


def test_same_value_at_the_coarser_precision():
    assert ap.same_value("41.70", "41.7")
    assert ap.same_value("41.7", "41.65")               # 41.65 rounds half-up to 41.7
    assert not ap.same_value("45.0", "37.5")
    assert not ap.same_value("50", "60", exact=True)
    assert ap.same_value("<0.001", "<0.001") and ap.same_value("<0.001", "0.0004")
    assert ap.same_value("2021-06", "2021-06-15") and not ap.same_value("2021-06", "2021-07")


def test_appearances_agree_pass_and_flag():
    assert ap.appearances_agree(["14.2", "14.2", "14.20"]) == "consistent"
    assert ap.appearances_agree(["45.0", "45.0", "37.5"]) == "inconsistent"
    res = ap.same_value_result(["4.2", "5.0"])
    assert res.category == "contradiction" and "4.2" in res.explanation


def test_appearance_findings_on_toy(toy):
    found = {f.quantity: f for f in ap.appearance_findings(toy, "half_up")}
    assert found["response.orr"].verdict == "inconsistent"
    assert "Discussion ¶1" in found["response.orr"].explanation
    assert found["ae.nausea.ge3"].verdict == "inconsistent"
    assert found["baseline.sex.male"].verdict == "consistent"       # 70/120 at 1 and 2 decimals
    assert found["ae.fatigue.ge3"].verdict == "consistent"
    # every finding lists all places of the quantity
    assert len(found["response.orr"].locators) == 3


def test_tiny_ledger_has_no_contradiction():
    tiny = load_ledger("tiny", root=TINY_ROOT)
    found = ap.appearance_findings(tiny, "half_up")
    assert found and all(f.verdict == "consistent" for f in found)


def test_cao2024_contradictions_the_mission_names():
    ledger = cao2024()
    found = {f.quantity: f for f in ap.appearance_findings(ledger, "half_up")}
    orr = found["response.orr"]
    assert (orr.verdict, orr.category, orr.severity) == ("inconsistent", "contradiction", "major")
    # the extra-pulmonary metastasis count: text vs Table 1, recognised as a swapped label
    epm = [f for q, f in found.items() if q.startswith("baseline.extrapulmonary")]
    assert any(f.verdict == "inconsistent" and "swapped" in f.explanation for f in epm)
    # quantities whose printed texts are all equal are never flagged
    table = ap.appearance_table(ledger)
    for q, g in table.groupby("quantity"):
        if g.groupby("field")["value"].nunique().max() == 1:
            assert found[q].verdict == "consistent", q
