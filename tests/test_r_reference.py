"""lifelines (through helpers.cohort.survival) against R's survival package on the NCCTG lung cohort.

The R outputs are stored fixtures (tests/fixtures/r_reference/, written by
tests/reference/ncctg_lung.R); these tests need no R. Tolerance 1e-6 unless said otherwise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.cohort.datasets import load_ncctg_lung
from helpers.ledger.load import load_ledger
from helpers.cohort.survival import (covariate_kind, covariate_specs, cox_multivariable,
                                     cox_univariable, km_fit)

from conftest import FIXTURES, REPO

R = FIXTURES / "r_reference"
TOL = 1e-6


def r_csv(name: str) -> pd.DataFrame:
    return pd.read_csv(R / name)


@pytest.fixture(scope="module")
def lung() -> pd.DataFrame:
    return load_ncctg_lung()


@pytest.fixture(scope="module")
def spec() -> dict:
    return load_ledger("ncctg_lung").covariates


def close(a, b, tol=TOL) -> bool:
    """Equal within ``tol``, with nan equal to nan (R's NA: median or limit not reached)."""
    a, b = float(a), float(b)
    if np.isnan(a) or np.isnan(b):
        return np.isnan(a) and np.isnan(b)
    return abs(a - b) <= tol


def test_lifelines_ships_the_same_cohort_as_r(lung):
    fp = r_csv("ncctg_fingerprint.csv").iloc[0]
    assert len(lung) == fp["n"]
    assert lung["os_event"].sum() == fp["events"]          # status == 2 in R's coding
    assert lung["os_time"].sum() == fp["sum_time"]
    assert (lung["sex"] == "Male").sum() == fp["n_male"]
    assert lung["age"].sum() == fp["sum_age"]
    assert lung["ph.ecog"].isna().sum() == fp["n_missing_ecog"]
    assert lung["wt.loss"].isna().sum() == fp["n_missing_wt_loss"]
    assert lung["meal.cal"].isna().sum() == fp["n_missing_meal_cal"]


def test_covariates_yaml_matches_the_r_script(spec):
    r = r_csv("ncctg_covariates.csv").fillna("")
    specs = covariate_specs(spec)
    assert list(specs) == list(r["variable"])
    for _, row in r.iterrows():
        item = specs[row["variable"]]
        assert item["column"] == row["column"]
        kind = covariate_kind(item)
        assert kind == row["type"], row["variable"]
        if kind == "continuous":
            assert float(item.get("scale", 1)) == float(row["scale"])
        elif kind == "cut":
            assert float(item["cut"]) == float(row["cut"]) and item["below"] == row["reference"]
        else:
            assert item["levels"][0] == row["reference"]


def _toy(name: str) -> pd.DataFrame:
    return r_csv(f"km_{name}_data.csv")


@pytest.mark.parametrize("conf_type", ["log", "log-log", "plain"])
def test_km_median_and_ci_match_r_quantile_survfit(lung, conf_type):
    ref = r_csv("km_medians.csv")
    ref = ref[ref["conf_type"] == conf_type]
    for _, r in ref.iterrows():
        if r["dataset"] == "ncctg":
            t, e = lung["os_time"], lung["os_event"]
        elif r["dataset"] == "ncctg_by_sex":
            keep = lung["sex"] == r["stratum"]
            t, e = lung.loc[keep, "os_time"], lung.loc[keep, "os_event"]
        else:
            toy = _toy(r["dataset"])
            t, e = toy["time"], toy["event"]
        fit = km_fit(t, e, ci_method=conf_type)
        where = f"{r['dataset']}/{r['stratum']}/{conf_type}"
        assert (fit.n, fit.events) == (r["n"], r["events"]), where
        assert close(fit.median, r["median"]), where
        assert close(fit.ci_low, r["lower"]), where
        assert close(fit.ci_high, r["upper"]), where


@pytest.mark.parametrize("conf_type", ["log", "log-log", "plain"])
def test_km_curve_and_band_match_r_survfit(lung, conf_type):
    ref = r_csv("km_ncctg_curve.csv")
    ref = ref[ref["conf_type"] == conf_type].reset_index(drop=True)
    curve = km_fit(lung["os_time"], lung["os_event"], ci_method=conf_type).curve
    assert np.array_equal(curve["time"], ref["time"])
    assert np.array_equal(curve["n_risk"], ref["n_risk"])
    assert np.array_equal(curve["n_event"], ref["n_event"])
    for ours, theirs in (("survival", "surv"), ("std_err", "std_err"), ("lower", "lower"),
                         ("upper", "upper")):
        a, b = curve[ours].to_numpy(), ref[theirs].to_numpy()
        assert np.array_equal(np.isnan(a), np.isnan(b)), ours
        assert np.nanmax(np.abs(a - b)) < TOL, ours


def test_one_year_survival_matches_r_summary(lung):
    for _, r in r_csv("km_ncctg_rates.csv").iterrows():
        keep = (lung["sex"] == r["stratum"]) if r["stratum"] != "all" else lung["sex"].notna()
        fit = km_fit(lung.loc[keep, "os_time"], lung.loc[keep, "os_event"], ci_method=r["conf_type"])
        s, lo, hi = fit.survival_at(r["time"])
        assert close(s, r["surv"]) and close(lo, r["lower"]) and close(hi, r["upper"])


def test_log_log_band_is_lifelines_exponential_greenwood(lung):
    """Our own band code against the library: lifelines' default CI is R's conf.type="log-log"."""
    from lifelines import KaplanMeierFitter

    kmf = KaplanMeierFitter().fit(lung["os_time"], lung["os_event"])
    ci = kmf.confidence_interval_survival_function_.reindex(
        km_fit(lung["os_time"], lung["os_event"], "log-log").curve["time"])
    ours = km_fit(lung["os_time"], lung["os_event"], "log-log").curve
    inside = (ours["survival"] > 0) & (ours["survival"] < 1)
    assert np.allclose(ours.loc[inside, "lower"], ci.iloc[:, 0].to_numpy()[inside], atol=1e-9)
    assert np.allclose(ours.loc[inside, "upper"], ci.iloc[:, 1].to_numpy()[inside], atol=1e-9)
    # lifelines' own median is the same here (no flat stretch at S = 0.5) ...
    assert kmf.median_survival_time_ == km_fit(lung["os_time"], lung["os_event"]).median


def test_r_midpoint_rule_differs_from_lifelines_on_a_flat_stretch():
    """... but on a curve that sits at exactly 0.5, R takes the midpoint and lifelines the start."""
    from lifelines import KaplanMeierFitter

    toy = _toy("toy_flat")
    ref = r_csv("km_medians.csv").query("dataset == 'toy_flat' and conf_type == 'log'").iloc[0]
    ours = km_fit(toy["time"], toy["event"]).median
    theirs = KaplanMeierFitter().fit(toy["time"], toy["event"]).median_survival_time_
    assert close(ours, ref["median"]) and not close(theirs, ref["median"])


def _cox_ours(lung, spec) -> pd.DataFrame:
    ref = r_csv("cox_ncctg.csv")
    uni = cox_univariable(lung, spec, "OS",
                          variables=list(ref.loc[ref["model"] == "univariable", "variable"]))
    multi = cox_multivariable(lung, spec, list(ref.loc[ref["model"] == "multivariable", "variable"]),
                              "OS")
    return pd.concat([uni, multi], ignore_index=True)


def test_cox_matches_r_coxph_efron(lung, spec):
    ref = r_csv("cox_ncctg.csv")
    ours = _cox_ours(lung, spec)
    assert list(ours["model"]) == list(ref["model"])
    assert list(ours["variable"]) == list(ref["variable"])
    for col in ("coef", "se", "hr", "ci_low", "ci_high", "p"):
        assert np.max(np.abs(ours[col] - ref[col])) < TOL, col
    assert np.max(np.abs(ours["z"] - ref["z"]) / np.abs(ref["z"])) < TOL
    assert np.max(np.abs(ours["loglik"] - ref["loglik"])) < TOL
    # complete-case: the same patients (and events) as R's na.omit
    assert list(ours["n"]) == list(ref["n"]) and list(ours["events"]) == list(ref["events"])
    cat = ref["n_level"].notna()
    assert list(ours.loc[cat, "n_level"]) == list(ref.loc[cat, "n_level"].astype(int))
    assert list(ours.loc[cat, "n_reference"]) == list(ref.loc[cat, "n_reference"].astype(int))


def test_reference_ledger_is_derived_from_these_fixtures():
    """data/published/ncctg_lung is exactly what make_ncctg_ledger.py prints from the R outputs."""
    import importlib.util

    path = REPO / "tests" / "reference" / "make_ncctg_ledger.py"
    spec = importlib.util.spec_from_file_location("make_ncctg_ledger", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--check"]) == 0
