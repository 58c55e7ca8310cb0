"""Checks on printed hazard ratios (helpers.checks.hazard): each must pass on honest numbers and flag
broken ones. Honest numbers come from lifelines fits on simulated data, printed the way papers do."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter

from conftest import TINY_ROOT, edit_cell
from helpers.checks import hazard as hz
from helpers.core.findings import VERDICTS
from helpers.ledger.load import load_ledger
from helpers.cohort.montecarlo import variance_bound_experiment


def _print_p(p: float) -> str:
    return "<0.001" if p < 0.001 else f"{p:.3f}"


@pytest.fixture(scope="module")
def honest_fits() -> pd.DataFrame:
    """Lifelines fits on simulated data, printed at 2 decimals (p at 3, or <0.001)."""
    rng = np.random.default_rng(2024)
    rows = []
    for true_hr, share, n in [(1.6, 0.3, 300), (0.7, 0.5, 250), (1.05, 0.2, 200), (2.5, 0.1, 400),
                              (0.9, 0.6, 150), (1.3, 0.45, 350)]:
        x = (rng.random(n) < share).astype(float)
        t = rng.exponential(1.0, n) / true_hr ** x
        c = rng.uniform(0, 3, n)
        df = pd.DataFrame({"T": np.minimum(t, c), "E": (t <= c).astype(int), "x": x})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = CoxPHFitter().fit(df, "T", "E")
        s = fit.summary.loc["x"]
        low, high = s["exp(coef) lower 95%"], s["exp(coef) upper 95%"]
        side = "above" if low > 1 else "below" if high < 1 else "above"
        rows.append({"hr": f"{s['exp(coef)']:.2f}", "ci_low": f"{low:.2f}", "ci_high": f"{high:.2f}",
                     "p": _print_p(s["p"]), "n_level": int(x.sum()), "n_reference": int(n - x.sum()),
                     "expected_side": side, "excludes_1": bool(low > 1 or high < 1)})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- must pass


def test_honest_fits_pass_p_symmetry_and_width(honest_fits):
    for table in (hz.p_from_ci_map(honest_fits), hz.ci_symmetry_map(honest_fits),
                  hz.ci_width_bound_map(honest_fits)):
        assert (table["verdict"] == "consistent").all(), table[["hr", "ci_low", "ci_high", "p",
                                                                 "verdict", "explanation"]]


def test_honest_fits_pass_direction(honest_fits):
    table = hz.hr_direction_map(honest_fits)
    assert (table.loc[honest_fits["excludes_1"], "verdict"] == "consistent").all()
    assert (table.loc[~honest_fits["excludes_1"], "verdict"] == "not testable").all()


def test_interval_arithmetic_rescues_a_p_the_printed_point_does_not_reproduce():
    # b = 0.2, se = 0.1: HR 1.2214 (1.0040-1.4859), p = 0.0455. At the printed values the CI gives
    # p = 0.0505, yet the true values print exactly as shown: the check must say consistent.
    res = hz.p_from_ci("1.22", "1.00", "1.49", "0.046")
    assert res.verdict == "consistent"
    assert abs(res.values["p_point"] - 0.046) > 0.003
    assert res.values["p_low"] <= 0.046 <= res.values["p_high"]


def test_bound_p_is_an_open_side():
    assert hz.p_from_ci("2.00", "1.52", "2.64", "<0.001").verdict == "consistent"
    assert hz.p_from_ci("1.10", "0.90", "1.34", "<0.001").verdict == "impossible"


# --------------------------------------------------------------------------- must flag


def test_p_contradicting_its_ci_is_impossible():
    res = hz.p_from_ci("1.42", "1.21", "1.66", "0.600")
    assert res.verdict == "impossible"
    assert "cannot come from the same analysis" in res.explanation


def test_asymmetric_ci_rests_on_a_wald_interval_and_hr_outside_ci_is_impossible():
    # a lopsided CI is impossible only for a Wald interval: profile or bootstrap CIs need not
    # be symmetric (the old check called this "impossible")
    asym = hz.ci_symmetry("0.60", "0.50", "0.95")
    assert asym.verdict == "inconsistent" and asym.assumptions == ("wald_interval",)
    res = hz.ci_symmetry("1.45", "1.60", "2.05")
    assert res.verdict == "impossible" and "outside its own CI" in res.explanation
    assert res.assumptions == ()


def test_ci_narrower_than_the_group_sizes_allow():
    res = hz.ci_width_bound("1.45", "1.55", n_level=50, n_reference=150)
    assert res.verdict == "inconsistent" and res.assumptions == ("wald_interval",)
    assert res.values["var_bound"] == pytest.approx(1 / 50 + 1 / 150)
    # printed sizes: the explanation says what they require, never "split evenly"
    assert "with 50 and 150 patients" in res.explanation and "evenly" not in res.explanation
    even = hz.ci_width_bound("1.45", "1.55", n_total=200)
    assert even.verdict == "inconsistent" and "even split" in even.values["bound_from"]
    assert set(even.assumptions) == {"wald_interval", "group_sizes_assumed"}


def test_p_against_ci_impossible_only_where_significance_disagrees():
    # CI excludes 1 but p >= 0.05: impossible by the duality of a test and its interval
    dual = hz.p_from_ci("1.40", "1.15", "1.71", "0.640")
    assert dual.verdict == "impossible" and dual.assumptions == ()
    # both say "significant" but the p is far smaller than the CI allows: rests on one Wald test
    same_side = hz.p_from_ci("0.80", "0.66", "0.97", "<0.001")
    assert same_side.verdict == "inconsistent"
    assert set(same_side.assumptions) == {"same_test", "wald_interval"}


def test_direction_against_statement():
    assert hz.hr_direction("0.60", "0.45", "0.80", "above").verdict == "inconsistent"
    assert hz.hr_direction("0.60", "0.45", "0.80", "below").verdict == "consistent"
    assert hz.hr_direction("0.90", "0.70", "1.15", "above").verdict == "not testable"


def test_missing_numbers_are_not_testable():
    assert hz.p_from_ci("1.20", "0.90", "1.60", "").verdict == "not testable"
    assert hz.ci_width_bound("0.90", "1.60").verdict == "not testable"


# --------------------------------------------------------------------------- the variance bound


def test_variance_bound_never_violated_by_lifelines_fits():
    exp = variance_bound_experiment(n_datasets=30, n=120, seed=1, engine="lifelines")
    assert (exp["var"] >= exp["bound_events"] * (1 - 1e-9)).all()
    assert (exp["bound_events"] >= exp["bound_patients"]).all()


def test_variance_bound_never_violated_across_many_batched_fits():
    exp = variance_bound_experiment(n_datasets=2000, n=150, seed=2, engine="coxbatch")
    exp = exp[np.isfinite(exp["var"])]
    assert len(exp) > 1900
    assert (exp["var"] >= exp["bound_events"] * (1 - 1e-9)).all()
    # the batched solver agrees with lifelines on the same data sets
    batch = variance_bound_experiment(n_datasets=5, n=150, seed=3, engine="coxbatch")
    ll = variance_bound_experiment(n_datasets=5, n=150, seed=3, engine="lifelines")
    np.testing.assert_allclose(batch["var"], ll["var"], rtol=1e-5)
    np.testing.assert_allclose(batch["hr"], ll["hr"], rtol=1e-4)  # lifelines stops earlier


# --------------------------------------------------------------------------- ledgers


def test_tiny_ledger_is_consistent():
    led = load_ledger("tiny", root=TINY_ROOT)
    for f in hz.check_all(led):
        assert f.verdict in ("consistent", "not testable"), f
    # the tiny ledger records no selection rule: check 5 cannot judge, unless told the rule holds
    assert [f.verdict for f in hz.check_model_selection(led)] == ["not testable"]
    assert [f.verdict for f in hz.check_model_selection(led, rule_stated=True)] == ["consistent"]
    g = hz.group_sizes(led, hz.estimates(led).iloc[0])
    assert g["n_level"] + g["n_reference"] == led.n


def test_tiny_ledger_broken_p_and_selection_are_flagged(tiny_copy):
    root, study = tiny_copy
    edit_cell(study / "hazard_ratios.csv", "h2", "p", "0.010")
    led = load_ledger("tiny", root=root)
    [f] = hz.check_p_from_ci(led)
    assert f.verdict == "impossible" and f.severity == "critical"
    with open(study / "design.csv", "a", encoding="utf-8") as fh:   # record the selection rule
        fh.write("g5,design.multivariable_selection,methods,Methods / Statistics,univariable "
                 "P < 0.05 entered the model,analysis,multivariable_selection,0.05,,<,,\n")
    led = load_ledger("tiny", root=root)
    [s] = hz.check_model_selection(led)
    assert s.verdict == "inconsistent" and s.category == "design"
    assert "Methods / Statistics" in s.locators


def test_real_ledger_every_hr_row_has_a_verdict_from_checks_1_to_4():
    led = load_ledger("cao2024")
    findings = hz.check_all(led)
    grid = hz.verdict_grid(findings)
    n_rows = len(hz.estimates(led))
    assert len(grid) == n_rows
    assert list(grid.columns[1:]) == list(hz.CHECK_NAMES.values())
    assert grid.iloc[:, 1:].notna().all().all()
    assert {f.verdict for f in findings} <= set(VERDICTS)


def test_real_ledger_contradictions_are_found():
    led = load_ledger("cao2024")
    p = hz.check_p_from_ci(led)
    direction = hz.check_hr_direction(led)
    # some printed p contradicts its own CI, and some statement of direction contradicts Table 3
    assert any(f.verdict == "impossible" for f in p)
    assert any(f.verdict == "inconsistent" and f.category == "contradiction" for f in direction)
    # every statement of the paper is confronted with at least one HR
    tested = {loc for f in direction if f.verdict != "not testable" for loc in f.locators}
    assert set(led.statements["locator"]) <= tested
    # check 5 gives one finding per univariable variable
    sel = hz.check_model_selection(led)
    uni = led.hazard_ratios
    assert len(sel) == uni[(uni["model"] == "univariable") & (uni["role"] == "estimate")]["variable"].nunique()


def test_printed_numbers_narrowest_ci_is_centred_on_the_hr():
    led = load_ledger("cao2024")
    t = hz.printed_numbers(led)
    ratio = np.log(t["narrowest_high"] / t["hr"]) - np.log(t["hr"] / t["narrowest_low"])
    assert np.allclose(ratio, 0)
    assert (t["var_bound"] > 0).all()
    z = hz.z_for_level("95")
    assert math.isclose(z, 1.959964, rel_tol=1e-6)


def test_clean_reference_ledger_passes_every_check():
    """ncctg_lung holds R's own output for real data (tests/reference): nothing may be flagged."""
    led = load_ledger("ncctg_lung")
    findings = hz.check_all(led)
    assert findings
    flagged = [f for f in findings if f.verdict in ("inconsistent", "impossible")]
    assert not flagged, [(f.check, f.item, f.explanation) for f in flagged]
    # per-unit HRs of continuous covariates are not judged by the two-group bound
    width = {f.item: f.verdict for f in hz.check_ci_width_bound(led)}
    assert any("per " in item and v == "not testable" for item, v in width.items())
    assert any(v == "consistent" for v in width.values())
