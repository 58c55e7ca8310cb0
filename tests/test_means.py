"""Family 5: GRIM and GRIMMER for means, SD feasibility in a range, shares beyond cut-offs."""

import pytest

from helpers.checks import means as me
from helpers.ledger.load import load_ledger

from conftest import TINY_ROOT
from test_arithmetic import cao2024


@pytest.fixture(scope="module")
def toy():
    return load_ledger("toy_arith", root=TINY_ROOT)


def test_grim_mean():
    assert me.grim_mean("3.45", 20) == "consistent"            # 69 / 20
    assert me.grim_mean("3.47", 20) == "impossible"
    assert me.grim_mean("45.3", 120) == "not testable"          # no power: 1/120 < 0.1
    assert me.grim_mean("3.4", 20, granularity=None) == "not testable"
    assert me.grim_mean("2.25", 10, granularity="0.5") == "consistent"   # 45 halves / 10
    assert me.grim_mean("2.27", 10, granularity="0.5") == "impossible"


def test_grimmer():
    # 1,2,3,4,5 x4 (n=20): mean 3.00, SD 1.451... -> 1.45
    assert me.grimmer("3.00", "1.45", 20) == "consistent"
    assert me.grimmer("3.45", "1.22", 20) == "impossible"
    assert me.grimmer("3.45", "1.23", 20) == "consistent"
    assert me.grimmer("3.47", "1.23", 20) == "not testable"     # mean already fails GRIM
    assert me.grimmer("45.3", "9.9", 120) == "not testable"


def test_sd_feasible():
    assert me.sd_feasible("45.3", "9.9", 120, 18, 75) == "consistent"
    assert me.sd_feasible("0.5", "0.9", 120, 0, 1) == "impossible"
    assert me.sd_feasible("80", "5", 50, 18, 65) == "not testable"
    assert me.max_sd(0.5, 2, 0, 1) == pytest.approx(0.7071, abs=1e-4)   # {0, 1}


def test_name_matching():
    names = ["Age", "Maximum tumour diameter", "Albumin", "Prothrombin time", "Blood platelet",
             "C-reactive protein"]
    assert me.match_name("CRP", names) == "C-reactive protein"
    assert me.match_name("PT", names) == "Prothrombin time"
    assert me.match_name("ALB", names) == "Albumin"
    assert me.match_name("PLT", names) == "Blood platelet"
    assert me.match_name("Age", names) == "Age"
    assert me.match_name("Sex", names) is None
    assert me.parse_cutoff(">=200×10^9/L") == (">=", 200.0)
    assert me.parse_cutoff("≥ 10cm") == (">=", 10.0) and me.parse_cutoff("Male") is None


def test_findings_on_fixtures(toy):
    found = me.mean_findings(toy, "half_up")
    verdict = {(f.check, f.quantity): f.verdict for f in found}
    assert verdict[("grim_mean", "treatment.cycles_c")] == "impossible"
    assert verdict[("grim_mean", "treatment.cycles_a")] == "consistent"
    assert verdict[("grimmer", "treatment.cycles_b")] == "impossible"
    assert verdict[("grimmer", "treatment.cycles_a")] == "consistent"
    sd = {f.quantity: f.verdict for f in me.sd_feasibility_findings(toy, "half_up")}
    assert sd == {"baseline.age": "consistent", "baseline.ecog": "impossible"}
    cut = me.cutoff_findings(toy, "half_up")
    assert [f.verdict for f in cut] == ["impossible"]       # 80 of 120 >= 60 beats Cantelli
    tiny = load_ledger("tiny", root=TINY_ROOT)
    assert all(f.verdict != "impossible" and f.verdict != "inconsistent"
               for f in me.mean_findings(tiny, "half_up"))


def test_cao2024_cutoffs_are_matched_and_untestable_without_counts():
    ledger = cao2024()
    table = me.cutoff_table(ledger)
    assert {"Age", "ALB", "PT", "PLT", "CRP"} <= set(table["variable"])
    shares = table.dropna(subset=["implied_share"])
    assert ((shares["implied_share"] > 0) & (shares["implied_share"] < 100)).all()
    for f in me.cutoff_findings(ledger, "half_up"):
        assert f.verdict == "not testable"
    assert all(f.verdict in ("not testable", "consistent") for f in me.mean_findings(ledger, "half_up"))


def test_cutoff_share_scalar_and_map_versions():
    assert me.cutoff_share(">=60", "45.3", "9.9", 120, count=80) == "impossible"   # > Cantelli
    assert me.cutoff_share(">=60", "45.3", "9.9", 120, count=10) == "consistent"
    assert me.cutoff_share(">=60", "45.3", "9.9", 120) == "not testable"
    import pandas as pd

    df = pd.DataFrame({"center": ["3.45", "3.47"], "sd": ["1.23", "1.2"], "n": [20, 20],
                       "granularity": ["1", "1"]})
    assert list(me.grim_mean_map(df)["verdict"]) == ["consistent", "impossible"]
    assert list(me.grimmer_map(df)["verdict"]) == ["consistent", "not testable"]
