"""Family 3: one quantity printed with several values (made-up numbers, fixtures, cao2024)."""

import pytest

from helpers.checks import appearances as ap
from helpers.checks import registry
from helpers.checks.registry import Context, Example, Settings
from helpers.ledger.load import load_ledger

from conftest import TINY_ROOT
from test_arithmetic import cao2024


@pytest.fixture(scope="module")
def toy():
    return load_ledger("toy_arith", root=TINY_ROOT)


def run(ledger, rounding="auto", scope=None):
    out = registry.run_check("appearances", Context(ledger, Settings(rounding=rounding), scope),
                             isolate=False)
    assert out.status == "ran", out.reason
    return {f.quantity: f for f in out.findings}


def example(tables):
    return Example("pass", tables=tables).context().ledger


def test_same_value_at_the_coarser_precision():
    assert ap.same_value("41.70", "41.7")
    assert ap.same_value("41.7", "41.65")               # 41.65 rounds half-up to 41.7
    assert not ap.same_value("41.7", "41.65", "truncate")
    assert not ap.same_value("45.0", "37.5")
    assert not ap.same_value("50", "60", exact=True)
    assert ap.same_value("<0.001", "<0.001") and ap.same_value("<0.001", "0.0004")
    assert not ap.same_value("<0.001", "0.002")
    assert ap.same_value("2021-06", "2021-06-15") and not ap.same_value("2021-06", "2021-07")


def test_same_value_converts_time_units():
    # 8.4 months = 8.35-8.45 months = 254.2-257.2 days (a month is 365.25/12 days)
    assert ap.same_value("255", "8.4", units=("days", "months"))
    assert not ap.same_value("290", "8.4", units=("days", "months"))
    assert ap.same_value("2", "0.5", units=("weeks", "months"))  # 14 days vs 0.45-0.55 months
    assert ap.same_value("1.0", "12", units=("years", "months"))
    # without units (or with the same unit) nothing is converted
    assert not ap.same_value("255", "8.4")


def test_appearances_agree_pass_and_flag():
    assert ap.appearances_agree(["14.2", "14.2", "14.20"]) == "consistent"
    assert ap.appearances_agree(["45.0", "45.0", "37.5"]) == "inconsistent"
    res = ap.same_value_result(["4.2", "5.0"])
    assert res.category == "contradiction" and "4.2" in res.explanation
    assert res.assumptions == ("same_quantity",)


def test_appearances_on_toy(toy):
    found = run(toy)
    assert found["response.orr"].verdict == "inconsistent"
    assert "Discussion ¶1" in found["response.orr"].explanation
    assert found["ae.nausea.ge3"].verdict == "inconsistent"
    assert found["baseline.sex.male"].verdict == "consistent"       # 70/120 at 1 and 2 decimals
    assert found["ae.fatigue.ge3"].verdict == "consistent"
    assert len(found["response.orr"].locators) == 3                 # every place of the quantity
    assert set(run(toy, scope=("ae.",))) <= {q for q in found if q.startswith("ae.")}


def test_tiny_ledger_has_no_contradiction():
    found = run(load_ledger("tiny", root=TINY_ROOT))
    assert found and all(f.verdict == "consistent" for f in found.values())


def _hr(locator, hr, lo, hi, p):
    return {"model": "univariable", "endpoint": "PFS", "variable": "Age", "level": ">=60",
            "reference": "<60", "role": "estimate", "hr": hr, "ci_low": lo, "ci_high": hi,
            "ci_level": "95", "p": p, "quantity": "cox.age.ge60", "locator": locator}


def test_repeated_hazard_ratios_compare_each_field():
    same = example({"hazard_ratios": [_hr("Table 3 / Age", "1.42", "1.10", "1.83", "0.007"),
                                      _hr("Results ¶2", "1.4", "1.1", "1.8", "0.007")]})
    assert run(same)["cox.age.ge60"].verdict == "consistent"
    other_p = example({"hazard_ratios": [_hr("Table 3 / Age", "1.42", "1.10", "1.83", "0.007"),
                                         _hr("Results ¶2", "1.42", "1.10", "1.83", "<0.001")]})
    f = run(other_p)["cox.age.ge60"]
    assert f.verdict == "inconsistent" and "p:" in f.explanation and "hr:" not in f.explanation
    assert "same_quantity" in f.assumptions


def _median(locator, center, unit, lo="", hi=""):
    return {"endpoint": "OS", "statistic": "median", "center": center, "ci_low": lo,
            "ci_high": hi, "unit": unit, "n": "80", "population": "all",
            "quantity": "survival.os.median", "locator": locator}


def test_repeated_survival_medians_in_other_units():
    ok = example({"survival": [_median("Results ¶2", "8.4", "months", "6.1", "10.2"),
                               _median("Abstract", "255", "days", "186", "310")]})
    f = run(ok)["survival.os.median"]
    assert f.verdict == "consistent" and "units converted" in f.explanation
    bad = example({"survival": [_median("Results ¶2", "8.4", "months"),
                                _median("Abstract", "39", "weeks")]})      # 270-277 days
    g = run(bad)["survival.os.median"]
    assert g.verdict == "inconsistent" and "39 weeks" in g.explanation
    odd = example({"survival": [_median("Results ¶2", "8.4", "months"),
                                _median("Abstract", "8.4", "percent")]})
    assert run(odd)["survival.os.median"].verdict == "not testable"


def test_a_disagreement_only_the_rule_makes_rests_on_it():
    # 41.65 prints as 41.7 under half-up but not under truncation: with truncation inferred at
    # both places the two disagree, and only the rule makes them disagree
    rows = [{"variable": "S", "level": "y", "role": "level", "count": "", "percent": "41.7",
             "denominator": "1000", "population": "all", "quantity": "baseline.s.y",
             "locator": "Table 1 / S: y"},
            {"variable": "S", "level": "y", "role": "level", "count": "", "percent": "41.65",
             "denominator": "1000", "population": "all", "quantity": "baseline.s.y",
             "locator": "Results ¶1"},
            {"variable": "T", "level": "a", "role": "level", "count": "1", "percent": "16.6",
             "denominator": "6", "population": "all", "quantity": "baseline.t.a",
             "locator": "Table 2 / T: a"}]
    ledger = example({"counts": rows})
    f = run(ledger)["baseline.s.y"]
    assert f.verdict == "inconsistent"
    assert f.assumptions == ("rounding_rule_inferred", "same_quantity")
    assert run(ledger, "half_up")["baseline.s.y"].verdict == "consistent"


def test_cao2024_contradictions_the_mission_names():
    ledger = cao2024()
    found = run(ledger)
    orr = found["response.orr"]
    assert (orr.verdict, orr.category, orr.severity) == ("inconsistent", "contradiction", "major")
    # the extra-pulmonary metastasis count: text vs Table 1, recognised as a swapped label
    epm = [f for q, f in found.items() if q.startswith("baseline.extrapulmonary")]
    assert any(f.verdict == "inconsistent" and "swapped" in f.explanation for f in epm)
    # quantities whose printed texts (and units) are all equal are never flagged
    table = ap.appearance_table(ledger)
    for q, g in table.groupby("quantity"):
        if g.groupby("field")["value"].nunique().max() == 1 and g["unit"].nunique() <= 1:
            assert found[q].verdict == "consistent", q
