"""Checks on printed hazard ratios (helpers.checks.hazard): each must pass on honest numbers and flag
broken ones, with verdicts no stronger than their evidence. Honest numbers come from lifelines fits
on simulated data or from Wald statistics generated here, printed the way papers do; every other
number is made up."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lifelines import CoxPHFitter
from scipy.stats import norm

from conftest import TINY_ROOT, edit_cell
from helpers.checks import hazard as hz
from helpers.checks import registry
from helpers.checks.registry import Context, Settings
from helpers.core.findings import VERDICTS
from helpers.ledger.load import ledger_from_tables, load_ledger
from helpers.cohort.montecarlo import variance_bound_experiment

HAZARD = [c.name for c in registry.checks("hazard")]


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


def _ctx(rows, meta=None, **settings_kw) -> Context:
    return Context(ledger_from_tables("toy", meta or {}, rows), Settings(**settings_kw))


def _row(**kw) -> dict:
    row = {"model": "univariable", "endpoint": "OS", "variable": "X", "level": "A",
           "reference": "B", "role": "estimate", "ci_level": "95", "quantity": "cox.univariable.x.a",
           "locator": "Table 2 / X: A"}
    row.update(kw)
    return row


REF = {"model": "univariable", "endpoint": "OS", "variable": "X", "level": "B", "reference": "B",
       "role": "reference", "hr": "1", "quantity": "cox.univariable.x.b", "locator": "Table 2 / X: B"}


def _run(name, ctx):
    run = registry.run_check(name, ctx, isolate=False)
    assert run.status == "ran", run.reason
    return run.findings


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
    assert res.values["joint"]


def test_bound_p_is_an_open_side():
    assert hz.p_from_ci("2.00", "1.52", "2.64", "<0.001").verdict == "consistent"
    # a CI holding 1 with p < 0.001: the duality rules it out
    res = hz.p_from_ci("1.10", "0.90", "1.34", "<0.001")
    assert res.verdict == "impossible" and res.assumptions == ()


# --------------------------------------------------------------------------- overclaims


def test_p_contradicting_its_ci_is_impossible_by_the_duality():
    res = hz.p_from_ci("1.42", "1.21", "1.66", "0.600")
    assert res.verdict == "impossible" and res.assumptions == ()
    assert "cannot come from the same analysis" in res.explanation
    assert "test it inverts" in res.explanation


def test_p_on_the_same_side_as_its_ci_rests_on_one_wald_test():
    # both say "significant at 5%"; the printed p is far smaller than the CI implies (made up)
    res = hz.p_from_ci("0.80", "0.66", "0.97", "<0.001")
    assert res.verdict == "inconsistent"            # the old check said "impossible"
    assert set(res.assumptions) == {"same_test", "wald_interval"}
    # a 90% CI level moves the duality threshold to 0.10
    lvl = hz.p_from_ci("1.30", "1.05", "1.61", "0.070", ci_level="90")
    assert lvl.values["alpha_ci"] == pytest.approx(0.10)
    assert lvl.verdict != "impossible"


def test_p_search_uses_the_same_limits_for_midpoint_and_se():
    # made-up numbers: the old search took the CI midpoint from one corner of the limits' rounding
    # box and the SE from another and called this consistent; no single Wald analysis prints it
    res = hz.p_from_ci("0.83", "0.72", "0.94", "0.002", rule="half_up")
    assert res.values["joint"]
    assert res.verdict == "inconsistent" and res.values["p_low"] > 0.0025
    # a Wald analysis printed at 4 decimals reproduces the printed p
    b, se = math.log(0.83), 0.0675
    p = 2 * norm.sf(abs(b) / se)
    ok = hz.p_from_ci("0.8300", f"{math.exp(b - 1.959964 * se):.4f}",
                      f"{math.exp(b + 1.959964 * se):.4f}", f"{p:.4f}", rule="half_up")
    assert ok.verdict == "consistent"


def test_asymmetric_ci_rests_on_a_wald_interval_and_hr_outside_ci_is_impossible():
    asym = hz.ci_symmetry("0.60", "0.50", "0.95")
    assert asym.verdict == "inconsistent" and asym.assumptions == ("wald_interval",)
    res = hz.ci_symmetry("1.45", "1.60", "2.05")
    assert res.verdict == "impossible" and "outside its own CI" in res.explanation
    assert res.assumptions == ()


def test_ci_narrower_than_the_printed_group_sizes_allow():
    res = hz.ci_width_bound("1.45", "1.55", n_level=50, n_reference=150)
    assert res.verdict == "inconsistent" and res.assumptions == ("wald_interval",)
    assert res.values["var_bound"] == pytest.approx(1 / 50 + 1 / 150)
    # printed sizes: the explanation says what they require, never "split evenly"
    assert "n1 = 50" in res.explanation and "n0 = 150" in res.explanation
    assert "evenly" not in res.explanation and "even split" not in res.explanation
    even = hz.ci_width_bound("1.45", "1.55", n_total=200)
    assert even.verdict == "inconsistent" and even.values["sizes"] == "even_split"
    assert set(even.assumptions) == {"wald_interval", "group_sizes_assumed"}


def _three_level_ledger(ci_low: str, ci_high: str):
    counts = [{"variable": "Stage", "level": lv, "role": "level", "count": str(k),
               "denominator": "300", "population": "all", "quantity": f"baseline.stage.{lv}"}
              for lv, k in (("I", "40"), ("II", "60"), ("III", "200"))]
    hrs = [{**_row(variable="Stage", level="I", reference="I", role="reference", hr="1",
                   quantity="cox.univariable.stage.i", locator="Table 2 / Stage: I"),
            "level_quantity": "baseline.stage.I", "reference_quantity": "baseline.stage.I"},
           {**_row(variable="Stage", level="II", reference="I", hr="1.50", ci_low=ci_low,
                   ci_high=ci_high, quantity="cox.univariable.stage.ii",
                   locator="Table 2 / Stage: II"),
            "level_quantity": "baseline.stage.II", "reference_quantity": "baseline.stage.I"},
           {**_row(variable="Stage", level="III", reference="I", hr="2.00", ci_low="1.40",
                   ci_high="2.86", quantity="cox.univariable.stage.iii",
                   locator="Table 2 / Stage: III"),
            "level_quantity": "baseline.stage.III", "reference_quantity": "baseline.stage.I"}]
    return ledger_from_tables("toy", {"n": 300}, {"counts": counts, "hazard_ratios": hrs})


def test_multilevel_factor_uses_the_reference_levels_own_count():
    # 60 (II) vs 40 (I) in a cohort of 300: 1/60 + 1/40 = 0.0417, SE >= 0.204. A CI of
    # 1.10-2.05 has SE 0.159: too narrow against the reference level (the old check compared
    # with everyone not in level II, 1/60 + 1/240, SE >= 0.144, and passed it)
    led = _three_level_ledger("1.10", "2.05")
    [f] = [f for f in _run("ci_width_bound", Context(led)) if "Stage: II vs" in f.item]
    assert f.verdict == "inconsistent"
    assert "n1 = 60" in f.explanation and "n0 = 40" in f.explanation
    assert "more than two levels" in f.explanation
    assert set(f.assumptions) == {"wald_interval", "same_quantity"}   # sizes from Table 1


def test_hr_outside_its_ci_is_loaded_and_reported_not_a_crash():
    ctx = _ctx({"hazard_ratios": [REF, _row(hr="1.45", ci_low="1.60", ci_high="2.05", p="0.010")]})
    runs = registry.run_family("hazard", ctx, isolate=False)
    assert all(r.status in ("ran", "not applicable") for r in runs)
    [sym] = [f for r in runs if r.check.name == "ci_symmetry" for f in r.findings]
    assert sym.verdict == "impossible" and sym.assumptions == () and sym.strength == "conclusive"
    assert all(f.verdict in VERDICTS for r in runs for f in r.findings)


def test_flag_that_needs_the_inferred_rounding_rule_names_it():
    # the paper's percentages fit rounding to nearest only: the rule is inferred, not given
    counts = [{"variable": "Sex", "level": lv, "role": "level", "count": k, "percent": pc,
               "denominator": "3", "population": "all", "locator": f"Table 1 / Sex: {lv}",
               "quantity": f"baseline.sex.{lv.lower()}"}
              for lv, k, pc in (("Male", "2", "66.7"), ("Female", "1", "33.3"))]
    # rounded to nearest, 0.99 stands for at most 0.995: the CI excludes 1 and p = 0.200 breaks
    # the duality; truncated, 0.99 may stand for 0.999..., and only the Wald reproduction fails
    hr = _row(hr="0.83", ci_low="0.70", ci_high="0.99", p="0.200", locator="Table 2 / X: A")
    ctx = _ctx({"counts": counts, "hazard_ratios": [REF, hr]})
    assert ctx.policy.rule_for("Table 2 / X: A") == "half_up" and ctx.policy.inferred
    assert hz.p_from_ci("0.83", "0.70", "0.99", "0.200", rule="half_up").verdict == "impossible"
    [f] = _run("p_from_ci", ctx)
    assert f.verdict == "inconsistent" and "rounding_rule_inferred" in f.assumptions
    # the same numbers with the rule given by the run: it is not inferred, so arithmetic decides
    [g] = _run("p_from_ci", _ctx({"counts": counts, "hazard_ratios": [REF, hr]},
                                 rounding="half_up"))
    assert g.verdict == "impossible" and g.assumptions == ()


def test_direction_against_statement():
    assert hz.hr_direction("0.60", "0.45", "0.80", "above").verdict == "inconsistent"
    assert hz.hr_direction("0.60", "0.45", "0.80", "above").assumptions == ("same_quantity",)
    assert hz.hr_direction("0.60", "0.45", "0.80", "below").verdict == "consistent"
    assert hz.hr_direction("0.90", "0.70", "1.15", "above").verdict == "not testable"


def test_missing_numbers_are_not_testable():
    assert hz.p_from_ci("1.20", "0.90", "1.60", "").verdict == "not testable"
    assert hz.p_from_ci("1.20", "", "", "0.200").verdict == "not testable"
    assert hz.ci_width_bound("0.90", "1.60").verdict == "not testable"
    assert hz.ci_symmetry("1.20", "", "1.60").verdict == "not testable"


# --------------------------------------------------------------------------- fault tolerance


@pytest.mark.parametrize("tables", [
    {},                                                                    # nothing printed
    {"counts": [{"variable": "Sex", "level": "Male", "role": "level", "count": "5",
                 "denominator": "10", "population": "all"}]},              # no hazard ratios
    {"hazard_ratios": [_row(hr="1.30", ci_low="1.01", ci_high="1.67", p="0.040")]},  # one HR
    {"hazard_ratios": [REF, _row(hr="0.05", ci_low="0.01", ci_high="0.25", p="<0.001")]},
    {"hazard_ratios": [REF, _row(hr="2.00", ci_low="0.01", ci_high="400.00", p="0.800")]},
    {"hazard_ratios": [REF, _row(hr="1.30")]},                              # no CI, no p
    {"hazard_ratios": [REF, _row(hr="1.30", ci_low="1.30", ci_high="1.30", p="0.500")]},
    {"hazard_ratios": [REF, _row(hr="1.30", ci_low="1.01", ci_high="1.67", p="0.040", ci_level="")]},
    {"hazard_ratios": [REF, _row(hr="1.30", ci_low="1.01", ci_high="1.67", p="0.040"),
                       _row(model="multivariable", role="not_in_model",
                            quantity="cox.multivariable.x.a")]},           # no design rows
])
def test_any_valid_ledger_gives_findings_or_not_applicable(tables):
    ctx = _ctx(tables, meta={"n": 50})
    for check in registry.checks("hazard"):
        run = registry.run_check(check, ctx, isolate=False)
        assert run.status in ("ran", "not applicable")
        assert all(f.verdict in VERDICTS for f in run.findings)
    ctx_alpha = _ctx(tables, meta={"n": 50, "alpha": 0.05})
    for f in _run("model_selection", ctx_alpha) if tables.get("hazard_ratios") else []:
        assert f.verdict == "not testable"          # no selection rule recorded


def test_model_selection_without_a_level_is_not_testable():
    # the rule is recorded without a level (a value that is no probability: 1 step)
    rule = {"kind": "analysis", "parameter": "multivariable_selection", "value": "1",
            "quantity": "design.multivariable_selection"}
    hrs = [REF, _row(hr="1.50", ci_low="1.20", ci_high="1.88", p="<0.001"),
           _row(model="multivariable", role="not_in_model", quantity="cox.multivariable.x.a")]
    [f] = _run("model_selection", _ctx({"hazard_ratios": hrs, "design": [rule]}))
    assert f.verdict == "not testable" and "no significance level" in f.explanation
    [g] = _run("model_selection", _ctx({"hazard_ratios": hrs, "design": [rule]},
                                       meta={"alpha": 0.05}))
    assert g.verdict == "inconsistent" and g.assumptions == ("text_interpretation",)


# --------------------------------------------------------------------------- properties

PROPS = settings(max_examples=300, deadline=None)


@st.composite
def wald_printed(draw):
    b = draw(st.floats(min_value=-2.5, max_value=2.5))
    se = draw(st.floats(min_value=0.03, max_value=1.2))
    d = draw(st.sampled_from([2, 3]))
    z = norm.ppf(0.975)
    lo, hi = math.exp(b - z * se), math.exp(b + z * se)
    if lo < 10 ** -d:          # the limit would print as 0: not a valid ledger value
        lo = 10 ** -d
        return None
    p = 2 * norm.sf(abs(b) / se)
    return (f"{math.exp(b):.{d}f}", f"{lo:.{d}f}", f"{hi:.{d}f}",
            "<0.001" if p < 0.001 else f"{p:.3f}")


@PROPS
@given(wald_printed(), st.sampled_from(["auto", "half_up", "half_even"]))
def test_wald_generated_numbers_are_never_flagged(printed, rule):
    if printed is None:
        return
    h, lo, hi, p = printed
    res = hz.p_from_ci(h, lo, hi, p, rule=rule)
    assert res.verdict == "consistent", (printed, res.explanation)
    sym = hz.ci_symmetry(h, lo, hi, rule=rule)
    assert sym.verdict == "consistent", (printed, sym.explanation)


number = st.decimals(min_value="0.01", max_value="50", places=2).map(str)
pvalue = st.one_of(st.decimals(min_value="0", max_value="1", places=3).map(str),
                   st.sampled_from(["<0.001", "<0.01", "<0.05", ">0.05", "1", "0.05"]))


@PROPS
@given(number, number, number, pvalue, st.sampled_from(["95", "90", "99", ""]))
def test_random_printed_values_never_raise(h, a, b, p, level):
    lo, hi = sorted((a, b), key=float)
    for res in (hz.p_from_ci(h, lo, hi, p, ci_level=level), hz.ci_symmetry(h, lo, hi),
                hz.ci_width_bound(lo, hi, n_total=40, ci_level=level)):
        assert res.verdict in VERDICTS


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
    batch = variance_bound_experiment(n_datasets=5, n=150, seed=3, engine="coxbatch")
    ll = variance_bound_experiment(n_datasets=5, n=150, seed=3, engine="lifelines")
    np.testing.assert_allclose(batch["var"], ll["var"], rtol=1e-5)
    np.testing.assert_allclose(batch["hr"], ll["hr"], rtol=1e-4)  # lifelines stops earlier


def test_multilevel_variance_bound_holds_against_the_reference_level():
    """Var(b_j) >= 1/d_j + 1/d_ref for each dummy of a three-level factor (variance_bound)."""
    rng = np.random.default_rng(7)
    for _ in range(12):
        n = int(rng.integers(90, 240))
        g = rng.choice(3, size=n, p=rng.dirichlet([2, 2, 2]) * 0.7 + 0.1)
        hr = np.array([1.0, rng.uniform(0.5, 2), rng.uniform(0.5, 2)])
        t = rng.exponential(1.0, n) / hr[g]
        c = rng.uniform(0.2, 3, n)
        e = (t <= c).astype(int)
        df = pd.DataFrame({"T": np.minimum(t, c), "E": e, "g1": (g == 1) * 1.0,
                           "g2": (g == 2) * 1.0})
        if min(e[g == k].sum() for k in range(3)) < 3:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = CoxPHFitter().fit(df, "T", "E")
        d = [e[g == k].sum() for k in range(3)]
        for j in (1, 2):
            var = fit.variance_matrix_.loc[f"g{j}", f"g{j}"]
            assert var >= (1 / d[j] + 1 / d[0]) * (1 - 1e-6)


# --------------------------------------------------------------------------- ledgers


def test_tiny_ledger_is_consistent():
    led = load_ledger("tiny", root=TINY_ROOT)
    for f in hz.check_all(led):
        assert f.verdict in ("consistent", "not testable"), f
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
    assert len(grid) == len(hz.estimates(led))
    assert list(grid.columns[1:]) == list(hz.CHECK_NAMES.values())
    assert grid.iloc[:, 1:].notna().all().all()
    assert {f.verdict for f in findings} <= set(VERDICTS)


def test_real_ledger_contradictions_are_found_and_honest():
    led = load_ledger("cao2024")
    p = hz.check_p_from_ci(led)
    direction = hz.check_hr_direction(led)
    assert any(f.verdict == "impossible" for f in p)
    # an impossible p finding rests on arithmetic alone; every other flag names its assumptions
    for f in hz.check_all(led):
        if f.verdict == "impossible":
            assert f.assumptions == ()
        elif f.flagged:
            assert f.assumptions
    assert any(f.verdict == "inconsistent" and f.category == "contradiction" for f in direction)
    tested = {loc for f in direction if f.verdict != "not testable" for loc in f.locators}
    assert set(led.statements["locator"]) <= tested
    sel = hz.check_model_selection(led)
    uni = led.hazard_ratios
    assert len(sel) == uni[(uni["model"] == "univariable") & (uni["role"] == "estimate")]["variable"].nunique()


def test_registered_run_matches_the_wrappers():
    led = load_ledger("cao2024")
    runs = registry.run_family("hazard", Context(led), isolate=False)
    by_check = {r.check.name: r.findings for r in runs}
    assert [f.verdict for f in by_check["p_from_ci"]] == [f.verdict for f in hz.check_p_from_ci(led)]
    assert all(r.status == "ran" for r in runs)


def test_printed_numbers_narrowest_ci_is_centred_on_the_hr():
    led = load_ledger("cao2024")
    t = hz.printed_numbers(led)
    ratio = np.log(t["narrowest_high"] / t["hr"]) - np.log(t["hr"] / t["narrowest_low"])
    assert np.allclose(ratio, 0)
    assert (t["var_bound"] > 0).all()
    assert math.isclose(hz.z_for_level("95"), 1.959964, rel_tol=1e-6)


def test_clean_reference_ledger_passes_every_check():
    """ncctg_lung holds R's own output for real data (tests/reference): nothing may be flagged."""
    led = load_ledger("ncctg_lung")
    findings = hz.check_all(led)
    assert findings
    flagged = [f for f in findings if f.flagged]
    assert not flagged, [(f.check, f.item, f.explanation) for f in flagged]
    width = {f.item: f.verdict for f in hz.check_ci_width_bound(led)}
    assert any("per " in item and v == "not testable" for item, v in width.items())
    assert any(v == "consistent" for v in width.values())


def test_a_level_with_a_printed_size_is_a_category_even_without_a_reference_row():
    """Without a reference row an HR looked per-unit (continuous); a printed count of its level
    (``level_quantity``) or of the reference says it compares two groups."""
    from helpers.checks.hazard import comparison_kind

    counts = [{"variable": "Arm", "level": "B", "role": "level", "count": "40", "denominator": "100",
               "quantity": "baseline.arm.b", "population": "all"}]
    bare = {"model": "univariable", "endpoint": "PFS", "variable": "Arm", "level": "B",
            "reference": "A", "role": "estimate", "hr": "1.30", "ci_low": "1.01", "ci_high": "1.67",
            "ci_level": "95", "quantity": "cox.univariable.arm.b"}
    led = ledger_from_tables("toy", {"n": 100}, {"counts": counts, "hazard_ratios": [bare]})
    assert comparison_kind(led, led.hazard_ratios.iloc[0]) == "continuous"
    sized = dict(bare, level_quantity="baseline.arm.b")
    led = ledger_from_tables("toy", {"n": 100}, {"counts": counts, "hazard_ratios": [sized]})
    assert comparison_kind(led, led.hazard_ratios.iloc[0]) == "binary"
